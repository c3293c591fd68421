//! The 设置 page's use cases: the server address and the sync interval, what the local replica
//! holds (and downloading it again, or erasing it with the session), a diagnostics file a user can
//! hand over, and the versions of the app and the server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::{account, discard_replica_files, internal, settings, App, SyncPhase, SyncStatus};

/// The folder (in the data folder) that diagnostics files are written to.
pub const DIAGNOSTICS_DIR: &str = "diagnostics";
/// The newest log files a diagnostics file carries, and how much of the end of each.
const DIAGNOSTICS_LOG_FILES: usize = 3;
const DIAGNOSTICS_LOG_BYTES: u64 = 512 * 1024;

/// What the 设置 page shows and edits.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AppSettingsView {
    /// The server address used at the next sign-in.
    pub server_url: Option<String>,
    /// The server the current session works against (it changes only by signing in again).
    pub session_server_url: Option<String>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub sync_interval_seconds: u64,
    /// Whether the interval is the default (no choice saved).
    pub sync_interval_is_default: bool,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub min_sync_interval_seconds: u64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub max_sync_interval_seconds: u64,
    pub data_dir: String,
}

/// A change on the 设置 page.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppSettingsInput {
    pub server_url: String,
    /// `None` returns to the default.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub sync_interval_seconds: Option<u64>,
}

/// The rows of one kind the replica holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct EntityRows {
    /// The entity's wire name (`case`, `rating`…): the UI names it in the user's language.
    pub entity: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub rows: u64,
}

/// What the local replica holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ReplicaInfo {
    pub path: String,
    /// The database file and its write-ahead log, in bytes.
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub bytes: u64,
    pub rows: Vec<EntityRows>,
    /// The jurisdiction it mirrors (a unit path).
    pub scope: Option<String>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub cursor: i64,
    pub last_sync_at: Option<String>,
    pub pending: u32,
    pub rejected: u32,
}

/// The versions the about panel shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AboutInfo {
    pub app_version: String,
    pub server_url: Option<String>,
    /// `None` when the server cannot be reached now.
    pub server_version: Option<String>,
    pub os: String,
}

/// A written diagnostics file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticsFile {
    pub path: String,
}

/// A server address as the user typed it, checked the way the sign-in checks it.
pub fn checked_server_url(input: &str) -> ApiResult<String> {
    hcp_sync::client::normalize_base_url(input).map_err(|m| ApiError::new(ErrorCode::InvalidInput, m))
}

fn file_len(path: &Path, suffix: &str) -> u64 {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    std::fs::metadata(PathBuf::from(p)).map(|m| m.len()).unwrap_or(0)
}

impl App {
    /// The settings as the 设置 page shows them.
    pub fn app_settings(&self) -> ApiResult<AppSettingsView> {
        let s = settings::load(&self.data_dir);
        let chosen = s.sync_interval_seconds.filter(|v| settings::SYNC_INTERVAL_RANGE.contains(v));
        let session_server_url = self.active().ok().map(|a| a.server_url.clone());
        Ok(AppSettingsView {
            server_url: s.last_server_url.or_else(|| self.default_server_url.clone()),
            session_server_url,
            sync_interval_seconds: chosen.unwrap_or_else(|| settings::default_sync_interval().as_secs()),
            sync_interval_is_default: chosen.is_none(),
            min_sync_interval_seconds: *settings::SYNC_INTERVAL_RANGE.start(),
            max_sync_interval_seconds: *settings::SYNC_INTERVAL_RANGE.end(),
            data_dir: self.data_dir.display().to_string(),
        })
    }

