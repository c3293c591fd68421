//! Non-secret preferences kept in `settings.json` in the data folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// A random id of this installation, sent at login for the audit log.
    pub client_id: String,
    pub last_server_url: Option<String>,
    pub last_username: Option<String>,
    /// Whether to reopen the last session at start (its token is in the keyring).
    pub remember: bool,
    /// Seconds between background syncs chosen on the 设置 page (`None`: the default).
    #[serde(default)]
    pub sync_interval_seconds: Option<u64>,
    /// The size cap of the evidence-file cache in MB chosen on the 设置 page (`None`: 500 MB).
    #[serde(default)]
    pub attachment_cache_mb: Option<u64>,
}

/// The sync interval when the user has chosen none: `HCP_SYNC_INTERVAL` seconds (1–3600), else 15.
pub fn default_sync_interval() -> std::time::Duration {
    let secs = std::env::var("HCP_SYNC_INTERVAL").ok().and_then(|s| s.parse().ok()).unwrap_or(15u64);
    std::time::Duration::from_secs(secs.clamp(1, 3600))
}

/// The sync intervals the 设置 page accepts, in seconds.
pub const SYNC_INTERVAL_RANGE: std::ops::RangeInclusive<u64> = 5..=3600;

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

/// Loads the settings; a missing or unreadable file gives fresh settings (and a new client id).
pub fn load(data_dir: &Path) -> Settings {
    let loaded = std::fs::read(path(data_dir)).ok().and_then(|b| serde_json::from_slice::<Settings>(&b).ok());
    let mut s = loaded.unwrap_or_default();
    if s.client_id.is_empty() {
        s.client_id = uuid::Uuid::new_v4().to_string();
    }
    s
}

/// Saves atomically (write then rename).
pub fn save(data_dir: &Path, s: &Settings) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let tmp = data_dir.join("settings.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(s).map_err(std::io::Error::other)?)?;
    std::fs::rename(tmp, path(data_dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_round_trip_and_garbage_gives_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = load(dir.path());
        assert!(!fresh.client_id.is_empty());
        let s = Settings { last_username: Some("donghu.manager".into()), remember: true, ..fresh };
        save(dir.path(), &s).expect("save");
        assert_eq!(load(dir.path()), s);
        std::fs::write(path(dir.path()), b"{not json").expect("write");
        assert!(!load(dir.path()).remember);
    }
}
