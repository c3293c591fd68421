//! `hcp-server`: the central REST API of Haochaping (好差评督办).
//!
//! It authenticates users, holds the authoritative cases and ratings, and feeds each client its
//! jurisdiction through a streamed snapshot and a paged change feed.

pub use hcp_store::args;

pub mod assessment;
pub mod auth;
#[cfg(feature = "seed")]
pub mod bench_seed;
pub mod case_item;
pub mod db;
pub mod error;
pub mod evidence_store;
pub mod hotline;
pub mod intake;
pub mod integrity;
pub mod month_stats;
pub mod openapi;
pub mod ops;
#[cfg(feature = "seed")]
pub mod province_seed;
pub mod rate;
pub mod releases;
pub mod replica_image;
pub mod routes;
pub mod seed;
pub mod serve;
pub mod strict_json;
pub mod testing;
pub mod unit_state;
pub mod watch;
pub mod workflow;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use chrono::{DateTime, SecondsFormat, Utc};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use db::{DatabaseUrl, Db};

/// Where the server reads the time: the real clock in production, a fixed one in tests.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    fn now_rfc3339(&self) -> String {
        self.now().to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Server settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// How long a bearer token lives.
    pub token_ttl: Duration,
    /// The most changes one pull returns.
    pub pull_max: usize,
    /// Failed sign-ins for one user name from one client address within `login_window` before
    /// that pair is refused (429 with `Retry-After`). The same user from another address is not,
    /// but each further failure for the user name (from any address) delays its sign-ins.
    pub login_max_failures: i64,
    /// Failed sign-ins from one client address (over all user names) within `login_window` before
    /// its sign-ins are delayed (never refused: many users may share one NAT address).
    pub login_max_failures_per_ip: i64,
    pub login_window: Duration,
    /// The longest a sign-in is delayed (each failure over a limit adds a second).
    pub login_max_delay: Duration,
    /// How often the integrity detection looks at new ratings (`None`: never in the background).
    pub integrity_scan_every: Option<Duration>,
    /// How often the deadline watch looks at running deadlines (`None`: never; see [`watch`]).
    pub deadline_watch_every: Option<Duration>,
    /// How often closed months are looked for to roll up (`None`: never in the background, and
    /// the whole history is replicated; see [`month_stats`]).
    pub month_stats_every: Option<Duration>,
    /// Connection caps and read deadlines.
    pub limits: serve::Limits,
    /// Requests per bearer token.
    pub rate_limit: rate::RateLimit,
    /// Where the desktop app's releases are kept (see [`releases`]).
    pub releases_dir: std::path::PathBuf,
    /// Callbacks to the 12345 hotline (see [`hotline`]).
    pub hotline: hotline::HotlineConfig,
    /// Limits of evidence files (see [`routes::attachments`]).
    pub attachments: AttachmentLimits,
    /// Ready replica images of large jurisdictions (see [`replica_image`]).
    pub replica_images: replica_image::ImageConfig,
}

/// The largest evidence file, and the most bytes of files on one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimits {
    pub max_file_bytes: i64,
    pub max_case_bytes: i64,
}

impl Default for AttachmentLimits {
    fn default() -> AttachmentLimits {
        AttachmentLimits { max_file_bytes: 20 * 1024 * 1024, max_case_bytes: 200 * 1024 * 1024 }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            token_ttl: Duration::from_secs(12 * 3600),
            pull_max: 5_000,
            login_max_failures: 5,
            login_max_failures_per_ip: 100,
            login_window: Duration::from_secs(15 * 60),
            login_max_delay: Duration::from_secs(10),
            integrity_scan_every: Some(Duration::from_secs(60)),
            deadline_watch_every: Some(Duration::from_secs(60)),
            month_stats_every: Some(month_stats::EVERY),
            limits: serve::Limits::default(),
            rate_limit: rate::RateLimit::default(),
            releases_dir: std::path::PathBuf::from("data/releases"),
            hotline: hotline::HotlineConfig::default(),
            attachments: AttachmentLimits::default(),
            replica_images: replica_image::ImageConfig::default(),
        }
    }
}

