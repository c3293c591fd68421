//! Evidence files on cases.
//!
//! - `attachments`: one row per file named on a case (its metadata), replicated by the case's
//!   visibility path like the case's events;
//!   A row declared on content someone else sent is *unproven* until its declarer shows it holds
//!   the bytes (`proof_nonce`): knowing a hash and a size is not enough to download a file;
//! - `attachment_blobs`: one row per distinct content (SHA-256): its declared size and whether
//!   its bytes are complete, still arriving or refused;
//! - `attachment_chunks`: the bytes of the default store ([`crate::evidence_store::DbChunks`]), in
//!   chunks of [`crate::evidence_store::CHUNK_SIZE`] bytes.

use hcp_protocol::{AttachmentRow, AttachmentStatus, ChangeOp, Entity};

use super::{args, parse_col, Conn, DbResult, Row};
use hcp_store::Replicated;

pub use hcp_store::entities::attachment::SERVER_DDL as DDL;

/// A distinct content: its declared size and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub sha256: String,
    pub size: i64,
    pub status: AttachmentStatus,
    pub mime: String,
    pub note: String,
}

const COLS: &str = AttachmentRow::COLUMNS;

/// The file `sha256` on `case_id`, if it was declared there.
pub fn on_case(conn: &Conn<'_>, case_id: i64, sha256: &str) -> DbResult<Option<AttachmentRow>> {
    conn.query_opt(
        &format!("SELECT {COLS} FROM attachments WHERE case_id = ?1 AND sha256 = ?2"),
        args![case_id, sha256],
        AttachmentRow::from_row,
    )
}

/// The rows naming `sha256` on cases in the jurisdiction `scope` (only the proven ones when
/// `proven_only`: those whose bytes the jurisdiction is known to hold).
pub fn of_content_in_scope(
    conn: &Conn<'_>,
    sha256: &str,
    scope: &str,
    proven_only: bool,
) -> DbResult<Vec<AttachmentRow>> {
    let proven = if proven_only { " AND proof_nonce = ''" } else { "" };
    conn.query_map(
        &format!(
            "SELECT {COLS} FROM attachments WHERE sha256 = ?1 AND unit_path >= ?2 AND unit_path < ?3{proven} ORDER BY id"
        ),
        args![sha256, scope, format!("{scope}~")],
        AttachmentRow::from_row,
    )
}

/// The challenge of the first unproven row naming `sha256` in the jurisdiction `scope`, if any.
pub fn challenge_in_scope(conn: &Conn<'_>, sha256: &str, scope: &str) -> DbResult<Option<String>> {
    conn.query_opt(
        "SELECT proof_nonce FROM attachments WHERE sha256 = ?1 AND unit_path >= ?2 AND unit_path < ?3
            AND proof_nonce <> '' ORDER BY id LIMIT 1",
        args![sha256, scope, format!("{scope}~")],
        |r| r.get(0),
    )
}

/// Whether `challenge` is the challenge of an unproven row naming `sha256` in `scope`.
pub fn is_challenge_in_scope(conn: &Conn<'_>, sha256: &str, scope: &str, challenge: &str) -> DbResult<bool> {
    conn.query_opt(
        "SELECT 1 FROM attachments WHERE sha256 = ?1 AND unit_path >= ?2 AND unit_path < ?3 AND proof_nonce = ?4
            AND proof_nonce <> '' LIMIT 1",
        args![sha256, scope, format!("{scope}~"), challenge],
        |r| r.get::<i64>(0),
    )
    .map(|found| found.is_some())
}

