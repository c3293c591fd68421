//! Storage of the central server, on SQLite (the embedded default) or PostgreSQL.
//!
//! Every table has its own module with its DDL beside its queries, written once in the SQL both
//! engines share (see [`sql`]); `migrate` applies the DDL in order (translated for PostgreSQL) and
//! records the version (`PRAGMA user_version` / the `hcp_schema` table).
//!
//! Every [`Db::read`] runs in one read transaction (a consistent snapshot on both engines) and every
//! [`Db::write`] in one write transaction. Writes are serialised: SQLite has one writer, and on
//! PostgreSQL each write transaction first takes a transaction-scoped advisory lock shared by every
//! server instance. So change-log sequence numbers are drawn and committed in order, and a pull that
//! serves everything up to the highest visible `seq` can never skip a change that commits later
//! with a lower one. Reads run in parallel on both engines.
//! Blocking calls: run them inside `tokio::task::spawn_blocking` (see [`Db::read`] / [`Db::write`]).

pub mod attachments;
pub mod audit_log;
pub mod awards;
pub mod case_events;
pub mod cases;
pub mod changes;
pub mod commands;
pub mod digest;
pub mod doc_numbers;
pub mod evidence;
pub mod hotline_outbox;
pub mod integrity_flags;
pub mod login_attempts;
pub mod org_units;
pub mod rating_stats;
pub mod ratings;
pub mod reveals;
pub mod self_assessments;
pub mod service_items;
pub mod settings;
pub mod snapshot;
pub mod staff;
pub mod tokens;
pub mod unit_move;
pub mod users;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use hcp_store::sql;
pub use hcp_store::{args, parse_col, Conn, DbError, DbResult, Dialect, Row, StmtCache, Value};

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
                "unsupported database URL '{}': use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB",
                redact(url)
            )))
        }
    }
}

/// A database URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// One migration: a table module's DDL, written for SQLite and translated for PostgreSQL unless
/// the module gives PostgreSQL its own text (triggers, row ids).
struct Migration {
    sqlite: &'static str,
    postgres: Option<&'static str>,
}

const fn both(ddl: &'static str) -> Migration {
    Migration { sqlite: ddl, postgres: None }
}

/// The migrations, in order.
const MIGRATIONS: &[Migration] = &[
    both(org_units::DDL),
    both(users::DDL),
    both(tokens::DDL),
    both(staff::DDL),
    both(ratings::DDL),
    both(cases::DDL),
    both(case_events::DDL),
    both(changes::DDL),
    both(commands::DDL),
    Migration { sqlite: evidence::DDL, postgres: Some(evidence::PG_DDL) },
    Migration { sqlite: login_attempts::DDL, postgres: Some(login_attempts::PG_DDL) },
    Migration { sqlite: reveals::DDL, postgres: Some(reveals::PG_DDL) },
    both(users::STAFF_LINK_DDL),
    Migration { sqlite: login_attempts::OUTCOME_DDL, postgres: Some(login_attempts::PG_OUTCOME_DDL) },
    both(service_items::DDL),
    both(settings::DDL),
    Migration { sqlite: audit_log::DDL, postgres: Some(audit_log::PG_DDL) },
    both(login_attempts::IP_DDL),
    both(integrity_flags::DDL),
    both(doc_numbers::DDL),
    both(cases::SCOPE_DDL),
    both(org_units::ACTIVE_DDL),
    both(awards::DDL),
    both(hotline_outbox::DDL),
    both(self_assessments::DDL),
    both(attachments::DDL),
    both(cases::RATING_DDL),
    both(ratings::RATED_AT_DDL),
    both(rating_stats::DDL),
    both(rating_stats::MONTHS_DDL),
];

/// The schema version this build migrates a database to (the number of migrations).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Rewrites SQLite DDL for PostgreSQL: 64-bit integers, identity keys, byte-order ("C") collation
/// for text so the `path >= ?1 AND path < ?1 || '~'` range scans order as they do on SQLite.
pub(crate) fn postgres_ddl(sqlite: &str) -> String {
    let sql = sqlite
        .replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
        .replace("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    let mut out = String::with_capacity(sql.len() + 64);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match word.as_str() {
            "INTEGER" => out.push_str("BIGINT"),
            "REAL" => out.push_str("DOUBLE PRECISION"),
            "BLOB" => out.push_str("BYTEA"),
            "TEXT" => out.push_str("TEXT COLLATE \"C\""),
            w => out.push_str(w),
        }
        word.clear();
    };
    for c in sql.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// Applies every migration an SQLite database has not seen yet.
