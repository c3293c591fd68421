//! Test support: a fresh database on each backend, for this crate's suites and the workspace's.
//!
//! PostgreSQL tests need a server: `scripts/with-postgres.sh` starts a private one and sets
//! `HCP_TEST_POSTGRES_URL`. Without it the PostgreSQL variants are skipped with a notice, unless
//! `HCP_REQUIRE_POSTGRES=1` (as `make test` and CI set), where a missing server fails the test.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::db::{redact, Db, DbError, DbResult};

/// The storage engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty, migrated database; for SQLite it lives in a temporary directory kept alive by
/// the returned guard.
pub struct TestDb {
    pub db: Db,
    /// The `--database` URL of this database (for starting a second server process on it).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server tests may use, or `None` (after a notice) when there is none and none
/// is required.
pub fn postgres_server() -> Option<String> {
    match std::env::var("HCP_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("HCP_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("HCP_REQUIRE_POSTGRES=1 but HCP_TEST_POSTGRES_URL is not set: run under scripts/with-postgres.sh")
        }
        _ => {
            tracing::warn!("HCP_TEST_POSTGRES_URL is not set: skipping a PostgreSQL test");
            // Straight to the process's stderr: the test harness captures `eprintln!` of a passing
            // test, and a skipped engine must not pass silently.
            let test = std::thread::current().name().unwrap_or("a test").to_owned();
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!(
                    "SKIPPED: the PostgreSQL variant of {test} did not run (HCP_TEST_POSTGRES_URL is not set; \
                     run under scripts/with-postgres.sh, as `make test` does)\n"
                )
                .as_bytes(),
            );
            None
        }
    }
}

/// Creates a database for one test on the PostgreSQL server at `server_url` and returns its URL.
pub fn create_postgres_database(server_url: &str) -> DbResult<String> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "hcp_t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
    );
    let mut admin = postgres::Client::connect(server_url, postgres::NoTls)
        .map_err(|e| DbError::Config(format!("cannot connect to {}: {e}", redact(server_url))))?;
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let base = match server_url.rfind('/') {
        Some(i) if server_url[..i].contains("://") && i > server_url.find("://").map_or(0, |s| s + 2) => {
            &server_url[..i]
        }
        _ => server_url,
    };
    Ok(format!("{base}/{name}"))
}

impl TestDb {
    /// A fresh database on `backend`, or `None` when PostgreSQL is not available (see module docs).
    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let path = dir.path().join("server.db");
                let db = Db::open(&path).expect("an SQLite database");
                Some(TestDb { db, url: format!("sqlite://{}", path.display()), _dir: Some(dir) })
            }
            Backend::Postgres => {
                let server = postgres_server()?;
                let url = create_postgres_database(&server).expect("a test database");
                let db = Db::open_postgres(&url).expect("a PostgreSQL database");
                Some(TestDb { db, url, _dir: None })
            }
        }
    }
}
