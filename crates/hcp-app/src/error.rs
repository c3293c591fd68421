//! The one error type every application call returns: `{code, message}` on the wire.

use serde::Serialize;

/// An error the UI can act on: it switches on `code` and shows `message` (Chinese).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

/// The closed set of codes the UI switches on (one set with the server's and the domain's).
pub use hcp_protocol::ErrorCode;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into() }
    }
}

impl From<hcp_sync::SyncError> for ApiError {
    fn from(e: hcp_sync::SyncError) -> ApiError {
        use hcp_sync::SyncError as E;
        let code = match &e {
            E::Network(_) => ErrorCode::Network,
            E::AuthFailed(_) => ErrorCode::AuthFailed,
            E::Unauthorized(_) => ErrorCode::SessionExpired,
            // A refusal (4xx) keeps the server's code (forbidden, not_found, invalid_input,
            // throttled…) so the UI can say what happened; only 5xx counts as the server failing.
            E::Server { status, code, message } if *status < 500 => {
                return ApiError::new(*code, message.clone());
            }
            E::Server { .. } | E::Protocol(_) => ErrorCode::Server,
            E::Replica(_) => ErrorCode::Replica,
            E::Task(_) => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<hcp_replica::ReplicaError> for ApiError {
    fn from(e: hcp_replica::ReplicaError) -> ApiError {
        ApiError::new(ErrorCode::Replica, e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
