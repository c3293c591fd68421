//! Running the server as a service: `hcp-server backup`, `restore`, `migrate [--check]` and its
//! log files (`--log-dir`).
//!
//! Backups of SQLite use SQLite's online backup API in one step from a read transaction: a
//! consistent copy of the database as of one moment, taken while the server keeps serving (in WAL
//! mode the writer is not blocked). The copy is written beside the target and renamed into place,
//! so a failed backup never leaves a half-written file under the target's name. PostgreSQL
//! databases are backed up with `pg_dump` (see the README); these commands say so.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::db::{redact, DatabaseUrl, SCHEMA_VERSION};

/// What a backup or restore wrote, printed as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    pub path: String,
    pub bytes: u64,
    pub schema_version: i64,
}

/// The schema version a database has and the one this build migrates to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaReport {
    pub database: String,
    /// 0 for an empty database.
    pub version: i64,
    pub latest: i64,
    /// Migrations `hcp-server migrate` (or the next start) would apply.
    pub pending: i64,
}

impl SchemaReport {
    fn new(database: &str, version: i64) -> SchemaReport {
        SchemaReport {
            database: redact(database),
            version,
            latest: SCHEMA_VERSION,
            pending: (SCHEMA_VERSION - version).max(0),
        }
    }

    /// A database written by a newer server than this one.
    pub fn is_newer_than_this_build(&self) -> bool {
        self.version > self.latest
    }
}

fn pg_dump_hint(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} works on SQLite databases; for PostgreSQL use pg_dump / pg_restore \
         (pg_dump --format=custom --file=FILE DB, see the README's section on backups)"
    )
}

fn sqlite_path(database: &str, what: &str) -> anyhow::Result<PathBuf> {
    match DatabaseUrl::parse(database)? {
        DatabaseUrl::Sqlite(path) => Ok(path),
        DatabaseUrl::Postgres(_) => Err(pg_dump_hint(what)),
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Checks that `conn` holds a readable Haochaping database: SQLite's integrity check passes and
/// its schema version is one this build knows.
fn check_copy(conn: &Connection, what: &Path) -> anyhow::Result<i64> {
    let ok: String = conn.query_row("PRAGMA integrity_check", (), |r| r.get(0))?;
    if ok != "ok" {
        anyhow::bail!("{} fails SQLite's integrity check: {ok}", what.display());
    }
    let version = user_version(conn)?;
    if version < 1 {
        anyhow::bail!("{} is not a Haochaping server database (no schema version)", what.display());
    }
    if version > SCHEMA_VERSION {
        anyhow::bail!(
            "{} has schema version {version}, newer than this server knows ({SCHEMA_VERSION}): use a newer hcp-server",
            what.display()
        );
    }
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'cases')",
        (),
        |r| r.get(0),
    )?;
    if tables != 2 {
        anyhow::bail!("{} is not a Haochaping server database (no users or cases table)", what.display());
    }
    Ok(version)
}

fn partial_name(target: &Path) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".partial-{}", std::process::id()));
    target.with_file_name(name)
}