/// Marks the unproven rows naming `sha256` in `scope` proven, with the content's state; returns
/// their (id, path) for the feed.
pub fn prove_in_scope(
    conn: &Conn<'_>,
    sha256: &str,
    scope: &str,
    status: AttachmentStatus,
    mime: &str,
    at: &str,
) -> DbResult<()> {
    let upper = format!("{scope}~");
    let rows = conn.query_map(
        "SELECT id, unit_path FROM attachments WHERE sha256 = ?1 AND unit_path >= ?2 AND unit_path < ?3
            AND proof_nonce <> '' ORDER BY id",
        args![sha256, scope, &upper],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    conn.execute(
        "UPDATE attachments SET proof_nonce = '', status = ?4, mime = ?5
          WHERE sha256 = ?1 AND unit_path >= ?2 AND unit_path < ?3 AND proof_nonce <> ''",
        args![sha256, scope, &upper, status.as_str(), mime],
    )?;
    let rows: Vec<(i64, &str)> = rows.iter().map(|(id, p): &(i64, String)| (*id, p.as_str())).collect();
    super::changes::record_many(conn, Entity::Attachment, &rows, ChangeOp::Upsert, at)
}

/// Every row naming `sha256`, with its path (for the feed when its state changes).
fn of_content(conn: &Conn<'_>, sha256: &str) -> DbResult<Vec<(i64, String)>> {
    conn.query_map("SELECT id, unit_path FROM attachments WHERE sha256 = ?1 ORDER BY id", [sha256], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
}

/// The bytes declared on a case so far (each content once), refused files not counted.
pub fn case_total(conn: &Conn<'_>, case_id: i64) -> DbResult<i64> {
    conn.query_row(
        "SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM attachments WHERE case_id = ?1 AND status <> 'refused'",
        [case_id],
        |r| r.get(0),
    )
}

/// Records a declared file (the id in `r` is ignored), unproven when `proof_nonce` is not empty,
/// and its change at its path (the case's visibility path); returns its id.
pub fn insert(conn: &Conn<'_>, r: &AttachmentRow, proof_nonce: &str) -> DbResult<i64> {
    let id = conn.query_row(
        "INSERT INTO attachments (case_id, unit_path, sha256, name, size, mime, uploaded_by, uploaded_by_name,
                uploaded_at, status, note, proof_nonce)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
        args![
            r.case_id,
            &r.unit_path,
            &r.sha256,
            &r.name,
            r.size,
            &r.mime,
            r.uploaded_by,
            &r.uploaded_by_name,
            &r.uploaded_at,
            r.status.as_str(),
            &r.note,
            proof_nonce
        ],
        |row| row.get(0),
    )?;
    super::changes::record(conn, Entity::Attachment, id, &r.unit_path, ChangeOp::Upsert, &r.uploaded_at)?;
    Ok(id)
}

/// Sets the state of every row naming `sha256` when its bytes are refused, and of every proven
/// row when they complete (an unproven row completes when its declarer shows it holds them).
pub fn set_status_of_content(
    conn: &Conn<'_>,
    sha256: &str,
    status: AttachmentStatus,
    mime: &str,
    note: &str,
    at: &str,
) -> DbResult<()> {
    conn.execute(
        "UPDATE attachments SET status = ?2, mime = ?3, note = ?4
          WHERE sha256 = ?1 AND (proof_nonce = '' OR ?2 = 'refused')",
        args![sha256, status.as_str(), mime, note],
    )?;
    let rows = of_content(conn, sha256)?;
    let rows: Vec<(i64, &str)> = rows.iter().map(|(id, p)| (*id, p.as_str())).collect();
    super::changes::record_many(conn, Entity::Attachment, &rows, ChangeOp::Upsert, at)
}

/// Moves a case's files to the case's new visibility path; returns their ids.
pub(in crate::db) fn move_case(conn: &Conn<'_>, case_id: i64, path: &str) -> DbResult<Vec<i64>> {
    let ids = conn.query_map("SELECT id FROM attachments WHERE case_id = ?1 ORDER BY id", [case_id], |r| r.get(0))?;
    conn.execute("UPDATE attachments SET unit_path = ?2 WHERE case_id = ?1", args![case_id, path])?;
    Ok(ids)
}

fn blob_from_row(r: &Row) -> DbResult<Blob> {
    let status: String = r.get(2)?;
    Ok(Blob {
        sha256: r.get(0)?,
        size: r.get(1)?,
        status: parse_col(&status, "attachment_blobs.status", AttachmentStatus::parse)?,
        mime: r.get(3)?,
        note: r.get(4)?,
    })
}

pub fn blob(conn: &Conn<'_>, sha256: &str) -> DbResult<Option<Blob>> {
    conn.query_opt(
        "SELECT sha256, size, status, mime, note FROM attachment_blobs WHERE sha256 = ?1",
        [sha256],
        blob_from_row,
    )
}

/// Records a new content as pending.
pub fn insert_blob(conn: &Conn<'_>, sha256: &str, size: i64, at: &str) -> DbResult<()> {
    conn.execute(
        "INSERT INTO attachment_blobs (sha256, size, status, created_at, touched_at) VALUES (?1, ?2, 'pending', ?3, ?3)",
        args![sha256, size, at],
    )?;
    Ok(())
}

pub fn set_blob_status(
    conn: &Conn<'_>,
    sha256: &str,
    status: AttachmentStatus,
    mime: &str,
    note: &str,
    at: &str,
) -> DbResult<()> {
    conn.execute(
        "UPDATE attachment_blobs SET status = ?2, mime = ?3, note = ?4, completed_at = ?5 WHERE sha256 = ?1",
        args![sha256, status.as_str(), mime, note, at],
    )?;
    Ok(())
}

/// The complete contents of files on cases in the jurisdiction `scope` (each once), with their
/// sizes, for the evidence check.
pub fn complete_in_scope(conn: &Conn<'_>, scope: &str) -> DbResult<Vec<(String, i64)>> {
    conn.query_map(
        "SELECT b.sha256, b.size FROM attachment_blobs b
          WHERE b.status = 'complete' AND EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = b.sha256
                AND a.unit_path >= ?1 AND a.unit_path < ?2 AND a.proof_nonce = '')
          ORDER BY b.sha256",
        args![scope, format!("{scope}~")],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Records that a chunk of `sha256` arrived at `at`.
pub fn touch_blob(conn: &Conn<'_>, sha256: &str, at: &str) -> DbResult<()> {
    conn.execute("UPDATE attachment_blobs SET touched_at = ?2 WHERE sha256 = ?1", args![sha256, at])?;
    Ok(())
}

/// The pending contents no chunk reached since `before` (RFC 3339): abandoned uploads.
pub fn abandoned(conn: &Conn<'_>, before: &str) -> DbResult<Vec<String>> {
    conn.query_map(
        "SELECT sha256 FROM attachment_blobs WHERE status = 'pending' AND touched_at < ?1 ORDER BY sha256",
        [before],
        |r| r.get(0),
    )
}
