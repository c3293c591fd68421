//! The one error type every application call returns: `{code, message}` on the wire.

use serde::Serialize;

/// An error the UI can act on: it switches on `code` and shows `message` (Chinese).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[error("{message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

/// The codes the UI switches on.
pub mod codes {
    /// Wrong user name or password.
    pub const AUTH_FAILED: &str = "auth_failed";
    /// The server is unreachable.
    pub const NETWORK: &str = "network";
    /// The token expired or was revoked: sign in again.
    pub const SESSION_EXPIRED: &str = "session_expired";
    /// Nobody is signed in.
    pub const NOT_LOGGED_IN: &str = "not_logged_in";
    /// The input failed validation.
    pub const INVALID_INPUT: &str = "invalid_input";
    /// The OS keyring is unavailable or refused access.
    pub const KEYRING: &str = "keyring";
    /// The local replica failed.
    pub const REPLICA: &str = "replica";
    /// The case or queued command does not exist (locally).
    pub const NOT_FOUND: &str = "not_found";
    /// The server refused or failed a request.
    pub const SERVER: &str = "server";
    /// The user's role may not do this.
    pub const FORBIDDEN: &str = "forbidden";
    /// The action clashes with what was already done (a flag already decided, a verdict queued).
    pub const CONFLICT: &str = "conflict";
    /// This laptop holds too few reserved document numbers (文号) and cannot reach the server.
    pub const NO_DOC_NUMBERS: &str = "no_doc_numbers";
    /// No program to print or open a document with (xdg-utils or a PDF viewer missing).
    pub const NO_VIEWER: &str = "no_viewer";
    /// Anything else.
    pub const INTERNAL: &str = "internal";
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError { code: code.to_owned(), message: message.into() }
    }
}

impl From<hcp_sync::SyncError> for ApiError {
    fn from(e: hcp_sync::SyncError) -> ApiError {
        use hcp_sync::SyncError as E;
        let code = match &e {
            E::Network(_) => codes::NETWORK,
            E::AuthFailed(_) => codes::AUTH_FAILED,
            E::Unauthorized(_) => codes::SESSION_EXPIRED,
            // A refusal (4xx) keeps the server's code (forbidden, not_found, invalid_input,
            // throttled…) so the UI can say what happened; only 5xx counts as the server failing.
            E::Server { status, code, message } if *status < 500 && !code.is_empty() => {
                return ApiError::new(code, message.clone());
            }
            E::Server { .. } | E::Protocol(_) => codes::SERVER,
            E::Replica(_) => codes::REPLICA,
            E::Task(_) => codes::INTERNAL,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<hcp_replica::ReplicaError> for ApiError {
    fn from(e: hcp_replica::ReplicaError) -> ApiError {
        ApiError::new(codes::REPLICA, e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
