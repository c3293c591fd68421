//! Passwords (argon2id), bearer tokens (random, stored hashed) and the authenticated-user extractor.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{users, Conn, DbResult};
use crate::error::AppError;
use crate::AppState;

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Verifies a password against a stored PHC string; malformed hashes never verify.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// A new random bearer token (256 bits, URL-safe base64).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored as SHA-256 hex digests.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The caller, authenticated by `Authorization: Bearer …`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: users::User,
    pub token_hash: String,
    /// The desktop client the request came from (`X-HCP-Client` header), for the audit log.
    pub client_id: Option<String>,
}

/// The header a desktop client names itself in.
pub const CLIENT_HEADER: &str = "x-hcp-client";

/// A request's bearer token (hashed) and client, not yet checked: for a handler that checks it,
/// with [`Bearer::user`], on the connection it reads on anyway (the pull: one turn for a
/// connection per page instead of two, and on PostgreSQL one statement instead of a transaction
/// of its own). Every other handler takes [`AuthUser`].
#[derive(Debug, Clone)]
pub struct Bearer {
    pub token_hash: String,
    pub client_id: Option<String>,
}

impl Bearer {
    /// The active account the token belongs to, read on the caller's connection; `Ok(None)` when
    /// the token is unknown, expired or revoked or the account was disabled.
    pub fn user(&self, conn: &Conn<'_>, now: &str) -> DbResult<Option<users::User>> {
        Ok(users::by_live_token(conn, &self.token_hash, now)?.filter(|u| u.active))
    }
}

/// The answer to a request whose token no longer names an active account.
pub fn session_ended() -> AppError {
    AppError::unauthorized("登录已过期或已退出，请重新登录")
}

impl FromRequestParts<AppState> for Bearer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| AppError::unauthorized("缺少登录凭证，请先登录"))?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AppError::unauthorized("登录凭证格式错误，请重新登录"))?;
        let client_id = parts
            .headers
            .get(CLIENT_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|c| !c.is_empty() && c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_graphic()))
            .map(str::to_owned);
        Ok(Bearer { token_hash: token_hash(token), client_id })
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = Bearer::from_request_parts(parts, state).await?;
        let now = state.clock.now_rfc3339();
        let b = bearer.clone();
        let user = state.db.read(move |c| b.user(c, &now)).await?.ok_or_else(session_ended)?;
        let Bearer { token_hash, client_id } = bearer;
        Ok(AuthUser { user, token_hash, client_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_secret() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("correct horse", "not a phc string"));
    }

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash(&a).len(), 64);
    }
}
