//! Secrets (API tokens, replica keys, offline sign-in verifiers) live in the OS keyring, never in
//! plain files.
//!
//! The offline verifier lets a user sign in again without the network after signing out: at each
//! online sign-in the app keeps a salted argon2id hash of the password (a PHC string, per user and
//! server: never the password itself); an offline sign-in checks the typed password against it.

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The offline sign-in verifier of `password`: an argon2id PHC string with a fresh random salt.
pub fn offline_verifier(password: &str) -> ApiResult<String> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("无法保存离线登录凭据：{e}")))
}

/// Whether `password` matches an offline verifier; a malformed verifier never matches.
pub fn verify_offline(password: &str, verifier: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(verifier)
        .map(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Where secrets are kept. The desktop uses [`KeyringStore`]; nothing else is shipped.
pub trait SecretStore: Send + Sync + 'static {
    fn get(&self, account: &str) -> ApiResult<Option<String>>;
    fn set(&self, account: &str, secret: &str) -> ApiResult<()>;
    fn delete(&self, account: &str) -> ApiResult<()>;
}

/// The OS keyring (Secret Service on Linux, Credential Manager on Windows) via the keyring crate.
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new(service: &str) -> KeyringStore {
        KeyringStore { service: service.to_owned() }
    }

    fn entry(&self, account: &str) -> ApiResult<keyring::Entry> {
        keyring::Entry::new(&self.service, account).map_err(keyring_error)
    }
}

fn keyring_error(e: keyring::Error) -> ApiError {
    ApiError::new(ErrorCode::Keyring, format!("无法访问系统密钥环（用于安全保存登录凭证和本地数据密钥）：{e}"))
}

impl SecretStore for KeyringStore {
    fn get(&self, account: &str) -> ApiResult<Option<String>> {
        match self.entry(account)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn set(&self, account: &str, secret: &str) -> ApiResult<()> {
        self.entry(account)?.set_password(secret).map_err(keyring_error)
    }

    fn delete(&self, account: &str) -> ApiResult<()> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }
}
