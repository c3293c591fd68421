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
pub mod settings;
pub mod updates;

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub unit_name: String,
}

/// The signed-in user and the server they work against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub user: UserInfo,
    pub server_url: String,
    /// Signed in without the network (checked against this computer's offline verifier): the
    /// replica reads and queues; nothing syncs until the server answers a real sign-in.
    pub offline: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub server_url: String,
    pub username: String,
    pub password: String,
    /// Keep the session (token in the keyring) so the app reopens signed in, even offline.
    pub remember: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    Idle,
    Bootstrapping,
    Pulling,
    Offline,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SyncProgress {
    pub phase: String,
    pub rows: u32,
    pub bytes: u32,
    pub total_rows: Option<u32>,
    /// The rows an interrupted first sync had already kept, when this one goes on from there.
    pub resumed_from: Option<u32>,
}

/// What the status bar shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub online: bool,
    pub phase: SyncPhase,
    /// RFC 3339 time of the last successful sync.
    pub last_sync_at: Option<String>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub cursor: i64,
    /// Local actions waiting to be sent.
    pub pending: u32,
    /// Local actions the server refused, waiting for the user.
    pub rejected: u32,
    /// The last problem, in Chinese, for people.
    pub message: Option<String>,
    /// The last problem's code (`network`, `session_expired`, …), for the UI to act on.
    pub code: Option<ErrorCode>,
    pub progress: Option<SyncProgress>,
    /// Whether the replica holds a complete snapshot of the jurisdiction.
    pub bootstrapped: bool,
}

impl Default for SyncStatus {
    fn default() -> SyncStatus {
        SyncStatus {
            online: false,
            phase: SyncPhase::Idle,
            last_sync_at: None,
            cursor: 0,
            pending: 0,
            rejected: 0,
            message: None,
            code: None,
            progress: None,
            bootstrapped: false,
        }
    }
}

/// How often an offline client tries the server again (sooner when the network comes back: see
/// [`netwatch`]).
pub const OFFLINE_RETRY: Duration = Duration::from_secs(3);

/// The first retry after a server failure (5xx); it doubles up to the sync interval.
const SERVER_RETRY: Duration = Duration::from_secs(2);

/// The wait before the next background sync, after one that ended with `outcome` (`None`: it
/// succeeded; else the error code) and the wait before it.
fn next_delay(outcome: Option<ErrorCode>, previous: Duration, interval: Duration, offline_retry: Duration) -> Duration {
    match outcome {
        None => interval,
        Some(ErrorCode::Network) => offline_retry.min(interval),
        Some(ErrorCode::Server) => (if previous >= interval { SERVER_RETRY } else { previous * 2 }).min(interval),
        Some(_) => interval,
    }
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

/// What the shell does with each new sync status (the desktop shell emits it to the UI as a typed
/// event, so the status bar follows the engine without polling); failures are its own to log.
pub type StatusListener = Arc<dyn Fn(&SyncStatus) + Send + Sync>;

/// Changes that only move the bootstrap's progress reach the listener at most this often (a
/// first sync reports every page); every other change reaches it at once.
const PROGRESS_TELL_EVERY: Duration = Duration::from_millis(150);

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn account(kind: &str, server: &str, username: &str) -> String {
    format!("{kind}:{username}@{server}")
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Internal, e.to_string())
}