pub fn migrate(conn: &mut Connection) -> DbResult<()> {
    let have: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let tx = conn.transaction()?;
    for (i, m) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version > have {
            tx.execute_batch(m.sqlite)?;
            tx.pragma_update(None, "user_version", version)?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The advisory-lock key every PostgreSQL write transaction takes ("hcpwrite").
const PG_WRITE_LOCK: i64 = 0x6863_7077_7269_7465;
/// The advisory-lock key migrations take, so two instances starting together migrate once.
const PG_MIGRATE_LOCK: i64 = 0x6863_706d_6967_7261;

fn migrate_postgres(conn: &Conn<'_>) -> DbResult<()> {
    conn.execute("SELECT pg_advisory_xact_lock(?1)", [PG_MIGRATE_LOCK])?;
    conn.batch("CREATE TABLE IF NOT EXISTS hcp_schema (version BIGINT NOT NULL)")?;
    let have: i64 = conn.query_row("SELECT coalesce(max(version), 0) FROM hcp_schema", (), |r| r.get(0))?;
    for (i, m) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version > have {
            match m.postgres {
                Some(ddl) => conn.batch(ddl)?,
                None => conn.batch(&postgres_ddl(m.sqlite))?,
            }
            conn.execute("DELETE FROM hcp_schema", ())?;
            conn.execute("INSERT INTO hcp_schema (version) VALUES (?1)", [version])?;
        }
    }
    Ok(())
}

/// The store: SQLite with one writer and pooled readers, or a pool of PostgreSQL connections.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Backend>,
    /// The queue of the async reads ([`Db::read`]): one permit per connection reads may use at a
    /// time, handed out first come, first served. Without it, under hundreds of pulling clients,
    /// every request ran at once: on SQLite each beyond the pooled connections opened one of its
    /// own (reading the schema, filling a page cache of its own), and on PostgreSQL a read asking
    /// as a connection came free took it ahead of the reads already waiting (a condition variable
    /// wakes one waiter, and the newcomer wins the race), so some waited many times longer than
    /// the rest: the tail of the latency, not its middle.
    read_queue: Arc<tokio::sync::Semaphore>,
}

enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Wakes the checkpointer after a commit (see [`spawn_checkpointer`]).
    checkpoint: Option<std::sync::mpsc::SyncSender<()>>,
}

/// How long the checkpointer lets commits gather before it copies them into the database file.
const CHECKPOINT_DELAY: Duration = Duration::from_millis(500);

/// WAL checkpoints on a thread of their own, off the write lock. SQLite's automatic checkpoint
/// runs inside the commit that crosses 1,000 WAL pages, so whichever writer happened to commit
/// then (a sign-in, an intake batch, a deadline-watch batch) held the write lock for the copy and
/// the database file's fsync as well: tens of milliseconds on this machine's disk. The writer
/// therefore has automatic checkpoints off, and every commit wakes this thread, which waits
/// [`CHECKPOINT_DELAY`] for the burst to end and runs a PASSIVE checkpoint on its own connection:
/// it copies what it can without waiting for readers or the writer, who go on meanwhile. The
/// thread ends when the store is dropped (its channel closes).
fn spawn_checkpointer(path: PathBuf) -> Option<std::sync::mpsc::SyncSender<()>> {
    let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
    let run = move || {
        let mut conn: Option<Connection> = None;
        while woken.recv().is_ok() {
            std::thread::sleep(CHECKPOINT_DELAY);
            while woken.try_recv().is_ok() {}
            if conn.is_none() {
                conn = match Connection::open(&path).and_then(|c| configure(&c).map(|()| c)) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "WAL checkpointer: cannot open the database");
                        continue;
                    }
                };
            }
            if let Some(c) = &conn {
                if let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        }
    };
    match std::thread::Builder::new().name("hcp-wal-checkpoint".into()).spawn(run) {
        Ok(_) => Some(wake),
        Err(e) => {
            // Without the thread nobody would checkpoint: the writer keeps SQLite's own then.
            tracing::warn!(error = %e, "cannot start the WAL checkpointer");
            None
        }
    }
}

struct PgConn {
    client: postgres::Client,
    cache: RefCell<StmtCache>,
}

