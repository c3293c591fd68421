//! The application API of the Haochaping desktop client.
//!
//! UI-agnostic: the Tauri shell, the command-line client and the tests call these functions. The
//! app owns the session (token in the OS keyring), the encrypted replica (key in the keyring) and
//! the background sync loop; every screen reads the replica, so the app keeps working offline.
//!
//! Signing in needs the server, except for a user who signed in on this computer before: their
//! password is then checked against the offline verifier in the keyring ([`secrets`]) and their
//! remembered replica opens read/queue-only (screens and queued actions, nothing sent). The sync
//! loop signs in against the server as soon as it answers, with the password held in memory
//! (zeroed when dropped) until then; a refusal (password changed, account disabled) ends the
//! session.

pub mod calendar;

pub mod admin;
pub mod attachments;
pub mod board;
pub mod calendar_import;
pub mod cases;
pub mod dashboard;
pub mod error;
pub mod exports;
pub mod finding;
pub mod hotline;
pub mod hotspots;
pub mod integrity;
pub mod ledger;
pub mod logs;
pub mod maintenance;
pub mod merit;
pub mod netwatch;
pub mod notice_centre;
pub mod notify;
pub mod opener;
pub mod print;
pub mod print_photos;
pub mod rankings;
pub mod secrets;
pub mod self_assessment;
mod session;
pub mod settings;
mod sync_loop;
pub mod updates;
mod use_cases;

use session::{account, to_ui_user};
pub use session::{LoginRequest, Session, UserInfo};
#[cfg(test)]
use sync_loop::{next_delay, PROGRESS_TELL_EVERY};
pub use sync_loop::{StatusListener, SyncPhase, SyncProgress, SyncStatus, OFFLINE_RETRY};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hcp_protocol::ClientCommand;
use hcp_replica::{CasePage, CaseQuery, Replica, ReplicaError, ReplicaKey};
use hcp_sync::Client;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use calendar::CalendarStatus;

pub use board::{Board, BoardCase, BoardLevel, BoardStatus, BoardUnit, UrgeInfo};
pub use cases::{
    Assignee, BulkResult, CaseDetail, CaseLead, DepartmentChoice, Evaluator, Issued, Refusal, StaffOption,
    TimelineEvent, UnitOption,
};
pub use dashboard::{ChartStyle, Dashboard};
pub use error::{ApiError, ApiResult, ErrorCode};
pub use hcp_domain::CaseCommand;
pub use hcp_domain::Role;
pub use hcp_replica::OutboxItem;
pub use integrity::FlagItem;
pub use notify::{Notification, Notifications};
pub use opener::OpenTarget;
pub use print::{NoticeDoc, NoticeFile, NoticePreview, PrintedFile};
pub use secrets::{KeyringStore, SecretStore};

/// The keyring service name under which every secret is stored.
pub const KEYRING_SERVICE: &str = "haochaping";

/// Facts the login screen shows before anyone signs in.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    /// The server address to prefill (the last sign-in's or the 设置 page's, else `HCP_SERVER_URL`).
    pub default_server_url: Option<String>,
    pub last_username: Option<String>,
}

/// The most changes requested per pull page.
const PULL_PAGE: usize = 2_000;
const LAST_SYNC_AT: &str = "last_sync_at";
const USER: &str = "user";

#[derive(Clone)]
struct Active {
    client_id: String,
    server_url: String,
    user: hcp_protocol::UserInfo,
    /// Empty while signed in offline.
    token: String,
    client: Client,
    replica: Arc<Mutex<Replica>>,
    /// Signed in offline: the password, in memory only, for the real sign-in once the server
    /// answers (then the token replaces it).
    offline: Option<zeroize::Zeroizing<String>>,
    /// Whether the token goes to the keyring ("记住登录").
    remember: bool,
    /// The encrypted store of evidence files (captured here, or downloaded), beside the replica.
    files: hcp_sync::attachments::Files,
}

impl Active {
    fn session(&self) -> Session {
        Session { user: to_ui_user(&self.user), server_url: self.server_url.clone(), offline: self.offline.is_some() }
    }

