//! `meta`: the replica's own bookkeeping (cursor, scope, last sync).

use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

pub const DDL: &str = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

/// The change-feed cursor applied so far.
pub const CURSOR: &str = "cursor";
/// The unit path the replica holds.
pub const SCOPE: &str = "scope";
/// When the last bootstrap committed (RFC 3339).
pub const BOOTSTRAPPED_AT: &str = "bootstrapped_at";
/// Where an interrupted bootstrap stopped (JSON of `crate::ResumePoint`), committed with the
/// rows it covers; removed when the bootstrap finishes.
pub const BOOTSTRAP_RESUME: &str = "bootstrap_resume";
/// The replication window's first month (`YYYY-MM`; absent: the whole history), and its first
/// instant (RFC 3339): see `hcp_protocol::Window`.
pub const WINDOW_MONTH: &str = "window_month";
pub const WINDOW_SINCE: &str = "window_since";
/// When the last successful sync with the server ended (RFC 3339).
pub const LAST_SYNC_AT: &str = "last_sync_at";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

pub fn delete(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM meta WHERE key = ?1")?.execute([key])?;
    Ok(())
}
