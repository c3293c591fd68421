//! `attachments`: the evidence files on the jurisdiction's cases, as metadata (name, size, type,
//! uploader, state). The bytes are never here: they are fetched from the server when opened.

use hcp_protocol::{AttachmentRow, AttachmentStatus};
use rusqlite::{params, Connection, Row};

use crate::{ReplicaError, Result};

pub const DDL: &str = "
CREATE TABLE attachments (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL,
    unit_path        TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    name             TEXT NOT NULL,
    size             INTEGER NOT NULL,
    mime             TEXT NOT NULL,
    uploaded_by      INTEGER NOT NULL,
    uploaded_by_name TEXT NOT NULL,
    uploaded_at      TEXT NOT NULL,
    status           TEXT NOT NULL,
    note             TEXT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);
";

const COLS: &str = "id, case_id, unit_path, sha256, name, size, mime, uploaded_by, uploaded_by_name, uploaded_at,
    status, note";

pub fn upsert(conn: &Connection, r: &AttachmentRow) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO attachments ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    ))?
    .execute(params![
        r.id,
        r.case_id,
        r.unit_path,
        r.sha256,
        r.name,
        r.size,
        r.mime,
        r.uploaded_by,
        r.uploaded_by_name,
        r.uploaded_at,
        r.status.as_str(),
        r.note
    ])?;
    Ok(())
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<(AttachmentRow, String)> {
    Ok((
        AttachmentRow {
            id: r.get(0)?,
            case_id: r.get(1)?,
            unit_path: r.get(2)?,
            sha256: r.get(3)?,
            name: r.get(4)?,
            size: r.get(5)?,
            mime: r.get(6)?,
            uploaded_by: r.get(7)?,
            uploaded_by_name: r.get(8)?,
            uploaded_at: r.get(9)?,
            status: AttachmentStatus::Pending,
            note: r.get(11)?,
        },
        r.get(10)?,
    ))
}

/// The files of a case, oldest first.
pub fn of_case(conn: &Connection, case_id: i64) -> Result<Vec<AttachmentRow>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM attachments WHERE case_id = ?1 ORDER BY id"))?;
    let rows = stmt.query_map([case_id], from_row)?;
    let mut out = Vec::new();
    for row in rows {
        let (mut a, status) = row?;
        a.status = AttachmentStatus::parse(&status)
            .ok_or_else(|| ReplicaError::Corrupt(format!("attachments.status = '{status}'")))?;
        out.push(a);
    }
    Ok(out)
}
