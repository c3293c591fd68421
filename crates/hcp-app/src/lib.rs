//! The application API of the Haochaping desktop client.
//!
//! UI-agnostic: the Tauri shell, the command-line client and the tests call these functions. The
//! app owns the session (token in the OS keyring), the encrypted replica (key in the keyring) and
//! the background sync loop; every screen reads the replica, so the app keeps working offline.

pub mod cases;
pub mod dashboard;
pub mod error;
pub mod integrity;
pub mod netwatch;
pub mod opener;
pub mod print;
pub mod secrets;
pub mod settings;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hcp_replica::{CasePage, CaseQuery, Replica, ReplicaError, ReplicaKey};
use hcp_sync::Client;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use cases::{Assignee, BulkResult, CaseDetail, Evaluator, Issued, Refusal, TimelineEvent, UnitOption};
pub use dashboard::{ChartStyle, Dashboard};
pub use error::{codes, ApiError, ApiResult};
pub use hcp_domain::CaseCommand;
pub use hcp_domain::Role;
pub use hcp_replica::OutboxItem;
pub use integrity::FlagItem;
pub use opener::OpenTarget;
pub use print::{NoticePreview, PrintedFile};
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
    /// The server address to prefill (from `HCP_SERVER_URL` or the last login).
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
    pub code: Option<String>,
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
fn next_delay(outcome: Option<&str>, previous: Duration, interval: Duration, offline_retry: Duration) -> Duration {
    match outcome {
        None => interval,
        Some(codes::NETWORK) => offline_retry.min(interval),
        Some(codes::SERVER) => (if previous >= interval { SERVER_RETRY } else { previous * 2 }).min(interval),
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
    token: String,
    client: Client,
    replica: Arc<Mutex<Replica>>,
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
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn account(kind: &str, server: &str, username: &str) -> String {
    format!("{kind}:{username}@{server}")
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(codes::INTERNAL, e.to_string())
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
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn active(&self) -> ApiResult<Arc<Active>> {
        self.session
            .lock()
            .map_err(internal)?
            .clone()
            .ok_or_else(|| ApiError::new(codes::NOT_LOGGED_IN, "尚未登录，请先登录"))
    }

    fn set_status(&self, f: impl FnOnce(&mut SyncStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    pub fn app_info(&self) -> AppInfo {
        let s = settings::load(&self.data_dir);
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: self.data_dir.display().to_string(),
            default_server_url: self.default_server_url.clone().or(s.last_server_url),
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

    fn activate(&self, active: Active) -> ApiResult<Session> {
        let session = Session { user: to_ui_user(&active.user), server_url: active.server_url.clone() };
        let (cursor, bootstrapped, last_sync_at) = {
            let r = active.replica.lock().map_err(internal)?;
            let in_scope = r.scope()?.as_deref() == Some(active.user.scope_path.as_str());
            let cursor = r.cursor()?.filter(|_| in_scope);
            (cursor.unwrap_or(0), cursor.is_some(), r.meta(LAST_SYNC_AT)?)
        };
        let (pending, rejected) = active.replica.lock().map_err(internal)?.outbox_counts()?;
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
            return Err(ApiError::new(codes::INVALID_INPUT, "请输入用户名和密码"));
        }
        let client = Client::new(&req.server_url).map_err(|m| ApiError::new(codes::INVALID_INPUT, m))?;
        let server_url = client.base_url().to_owned();
        let mut settings = settings::load(&self.data_dir);
        let login = client.login(&username, &req.password, Some(&settings.client_id)).await?;
        let replica = self.open_replica(&server_url, &username)?;
        replica.set_meta(USER, &serde_json::to_string(&login.user).map_err(internal)?)?;
        let token_account = account("token", &server_url, &username);
        if req.remember {
            self.secrets.set(&token_account, &login.token)?;
        } else {
            self.secrets.delete(&token_account)?;
        }
        settings.last_server_url = Some(server_url.clone());
        settings.last_username = Some(username.clone());
        settings.remember = req.remember;
        if let Err(e) = settings::save(&self.data_dir, &settings) {
            tracing::warn!(error = %e, "could not save settings");
        }
        tracing::info!("signed in");
        self.activate(Active {
            client_id: settings.client_id.clone(),
            server_url,
            user: login.user,
            token: login.token,
            client,
            replica: Arc::new(Mutex::new(replica)),
        })
    }

    /// Reopens the remembered session without the network: the token comes from the keyring and
    /// the user from the replica. `None` when there is nothing to restore.
    pub async fn session_restore(&self) -> ApiResult<Option<Session>> {
        if let Ok(Some(a)) = self.session.lock().map(|s| s.clone()) {
            return Ok(Some(Session { user: to_ui_user(&a.user), server_url: a.server_url.clone() }));
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
        let client = Client::new(&server_url).map_err(|m| ApiError::new(codes::INVALID_INPUT, m))?;
        tracing::info!("session restored from the keyring");
        self.activate(Active {
            client_id: s.client_id,
            server_url,
            user,
            token,
            client,
            replica: Arc::new(Mutex::new(replica)),
        })
        .map(Some)
    }

    /// Signs out: revokes the token on the server when reachable and removes it from the keyring.
    /// The encrypted replica stays for the next sign-in.
    pub async fn logout(&self) -> ApiResult<()> {
        let active = self.session.lock().map_err(internal)?.take();
        let Some(active) = active else { return Ok(()) };
        if let Err(e) = active.client.logout(&active.token).await {
            tracing::info!(error = %e, "server logout failed; the token is removed locally anyway");
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
        // The outbox goes first: the user's actions reach the server before anything else. Then
        // the user's current role and jurisdiction: a change re-bootstraps (purging what is no
        // longer in scope) rather than leaving stale data on the laptop.
        // A push the server refuses as a whole (a newer command it does not know, a storage failure)
        // must not freeze the replica: the pull still runs and the push is retried next round.
        let (push_error, me) =
            match hcp_sync::push(&active.client, &active.token, &active.client_id, active.replica.clone()).await {
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
                    s.online = !matches!(err.code.as_str(), codes::NETWORK);
                    s.phase = if transient { SyncPhase::Offline } else { SyncPhase::Error };
                    s.message = Some(err.message.clone());
                    s.code = Some(err.code.clone());
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
        self.sync_loop(interval, OFFLINE_RETRY).await
    }

    async fn sync_loop(self: Arc<Self>, interval: Duration, offline_retry: Duration) {
        let mut delay = interval;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.wake.notified() => {}
            }
            if self.active().is_err() {
                delay = interval;
                continue;
            }
            let outcome = self.sync_once().await;
            delay = next_delay(outcome.as_ref().err().map(|e| e.code.as_str()), delay, interval, offline_retry);
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
        // Deadline windows count from today in Beijing, whatever the laptop's time zone.
        query.today = Some((chrono::Utc::now() + chrono::Duration::hours(8)).format("%Y-%m-%d").to_string());
        self.with_replica(move |r, a, cal| {
            let mut page = r.list_cases(&query)?;
            cases::overlay(r, &mut page.items, &cases::actor(&a.user)?, cal, chrono::Utc::now())?;
            Ok(page)
        })
        .await
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
    /// (`<data dir>/notices/`); works offline.
    pub async fn print_notices(&self, case_ids: Vec<i64>) -> ApiResult<PrintedFile> {
        let out = self.data_dir.join("notices");
        self.with_replica(move |r, a, cal| print::notices(r, &a.user, &case_ids, cal, chrono::Utc::now(), &out)).await
    }

    /// Page `page` (from 0) of the rectification notices for the given cases, as they will print
    /// (an image drawn from the PDF's layout); nothing is saved. Works offline.
    pub async fn preview_notices(&self, case_ids: Vec<i64>, page: u32) -> ApiResult<NoticePreview> {
        self.with_replica(move |r, a, cal| print::preview(r, &a.user, &case_ids, page, cal, chrono::Utc::now())).await
    }

    /// Saves the notices for the given cases as one PDF (like [`App::print_notices`]) and hands it
    /// to the system for printing (`HCP_PRINT_COMMAND`, else the system's PDF viewer).
    pub async fn send_notices_to_printer(&self, case_ids: Vec<i64>) -> ApiResult<PrintedFile> {
        let file = self.print_notices(case_ids).await?;
        let path = PathBuf::from(&file.path);
        tokio::task::spawn_blocking(move || print::send_to_printer(&path)).await.map_err(internal)??;
        Ok(file)
    }

    /// The statistics of the user's jurisdiction for one month (`YYYY-MM`; the newest with data when
    /// none), from the replica, the charts drawn in the screen's language and theme.
    pub async fn dashboard(&self, month: Option<String>, style: dashboard::ChartStyle) -> ApiResult<Dashboard> {
        self.with_replica(move |r, _, _| dashboard::dashboard(r, month.as_deref(), chrono::Utc::now(), style.look()))
            .await
    }

    /// The 月调度通报 (monthly dispatch report) for `month` (`YYYY-MM`) as a PDF in
    /// `<data dir>/reports/`; works offline.
    pub async fn monthly_report(&self, month: String) -> ApiResult<PrintedFile> {
        let out = self.data_dir.join("reports");
        self.with_replica(move |r, a, _| dashboard::monthly_report(r, &a.user, &month, chrono::Utc::now(), &out)).await
    }

    /// Opens a 月调度通报 this app saved (under `<data dir>/reports/`), or its folder, with the
    /// system's programs; any other path is refused.
    pub async fn open_report(&self, path: String, target: opener::OpenTarget) -> ApiResult<()> {
        let reports = self.data_dir.join("reports");
        tokio::task::spawn_blocking(move || opener::open(&opener::checked_path(&reports, &path)?, target))
            .await
            .map_err(internal)?
    }

    /// Asks the server for a rating's evaluator, giving a reason (the server logs the reveal).
    /// Needs the network; nothing is stored locally.
    pub async fn reveal_evaluator(&self, rating_id: i64, reason: String) -> ApiResult<Evaluator> {
        let active = self.active()?;
        if reason.trim().chars().count() < 4 {
            return Err(ApiError::new(codes::INVALID_INPUT, "请说明查看评价人信息的理由（至少 4 个字）"));
        }
        let e = active.client.reveal(&active.token, rating_id, reason.trim()).await.map_err(|e| {
            let err = ApiError::from(e);
            if err.code == codes::NETWORK {
                ApiError::new(codes::NETWORK, "查看评价人信息需要连接服务器，请联网后再试")
            } else {
                err
            }
        })?;
        Ok(Evaluator { real_name: e.real_name, name: e.name, phone: e.phone })
    }

    /// The department handlers this user may assign cases to.
    pub async fn assignees(&self) -> ApiResult<Vec<Assignee>> {
        self.with_replica(|r, a, _| {
            let scope = hcp_domain::ScopePath::try_from(a.user.scope_path.clone()).map_err(internal)?;
            cases::assignees(r, &scope)
        })
        .await
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
        let (result, counts) = self
            .with_replica(move |r, a, cal| {
                let res =
                    cases::bulk_assign(r, &a.user, &case_ids, handler_id, department_id, cal, chrono::Utc::now())?;
                Ok((res, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(result)
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
                    return Err(ApiError::new(codes::NOT_FOUND, "只能放弃被服务器拒绝的操作；待同步的操作无法撤回"));
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

    /// Issues a refused command again, against the case as it stands now.
    pub async fn reissue(&self, command_id: String) -> ApiResult<Issued> {
        let (issued, counts) = self
            .with_replica(move |r, a, cal| {
                let item = r
                    .outbox_item(&command_id)?
                    .filter(|i| i.status == "rejected")
                    .ok_or_else(|| ApiError::new(codes::NOT_FOUND, "只能重新提交被服务器拒绝的操作"))?;
                if item.kind == integrity::DECIDE_FLAG {
                    // The verdict goes in again as a new command; then the refused one is given up.
                    let command_id_new = integrity::reissue(r, &a.user, &item.command, chrono::Utc::now())?;
                    r.discard(&command_id)?;
                    return Ok((Issued { command_id: command_id_new, projected_state: None }, r.outbox_counts()?));
                }
                let command: CaseCommand = serde_json::from_str(&item.command)
                    .map_err(|e| ApiError::new(codes::INVALID_INPUT, format!("本地操作记录无法读取：{e}")))?;
                let issued = cases::issue(r, &a.user, item.case_id, &command, cal, chrono::Utc::now())?;
                r.discard(&command_id)?;
                Ok((issued, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(issued)
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
mod tests;