struct PgPool {
    idle: Vec<PgConn>,
    open: usize,
    /// Connections in use by read transactions.
    reading: usize,
    /// Write transactions waiting for a connection.
    writers_waiting: usize,
}

struct PgStore {
    config: postgres::Config,
    pool: Mutex<PgPool>,
    /// Signalled when a connection is given back, for a waiting read …
    freed: Condvar,
    /// … and for a waiting write.
    freed_for_writer: Condvar,
    max: usize,
}

/// Connections one server process opens to PostgreSQL at most.
const PG_MAX_CONNECTIONS: usize = 16;
/// Of those, the connections only write transactions may take: under a flood of reads (hundreds
/// of clients pulling) a write still finds a connection at once and waits only for the write lock,
/// instead of queueing for a connection behind every read that asked before it.
const PG_WRITER_RESERVE: usize = 4;
/// The connections read transactions may use at a time.
const PG_READ_LIMIT: usize = PG_MAX_CONNECTIONS - PG_WRITER_RESERVE;
/// The read connections a SQLite store keeps open, and the reads it runs at a time.
const SQLITE_READERS: usize = 16;
/// How long a request waits for a free connection (its turn in the read queue, or a PostgreSQL
/// connection from the pool).
const PG_WAIT: Duration = Duration::from_secs(30);

/// The error of a request that waited [`PG_WAIT`] for a connection in vain.
fn no_free_connection() -> DbError {
    DbError::Join(format!("no database connection became free within {} s", PG_WAIT.as_secs()))
}