    /// Refuses what needs the server while signed in offline, with `what` in the message.
    fn require_online(&self, what: &str) -> ApiResult<()> {
        if self.offline.is_some() {
            return Err(ApiError::new(
                ErrorCode::Network,
                format!("当前为离线登录，{what}需要连接服务器；网络恢复后系统会自动连接，请稍后再试"),
            ));
        }
        Ok(())
    }
}

pub struct App {
    data_dir: PathBuf,
    calendar: Arc<hcp_domain::Calendar>,
    secrets: Arc<dyn SecretStore>,
    default_server_url: Option<String>,
    session: Mutex<Option<Arc<Active>>>,
    status: Mutex<SyncStatus>,
    sync_gate: tokio::sync::Mutex<()>,
    wake: tokio::sync::Notify,
    /// Shows new notifications to the user (the shell's OS notifications), when set.
    notifier: Mutex<Option<Notifier>>,
    /// Told of every change of the sync status (the shell pushes it to the UI), when set.
    status_listener: Mutex<Option<StatusListener>>,
    /// When the listener was last told of a change that only moved the bootstrap's progress.
    progress_told_at: Mutex<Option<std::time::Instant>>,
    /// The version this build is (the package's, which the updater compares; see [`App::with_version`]).
    version: String,
    /// Wakes the evidence upload loop ([`attachments`]).
    upload_wake: tokio::sync::Notify,
}

/// What the shell does with the notifications a sync produced (e.g. OS notifications); failures
/// are its own to log.
pub type Notifier = Arc<dyn Fn(&[Notification]) + Send + Sync>;

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Internal, e.to_string())
}

impl App {
    /// An app keeping its files in `data_dir` and its secrets in `secrets`.
    pub fn new(data_dir: &Path, secrets: Arc<dyn SecretStore>, default_server_url: Option<String>) -> App {
        App {
            data_dir: data_dir.to_owned(),
            calendar: Arc::new(hcp_domain::Calendar::bundled()),
            secrets,
            default_server_url,
            session: Mutex::new(None),
            status: Mutex::new(SyncStatus::default()),
            sync_gate: tokio::sync::Mutex::new(()),
            wake: tokio::sync::Notify::new(),
            notifier: Mutex::new(None),
            status_listener: Mutex::new(None),
            progress_told_at: Mutex::new(None),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            upload_wake: tokio::sync::Notify::new(),
        }
    }

    /// The version the app shows (关于, the login screen, diagnostics): the desktop shell passes
    /// its package version, the one the updater compares with the server's releases, which a
    /// release build may set apart from the crates' version (`HCP_PACKAGE_VERSION`).
    pub fn with_version(mut self, version: impl Into<String>) -> App {
        self.version = version.into();
        self
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn active(&self) -> ApiResult<Arc<Active>> {
        self.session
            .lock()
            .map_err(internal)?
            .clone()
            .ok_or_else(|| ApiError::new(ErrorCode::NotLoggedIn, "尚未登录，请先登录"))
    }

    pub fn app_info(&self) -> AppInfo {
        let s = settings::load(&self.data_dir);
        AppInfo {
            version: self.version.clone(),
            data_dir: self.data_dir.display().to_string(),
            // The user's own choice (the last sign-in, or the 设置 page) before the installation's default.
            default_server_url: s.last_server_url.or_else(|| self.default_server_url.clone()),
            last_username: s.last_username,
        }
    }

    /// Runs `f` with the replica on the blocking pool.
    async fn with_replica<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Replica, &Active, &hcp_domain::Calendar) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let active = self.active()?;
        let calendar = self.calendar.clone();
        tokio::task::spawn_blocking(move || {
            let mut r = active.replica.lock().map_err(internal)?;
            f(&mut r, &active, &calendar)
        })
        .await
        .map_err(internal)?
    }
}

/// A failed call of an online-only action: an unreachable server says what needs the network.
fn online_only(e: hcp_sync::SyncError, what: &str) -> ApiError {
    let err = ApiError::from(e);
    if err.code == ErrorCode::Network {
        ApiError::new(ErrorCode::Network, format!("{what}需要连接服务器，请联网后再试"))
    } else {
        err
    }
}

fn discard_replica_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

#[cfg(test)]
mod admin_tests;
#[cfg(test)]
mod ledger_tests;
#[cfg(test)]
mod merit_tests;
#[cfg(test)]
mod self_assessment_tests;
#[cfg(test)]
mod tests;