/// Settings read from a TOML file (`hcp-server serve --config PATH`); every key is optional.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database: Option<String>,
    pub listen: Option<String>,
    pub token_ttl_hours: Option<u64>,
    pub pull_max: Option<usize>,
    pub login_max_failures: Option<i64>,
    pub login_max_failures_per_ip: Option<i64>,
    pub login_window_minutes: Option<u64>,
    /// The longest sign-in delay in seconds (0: no delays, only the per-pair lockout).
    pub login_max_delay_seconds: Option<u64>,
    /// Seconds between background integrity scans; 0 turns them off.
    pub integrity_scan_seconds: Option<u64>,
    /// Seconds between passes of the deadline watch (warnings, 催办, automatic escalation); 0
    /// turns it off.
    pub deadline_watch_seconds: Option<u64>,
    /// Seconds between looks for a closed month to roll up into the month statistics (the
    /// replication window's); 0 turns the roll-up off, and with it the window.
    pub month_stats_seconds: Option<u64>,
    /// Open connections at most (lowered to what the open-file limit allows).
    pub max_connections: Option<usize>,
    /// Open connections from one client address at most.
    pub max_connections_per_ip: Option<usize>,
    /// Seconds a client has to send a request's head (also how long an idle connection stays).
    pub header_read_timeout_seconds: Option<u64>,
    /// Seconds a client has to send a request's body once its head arrived.
    pub body_read_timeout_seconds: Option<u64>,
    /// Requests per second one bearer token may make on average.
    pub requests_per_second_per_token: Option<f64>,
    /// Requests one bearer token may make at once above that rate.
    pub request_burst_per_token: Option<u32>,
    /// The folder of the desktop app's releases (`hcp-server release add`).
    pub releases_dir: Option<std::path::PathBuf>,
    /// The 12345 hotline's callback URL (progress and results of 12345 cases); absent: none sent.
    pub hotline_callback_url: Option<String>,
    /// The shared secret of the callbacks' HMAC-SHA256 signature (`X-Hcp-Signature`).
    pub hotline_callback_secret: Option<String>,
    /// Seconds one callback request may take.
    pub hotline_callback_timeout_seconds: Option<u64>,
    /// Failed attempts before a callback is marked failed (an administrator may retry it).
    pub hotline_callback_max_attempts: Option<u32>,
    /// Seconds before the first retry, doubled after each further failure…
    pub hotline_callback_backoff_seconds: Option<u64>,
    /// …up to this many seconds.
    pub hotline_callback_backoff_max_seconds: Option<u64>,
    /// The largest evidence file, in MB (default 20).
    pub attachment_max_mb: Option<i64>,
    /// The most MB of evidence files on one case (default 200).
    pub case_attachments_max_mb: Option<i64>,
    /// The folder of the ready replica images of large jurisdictions (default data/replica-images).
    pub replica_image_dir: Option<std::path::PathBuf>,
    /// Jurisdictions with at least this many ratings get a replica image (default 200000).
    pub replica_image_min_rows: Option<u64>,
    /// An image this many changes behind the feed is rebuilt (default 50000).
    pub replica_image_max_changes: Option<i64>,
    /// An image older than this many minutes with changes since is rebuilt (default 360).
    pub replica_image_max_age_minutes: Option<u64>,
    /// Seconds between the image builder's passes; 0 turns images off (default 60).
    pub replica_image_check_seconds: Option<u64>,
}