impl Drop for PgStore {
    /// The synchronous client blocks on its own runtime when it closes, which is not allowed on an
    /// async worker thread: close the connections on a plain thread.
    fn drop(&mut self) {
        let idle = self.pool.get_mut().map(|p| std::mem::take(&mut p.idle)).unwrap_or_default();
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

impl PgStore {
    fn connect(&self) -> DbResult<PgConn> {
        let client = self.config.connect(postgres::NoTls)?;
        Ok(PgConn { client, cache: RefCell::new(StmtCache::default()) })
    }

    /// A connection for a write (`write`) or a read transaction. Reads use at most
    /// `max - PG_WRITER_RESERVE` connections at a time; writes may use all of them.
    fn take(&self, write: bool) -> DbResult<PgConn> {
        let deadline = std::time::Instant::now() + PG_WAIT;
        let read_limit = PG_READ_LIMIT.min(self.max);
        let poisoned = || DbError::Join("connection pool poisoned".into());
        let mut pool = self.pool.lock().map_err(|_| poisoned())?;
        loop {
            if write || pool.reading < read_limit {
                if let Some(c) = pool.idle.pop() {
                    pool.reading += usize::from(!write);
                    return Ok(c);
                }
                if pool.open < self.max {
                    pool.open += 1;
                    pool.reading += usize::from(!write);
                    drop(pool);
                    return self.connect().inspect_err(|_| self.give_back(None, write));
                }
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(no_free_connection());
            }
            pool = if write {
                pool.writers_waiting += 1;
                let mut p = self.freed_for_writer.wait_timeout(pool, left).map_err(|_| poisoned())?.0;
                p.writers_waiting -= 1;
                p
            } else {
                self.freed.wait_timeout(pool, left).map_err(|_| poisoned())?.0
            };
        }
    }

    /// Returns a connection taken for a write (`write`) or a read (`None`, or a closed one, frees
    /// its slot), and wakes a waiting write, if any, and a waiting read.
    fn give_back(&self, conn: Option<PgConn>, write: bool) {
        if let Ok(mut pool) = self.pool.lock() {
            if !write {
                pool.reading = pool.reading.saturating_sub(1);
            }
            match conn.filter(|c| !c.client.is_closed()) {
                Some(c) => pool.idle.push(c),
                None => pool.open = pool.open.saturating_sub(1),
            }
            if pool.writers_waiting > 0 {
                self.freed_for_writer.notify_one();
            }
        }
        // A read woken while a write took the connection finds no room and waits again.
        self.freed.notify_one();
    }

    /// Runs `f` on a read connection outside any transaction (see [`Conn::postgres_statements`]).
    fn run_statements<T>(&self, f: impl FnOnce(&Conn<'_>) -> DbResult<T>) -> DbResult<T> {
        let mut pc = self.take(false)?;
        let out = {
            let PgConn { client, cache } = &mut pc;
            f(&Conn::postgres_statements(client, cache))
        };
        self.give_back(Some(pc), false);
        out
    }

    fn run<T>(&self, write: bool, f: impl FnOnce(&Conn<'_>) -> DbResult<T>) -> DbResult<T> {
        let mut pc = self.take(write)?;
        let out = (|| {
            let PgConn { client, cache } = &mut pc;
            let tx = if write {
                client.transaction()?
            } else {
                client
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?
            };
            let conn = Conn::postgres(tx, cache);
            if write {
                conn.execute("SELECT pg_advisory_xact_lock(?1)", [PG_WRITE_LOCK])?;
            }
            let value = f(&conn)?;
            if let Some(tx) = conn.into_postgres() {
                tx.commit()?;
            }
            Ok(value)
        })();
        self.give_back(Some(pc), write);
        out
    }
}

impl Db {
    /// Opens (creating when missing) the SQLite database at `path` and migrates it.
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
        let checkpoint = spawn_checkpointer(path.to_owned());
        if checkpoint.is_some() {
            writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        Ok(Db {
            inner: Arc::new(Backend::Sqlite(SqliteStore {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                checkpoint,
            })),
            read_queue: Arc::new(tokio::sync::Semaphore::new(SQLITE_READERS)),
        })
    }

    /// Connects to a PostgreSQL database (`postgres://USER:PASSWORD@HOST:PORT/DB`) and migrates it.
    pub fn open_postgres(url: &str) -> DbResult<Db> {
        let config: postgres::Config =
            url.parse().map_err(|e| DbError::Config(format!("bad PostgreSQL URL '{}': {e}", redact(url))))?;
        let store = PgStore {
            config,
            pool: Mutex::new(PgPool { idle: Vec::new(), open: 0, reading: 0, writers_waiting: 0 }),
            freed: Condvar::new(),
            freed_for_writer: Condvar::new(),
            max: PG_MAX_CONNECTIONS,
        };
        store.run(true, migrate_postgres).map_err(|e| match e {
            DbError::Postgres(p) if p.as_db_error().is_none() => {
                DbError::Config(format!("cannot connect to PostgreSQL at {}: {p}", redact(url)))
            }
            other => other,
        })?;
        Ok(Db {
            inner: Arc::new(Backend::Postgres(store)),
            read_queue: Arc::new(tokio::sync::Semaphore::new(PG_READ_LIMIT)),
        })
    }

    /// Opens the storage a `--database` URL names.
    pub fn connect(url: &str) -> DbResult<Db> {
        match DatabaseUrl::parse(url)? {
            DatabaseUrl::Sqlite(path) => Db::open(&path),
            DatabaseUrl::Postgres(url) => Db::open_postgres(&url),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match &*self.inner {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite file, when the store is SQLite.
    pub fn path(&self) -> Option<&Path> {
        match &*self.inner {
            Backend::Sqlite(s) => Some(&s.path),
            Backend::Postgres(_) => None,
        }
    }

    fn take_reader(s: &SqliteStore) -> DbResult<Connection> {
        let pooled = s.readers.lock().map_err(|_| DbError::Join("reader pool poisoned".into()))?.pop();
        match pooled {
            Some(c) => Ok(c),
            None => {
                let c = Connection::open_with_flags(
                    &s.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                Ok(c)
            }
        }
    }

    /// Runs `f` in a read transaction (synchronously; call from blocking contexts).
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Conn<'_>) -> DbResult<T>) -> DbResult<T> {
        match &*self.inner {
            Backend::Sqlite(s) => {
                let mut conn = Self::take_reader(s)?;
                let out = (|| {
                    let tx = conn.transaction()?;
                    let value = f(&Conn::sqlite(&tx))?;
                    tx.commit()?;
                    Ok(value)
                })();
                if let Ok(mut pool) = s.readers.lock() {
                    if pool.len() < SQLITE_READERS {
                        pool.push(conn);
                    }
                }
                out
            }
            Backend::Postgres(p) => p.run(false, f),
        }
    }

    /// Runs `f` in a write transaction, committed when `f` succeeds and rolled back when it fails
    /// (synchronously; call from blocking contexts).
    pub fn write_blocking<T>(&self, f: impl FnOnce(&Conn<'_>) -> DbResult<T>) -> DbResult<T> {
        match &*self.inner {
            Backend::Sqlite(s) => {
                let mut conn = s.writer.lock().map_err(|_| DbError::Join("writer poisoned".into()))?;
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = f(&Conn::sqlite(&tx))?;
                tx.commit()?;
                drop(conn);
                if let Some(wake) = &s.checkpoint {
                    // Full means a wake-up is pending already.
                    let _ = wake.try_send(());
                }
                Ok(value)
            }
            Backend::Postgres(p) => p.run(true, f),
        }
    }

    /// Runs `f` in a read transaction on the blocking thread pool, after waiting its turn for a
    /// connection in order of arrival (without holding a blocking thread meanwhile).
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Conn<'_>) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        self.in_turn(move |db| db.read_blocking(f)).await
    }

    /// Like [`Db::read`], except that on PostgreSQL the statements of `f` run each on its own,
    /// outside a transaction, each seeing what was committed when it starts: two round trips
    /// fewer (no `BEGIN`, no `COMMIT`). Only for reads that need no snapshot in common: the pull,
    /// whose page finds its changes and the head in one statement and sends each row as it is
    /// now (a row changed after that head is sent again with its own later change). SQLite reads
    /// in a transaction as [`Db::read`] does (it costs nothing there).
    pub async fn read_statements<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Conn<'_>) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        self.in_turn(move |db| match &*db.inner {
            Backend::Sqlite(_) => db.read_blocking(f),
            Backend::Postgres(p) => p.run_statements(f),
        })
        .await
    }

    /// Runs a read on the blocking thread pool once the read queue gives it its turn.
    async fn in_turn<T: Send + 'static>(&self, f: impl FnOnce(&Db) -> DbResult<T> + Send + 'static) -> DbResult<T> {
        let turn = match tokio::time::timeout(PG_WAIT, self.read_queue.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(DbError::Join("the read queue was closed".into())),
            Err(_) => return Err(no_free_connection()),
        };
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let out = f(&db);
            drop(turn);
            out
        })
        .await
        .map_err(|e| DbError::Join(e.to_string()))?
    }

    /// Runs `f` in a write transaction on the blocking thread pool.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Conn<'_>) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write_blocking(f)).await.map_err(|e| DbError::Join(e.to_string()))?
    }
}

