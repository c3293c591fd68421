//! `hcp-server`: the central REST API of Haochaping (好差评督办).
//!
//! It authenticates users, holds the authoritative cases and ratings, and feeds each client its
//! jurisdiction through a streamed snapshot and a paged change feed.

pub mod auth;
pub mod db;
pub mod error;
pub mod intake;
pub mod openapi;
pub mod routes;
pub mod seed;
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
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a bearer token lives.
    pub token_ttl: Duration,
    /// The most changes one pull returns.
    pub pull_max: usize,
    /// Failed sign-ins allowed per user name within `login_window` before sign-in is refused.
    pub login_max_failures: i64,
    pub login_window: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            token_ttl: Duration::from_secs(12 * 3600),
            pull_max: 5_000,
            login_max_failures: 5,
            login_window: Duration::from_secs(15 * 60),
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
}

impl AppState {
    pub fn new(db: Db) -> AppState {
        AppState {
            db,
            clock: Arc::new(SystemClock),
            config: Arc::new(Config::default()),
            calendar: Arc::new(hcp_domain::Calendar::bundled()),
        }
    }
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    routes::router().with_state(state).layer(CompressionLayer::new().gzip(true)).layer(TraceLayer::new_for_http())
}

/// Opens the storage a `--database` URL names.
pub fn open_database(url: &str) -> anyhow::Result<Db> {
    match DatabaseUrl::parse(url)? {
        DatabaseUrl::Sqlite(path) => Ok(Db::open(&path)?),
        DatabaseUrl::Postgres(_) => {
            anyhow::bail!("the PostgreSQL backend is not available in this build yet; use --database sqlite://PATH")
        }
    }
}

/// A server bound to a port and running on the current tokio runtime.
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
    }
}

/// Binds `listen` (port 0 for any free port) and serves in the background.
pub async fn spawn(state: AppState, listen: &str) -> anyhow::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(state);
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    Ok(RunningServer { addr, shutdown: Some(tx), task })
}