fn to_ui_user(u: &hcp_protocol::UserInfo) -> UserInfo {
    UserInfo {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        unit_id: u.unit_id,
        unit_name: u.unit_name.clone(),
    }
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

    /// Changes the sync status and tells the listener (see [`App::set_status_listener`]) when it
    /// changed.
    fn set_status(&self, f: impl FnOnce(&mut SyncStatus)) {
        let changed = match self.status.lock() {
            Ok(mut s) => {
                let before = s.clone();
                f(&mut s);
                (*s != before)
                    .then(|| (s.clone(), SyncStatus { progress: before.progress.clone(), ..s.clone() } == before))
            }
            Err(_) => None,
        };
        let Some((now, progress_only)) = changed else { return };
        if progress_only {
            let Ok(mut told) = self.progress_told_at.lock() else { return };
            if told.is_some_and(|t| t.elapsed() < PROGRESS_TELL_EVERY) {
                return;
            }
            *told = Some(std::time::Instant::now());
        }
        let listener = self.status_listener.lock().ok().and_then(|l| l.clone());
        if let Some(tell) = listener {
            tell(&now);
        }
    }

    /// Sets who is told of each change of the sync status ([`App::sync_status`] reads it at any
    /// time). Changes that only move the bootstrap's progress are told at most every 150 ms.
    pub fn set_status_listener(&self, listener: StatusListener) {
        if let Ok(mut l) = self.status_listener.lock() {
            *l = Some(listener);
        }
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

    fn replica_path(&self, server: &str, username: &str) -> PathBuf {
        let digest = hex::encode(Sha256::digest(format!("{server}|{username}").as_bytes()));
        self.data_dir.join("replicas").join(format!("{}.db", &digest[..16]))
    }

    /// Opens the user's replica with its keyring-held key, creating both on first use. A replica the
    /// key cannot open (lost or changed key) is discarded: the next sync bootstraps it afresh.
    fn open_replica(&self, server: &str, username: &str) -> ApiResult<Replica> {
        let key_account = account("replica-key", server, username);
        let path = self.replica_path(server, username);
        let key = match self.secrets.get(&key_account)?.and_then(|k| ReplicaKey::from_hex(&k)) {
            Some(k) => k,
            None => {
                let mut bytes = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut bytes);
                let k = ReplicaKey::from_bytes(bytes);
                self.secrets.set(&key_account, &k.to_hex())?;
                discard_replica_files(&path);
                k
            }
        };
        match Replica::open(&path, &key) {
            Err(ReplicaError::BadKey) => {
                tracing::warn!("local replica cannot be opened with the stored key; starting a fresh one");
                discard_replica_files(&path);
                Ok(Replica::open(&path, &key)?)
            }
            other => Ok(other?),
        }
    }

    /// Opens the user's evidence file store with the replica's key (after [`App::open_replica`]).
    fn open_files(&self, server: &str, username: &str) -> ApiResult<hcp_sync::attachments::Files> {
        let key = self
            .secrets
            .get(&account("replica-key", server, username))?
            .and_then(|k| ReplicaKey::from_hex(&k))
            .ok_or_else(|| ApiError::new(ErrorCode::Keyring, "找不到本机数据的密钥"))?;
        attachments::open_files(&self.replica_path(server, username), &key)
    }

    fn activate(&self, active: Active) -> ApiResult<Session> {
        let session = active.session();
        let (cursor, bootstrapped, last_sync_at) = {
            let r = active.replica.lock().map_err(internal)?;
            let in_scope = r.scope()?.as_deref() == Some(active.user.scope_path.as_str());
            let cursor = r.cursor()?.filter(|_| in_scope);
            (cursor.unwrap_or(0), cursor.is_some(), r.meta(LAST_SYNC_AT)?)
        };
        let (pending, rejected) = {
            let r = active.replica.lock().map_err(internal)?;
            notify::start_session(&r, chrono::Utc::now())?;
            r.outbox_counts()?
        };
        *self.session.lock().map_err(internal)? = Some(Arc::new(active));
        self.set_status(|s| {
            *s = SyncStatus { cursor, bootstrapped, last_sync_at, pending, rejected, ..SyncStatus::default() };
        });
        self.wake.notify_one();
        Ok(session)
    }

    /// Signs in against the server, keeps the token in the keyring when `remember` is set, opens
    /// the user's replica and starts syncing it in the background.
    #[tracing::instrument(skip_all, fields(username = %req.username))]
    pub async fn login(&self, req: LoginRequest) -> ApiResult<Session> {
        let username = req.username.trim().to_owned();
        if username.is_empty() || req.password.is_empty() {
            return Err(ApiError::new(ErrorCode::InvalidInput, "请输入用户名和密码"));
        }
        let client = Client::new(&req.server_url).map_err(|m| ApiError::new(ErrorCode::InvalidInput, m))?;
        let server_url = client.base_url().to_owned();
        let mut settings = settings::load(&self.data_dir);
        let login = match client.login(&username, &req.password, Some(&settings.client_id)).await {
            Ok(login) => login,
            Err(hcp_sync::SyncError::Network(detail)) => {
                return self
                    .login_offline(client, &username, req.password, req.remember, settings.client_id, &detail)
                    .await
            }
            Err(e) => return Err(e.into()),
        };
        let replica = self.open_replica(&server_url, &username)?;
        replica.set_meta(USER, &serde_json::to_string(&login.user).map_err(internal)?)?;
        self.keep_login(&server_url, &username, &req.password, &login.token, req.remember).await?;
        settings.last_server_url = Some(server_url.clone());
        settings.last_username = Some(username.clone());
        settings.remember = req.remember;
        if let Err(e) = settings::save(&self.data_dir, &settings) {
            tracing::warn!(error = %e, "could not save settings");
        }
        tracing::info!("signed in");
        let files = self.open_files(&server_url, &username)?;
        self.activate(Active {
            client_id: settings.client_id.clone(),
            server_url,
            user: login.user,
            token: login.token,
            client,
            replica: Arc::new(Mutex::new(replica)),
            offline: None,
            remember: req.remember,
            files,
        })
    }

    /// What an online sign-in keeps in the keyring: the token when remembered (removed
    /// otherwise), and a fresh offline verifier of the password.
    async fn keep_login(
        &self,
        server_url: &str,
        username: &str,
        password: &str,
        token: &str,
        remember: bool,
    ) -> ApiResult<()> {
        let token_account = account("token", server_url, username);
        if remember {
            self.secrets.set(&token_account, token)?;
        } else {
            self.secrets.delete(&token_account)?;
        }
        let password = zeroize::Zeroizing::new(password.to_owned());
        let verifier =
            tokio::task::spawn_blocking(move || secrets::offline_verifier(&password)).await.map_err(internal)??;
        self.secrets.set(&account("offline-verifier", server_url, username), &verifier)
    }

    /// The server is unreachable: signs in against this computer's offline verifier and opens the
    /// remembered replica (read and queue only) when both exist.
    async fn login_offline(
        &self,
        client: Client,
        username: &str,
        password: String,
        remember: bool,
        client_id: String,
        network: &str,
    ) -> ApiResult<Session> {
        let password = zeroize::Zeroizing::new(password);
        let server_url = client.base_url().to_owned();
        let unavailable = || {
            ApiError::new(
                ErrorCode::Network,
                format!(
                    "无法连接服务器（{network}）。本机没有该账号可离线打开的数据（需先在本机联网登录并完成同步），请联网后再登录"
                ),
            )
        };
        let Some(verifier) = self.secrets.get(&account("offline-verifier", &server_url, username))? else {
            return Err(unavailable());
        };
        // Never create a key here: without the stored one the replica cannot be opened anyway.
        if self.secrets.get(&account("replica-key", &server_url, username))?.is_none()
            || !self.replica_path(&server_url, username).exists()
        {
            return Err(unavailable());
        }
        let typed = password.clone();
        let matches =
            tokio::task::spawn_blocking(move || secrets::verify_offline(&typed, &verifier)).await.map_err(internal)?;
        if !matches {
            tracing::info!("offline sign-in refused");
            return Err(ApiError::new(
                ErrorCode::AuthFailed,
                "用户名或密码错误（服务器无法连接，按本机保存的离线登录凭据核对）",
            ));
        }
        let replica = self.open_replica(&server_url, username)?;
        let Some(user) = replica.meta(USER)?.and_then(|u| serde_json::from_str::<hcp_protocol::UserInfo>(&u).ok())
        else {
            return Err(unavailable());
        };
        tracing::info!("signed in offline against the keyring's verifier");
        let files = self.open_files(&server_url, username)?;
        self.activate(Active {
            client_id,
            server_url,
            user,
            token: String::new(),
            client,
            replica: Arc::new(Mutex::new(replica)),
            offline: Some(password),
            remember,
            files,
        })
    }

    /// Signed in offline and the server may answer now: the real sign-in. Ok(true) when it
    /// succeeded (the session now has a token); Ok(false) while the server is still unreachable.
    /// A refusal (password changed, account disabled) ends the session.
    async fn complete_offline_login(&self, active: &Active) -> ApiResult<bool> {
        let Some(password) = active.offline.as_ref() else { return Ok(true) };
        match active.client.login(&active.user.username, password, Some(&active.client_id)).await {
            Ok(login) => {
                let user = serde_json::to_string(&login.user).map_err(internal)?;
                active.replica.lock().map_err(internal)?.set_meta(USER, &user)?;
                self.keep_login(&active.server_url, &active.user.username, password, &login.token, active.remember)
                    .await?;
                let mut settings = settings::load(&self.data_dir);
                settings.remember = active.remember;
                if let Err(e) = settings::save(&self.data_dir, &settings) {
                    tracing::warn!(error = %e, "could not save settings");
                }
                let mut online = active.clone();
                online.token = login.token;
                online.user = login.user;
                online.offline = None;
                *self.session.lock().map_err(internal)? = Some(Arc::new(online));
                tracing::info!("the offline session signed in against the server");
                Ok(true)
            }
            Err(hcp_sync::SyncError::Network(_)) => Ok(false),
            Err(hcp_sync::SyncError::AuthFailed(_)) => {
                tracing::info!("the server refused the offline session's password: the session ends");
                *self.session.lock().map_err(internal)? = None;
                Err(ApiError::new(
                    ErrorCode::SessionExpired,
                    "服务器拒绝了离线登录使用的密码（密码可能已修改，或账号已停用），请重新登录",
                ))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reopens the remembered session without the network: the token comes from the keyring and
    /// the user from the replica. `None` when there is nothing to restore.
    pub async fn session_restore(&self) -> ApiResult<Option<Session>> {
        if let Ok(Some(a)) = self.session.lock().map(|s| s.clone()) {
            return Ok(Some(a.session()));
        }
        let s = settings::load(&self.data_dir);
        let (Some(server_url), Some(username), true) = (s.last_server_url, s.last_username, s.remember) else {
            return Ok(None);
        };
        let Some(token) = self.secrets.get(&account("token", &server_url, &username))? else {
            return Ok(None);
        };
        let replica = self.open_replica(&server_url, &username)?;
        let Some(user) = replica.meta(USER)?.and_then(|u| serde_json::from_str::<hcp_protocol::UserInfo>(&u).ok())
        else {
            return Ok(None);
        };
        let client = Client::new(&server_url).map_err(|m| ApiError::new(ErrorCode::InvalidInput, m))?;
        tracing::info!("session restored from the keyring");
        let files = self.open_files(&server_url, &username)?;
        self.activate(Active {
            client_id: s.client_id,
            server_url,
            user,
            token,
            client,
            replica: Arc::new(Mutex::new(replica)),
            offline: None,
            remember: true,
            files,
        })
        .map(Some)
    }

    /// Signs out: revokes the token on the server when reachable and removes it from the keyring.
    /// The encrypted replica and the offline verifier stay for the next sign-in (online or not).
    pub async fn logout(&self) -> ApiResult<()> {
        let active = self.session.lock().map_err(internal)?.take();
        let Some(active) = active else { return Ok(()) };
        if active.offline.is_none() {
            if let Err(e) = active.client.logout(&active.token).await {
                tracing::info!(error = %e, "server logout failed; the token is removed locally anyway");
            }
        }
        self.secrets.delete(&account("token", &active.server_url, &active.user.username))?;
        let mut s = settings::load(&self.data_dir);
        s.remember = false;
        if let Err(e) = settings::save(&self.data_dir, &s) {
            tracing::warn!(error = %e, "could not save settings");
        }
        self.set_status(|s| *s = SyncStatus::default());
        Ok(())
    }

    pub fn sync_status(&self) -> ApiResult<SyncStatus> {
        Ok(self.status.lock().map_err(internal)?.clone())
    }

    /// One sync cycle: bootstrap when the replica is empty or holds another scope, else pull.
    pub async fn sync_once(&self) -> ApiResult<SyncStatus> {
        let _gate = self.sync_gate.lock().await;
        let mut active = self.active()?;
        if active.offline.is_some() {
            match self.complete_offline_login(&active).await {
                Ok(true) => active = self.active()?,
                Ok(false) => {
                    let err = ApiError::new(
                        ErrorCode::Network,
                        "离线登录：无法连接服务器，操作暂存在本机，网络恢复后自动登录并同步",
                    );
                    self.set_status(|s| {
                        s.online = false;
                        s.phase = SyncPhase::Offline;
                        s.message = Some(err.message.clone());
                        s.code = Some(err.code);
                    });
                    return Err(err);
                }
                Err(err) => {
                    self.set_status(|s| {
                        s.phase = SyncPhase::Error;
                        s.message = Some(err.message.clone());
                        s.code = Some(err.code);
                    });
                    return Err(err);
                }
            }
        }
        // The outbox goes first: the user's actions reach the server before anything else. Then
        // the user's current role and jurisdiction: a change re-bootstraps (purging what is no
        // longer in scope) rather than leaving stale data on the laptop.
        // A push the server refuses as a whole (a newer command it does not know, a storage failure)
        // must not freeze the replica: the pull still runs and the push is retried next round.
        // Evidence files are declared first: a command citing one is sent only after it.
        if let Err(e) =
            hcp_sync::attachments::declare_pending(&active.client, &active.token, &active.files, &now_rfc3339()).await
        {
            tracing::info!(error = %e, "evidence files could not be declared yet");
        }
        let pushed = hcp_sync::push_citing(
            &active.client,
            &active.token,
            &active.client_id,
            active.replica.clone(),
            Some(active.files.clone()),
        )
        .await;
        let (push_error, me) = match pushed {
            Ok(_) => (None, active.client.me(&active.token).await.map(Some)),
            Err(e @ hcp_sync::SyncError::Network(_)) => (None, Err(e)),
            Err(e) => (Some(e), active.client.me(&active.token).await.map(Some)),
        };
        if let Ok(Some(me)) = &me {
            if *me != active.user {
                tracing::info!("the user's role or jurisdiction changed on the server");
                let mut updated = (*active).clone();
                updated.user = me.clone();
                active
                    .replica
                    .lock()
                    .map_err(internal)?
                    .set_meta(USER, &serde_json::to_string(me).map_err(internal)?)?;
                active = Arc::new(updated);
                *self.session.lock().map_err(internal)? = Some(active.clone());
            }
        }
        let needs_bootstrap = {
            let r = active.replica.lock().map_err(internal)?;
            r.cursor()?.is_none() || r.scope()?.as_deref() != Some(active.user.scope_path.as_str())
        };
        let result = if let Err(e) = me {
            Err(e)
        } else if needs_bootstrap {
            self.set_status(|s| {
                s.phase = SyncPhase::Bootstrapping;
                s.progress = Some(SyncProgress {
                    phase: "snapshot".into(),
                    rows: 0,
                    bytes: 0,
                    total_rows: None,
                    resumed_from: None,
                });
            });
            hcp_sync::bootstrap(&active.client, &active.token, active.replica.clone(), now_rfc3339(), |p| {
                self.set_status(|s| {
                    s.online = true;
                    s.progress = Some(SyncProgress {
                        phase: p.phase.into(),
                        rows: u32::try_from(p.rows).unwrap_or(u32::MAX),
                        bytes: u32::try_from(p.bytes).unwrap_or(u32::MAX),
                        total_rows: p.total_rows.map(|t| u32::try_from(t).unwrap_or(u32::MAX)),
                        resumed_from: p.resumed_from.map(|r| u32::try_from(r).unwrap_or(u32::MAX)),
                    });
                })
            })
            .await
            .map(|_| ())
        } else {
            self.set_status(|s| s.phase = SyncPhase::Pulling);
            hcp_sync::pull(&active.client, &active.token, active.replica.clone(), PULL_PAGE).await.map(|_| ())
        };
        if result.is_ok() {
            self.top_up_doc_numbers(&active).await;
        }
        let result = match (result, push_error) {
            (Ok(()), Some(e)) => Err(e),
            (r, _) => r,
        };
        match result {
            Ok(()) => {
                let now = now_rfc3339();
                let (cursor, (pending, rejected)) = {
                    let r = active.replica.lock().map_err(internal)?;
                    r.set_meta(LAST_SYNC_AT, &now)?;
                    (r.cursor()?.unwrap_or(0), r.outbox_counts()?)
                };
                self.notify_after_sync(&active);
                self.after_sync_files(&active);
                self.set_status(|s| {
                    *s = SyncStatus {
                        online: true,
                        phase: SyncPhase::Idle,
                        last_sync_at: Some(now),
                        cursor,
                        pending,
                        rejected,
                        bootstrapped: true,
                        ..SyncStatus::default()
                    }
                });
                Ok(self.sync_status()?)
            }
            Err(e) => {
                let transient = e.is_transient();
                let err = ApiError::from(e);
                tracing::info!(code = %err.code, "sync failed");
                let counts = active.replica.lock().ok().and_then(|r| r.outbox_counts().ok());
                self.set_status(|s| {
                    if let Some((pending, rejected)) = counts {
                        s.pending = pending;
                        s.rejected = rejected;
                    }
                    s.progress = None;
                    s.online = err.code != ErrorCode::Network;
                    s.phase = if transient { SyncPhase::Offline } else { SyncPhase::Error };
                    s.message = Some(err.message.clone());
                    s.code = Some(err.code);
                });
                Err(err)
            }
        }
    }

    /// Syncs in the background: every `interval`, at once when woken (login, "sync now", a new
    /// command), without user action after failures. While the server is unreachable it retries
    /// every [`OFFLINE_RETRY`] (a refused connection costs the server nothing), so queued work goes
    /// out within seconds of the network returning; a failing server (5xx) is retried with a
    /// backoff from 2 s up to `interval`.
    ///
    /// A new network address (connectivity returning, see [`netwatch`]) wakes it at once while
    /// the server is unreachable; the retries stay as the fallback.
    pub async fn run_sync_loop(self: Arc<Self>, interval: Duration) {
        let app = Arc::downgrade(&self);
        let _watch = netwatch::watch(move || {
            if let Some(app) = app.upgrade() {
                app.network_changed();
            }
        });
        tokio::spawn(self.clone().upload_loop());
        self.sync_loop(interval, OFFLINE_RETRY).await
    }

    async fn sync_loop(self: Arc<Self>, interval: Duration, offline_retry: Duration) {
        let mut delay = interval;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.wake.notified() => {}
            }
            // The 设置 page's choice, when the user made one, else the default.
            let interval = settings::load(&self.data_dir)
                .sync_interval_seconds
                .filter(|s| settings::SYNC_INTERVAL_RANGE.contains(s))
                .map_or(interval, Duration::from_secs);
            if self.active().is_err() {
                delay = interval;
                continue;
            }
            let outcome = self.sync_once().await;
            delay = next_delay(outcome.as_ref().err().map(|e| e.code), delay, interval, offline_retry);
        }
    }

    /// The OS reported a new network address: if the server was unreachable, sync now rather
    /// than at the next retry.
    pub fn network_changed(&self) {
        let offline = self.status.lock().is_ok_and(|s| s.phase == SyncPhase::Offline);
        if offline {
            tracing::info!("the network changed while offline: syncing now");
            self.wake_sync();
        }
    }

    /// Asks the background loop to sync now.
    pub fn wake_sync(&self) {
        self.wake.notify_one();
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

    fn refresh_counts(&self, counts: (u32, u32)) {
        self.set_status(|s| {
            s.pending = counts.0;
            s.rejected = counts.1;
        });
    }

    /// The inbox, read from the replica with the user's pending commands applied (works offline).
    pub async fn list_cases(&self, mut query: CaseQuery) -> ApiResult<CasePage> {
        // Deadline windows count from today in Beijing, whatever the laptop's time zone; the
        // at-risk window in working days of the jurisdiction's calendar and policy.
        let today = hcp_domain::calendar::beijing_date(chrono::Utc::now());
        query.today = Some(today.format("%Y-%m-%d").to_string());
        self.with_replica(move |r, a, cal| {
            if query.due == Some(hcp_replica::DueWindow::AtRisk) {
                let (calendar, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
                query.at_risk_until =
                    Some(policy.escalation.at_risk_until(&calendar, today).format("%Y-%m-%d").to_string());
            }
            let mut page = r.list_cases(&query)?;
            cases::overlay(r, &mut page.items, &cases::actor(&a.user)?, cal, chrono::Utc::now())?;
            Ok(page)
        })
        .await
    }

    /// Whether the official calendar of this or next year is missing (administrators and
    /// supervisors: the workbench's banner), read from the calendar the server distributed.
    pub async fn calendar_status(&self) -> ApiResult<CalendarStatus> {
        let today = hcp_domain::calendar::beijing_date(chrono::Utc::now());
        self.with_replica(move |r, a, cal| calendar::status(r, &a.user, cal, today)).await
    }

    /// One case with its timeline and the actions this user may take now.
    pub async fn case_detail(&self, case_id: i64) -> ApiResult<CaseDetail> {
        self.with_replica(move |r, a, cal| cases::detail(r, &a.user, case_id, cal, chrono::Utc::now())).await
    }

    /// Validates a command with the domain rules and queues it; it reaches the server with the
    /// next sync (at once when online). Works offline.
    #[tracing::instrument(skip_all, fields(kind = %command.kind().as_str()))]
    pub async fn issue(&self, case_id: Option<i64>, command: CaseCommand) -> ApiResult<Issued> {
        let (issued, counts) = self
            .with_replica(move |r, a, cal| {
                let issued = cases::issue(r, &a.user, case_id, &command, cal, chrono::Utc::now())?;
                Ok((issued, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(issued)
    }

    /// Rectification notices for the given cases as one PDF, saved in the app's documents folder
    /// (`<data dir>/notices/`). A case's first notice takes the next document number (文号) of the
    /// office's block reserved on this laptop (reserving more first when online), so it works
    /// offline; saving or printing it again keeps its number.
    pub async fn print_notices(&self, doc: NoticeDoc, case_ids: Vec<i64>) -> ApiResult<NoticeFile> {
        let out = self.data_dir.join("notices");
        let ids = case_ids.clone();
        let need = self
            .with_replica(move |r, a, cal| print::numbers_needed(r, &a.user, doc, &ids, cal, chrono::Utc::now()))
            .await?;
        if need.needed > need.left {
            let active = self.active()?;
            let topped = hcp_sync::top_up_doc_numbers(
                &active.client,
                &active.token,
                active.replica.clone(),
                need.unit_id,
                &[need.year],
                need.needed,
            )
            .await;
            match topped {
                Ok(_) => {}
                Err(hcp_sync::SyncError::Network(_)) => {
                    return Err(ApiError::new(
                        ErrorCode::NoDocNumbers,
                        print::no_numbers_message(need.needed, need.left),
                    ))
                }
                Err(e) => {
                    let e = ApiError::from(e);
                    return Err(ApiError::new(e.code, format!("无法为本单位取得文号：{}", e.message)));
                }
            }
        }
        self.with_replica(move |r, a, cal| print::notices(r, &a.user, doc, &case_ids, cal, chrono::Utc::now(), &out))
            .await
    }

    /// Page `page` (from 0) of the rectification notices for the given cases, as they will print
    /// (an image drawn from the PDF's layout); nothing is saved. Works offline.
    pub async fn preview_notices(&self, doc: NoticeDoc, case_ids: Vec<i64>, page: u32) -> ApiResult<NoticePreview> {
        self.with_replica(move |r, a, cal| print::preview(r, &a.user, doc, &case_ids, page, cal, chrono::Utc::now()))
            .await
    }

    /// Saves the notices for the given cases as one PDF (like [`App::print_notices`]) and hands it
    /// to the system for printing (`HCP_PRINT_COMMAND`, else the system's PDF viewer).
    pub async fn send_notices_to_printer(&self, doc: NoticeDoc, case_ids: Vec<i64>) -> ApiResult<NoticeFile> {
        let file = self.print_notices(doc, case_ids).await?;
        let path = PathBuf::from(&file.path);
        tokio::task::spawn_blocking(move || print::send_to_printer(&path)).await.map_err(internal)??;
        Ok(file)
    }

    /// Opens a document this app saved (a notice or a report), or the folder holding it, with the
    /// system's programs. Only files under the app's own `notices/` and `reports/` folders.
    pub async fn open_document(&self, path: String, folder: bool) -> ApiResult<()> {
        let refused = || ApiError::new(ErrorCode::NotFound, "找不到该文件：它可能已被移动或删除");
        let file = std::fs::canonicalize(&path).map_err(|_| refused())?;
        let ours = ["notices", "reports", maintenance::DIAGNOSTICS_DIR]
            .iter()
            .filter_map(|d| std::fs::canonicalize(self.data_dir.join(d)).ok())
            .any(|d| file.starts_with(d));
        if !ours || !file.is_file() {
            return Err(refused());
        }
        tokio::task::spawn_blocking(move || print::open_document(&file, folder)).await.map_err(internal)?
    }

    /// Keeps this laptop's reserved document numbers topped up for the user's office (this year,
    /// and next year from December on), so notices can be numbered offline. A failure is logged:
    /// it never fails the sync, and printing says what to do when the numbers run out.
    async fn top_up_doc_numbers(&self, active: &Active) {
        if !active.user.role.may_issue_notices() {
            return;
        }
        let today = hcp_domain::calendar::beijing_date(chrono::Utc::now());
        let mut years = vec![chrono::Datelike::year(&today)];
        if chrono::Datelike::month(&today) == 12 {
            years.push(years[0] + 1);
        }
        let low = hcp_sync::DOC_NUMBER_LOW_WATER;
        let done = hcp_sync::top_up_doc_numbers(
            &active.client,
            &active.token,
            active.replica.clone(),
            active.user.unit_id,
            &years,
            low,
        )
        .await;
        if let Err(e) = done {
            tracing::info!(error = %e, "document numbers could not be topped up");
        }
    }

    /// The statistics of the user's jurisdiction for one month (`YYYY-MM`; the newest with data when
    /// none), from the replica, the charts drawn in the screen's language and theme.
    pub async fn dashboard(&self, month: Option<String>, style: dashboard::ChartStyle) -> ApiResult<Dashboard> {
        self.with_replica(move |r, a, cal| {
            let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
            dashboard::dashboard(r, month.as_deref(), chrono::Utc::now(), style.look(), &policy.deadlines)
        })
        .await
    }

    /// 堵点分析: the themes of the month's bad-review comments (`YYYY-MM`); works offline.
    pub async fn hotspots(&self, month: String) -> ApiResult<hotspots::Hotspots> {
        self.with_replica(move |r, _, _| hotspots::hotspots(r, &month)).await
    }

    /// 排名考核: the window or staff league of the user's jurisdiction for a month (`2026-11`), a
    /// quarter (`2026-Q4`) or a year (`2026`); works offline.
    pub async fn league(
        &self,
        of: hcp_domain::league::LeagueOf,
        period: String,
    ) -> ApiResult<hcp_domain::league::LeagueTable> {
        self.with_replica(move |r, a, cal| {
            let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
            rankings::league(r, of, &period, &policy.assessment, chrono::Utc::now())
        })
        .await
    }

    /// 服务明星 / 办事能手: the period's candidates by the jurisdiction's rule and its confirmed
    /// awards; works offline.
    pub async fn star_board(&self, period: String) -> ApiResult<merit::StarBoard> {
        self.with_replica(move |r, a, cal| {
            let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
            merit::board(r, &a.user, &period, &policy.assessment, chrono::Utc::now())
        })
        .await
    }

    /// Queues a supervisor's confirmation of a candidate; it reaches the server with the next sync
    /// (at once when online). Works offline.
    #[tracing::instrument(skip_all, fields(staff_id))]
    pub async fn confirm_award(
        &self,
        period: String,
        kind: hcp_domain::merit::AwardKind,
        staff_id: i64,
    ) -> ApiResult<merit::StarBoard> {
        let (board, counts) = self
            .with_replica(move |r, a, cal| {
                let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
                let b = merit::confirm(r, &a.user, &period, kind, staff_id, &policy.assessment, chrono::Utc::now())?;
                Ok((b, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(board)
    }

    /// The period's confirmed awards as the list (名单) or the certificates (荣誉证书), a PDF in
    /// `<data dir>/reports/`; works offline.
    pub async fn print_awards(&self, period: String, what: merit::AwardDocument) -> ApiResult<PrintedFile> {
        let out = self.data_dir.join("reports");
        self.with_replica(move |r, a, _| merit::print(r, &a.user, &period, what, chrono::Utc::now(), &out)).await
    }

    /// 绩效考核: the period's score sheets per unit and per member of staff; works offline.
    pub async fn score_sheets(&self, period: String) -> ApiResult<merit::ScoreSheets> {
        self.with_replica(move |r, a, cal| {
            let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
            merit::score_sheets(r, &a.user, &period, &policy.assessment, chrono::Utc::now())
        })
        .await
    }

    /// Writes the period's score sheets, with every item behind them, to `path` as XLSX.
    pub async fn export_score_sheets(&self, period: String, path: String) -> ApiResult<exports::ExportedFile> {
        let target = exports::target_path(&path, exports::ExportFormat::Xlsx)?;
        let (bytes, rows) = self
            .with_replica(move |r, a, cal| {
                let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
                let s = merit::score_sheets(r, &a.user, &period, &policy.assessment, chrono::Utc::now())?;
                Ok((merit::sheets_xlsx(&s)?, (s.units.lines.len() + s.staff.lines.len()) as u32))
            })
            .await?;
        tokio::task::spawn_blocking(move || exports::write_file(&target, &bytes).map(|()| target))
            .await
            .map_err(internal)?
            .map(|p| exports::ExportedFile { path: p.display().to_string(), rows })
    }

    /// The 月调度通报 (monthly dispatch report) for `month` (`YYYY-MM`) as a PDF in
    /// `<data dir>/reports/`; works offline.
    pub async fn monthly_report(&self, month: String) -> ApiResult<PrintedFile> {
        let role = self.active()?.user.role;
        if !role.may_publish_monthly_report() {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("月调度通报由督查人员出具，{}不能生成；统计数据可在本页查看", role.label_zh()),
            ));
        }
        let out = self.data_dir.join("reports");
        self.with_replica(move |r, a, _| dashboard::monthly_report(r, &a.user, &month, chrono::Utc::now(), &out)).await
    }

    /// Opens a 月调度通报 this app saved (under `<data dir>/reports/`), or its folder, with the
    /// system's programs; any other path is refused.
    pub async fn open_report(&self, path: String, target: opener::OpenTarget) -> ApiResult<()> {
        let reports = self.data_dir.join("reports");
        tokio::task::spawn_blocking(move || {
            let file = opener::checked_path(&reports, &path)?;
            print::open_document(&file, target == opener::OpenTarget::Folder)
        })
        .await
        .map_err(internal)?
    }

    /// Asks the server for a rating's evaluator, giving a reason (the server logs the reveal).
    /// Needs the network; nothing is stored locally.
    pub async fn reveal_evaluator(&self, rating_id: i64, reason: String) -> ApiResult<Evaluator> {
        let active = self.active()?;
        active.require_online("查看评价人信息")?;
        if reason.trim().chars().count() < 4 {
            return Err(ApiError::new(ErrorCode::InvalidInput, "请说明查看评价人信息的理由（至少 4 个字）"));
        }
        let e = active
            .client
            .reveal(&active.token, rating_id, reason.trim())
            .await
            .map_err(|e| online_only(e, "查看评价人信息"))?;
        Ok(Evaluator { real_name: e.real_name, name: e.name, phone: e.phone })
    }

    /// Changes the signed-in user's password on the server (online only). The server checks the
    /// current password and the policy, and ends the user's other sessions; this one goes on, and
    /// the offline verifier follows the new password.
    #[tracing::instrument(skip_all)]
    pub async fn change_password(&self, old_password: String, new_password: String) -> ApiResult<()> {
        let active = self.active()?;
        active.require_online("修改密码")?;
        if old_password.is_empty() || new_password.is_empty() {
            return Err(ApiError::new(ErrorCode::InvalidInput, "请输入原密码和新密码"));
        }
        let (old_password, new_password) =
            (zeroize::Zeroizing::new(old_password), zeroize::Zeroizing::new(new_password));
        active
            .client
            .change_password(&active.token, &old_password, &new_password)
            .await
            .map_err(|e| online_only(e, "修改密码"))?;
        let verifier =
            tokio::task::spawn_blocking(move || secrets::offline_verifier(&new_password)).await.map_err(internal)??;
        self.secrets.set(&account("offline-verifier", &active.server_url, &active.user.username), &verifier)?;
        tracing::info!("password changed");
        Ok(())
    }

    /// The department handlers this user may assign cases to.
    pub async fn assignees(&self) -> ApiResult<Vec<Assignee>> {
        self.with_replica(|r, a, _| cases::assignees(r, &a.user.scope_path)).await
    }

    /// The departments of this user's jurisdiction that cases may be assigned to, each with its
    /// handlers (批量交办 picks the department first).
    pub async fn assign_departments(&self) -> ApiResult<Vec<cases::DepartmentChoice>> {
        self.with_replica(|r, a, _| cases::assign_choices(r, &a.user.scope_path, None)).await
    }

    /// The units of the user's jurisdiction, for the inbox's unit filter (works offline).
    pub async fn units(&self) -> ApiResult<Vec<cases::UnitOption>> {
        self.with_replica(|r, a, _| {
            Ok(r.units_under(&a.user.scope_path)?
                .into_iter()
                .map(|(id, name, kind, depth)| cases::UnitOption { id, name, kind, depth })
                .collect())
        })
        .await
    }

    /// Queues an assignment of every case to one handler; cases the rules refuse are listed.
    pub async fn bulk_assign(&self, case_ids: Vec<i64>, handler_id: i64, department_id: i64) -> ApiResult<BulkResult> {
        self.queue_bulk(move |r, user, cal| {
            cases::bulk_assign(r, user, &case_ids, handler_id, department_id, cal, chrono::Utc::now())
        })
        .await
    }

    /// The 督办 board (supervisors; hall managers for their hall), from the replica (works offline).
    pub async fn board(&self) -> ApiResult<Board> {
        self.with_replica(|r, a, cal| board::board(r, &a.user, cal, chrono::Utc::now())).await
    }

    /// Queues 升级督办 on several cases (see [`board::bulk_escalate`]); refused cases are listed.
    pub async fn bulk_escalate(&self, case_ids: Vec<i64>, reason: Option<String>) -> ApiResult<BulkResult> {
        self.queue_bulk(move |r, user, cal| board::bulk_escalate(r, user, &case_ids, reason, cal, chrono::Utc::now()))
            .await
    }

    /// 催办: queues a reminder with one note on each case (one or many); cases the rules refuse
    /// are listed.
    pub async fn urge_cases(&self, case_ids: Vec<i64>, note: String) -> ApiResult<BulkResult> {
        self.queue_bulk(move |r, user, cal| cases::urge_cases(r, user, &case_ids, &note, cal, chrono::Utc::now())).await
    }

    /// Runs a bulk action that queues commands, then updates the outbox counts and wakes the sync.
    async fn queue_bulk(
        &self,
        run: impl FnOnce(&Replica, &hcp_protocol::UserInfo, &hcp_domain::Calendar) -> ApiResult<BulkResult> + Send + 'static,
    ) -> ApiResult<BulkResult> {
        let (result, counts) = self
            .with_replica(move |r, a, cal| {
                let res = run(r, &a.user, cal)?;
                Ok((res, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(result)
    }

    /// Sets what shows new notifications to the user after each sync (the OS notifications).
    pub fn set_notifier(&self, notifier: Notifier) {
        if let Ok(mut n) = self.notifier.lock() {
            *n = Some(notifier);
        }
    }

    /// Records what concerns the user since the last sync and shows what is new (when OS
    /// notifications are on). A failure is logged, never fails the sync.
    fn notify_after_sync(&self, active: &Active) {
        let collected = (|| -> ApiResult<(Vec<Notification>, bool)> {
            let r = active.replica.lock().map_err(internal)?;
            let now = chrono::Utc::now();
            let fresh = notify::collect(&r, &active.user, &self.calendar, now, notify::not_before(&r, now)?)?;
            Ok((fresh, notify::os_enabled(&r)?))
        })();
        match collected {
            Ok((fresh, os)) if !fresh.is_empty() => {
                tracing::info!(count = fresh.len(), "new notifications");
                let notifier = self.notifier.lock().ok().and_then(|n| n.clone());
                if let (true, Some(show)) = (os, notifier) {
                    show(&fresh);
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(code = %e.code, "notifications could not be collected"),
        }
    }

    /// The bell's list: the newest notifications and the unread count (works offline).
    pub async fn notifications(&self) -> ApiResult<Notifications> {
        self.with_replica(|r, _, _| notify::list(r)).await
    }

    /// Marks notifications read (every one when `ids` is `None`); returns the list.
    pub async fn mark_notifications_read(&self, ids: Option<Vec<String>>) -> ApiResult<Notifications> {
        self.with_replica(move |r, _, _| {
            r.mark_notifications_read(ids.as_deref())?;
            notify::list(r)
        })
        .await
    }

    /// Turns the OS notifications on or off (the in-app list is kept either way).
    pub async fn set_os_notifications(&self, enabled: bool) -> ApiResult<Notifications> {
        self.with_replica(move |r, _, _| {
            r.set_meta(notify::NOTIFY_OS, if enabled { "on" } else { "off" })?;
            notify::list(r)
        })
        .await
    }

    /// Everything in the outbox: pending commands and those the server refused.
    pub async fn outbox(&self) -> ApiResult<Vec<OutboxItem>> {
        self.with_replica(|r, _, _| Ok(r.outbox()?)).await
    }

    /// Gives up a queued or refused command.
    pub async fn discard(&self, command_id: String) -> ApiResult<()> {
        let counts = self
            .with_replica(move |r, _, _| {
                if !r.discard(&command_id)? {
                    return Err(ApiError::new(
                        ErrorCode::NotFound,
                        "只能放弃被服务器拒绝的操作；尚未发送的待同步操作请使用“撤销”",
                    ));
                }
                Ok(r.outbox_counts()?)
            })
            .await?;
        self.refresh_counts(counts);
        Ok(())
    }

    /// Takes back a queued command before it is sent (撤销): only a pending command no sync has
    /// started sending, the last one queued for its case. Its projection disappears with it.
    #[tracing::instrument(skip_all)]
    pub async fn cancel(&self, command_id: String) -> ApiResult<()> {
        use hcp_replica::CancelRefusal;
        let counts = self
            .with_replica(move |r, _, _| {
                match r.cancel(&command_id)? {
                    Ok(item) => tracing::info!(kind = %item.kind, "queued command cancelled before it was sent"),
                    Err(CancelRefusal::NotFound) => {
                        return Err(ApiError::new(ErrorCode::NotFound, "该操作已不在待同步列表中（可能已同步完成）"))
                    }
                    Err(CancelRefusal::Rejected) => {
                        return Err(ApiError::new(
                            ErrorCode::Conflict,
                            "该操作已被服务器拒绝，无需撤销；如不再需要请点击“放弃”",
                        ))
                    }
                    Err(CancelRefusal::Sent) => {
                        return Err(ApiError::new(
                            ErrorCode::Conflict,
                            "该操作已开始发送到服务器，可能已被处理，不能撤销；同步完成后如需更正，请再提交新的操作",
                        ))
                    }
                    Err(CancelRefusal::LaterCommands) => {
                        return Err(ApiError::new(ErrorCode::Conflict, "该工单之后还有排队的操作，请先撤销后面的操作"))
                    }
                }
                Ok(r.outbox_counts()?)
            })
            .await?;
        self.refresh_counts(counts);
        Ok(())
    }

    /// The integrity-flag queue of the user's jurisdiction (`status`: `open`, …; all when empty),
    /// from the replica with the user's queued verdicts. Works offline.
    pub async fn integrity_flags(&self, status: Option<String>) -> ApiResult<Vec<FlagItem>> {
        self.with_replica(move |r, a, _| integrity::list(r, &a.user, status.as_deref())).await
    }

    /// Queues the verdict on an integrity flag; it reaches the server with the next sync (at
    /// once when online). Works offline.
    #[tracing::instrument(skip_all, fields(flag_id))]
    pub async fn decide_flag(
        &self,
        flag_id: i64,
        verdict: hcp_domain::integrity::FlagVerdict,
        note: String,
    ) -> ApiResult<FlagItem> {
        let (item, counts) = self
            .with_replica(move |r, a, _| {
                let (item, _) = integrity::decide(r, &a.user, flag_id, verdict, &note, chrono::Utc::now())?;
                Ok((item, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(item)
    }

    /// The 自我评价 screen for a quarter (`2026-Q4`; the current one when `None`): a hall
    /// manager's own hall, or every hall of a supervisor's jurisdiction. Works offline.
    pub async fn self_assessments(&self, period: Option<String>) -> ApiResult<self_assessment::SelfAssessmentScreen> {
        self.with_replica(move |r, a, _| self_assessment::screen(r, &a.user, period.as_deref(), chrono::Utc::now()))
            .await
    }

    /// Saves the hall manager's draft of a quarter's self-assessment on this laptop. Offline.
    pub async fn save_self_assessment_draft(
        &self,
        period: String,
        entries: Vec<self_assessment::EntryIn>,
    ) -> ApiResult<self_assessment::SelfAssessmentItem> {
        self.with_replica(move |r, a, _| self_assessment::save_draft(r, &a.user, &period, &entries, chrono::Utc::now()))
            .await
    }

    /// Queues the hall's self-assessment for the supervisor; it reaches the server with the next
    /// sync (at once when online). Works offline.
    #[tracing::instrument(skip_all)]
    pub async fn submit_self_assessment(
        &self,
        period: String,
        entries: Vec<self_assessment::EntryIn>,
    ) -> ApiResult<self_assessment::SelfAssessmentItem> {
        let (item, counts) = self
            .with_replica(move |r, a, _| {
                let item = self_assessment::submit(r, &a.user, &period, &entries, chrono::Utc::now())?;
                Ok((item, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(item)
    }

    /// Queues a supervisor's review (`approve`, or `return` with the reason). Works offline.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn review_self_assessment(
        &self,
        id: i64,
        decision: String,
        comment: String,
    ) -> ApiResult<self_assessment::SelfAssessmentItem> {
        let decision = self_assessment::parse_decision(&decision)?;
        let (item, counts) = self
            .with_replica(move |r, a, _| {
                let item = self_assessment::review(r, &a.user, id, decision, &comment, chrono::Utc::now())?;
                Ok((item, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(item)
    }

    /// The third-party survey results of the jurisdiction (`2026-11`, `2026`, or all), with the
    /// citizens' own satisfaction beside each. Works offline.
    pub async fn survey_results(&self, period: Option<String>) -> ApiResult<Vec<self_assessment::SurveyView>> {
        self.with_replica(move |r, a, _| self_assessment::surveys(r, &a.user, period.as_deref(), chrono::Utc::now()))
            .await
    }

    /// Reads a survey file (CSV or XLSX) and sends it to the server: `dry_run` reports every bad
    /// row and stores nothing; otherwise the whole file is stored or nothing. Needs the network.
    #[tracing::instrument(skip_all, fields(dry_run))]
    pub async fn import_surveys(&self, path: String, dry_run: bool) -> ApiResult<self_assessment::SurveyImportView> {
        let active = self.active()?;
        active.require_online("导入第三方评价")?;
        if !matches!(active.user.role, Role::Supervisor | Role::Administrator) {
            return Err(ApiError::new(ErrorCode::Forbidden, "只有督查人员和系统管理员可以导入第三方评价"));
        }
        let table = tokio::task::spawn_blocking(move || self_assessment::read_survey_file(Path::new(&path)))
            .await
            .map_err(internal)??;
        let req = hcp_protocol::SurveyImportRequest {
            dry_run,
            file_name: table.file_name.clone(),
            header: table.header,
            rows: table.rows,
        };
        let report: hcp_protocol::SurveyImportReport = active
            .client
            .send_json(&active.token, hcp_sync::Method::POST, "/api/v1/surveys/import", &req)
            .await
            .map_err(|e| online_only(e, "导入第三方评价"))?;
        if report.applied {
            // The stored results come back through the feed.
            self.wake.notify_one();
        }
        Ok(self_assessment::SurveyImportView::of(table.file_name, report))
    }

    /// Issues a refused command again, against the case as it stands now.
    pub async fn reissue(&self, command_id: String) -> ApiResult<Issued> {
        let (issued, counts) = self
            .with_replica(move |r, a, cal| {
                let item = r
                    .outbox_item(&command_id)?
                    .filter(|i| i.status == "rejected")
                    .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "只能重新提交被服务器拒绝的操作"))?;
                let unreadable =
                    |e: serde_json::Error| ApiError::new(ErrorCode::InvalidInput, format!("本地操作记录无法读取：{e}"));
                let now = chrono::Utc::now();
                let command = match item.client_command().map_err(unreadable)? {
                    ClientCommand::Case(command) => command,
                    ClientCommand::ConfirmAward(award) => {
                        // Checked again against the league as it stands now, then queued anew.
                        let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
                        let command_id_new = merit::reissue(r, &a.user, &award, &policy.assessment, now)?;
                        r.discard(&command_id)?;
                        return Ok((Issued { command_id: command_id_new, projected_state: None }, r.outbox_counts()?));
                    }
                    ClientCommand::SubmitSelfAssessment(s) => {
                        let command_id_new = self_assessment::reissue_submission(r, &a.user, &item, &s, now)?;
                        return Ok((Issued { command_id: command_id_new, projected_state: None }, r.outbox_counts()?));
                    }
                    ClientCommand::ReviewSelfAssessment(v) => {
                        let command_id_new = self_assessment::reissue_review(r, &a.user, &item, &v, now)?;
                        return Ok((Issued { command_id: command_id_new, projected_state: None }, r.outbox_counts()?));
                    }
                    ClientCommand::DecideFlag(verdict) => {
                        // The verdict goes in again as a new command; then the refused one is given up.
                        let command_id_new = integrity::reissue(r, &a.user, &verdict, now)?;
                        r.discard(&command_id)?;
                        return Ok((Issued { command_id: command_id_new, projected_state: None }, r.outbox_counts()?));
                    }
                };
                // The evidence files the refused command cited go with the new one.
                let cite = |new_id: &str| attachments::carry_citations(&a.files, &command_id, new_id);
                let issued = cases::issue_citing(r, &a.user, item.case_id, &command, cal, chrono::Utc::now(), &cite)?;
                r.discard(&command_id)?;
                Ok((issued, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(issued)
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
