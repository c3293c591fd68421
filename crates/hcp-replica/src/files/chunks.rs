//! `chunks`: the bytes of local files (captured for upload or downloaded into the cache), in
//! chunks of [`super::CHUNK_SIZE`], encrypted with the rest of the database. A content is stored
//! once, whatever refers to it (an upload, the cache or both).

use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE chunks (
    sha256 TEXT NOT NULL,
    idx    INTEGER NOT NULL,
    data   BLOB NOT NULL,
    PRIMARY KEY (sha256, idx)
) WITHOUT ROWID;
";

pub fn put(conn: &Connection, sha256: &str, idx: i64, data: &[u8]) -> Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO chunks (sha256, idx, data) VALUES (?1, ?2, ?3)")?
        .execute(params![sha256, idx, data])?;
    Ok(())
}

pub fn get(conn: &Connection, sha256: &str, idx: i64) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT data FROM chunks WHERE sha256 = ?1 AND idx = ?2")?
        .query_row(params![sha256, idx], |r| r.get(0))
        .optional()?)
}

/// (chunks held, bytes held) of a content.
pub fn held(conn: &Connection, sha256: &str) -> Result<(i64, i64)> {
    Ok(conn
        .prepare_cached("SELECT count(*), coalesce(sum(length(data)), 0) FROM chunks WHERE sha256 = ?1")?
        .query_row([sha256], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

pub fn delete(conn: &Connection, sha256: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM chunks WHERE sha256 = ?1")?.execute([sha256])?;
    Ok(())
}

/// Moves the chunks stored under a temporary key to their content's hash.
pub fn rename(conn: &Connection, from: &str, to: &str) -> Result<()> {
    conn.prepare_cached("UPDATE chunks SET sha256 = ?2 WHERE sha256 = ?1")?.execute([from, to])?;
    Ok(())
}