    /// Saves the server address (used from the next sign-in) and the sync interval (from the next
    /// round). Nothing is saved when either is invalid.
    pub fn save_app_settings(&self, input: AppSettingsInput) -> ApiResult<AppSettingsView> {
        let url = checked_server_url(&input.server_url)?;
        if let Some(secs) = input.sync_interval_seconds {
            if !settings::SYNC_INTERVAL_RANGE.contains(&secs) {
                return Err(ApiError::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "同步间隔须在 {}–{} 秒之间",
                        settings::SYNC_INTERVAL_RANGE.start(),
                        settings::SYNC_INTERVAL_RANGE.end()
                    ),
                ));
            }
        }
        let mut s = settings::load(&self.data_dir);
        s.last_server_url = Some(url);
        s.sync_interval_seconds = input.sync_interval_seconds;
        settings::save(&self.data_dir, &s)
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("无法保存设置：{e}")))?;
        tracing::info!(interval = ?input.sync_interval_seconds, "settings saved");
        self.wake_sync();
        self.app_settings()
    }

    /// Asks a server for its health check: its version, or why it cannot be reached.
    pub async fn check_server(&self, server_url: String) -> ApiResult<String> {
        let url = checked_server_url(&server_url)?;
        let client = hcp_sync::Client::new(&url).map_err(|m| ApiError::new(ErrorCode::InvalidInput, m))?;
        let health = tokio::time::timeout(Duration::from_secs(10), client.health())
            .await
            .map_err(|_| ApiError::new(ErrorCode::Network, "服务器在 10 秒内没有应答"))??;
        Ok(health.version)
    }

    /// What the signed-in user's replica holds.
    pub async fn replica_info(&self) -> ApiResult<ReplicaInfo> {
        let status = self.sync_status()?;
        self.with_replica(move |r, _, _| {
            let c = r.counts()?;
            let rows = [
                ("case", c.case),
                ("case_event", c.case_event),
                ("rating", c.rating),
                ("org_unit", c.org_unit),
                ("staff", c.staff),
                ("user", c.user),
                ("service_item", c.service_item),
                ("setting", c.setting),
                ("integrity_flag", c.integrity_flag),
                ("self_assessment", c.self_assessment),
                ("survey_result", c.survey_result),
            ]
            .into_iter()
            .map(|(entity, rows)| EntityRows { entity: entity.to_owned(), rows })
            .collect();
            let (pending, rejected) = r.outbox_counts()?;
            let path = r.path().to_owned();
            Ok(ReplicaInfo {
                path: path.display().to_string(),
                bytes: file_len(&path, "") + file_len(&path, "-wal"),
                rows,
                scope: r.scope()?,
                cursor: r.cursor()?.unwrap_or(0),
                last_sync_at: status.last_sync_at.clone().or(r.meta(crate::LAST_SYNC_AT)?),
                pending,
                rejected,
            })
        })
        .await
    }

    /// Downloads the whole jurisdiction again at the next sync (started now). Queued actions stay
    /// and go to the server first, as in every sync.
    pub async fn redownload_replica(&self) -> ApiResult<()> {
        self.with_replica(|r, _, _| Ok(r.forget_cursor()?)).await?;
        tracing::info!("the replica will be downloaded again");
        self.set_status(|s| s.bootstrapped = false);
        self.wake_sync();
        Ok(())
    }

    /// Signs out and erases this computer's copy of the user's data: the replica, its key and the
    /// offline sign-in verifier. Actions not yet sent would be lost, so with any in the outbox it
    /// refuses unless `discard_unsent` says the user agreed.
    pub async fn erase_replica(&self, discard_unsent: bool) -> ApiResult<()> {
        let active = self.active()?;
        let (pending, rejected) = active.replica.lock().map_err(internal)?.outbox_counts()?;
        if pending + rejected > 0 && !discard_unsent {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("本机还有 {pending} 条待同步、{rejected} 条被拒绝的操作，清除后将无法找回；请先处理，或确认放弃它们"),
            ));
        }
        // Evidence files not yet uploaded would be lost too.
        let unsent_files = active.files.lock().map_err(internal)?.pending_uploads()?.len();
        if unsent_files > 0 && !discard_unsent {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("本机还有 {unsent_files} 个附件尚未上传，清除后将无法找回；请联网等待上传完成，或确认放弃它们"),
            ));
        }
        let (server, username) = (active.server_url.clone(), active.user.username.clone());
        let path = active.replica.lock().map_err(internal)?.path().to_owned();
        drop(active);
        // Waits for a running sync round to end, then no new one starts without a session.
        let _gate = self.sync_gate.lock().await;
        self.logout().await?;
        // The session held the replica open; with it gone the files go (on Windows a handle a
        // finishing command still holds would keep a file: the next sign-in then starts afresh
        // anyway, as the key that opened it is gone too).
        discard_replica_files(&path);
        // The evidence files (captured and cached) go with it.
        hcp_replica::files::FileStore::destroy(&crate::attachments::files_path(&path));
        self.secrets.delete(&account("replica-key", &server, &username))?;
        self.secrets.delete(&account("offline-verifier", &server, &username))?;
        tracing::info!("the local replica was erased");
        self.set_status(|s| *s = SyncStatus { phase: SyncPhase::Idle, ..SyncStatus::default() });
        Ok(())
    }

    /// Writes a diagnostics file for the help desk into the data folder's `diagnostics` folder:
    /// versions, the sync state, the replica's row counts, the outbox's states and error codes,
    /// and the ends of the newest log files (see [`crate::logs`]). No token, password, evaluator,
    /// comment or other personal data goes into it (the logs hold none either).
    pub async fn export_diagnostics(&self) -> ApiResult<DiagnosticsFile> {
        let about = self.about().await;
        let status = self.sync_status()?;
        let replica = self.replica_info().await.ok();
        let outbox: Vec<serde_json::Value> = match self.outbox().await {
            Ok(items) => items
                .iter()
                .map(|o| {
                    serde_json::json!({"kind": o.kind, "status": o.status, "code": o.code, "attempts": o.attempts,
                                       "created_at": o.created_at})
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        let settings = self.app_settings()?;
        let log_dir = crate::logs::log_dir(&self.data_dir);
        let logs = tokio::task::spawn_blocking(move || {
            crate::logs::recent_logs(&log_dir, DIAGNOSTICS_LOG_FILES, DIAGNOSTICS_LOG_BYTES)
        })
        .await
        .map_err(internal)?
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("无法读取日志文件：{e}")))?;
        let doc = serde_json::json!({
            "generated_at": crate::now_rfc3339(),
            "app_version": about.app_version,
            "os": about.os,
            "server_url": about.server_url,
            "server_version": about.server_version,
            "sync_interval_seconds": settings.sync_interval_seconds,
            "sync": {"online": status.online, "phase": status.phase, "last_sync_at": status.last_sync_at,
                     "cursor": status.cursor, "pending": status.pending, "rejected": status.rejected, "code": status.code},
            "replica": replica.map(|r| serde_json::json!({"bytes": r.bytes, "rows": r.rows, "cursor": r.cursor,
                                                          "last_sync_at": r.last_sync_at})),
            "outbox": outbox,
            "logs": logs,
        });
        let dir = self.data_dir.join(DIAGNOSTICS_DIR);
        let name = format!("haochaping-diagnostics-{}.json", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
        let path = dir.join(name);
        let text = serde_json::to_vec_pretty(&doc).map_err(internal)?;
        let written = path.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&written, text)
        })
        .await
        .map_err(internal)?
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("无法写入诊断文件：{e}")))?;
        Ok(DiagnosticsFile { path: path.display().to_string() })
    }

    /// The app's and the server's versions (the server's when it answers now).
    pub async fn about(&self) -> AboutInfo {
        let server_url =
            self.active().ok().map(|a| a.server_url.clone()).or_else(|| self.app_settings().ok()?.server_url);
        let server_version = match &server_url {
            Some(url) => self.check_server(url.clone()).await.ok(),
            None => None,
        };
        AboutInfo {
            app_version: self.version().to_owned(),
            server_url,
            server_version,
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        }
    }
}