/// Copies the whole of `from` into `to` with the online backup API, in one step (one consistent
/// read of the source).
fn copy_all(from: &Connection, to: &mut Connection) -> rusqlite::Result<()> {
    let backup = rusqlite::backup::Backup::new(from, to)?;
    loop {
        match backup.step(-1)? {
            rusqlite::backup::StepResult::Done => return Ok(()),
            // Another connection holds a lock it needs: wait and try again (the busy timeout of
            // the connections covers the ordinary case already).
            rusqlite::backup::StepResult::Busy | rusqlite::backup::StepResult::Locked => {
                std::thread::sleep(Duration::from_millis(50))
            }
            rusqlite::backup::StepResult::More => {}
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// `hcp-server backup --to FILE`: a consistent copy of the SQLite database, taken while it serves.
/// An existing FILE is replaced only with `force`.
pub fn backup(database: &str, to: &Path, force: bool) -> anyhow::Result<CopyReport> {
    let source = sqlite_path(database, "backup")?;
    if !source.exists() {
        anyhow::bail!("there is no database at {}", source.display());
    }
    if to.exists() && !force {
        anyhow::bail!("{} exists already: choose another file or add --force to replace it", to.display());
    }
    let from =
        Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    from.busy_timeout(Duration::from_secs(30))?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let partial = partial_name(to);
    let _ = std::fs::remove_file(&partial);
    let result = (|| -> anyhow::Result<i64> {
        let mut out = Connection::open(&partial)?;
        copy_all(&from, &mut out)?;
        // A single file, whatever the source's journal mode, so that copying it is enough.
        out.pragma_update(None, "journal_mode", "DELETE")?;
        let version = check_copy(&out, &partial)?;
        drop(out);
        Ok(version)
    })();
    let version = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, to).map_err(|e| anyhow::anyhow!("cannot move the backup to {}: {e}", to.display()))?;
    let bytes = std::fs::metadata(to)?.len();
    Ok(CopyReport { path: to.display().to_string(), bytes, schema_version: version })
}

/// Whether the SQLite database at `path` holds any table (an empty or missing file holds none).
fn holds_data(path: &Path) -> anyhow::Result<bool> {
    if !path.exists() || std::fs::metadata(path)?.len() == 0 {
        return Ok(false);
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", (), |r| r.get(0))?;
    Ok(tables > 0)
}

/// `hcp-server restore --from FILE`: checks the backup and copies it into the database. A database
/// that holds data is overwritten only with `force` (stop the server first: a server running on
/// it keeps serving, now from the restored data, but its open requests see a jump).
pub fn restore(database: &str, from: &Path, force: bool) -> anyhow::Result<CopyReport> {
    let target = sqlite_path(database, "restore")?;
    if !from.exists() {
        anyhow::bail!("there is no backup at {}", from.display());
    }
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| anyhow::anyhow!("{} cannot be opened as a database: {e}", from.display()))?;
    let version = check_copy(&src, from).map_err(|e| match e.downcast_ref::<rusqlite::Error>() {
        Some(_) => anyhow::anyhow!("{} is not a readable SQLite database: {e}", from.display()),
        None => e,
    })?;
    if holds_data(&target)? && !force {
        anyhow::bail!(
            "{} holds a database already: stop the server and add --force to overwrite it, \
             or restore into another file",
            target.display()
        );
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    // Into the database itself (not a file copy): SQLite locks it, replaces its pages and keeps
    // its write-ahead log consistent, so no stale `-wal` file survives next to restored data.
    let mut out = Connection::open(&target)?;
    out.busy_timeout(Duration::from_secs(30))?;
    copy_all(&src, &mut out)?;
    out.pragma_update(None, "journal_mode", "WAL")?;
    let restored = check_copy(&out, &target)?;
    debug_assert_eq!(restored, version);
    drop(out);
    let bytes = std::fs::metadata(&target)?.len();
    Ok(CopyReport { path: target.display().to_string(), bytes, schema_version: restored })
}

/// `hcp-server migrate --check`: the schema version of the database, changing nothing (a missing
/// SQLite file is an error, not created).
pub fn schema_check(database: &str) -> anyhow::Result<SchemaReport> {
    let version = match DatabaseUrl::parse(database)? {
        DatabaseUrl::Sqlite(path) => {
            if !path.exists() {
                anyhow::bail!("there is no database at {}", path.display());
            }
            let conn =
                Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
            user_version(&conn)?
        }
        DatabaseUrl::Postgres(url) => postgres_version(&url)?,
    };
    Ok(SchemaReport::new(database, version))
}

fn postgres_version(url: &str) -> anyhow::Result<i64> {
    let url = url.to_owned();
    // The synchronous client runs its own runtime: keep it off any async worker.
    std::thread::spawn(move || -> anyhow::Result<i64> {
        let mut client = postgres::Client::connect(&url, postgres::NoTls)
            .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL at {}: {e}", redact(&url)))?;
        let exists: bool = client.query_one("SELECT to_regclass('hcp_schema') IS NOT NULL", &[])?.get(0);
        if !exists {
            return Ok(0);
        }
        let v: i64 = client.query_one("SELECT coalesce(max(version), 0) FROM hcp_schema", &[])?.get(0);
        Ok(v)
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the PostgreSQL check failed"))?
}

/// `hcp-server migrate`: applies what is pending and reports the version now.
pub fn migrate(database: &str) -> anyhow::Result<SchemaReport> {
    let before = match schema_check(database) {
        Ok(r) => r,
        // A new SQLite file: created and migrated from nothing.
        Err(_) if matches!(DatabaseUrl::parse(database), Ok(DatabaseUrl::Sqlite(_))) => SchemaReport::new(database, 0),
        Err(e) => return Err(e),
    };
    if before.is_newer_than_this_build() {
        anyhow::bail!(
            "the database has schema version {}, newer than this server knows ({}): use a newer hcp-server",
            before.version,
            before.latest
        );
    }
    drop(crate::db::Db::connect(database)?);
    schema_check(database)
}

/// The server's log files: `hcp-server.YYYY-MM-DD.log` in `dir`, a new one each day, the last
/// `keep` kept.
pub fn log_appender(dir: &Path, keep: usize) -> anyhow::Result<tracing_appender::rolling::RollingFileAppender> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create the log folder {}: {e}", dir.display()))?;
    tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("hcp-server")
        .filename_suffix("log")
        .max_log_files(keep)
        .build(dir)
        .map_err(|e| anyhow::anyhow!("cannot write log files in {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{seed_demo, SeedOptions};

    fn seeded(dir: &Path) -> (String, crate::Db) {
        let path = dir.join("live.db");
        let url = format!("sqlite://{}", path.display());
        let db = crate::Db::connect(&url).expect("open");
        let opts = SeedOptions {
            evaluations: 200,
            seed: 7,
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        };
        seed_demo(&db, &opts).expect("seed");
        (url, db)
    }

    fn digest(db: &crate::Db) -> String {
        db.read_blocking(|c| crate::db::digest::scope_digest(c, "/", hcp_domain::Role::Administrator, ""))
            .expect("digest")
    }

    #[test]
    fn a_backup_taken_while_writing_restores_to_the_same_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, db) = seeded(dir.path());
        // A writer keeps committing while the backup runs.
        db.write_blocking(|c| c.batch("CREATE TABLE test_writes (n INTEGER NOT NULL, pad TEXT NOT NULL)"))
            .expect("create");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (db, stop) = (db.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    db.write_blocking(|c| {
                        c.execute("INSERT INTO test_writes (n, pad) VALUES (?1, ?2)", crate::args![n, "x".repeat(2000)])
                    })
                    .expect("write during the backup");
                    n += 1;
                }
                n
            })
        };
        let file = dir.path().join("backups").join("hcp.db");
        let report = backup(&url, &file, false).expect("backup");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let written: i64 = writer.join().expect("writer");
        assert!(written > 0);
        // The copy is one moment of the database: rows 0..k of the writer, for some k.
        let copy = Connection::open(&file).expect("open the backup");
        let (count, max): (i64, Option<i64>) = copy
            .query_row("SELECT count(*), max(n) FROM test_writes", (), |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("count");
        assert!(count <= written && max.map_or(0, |m| m + 1) == count, "{count} rows, max {max:?}");
        drop(copy);
        assert_eq!(report.schema_version, SCHEMA_VERSION);
        assert!(report.bytes > 0 && file.exists());
        assert!(!partial_name(&file).exists(), "no partial file is left");
        assert!(backup(&url, &file, false).expect_err("exists").to_string().contains("--force"));
        backup(&url, &file, true).expect("replace with --force");

        // Restored into a fresh folder: the same jurisdiction, row for row.
        let fresh = format!("sqlite://{}", dir.path().join("fresh").join("hcp.db").display());
        let restored = restore(&fresh, &file, false).expect("restore");
        assert_eq!(restored.schema_version, SCHEMA_VERSION);
        let again = crate::Db::connect(&fresh).expect("open the restored database");
        assert_eq!(digest(&again), digest(&db));

        // A database with data is not overwritten without --force.
        let err = restore(&url, &file, false).expect_err("live database");
        assert!(err.to_string().contains("--force"), "{err}");
        drop(again);
        restore(&fresh, &file, true).expect("overwrite with --force");
    }

    #[test]
    fn restore_refuses_what_is_not_a_backup_and_postgres_points_to_pg_dump() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = format!("sqlite://{}", dir.path().join("t.db").display());
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, "not a database at all, only text").expect("write");
        assert!(restore(&target, &junk, false).is_err());
        let other = dir.path().join("other.db");
        Connection::open(&other).expect("open").execute_batch("CREATE TABLE x (a)").expect("create");
        let err = restore(&target, &other, false).expect_err("not ours");
        assert!(err.to_string().contains("not a Haochaping"), "{err}");
        assert!(restore(&target, &dir.path().join("missing.db"), false).is_err());
        assert!(!holds_data(&dir.path().join("t.db")).expect("check"), "nothing was written");
        let pg = "postgres://hcp:secret@localhost/hcp";
        let err = backup(pg, &dir.path().join("b"), false).expect_err("postgres");
        assert!(err.to_string().contains("pg_dump"), "{err}");
        assert!(restore(pg, &other, false).expect_err("postgres").to_string().contains("pg_restore"));
    }

    #[test]
    fn migrate_check_reports_the_version_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.db");
        let url = format!("sqlite://{}", path.display());
        assert!(schema_check(&url).is_err(), "a missing database is not created");
        assert!(!path.exists());
        // An older server's database: the first three migrations only.
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(&format!(
                "{}{}{}PRAGMA user_version = 3;",
                crate::db::org_units::DDL,
                crate::db::users::DDL,
                crate::db::tokens::DDL
            ))
            .expect("old schema");
        }
        let before = std::fs::read(&path).expect("read");
        let report = schema_check(&url).expect("check");
        assert_eq!((report.version, report.latest, report.pending), (3, SCHEMA_VERSION, SCHEMA_VERSION - 3));
        assert_eq!(std::fs::read(&path).expect("read"), before, "the check changed the file");
        let done = migrate(&url).expect("migrate");
        assert_eq!((done.version, done.pending), (SCHEMA_VERSION, 0));
        assert_eq!(schema_check(&url).expect("check").pending, 0);
        // A newer server's database is not touched by an older one.
        Connection::open(&path).expect("open").pragma_update(None, "user_version", SCHEMA_VERSION + 1).expect("bump");
        assert!(schema_check(&url).expect("check").is_newer_than_this_build());
        assert!(migrate(&url).expect_err("newer").to_string().contains("newer"));
    }

    /// SIGTERM's path (`RunningServer::stop`): no new connection is taken, and a request already
    /// being received is answered in full before the server ends.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stopping_lets_a_request_in_flight_finish() {
        use std::io::{Read, Write};
        let dir = tempfile::tempdir().expect("tempdir");
        let db = crate::Db::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).expect("open");
        let server = crate::spawn(crate::AppState::new(db), "127.0.0.1:0").await.expect("spawn");
        let addr = server.addr;
        let body = r#"{"username":"nobody","password":"wrong-Password-1"}"#;
        // The head and half the body now; the rest after the stop began.
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "POST /api/v1/auth/login HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
            body.len(),
            &body[..10]
        )
        .expect("send the head");
        stream.flush().expect("flush");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let stopping = tokio::spawn(server.stop());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!stopping.is_finished(), "the server ended with a request open");
        let rest = body[10..].to_owned();
        let answer = tokio::task::spawn_blocking(move || {
            stream.write_all(rest.as_bytes()).expect("send the rest");
            let mut answer = String::new();
            stream.read_to_string(&mut answer).expect("read the answer");
            answer
        })
        .await
        .expect("client");
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(answer.contains("auth_failed") || answer.contains("code"), "{answer}");
        tokio::time::timeout(Duration::from_secs(10), stopping).await.expect("the stop ends").expect("join");
        assert!(std::net::TcpStream::connect(addr).is_err(), "a new connection after the stop");
    }

    #[test]
    fn postgres_migrate_check_reports_the_version() {
        let Some(server) = crate::testing::postgres_server() else { return };
        let url = crate::testing::create_postgres_database(&server).expect("database");
        assert_eq!(schema_check(&url).expect("empty").version, 0);
        assert_eq!(migrate(&url).expect("migrate").version, SCHEMA_VERSION);
        assert_eq!(schema_check(&url).expect("check").pending, 0);
    }
}