impl FileConfig {
    pub fn load(path: &std::path::Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the configuration file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("configuration file {}: {e}", path.display()))
    }

    /// The file's settings over `base`.
    pub fn apply(&self, base: Config) -> Config {
        Config {
            token_ttl: self.token_ttl_hours.map_or(base.token_ttl, |h| Duration::from_secs(h.clamp(1, 24 * 30) * 3600)),
            pull_max: self.pull_max.map_or(base.pull_max, |n| n.clamp(100, 50_000)),
            login_max_failures: self.login_max_failures.map_or(base.login_max_failures, |n| n.clamp(1, 100)),
            login_max_failures_per_ip: self
                .login_max_failures_per_ip
                .map_or(base.login_max_failures_per_ip, |n| n.clamp(1, 10_000)),
            login_window: self
                .login_window_minutes
                .map_or(base.login_window, |m| Duration::from_secs(m.clamp(1, 24 * 60) * 60)),
            login_max_delay: self
                .login_max_delay_seconds
                .map_or(base.login_max_delay, |s| Duration::from_secs(s.min(60))),
            integrity_scan_every: match self.integrity_scan_seconds {
                None => base.integrity_scan_every,
                Some(0) => None,
                Some(s) => Some(Duration::from_secs(s.clamp(5, 24 * 3600))),
            },
            deadline_watch_every: match self.deadline_watch_seconds {
                None => base.deadline_watch_every,
                Some(0) => None,
                Some(s) => Some(Duration::from_secs(s.clamp(5, 24 * 3600))),
            },
            month_stats_every: match self.month_stats_seconds {
                None => base.month_stats_every,
                Some(0) => None,
                Some(s) => Some(Duration::from_secs(s.clamp(60, 24 * 3600))),
            },
            limits: serve::Limits {
                max_connections: self.max_connections.map_or(base.limits.max_connections, |n| n.clamp(16, 1_000_000)),
                max_connections_per_ip: self
                    .max_connections_per_ip
                    .map_or(base.limits.max_connections_per_ip, |n| n.clamp(1, 1_000_000)),
                header_read_timeout: self
                    .header_read_timeout_seconds
                    .map_or(base.limits.header_read_timeout, |s| Duration::from_secs(s.clamp(1, 600))),
                body_read_timeout: self
                    .body_read_timeout_seconds
                    .map_or(base.limits.body_read_timeout, |s| Duration::from_secs(s.clamp(1, 3600))),
            },
            rate_limit: rate::RateLimit {
                per_second: self
                    .requests_per_second_per_token
                    .filter(|r| r.is_finite())
                    .map_or(base.rate_limit.per_second, |r| r.clamp(0.1, 100_000.0)),
                burst: self.request_burst_per_token.map_or(base.rate_limit.burst, |b| f64::from(b.clamp(1, 1_000_000))),
            },
            releases_dir: self.releases_dir.clone().unwrap_or(base.releases_dir),
            hotline: self.hotline(base.hotline),
            attachments: AttachmentLimits {
                max_file_bytes: self
                    .attachment_max_mb
                    .map_or(base.attachments.max_file_bytes, |m| m.clamp(1, 1024) * 1024 * 1024),
                max_case_bytes: self
                    .case_attachments_max_mb
                    .map_or(base.attachments.max_case_bytes, |m| m.clamp(1, 100 * 1024) * 1024 * 1024),
            },
            replica_images: self.replica_images(base.replica_images),
        }
    }

    /// The file's `replica_image_*` settings over `base`.
    fn replica_images(&self, base: replica_image::ImageConfig) -> replica_image::ImageConfig {
        replica_image::ImageConfig {
            dir: self.replica_image_dir.clone().unwrap_or(base.dir),
            min_rows: self.replica_image_min_rows.unwrap_or(base.min_rows),
            max_changes: self.replica_image_max_changes.map_or(base.max_changes, |n| n.max(1)),
            max_age: self
                .replica_image_max_age_minutes
                .map_or(base.max_age, |m| Duration::from_secs(m.clamp(1, 30 * 24 * 60) * 60)),
            every: match self.replica_image_check_seconds {
                None => base.every,
                Some(0) => None,
                Some(s) => Some(Duration::from_secs(s.clamp(1, 24 * 3600))),
            },
            level: base.level,
        }
    }

    /// The file's `hotline_callback_*` settings over `base` (an empty URL or secret: none).
    fn hotline(&self, base: hotline::HotlineConfig) -> hotline::HotlineConfig {
        let some = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        hotline::HotlineConfig {
            url: some(&self.hotline_callback_url).or(base.url),
            secret: some(&self.hotline_callback_secret).or(base.secret),
            timeout: self
                .hotline_callback_timeout_seconds
                .map_or(base.timeout, |s| Duration::from_secs(s.clamp(1, 300))),
            max_attempts: self.hotline_callback_max_attempts.map_or(base.max_attempts, |n| n.clamp(1, 100)),
            backoff_base: self
                .hotline_callback_backoff_seconds
                .map_or(base.backoff_base, |s| Duration::from_secs(s.clamp(1, 24 * 3600))),
            backoff_max: self
                .hotline_callback_backoff_max_seconds
                .map_or(base.backoff_max, |s| Duration::from_secs(s.clamp(1, 7 * 24 * 3600))),
            poll_every: base.poll_every,
        }
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// The statutory working-day calendar deadlines are computed on.
    pub calendar: Arc<hcp_domain::Calendar>,
    /// Where the bytes of evidence files are kept (the database by default).
    pub chunks: Arc<dyn evidence_store::ChunkStore>,
}

