//! SQLite storage of the central server (the embedded default backend).
//!
//! WAL mode, one writer connection and a small pool of readers. Every table has its own module
//! with its DDL beside its queries; `migrate` applies them in order, tracked by `PRAGMA user_version`.
//! Blocking calls: run them inside `tokio::task::spawn_blocking` (see [`Db::read`] / [`Db::write`]).

pub mod case_events;
pub mod cases;
pub mod changes;
pub mod commands;
pub mod evidence;
pub mod login_attempts;
pub mod org_units;
pub mod ratings;
pub mod reveals;
pub mod staff;
pub mod tokens;
pub mod users;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

/// A storage failure. Callers turn these into 500s (logged, never shown) or typed 4xx errors.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Config(String),
    #[error("storage task failed: {0}")]
    Join(String),
}

pub type DbResult<T> = Result<T, DbError>;

/// Where the data lives, parsed from `--database`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, DbError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DbError::Config("sqlite:// URL needs a file path, e.g. sqlite://data/hcp.db".into()));
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url.to_owned()))
        } else {
            Err(DbError::Config(format!(
                "unsupported database URL '{url}': use sqlite://PATH or postgres://USER@HOST/DB"
            )))
        }
    }
}

/// The migrations, in order. Each entry is one table module's DDL.
const MIGRATIONS: &[&str] = &[
    org_units::DDL,
    users::DDL,
    tokens::DDL,
    staff::DDL,
    ratings::DDL,
    cases::DDL,
    case_events::DDL,
    changes::DDL,
    commands::DDL,
    evidence::DDL,
    login_attempts::DDL,
    reveals::DDL,
    users::STAFF_LINK_DDL,
    login_attempts::OUTCOME_DDL,
];

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// Applies every migration the database has not seen yet.
pub fn migrate(conn: &mut Connection) -> DbResult<()> {
    let have: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let tx = conn.transaction()?;
    for (i, ddl) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version > have {
            tx.execute_batch(ddl)?;
            tx.pragma_update(None, "user_version", version)?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The SQLite store: one writer, pooled readers.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl Db {
    /// Opens (creating when missing) the database at `path` and migrates it.
    pub fn open(path: &Path) -> DbResult<Db> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbError::Config(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
        let mut writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        configure(&writer)?;
        migrate(&mut writer)?;
        Ok(Db {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn take_reader(&self) -> DbResult<Connection> {
        let pooled = self.inner.readers.lock().map_err(|_| DbError::Join("reader pool poisoned".into()))?.pop();
        match pooled {
            Some(c) => Ok(c),
            None => {
                let c = Connection::open_with_flags(
                    &self.inner.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                Ok(c)
            }
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut pool) = self.inner.readers.lock() {
            if pool.len() < 16 {
                pool.push(conn);
            }
        }
    }

    /// Runs `f` with a read-only connection (synchronously; call from blocking contexts).
    pub fn read_blocking<T>(&self, f: impl FnOnce(&mut Connection) -> DbResult<T>) -> DbResult<T> {
        let mut conn = self.take_reader()?;
        let out = f(&mut conn);
        self.give_back(conn);
        out
    }

    /// Runs `f` with the writer connection (synchronously; call from blocking contexts).
    pub fn write_blocking<T>(&self, f: impl FnOnce(&mut Connection) -> DbResult<T>) -> DbResult<T> {
        let mut conn = self.inner.writer.lock().map_err(|_| DbError::Join("writer poisoned".into()))?;
        f(&mut conn)
    }

    /// Runs `f` with a read-only connection on the blocking thread pool.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.read_blocking(f)).await.map_err(|e| DbError::Join(e.to_string()))?
    }

    /// Runs `f` with the writer connection on the blocking thread pool.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write_blocking(f)).await.map_err(|e| DbError::Join(e.to_string()))?
    }
}

/// Parses a stored enum name, reporting the column on failure.
pub(crate) fn parse_col<T>(value: &str, column: &str, parse: impl Fn(&str) -> Option<T>) -> DbResult<T> {
    parse(value).ok_or_else(|| DbError::Corrupt(format!("{column} = '{value}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_parse_or_explain() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").ok(),
            Some(DatabaseUrl::Sqlite(PathBuf::from("data/x.db")))
        );
        assert!(matches!(DatabaseUrl::parse("postgres://u@h/db"), Ok(DatabaseUrl::Postgres(_))));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn migrations_are_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.db");
        let db = Db::open(&path).expect("open");
        drop(db);
        let db = Db::open(&path).expect("reopen");
        let v: i64 =
            db.read_blocking(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?)).expect("version");
        assert_eq!(v, MIGRATIONS.len() as i64);
    }
}