/// Leadership among the server processes that share one database, for work exactly one of them
/// must do at a time (the deadline watch). On PostgreSQL it is a session-level advisory lock held
/// on a connection of its own: it lasts while that connection does, so a process that dies (or
/// drops the lease) frees it and another takes over. SQLite is served by one process, which always
/// leads.
pub struct Lease {
    client: Option<postgres::Client>,
}

impl Lease {
    /// Whether the lease still holds (its PostgreSQL session is alive). Blocking.
    pub fn holds(&mut self) -> bool {
        match &mut self.client {
            None => true,
            Some(c) => !c.is_closed() && c.simple_query("SELECT 1").is_ok(),
        }
    }
}

impl Drop for Lease {
    /// Closes the session (freeing the lock) on a plain thread: the synchronous client may not
    /// block on an async worker thread.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

impl Db {
    /// Tries to take the lease named `key` (see [`Lease`]); `None` while another process holds it.
    /// Blocking.
    pub fn try_lease(&self, key: i64) -> DbResult<Option<Lease>> {
        match &*self.inner {
            Backend::Sqlite(_) => Ok(Some(Lease { client: None })),
            Backend::Postgres(p) => {
                let mut client = p.config.connect(postgres::NoTls)?;
                let got: bool = client.query_one("SELECT pg_try_advisory_lock($1)", &[&key])?.get(0);
                if got {
                    Ok(Some(Lease { client: Some(client) }))
                } else {
                    drop(Lease { client: Some(client) });
                    Ok(None)
                }
            }
        }
    }
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
        let v: i64 = db.read_blocking(|c| c.query_row("PRAGMA user_version", (), |r| r.get(0))).expect("version");
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    #[test]
    fn commits_are_checkpointed_off_the_write_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.db");
        let db = Db::open(&path).expect("open");
        let auto: i64 =
            db.write_blocking(|c| c.query_row("PRAGMA wal_autocheckpoint", (), |r| r.get(0))).expect("pragma");
        assert_eq!(auto, 0, "the writer must not checkpoint inside its commits");
        let before = std::fs::metadata(&path).expect("db file").len();
        // About 2 MB in ten commits: without a checkpoint all of it stays in the WAL.
        db.write_blocking(|c| c.execute("CREATE TABLE filler (b TEXT NOT NULL)", ())).expect("table");
        for _ in 0..10 {
            db.write_blocking(|c| {
                for _ in 0..50 {
                    c.execute("INSERT INTO filler (b) VALUES (?1)", ["x".repeat(4000)])?;
                }
                Ok(())
            })
            .expect("insert");
        }
        // The checkpointer copies the pages into the database file a moment later.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::fs::metadata(&path).expect("db file").len() < before + 1_500_000 {
            assert!(std::time::Instant::now() < deadline, "the WAL was never checkpointed");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn sqlite_ddl_becomes_postgres_ddl() {
        let pg =
            postgres_ddl("CREATE TABLE t (\n id INTEGER PRIMARY KEY,\n path TEXT NOT NULL,\n f REAL,\n n INTEGER\n);");
        assert!(pg.contains("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"), "{pg}");
        assert!(pg.contains("path TEXT COLLATE \"C\" NOT NULL"), "{pg}");
        assert!(pg.contains("f DOUBLE PRECISION") && pg.contains("n BIGINT"), "{pg}");
        for m in MIGRATIONS {
            let ddl = m.postgres.map_or_else(|| postgres_ddl(m.sqlite), str::to_owned);
            assert!(!ddl.contains("AUTOINCREMENT") && !ddl.contains("RAISE(ABORT"), "{ddl}");
        }
    }