impl AppState {
    pub fn new(db: Db) -> AppState {
        AppState {
            db,
            clock: Arc::new(SystemClock),
            config: Arc::new(Config::default()),
            calendar: Arc::new(hcp_domain::Calendar::bundled()),
            chunks: Arc::new(evidence_store::DbChunks),
        }
    }
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    let buckets = rate::Buckets::new(state.config.rate_limit);
    routes::router()
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(error::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(move |req, next| rate::limit(buckets.clone(), req, next)))
        .layer(axum::middleware::from_fn(error::json_errors))
        // zstd where the client takes it (ours do): the snapshot of a city is about 860 MB of JSON,
        // which zstd compresses several times faster than gzip and a little smaller; gzip otherwise.
        .layer(CompressionLayer::new().gzip(true).zstd(true))
        .layer(TraceLayer::new_for_http())
}

/// Opens the storage a `--database` URL names (`sqlite://PATH` or `postgres://…`).
pub fn open_database(url: &str) -> anyhow::Result<Db> {
    Ok(Db::connect(url)?)
}

/// A server bound to a port and running on the current tokio runtime.
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        let _ = self.task.await;
    }
}

/// Binds `listen` (port 0 for any free port) and serves in the background, with the connection
/// and timing limits of the state's configuration (see [`serve`]).
pub async fn spawn(state: AppState, listen: &str) -> anyhow::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let limits = state.config.limits;
    let app = router(state);
    let task = tokio::spawn(serve::serve(listener, app, limits, rx));
    Ok(RunningServer { addr, shutdown: Some(tx), task })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_overrides_only_what_it_names_and_rejects_typos() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hcp.toml");
        std::fs::write(&path, "listen = \"0.0.0.0:9000\"\ntoken_ttl_hours = 8\n").expect("write");
        let file = FileConfig::load(&path).expect("load");
        assert_eq!(file.listen.as_deref(), Some("0.0.0.0:9000"));
        let c = file.apply(Config::default());
        assert_eq!(c.token_ttl, Duration::from_secs(8 * 3600));
        assert_eq!(c.pull_max, Config::default().pull_max);
        std::fs::write(&path, "lisen = \"x\"\n").expect("write");
        let err = FileConfig::load(&path).expect_err("unknown key");
        assert!(err.to_string().contains("lisen"), "{err}");
        assert!(FileConfig::load(&dir.path().join("missing.toml")).is_err());
        std::fs::write(&path, "deadline_watch_seconds = 0\n").expect("write");
        assert_eq!(FileConfig::load(&path).expect("load").apply(Config::default()).deadline_watch_every, None);
        std::fs::write(&path, "deadline_watch_seconds = 120\n").expect("write");
        let c = FileConfig::load(&path).expect("load").apply(Config::default());
        assert_eq!(c.deadline_watch_every, Some(Duration::from_secs(120)));
        assert_eq!(Config::default().deadline_watch_every, Some(Duration::from_secs(60)));
        std::fs::write(&path, "attachment_max_mb = 5\ncase_attachments_max_mb = 50\n").expect("write");
        let c = FileConfig::load(&path).expect("load").apply(Config::default());
        assert_eq!(c.attachments, AttachmentLimits { max_file_bytes: 5 << 20, max_case_bytes: 50 << 20 });
        assert_eq!(Config::default().attachments.max_file_bytes, 20 << 20);
        assert_eq!(Config::default().attachments.max_case_bytes, 200 << 20);
    }
}
