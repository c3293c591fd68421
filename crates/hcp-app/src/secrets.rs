//! Secrets (API tokens, replica keys) live in the OS keyring, never in plain files.

use crate::error::{codes, ApiError, ApiResult};

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
    ApiError::new(codes::KEYRING, format!("无法访问系统密钥环（用于安全保存登录凭证和本地数据密钥）：{e}"))
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
