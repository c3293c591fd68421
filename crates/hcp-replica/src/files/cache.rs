//! `cache`: files downloaded from the server (or uploaded from here), kept encrypted so they open
//! offline, up to a size cap with the least recently opened evicted first. A download in progress
//! is a row with `complete = 0`: its chunks so far stay for the next attempt to resume from, and
//! nothing reads it until every byte arrived and the whole content matched its hash.

use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE cache (
    sha256         TEXT PRIMARY KEY,
    size           INTEGER NOT NULL,
    complete       INTEGER NOT NULL DEFAULT 0,
    last_opened_at TEXT NOT NULL
);
";

/// (size, complete) of a cached content.
pub fn get(conn: &Connection, sha256: &str) -> Result<Option<(i64, bool)>> {
    Ok(conn
        .prepare_cached("SELECT size, complete FROM cache WHERE sha256 = ?1")?
        .query_row([sha256], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Starts (or keeps) an entry.
pub fn begin(conn: &Connection, sha256: &str, size: i64, at: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO cache (sha256, size, last_opened_at) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING",
    )?
    .execute(params![sha256, size, at])?;
    Ok(())
}

pub fn set_complete(conn: &Connection, sha256: &str, at: &str) -> Result<()> {
    conn.prepare_cached("UPDATE cache SET complete = 1, last_opened_at = ?2 WHERE sha256 = ?1")?
        .execute(params![sha256, at])?;
    Ok(())
}

pub fn touch(conn: &Connection, sha256: &str, at: &str) -> Result<()> {
    conn.prepare_cached("UPDATE cache SET last_opened_at = ?2 WHERE sha256 = ?1")?.execute(params![sha256, at])?;
    Ok(())
}

pub fn delete(conn: &Connection, sha256: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM cache WHERE sha256 = ?1")?.execute([sha256])?;
    Ok(())
}

/// Bytes held by complete entries.
pub fn total(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(sum(size), 0) FROM cache WHERE complete = 1")?
        .query_row([], |r| r.get(0))?)
}

/// Complete entries, least recently opened first: (sha256, size).
pub fn oldest_first(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let mut stmt =
        conn.prepare_cached("SELECT sha256, size FROM cache WHERE complete = 1 ORDER BY last_opened_at, sha256")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