    /// Reads waiting for a connection get one in the order they asked, however the blocking
    /// threads are scheduled: a read that asks as a connection comes free does not take it ahead
    /// of one already waiting (what made the slowest pulls wait many times the median), and no
    /// more run at once than the store keeps connections for.
    #[test]
    fn reads_wait_for_a_connection_in_order_of_arrival() {
        for backend in [crate::testing::Backend::Sqlite, crate::testing::Backend::Postgres] {
            // Created (and dropped) outside the runtime: the synchronous client may not block in it.
            let Some(t) = crate::testing::TestDb::new(backend) else { continue };
            let limit = match backend {
                crate::testing::Backend::Sqlite => SQLITE_READERS,
                crate::testing::Backend::Postgres => PG_READ_LIMIT,
            };
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
            rt.block_on(reads_in_order(&t.db, limit));
        }
    }

    async fn reads_in_order(db: &Db, limit: usize) {
        use std::future::Future;
        use std::task::{Context, Poll, Waker};
        // Every connection reads may use is taken by a read held open until released.
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let mut release = Vec::new();
        let mut holders = Vec::new();
        for _ in 0..limit {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            release.push(tx);
            let (db, started) = (db.clone(), started_tx.clone());
            holders.push(tokio::spawn(async move {
                db.read(move |c| {
                    c.query_row("SELECT 1", (), |r| r.get::<i64>(0))?;
                    let _ = started.send(());
                    let _ = rx.recv();
                    Ok(())
                })
                .await
            }));
        }
        for _ in 0..limit {
            started_rx.recv_timeout(Duration::from_secs(60)).expect("a holding read started");
        }
        let order = Arc::new(Mutex::new(Vec::new()));
        let read = |name: &'static str| {
            let order = order.clone();
            db.read(move |c| {
                c.query_row("SELECT 1", (), |r| r.get::<i64>(0))?;
                order.lock().expect("order").push(name);
                Ok(())
            })
        };
        let mut first = Box::pin(read("first"));
        let mut second = Box::pin(read("second"));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(first.as_mut().poll(&mut cx), Poll::Pending), "no connection is free yet");
        assert!(matches!(second.as_mut().poll(&mut cx), Poll::Pending), "no connection is free yet");
        // One connection comes free: the read that asked first gets it (the second could only
        // run on a connection given back after that, the others are still held).
        drop(release.pop());
        first.await.expect("the first read");
        drop(release);
        second.await.expect("the second read");
        for h in holders {
            h.await.expect("a holding read").expect("its result");
        }
        assert_eq!(*order.lock().expect("order"), ["first", "second"]);
    }

    #[test]
    fn passwords_never_appear_in_messages() {
        assert_eq!(redact("postgres://hcp:s3cret@db:5432/hcp"), "postgres://hcp:***@db:5432/hcp");
        assert_eq!(redact("postgres://hcp@db/hcp"), "postgres://hcp@db/hcp");
        let err = DatabaseUrl::parse("pg://hcp:s3cret@db/hcp").expect_err("scheme");
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}
