//! The sync status (pushed to a listener at each change), one sync cycle, and the background loop
//! with its backoff, woken by the network watch and by new local actions.

use super::*;

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
pub(crate) const SERVER_RETRY: Duration = Duration::from_secs(2);

/// The wait before the next background sync, after one that ended with `outcome` (`None`: it
/// succeeded; else the error code) and the wait before it.
pub(crate) fn next_delay(
    outcome: Option<ErrorCode>,
    previous: Duration,
    interval: Duration,
    offline_retry: Duration,
) -> Duration {
    match outcome {
        None => interval,
        Some(ErrorCode::Network) => offline_retry.min(interval),
        Some(ErrorCode::Server) => (if previous >= interval { SERVER_RETRY } else { previous * 2 }).min(interval),
        Some(_) => interval,
    }
}

/// What the shell does with each new sync status (the desktop shell emits it to the UI as a typed
/// event, so the status bar follows the engine without polling); failures are its own to log.
pub type StatusListener = Arc<dyn Fn(&SyncStatus) + Send + Sync>;

/// Changes that only move the bootstrap's progress reach the listener at most this often (a
/// first sync reports every page); every other change reaches it at once.
pub(crate) const PROGRESS_TELL_EVERY: Duration = Duration::from_millis(150);

impl App {
    /// Changes the sync status and tells the listener (see [`App::set_status_listener`]) when it
    /// changed.
    pub(crate) fn set_status(&self, f: impl FnOnce(&mut SyncStatus)) {
        let changed = match self.status.lock() {
            Ok(mut s) => {
                let before = s.clone();
                f(&mut s);
                // Only the rows or bytes of the same step moved (a new step is told at once).
                let same_step = before.progress.as_ref().map(|p| &p.phase) == s.progress.as_ref().map(|p| &p.phase);
                (*s != before).then(|| {
                    (s.clone(), same_step && SyncStatus { progress: before.progress.clone(), ..s.clone() } == before)
                })
            }
            Err(_) => None,
        };
        let Some((now, progress_only)) = changed else { return };
        if let Ok(mut told) = self.progress_told_at.lock() {
            if progress_only && told.is_some_and(|t| t.elapsed() < PROGRESS_TELL_EVERY) {
                return;
            }
            // Any change told with a progress starts the interval again.
            if now.progress.is_some() {
                *told = Some(std::time::Instant::now());
            }
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

    pub(crate) async fn sync_loop(self: Arc<Self>, interval: Duration, offline_retry: Duration) {
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

    pub(crate) fn refresh_counts(&self, counts: (u32, u32)) {
        self.set_status(|s| {
            s.pending = counts.0;
            s.rejected = counts.1;
        });
    }

    /// Keeps this laptop's reserved document numbers topped up for the user's office (this year,
    /// and next year from December on), so notices can be numbered offline. A failure is logged:
    /// it never fails the sync, and printing says what to do when the numbers run out.
    pub(crate) async fn top_up_doc_numbers(&self, active: &Active) {
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

    /// Sets what shows new notifications to the user after each sync (the OS notifications).
    pub fn set_notifier(&self, notifier: Notifier) {
        if let Ok(mut n) = self.notifier.lock() {
            *n = Some(notifier);
        }
    }

    /// Records what concerns the user since the last sync and shows what is new (when OS
    /// notifications are on). A failure is logged, never fails the sync.
    pub(crate) fn notify_after_sync(&self, active: &Active) {
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
}
