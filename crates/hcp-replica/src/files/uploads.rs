//! `uploads`: files captured on this computer for a case, until the server holds them. One row
//! per case and content. `state` is `pending` (declaration and bytes still to send; `declared_at`
//! says whether the server accepted the declaration), `done` (the server holds the whole file) or
//! `failed` (`last_error` says why; it stays until the user retries or removes it).

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::Result;

pub const DDL: &str = "
CREATE TABLE uploads (
    id              INTEGER PRIMARY KEY,
    sha256          TEXT NOT NULL,
    case_id         INTEGER NOT NULL,
    name            TEXT NOT NULL,
    size            INTEGER NOT NULL,
    mime            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    declared_at     TEXT,
    uploaded_chunks INTEGER NOT NULL DEFAULT 0,
    chunks          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (case_id, sha256)
);
";

/// One local file waiting for (or done with) its upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Upload {
    pub id: i64,
    pub sha256: String,
    pub case_id: i64,
    pub name: String,
    pub size: i64,
    /// The type read from the content when it was captured.
    pub mime: String,
    /// `pending`, `done` or `failed`.
    pub state: String,
    /// When the server accepted the declaration (the file is then registered on the case).
    pub declared_at: Option<String>,
    pub uploaded_chunks: i64,
    pub chunks: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
}

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

const COLS: &str = "id, sha256, case_id, name, size, mime, state, declared_at, uploaded_chunks, chunks, attempts,
    last_error, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Upload> {
    Ok(Upload {
        id: r.get(0)?,
        sha256: r.get(1)?,
        case_id: r.get(2)?,
        name: r.get(3)?,
        size: r.get(4)?,
        mime: r.get(5)?,
        state: r.get(6)?,
        declared_at: r.get(7)?,
        uploaded_chunks: r.get(8)?,
        chunks: r.get(9)?,
        attempts: r.get(10)?,
        last_error: r.get(11)?,
        created_at: r.get(12)?,
    })
}

/// Queues a file; the same case and content again keeps the existing row. Returns its id.
#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &Connection,
    sha256: &str,
    case_id: i64,
    name: &str,
    size: i64,
    mime: &str,
    chunks: i64,
    at: &str,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO uploads (sha256, case_id, name, size, mime, chunks, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (case_id, sha256) DO NOTHING",
    )?
    .execute(params![sha256, case_id, name, size, mime, chunks, at])?;
    Ok(conn
        .prepare_cached("SELECT id FROM uploads WHERE case_id = ?1 AND sha256 = ?2")?
        .query_row(params![case_id, sha256], |r| r.get(0))?)
}

pub fn get(conn: &Connection, case_id: i64, sha256: &str) -> Result<Option<Upload>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM uploads WHERE case_id = ?1 AND sha256 = ?2"))?
        .query_row(params![case_id, sha256], from_row)
        .optional()?)
}

pub fn of_case(conn: &Connection, case_id: i64) -> Result<Vec<Upload>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM uploads WHERE case_id = ?1 ORDER BY id"))?;
    let rows = stmt.query_map([case_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The files still to send, oldest first.
pub fn pending(conn: &Connection) -> Result<Vec<Upload>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM uploads WHERE state = 'pending' ORDER BY id"))?;
    let rows = stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Every row naming a content (on any case).
pub fn of_content(conn: &Connection, sha256: &str) -> Result<Vec<Upload>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM uploads WHERE sha256 = ?1 ORDER BY id"))?;
    let rows = stmt.query_map([sha256], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn set_declared(conn: &Connection, id: i64, at: &str) -> Result<()> {
    conn.prepare_cached("UPDATE uploads SET declared_at = ?2, last_error = NULL WHERE id = ?1")?
        .execute(params![id, at])?;
    Ok(())
}

/// The chunks the server holds of every pending row of a content.
pub fn set_uploaded(conn: &Connection, sha256: &str, uploaded: i64) -> Result<()> {
    conn.prepare_cached("UPDATE uploads SET uploaded_chunks = ?2 WHERE sha256 = ?1 AND state = 'pending'")?
        .execute(params![sha256, uploaded])?;
    Ok(())
}

pub fn set_done(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE uploads SET state = 'done', uploaded_chunks = chunks, last_error = NULL WHERE id = ?1",
    )?
    .execute([id])?;
    Ok(())
}

/// One more attempt that did not finish: `error` is kept; `failed` ends the retries until the user asks.
pub fn note_error(conn: &Connection, id: i64, error: &str, failed: bool) -> Result<()> {
    conn.prepare_cached(
        "UPDATE uploads SET attempts = attempts + 1, last_error = ?2,
             state = CASE WHEN ?3 THEN 'failed' ELSE state END WHERE id = ?1",
    )?
    .execute(params![id, error, failed])?;
    Ok(())
}

/// A failed file goes back to the queue. Returns false when there is no such failed file.
pub fn retry(conn: &Connection, case_id: i64, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE uploads SET state = 'pending', last_error = NULL WHERE case_id = ?1 AND sha256 = ?2 AND state = 'failed'",
        )?
        .execute(params![case_id, sha256])?
        > 0)
}

pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM uploads WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// Bytes of the files on a case not yet done (they count against the case's limit).
pub fn unsent_bytes_of_case(conn: &Connection, case_id: i64) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached("SELECT sha256, size FROM uploads WHERE case_id = ?1 AND state <> 'failed'")?;
    let rows = stmt.query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
