//! `case_events`: each case's timeline.

use hcp_protocol::CaseEventRow;
use rusqlite::{params, Connection};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE case_events (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL,
    unit_path     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    actor_user_id INTEGER,
    actor_name    TEXT NOT NULL,
    at            TEXT NOT NULL,
    data          TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id, at);
";

pub fn upsert(conn: &Connection, e: &CaseEventRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO case_events (id, case_id, unit_path, kind, actor_user_id, actor_name, at, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        e.id,
        e.case_id,
        e.unit_path,
        e.kind,
        e.actor_user_id,
        e.actor_name,
        e.at,
        e.data.to_string()
    ])?;
    Ok(())
}

/// A case's timeline, oldest first.
pub fn for_case(conn: &Connection, case_id: i64) -> Result<Vec<CaseEventRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, case_id, unit_path, kind, actor_user_id, actor_name, at, data FROM case_events WHERE case_id = ?1 ORDER BY at, id",
    )?;
    let rows = stmt.query_map([case_id], event_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The events that happened at or after `at` (RFC 3339, as the server writes it), oldest first,
/// at most `limit`.
pub fn since(conn: &Connection, at: &str, limit: u32) -> Result<Vec<CaseEventRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, case_id, unit_path, kind, actor_user_id, actor_name, at, data FROM case_events
          WHERE at >= ?1 ORDER BY at, id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![at, limit], event_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One event from the columns `id, case_id, unit_path, kind, actor_user_id, actor_name, at, data`.
fn event_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaseEventRow> {
    let data: String = r.get(7)?;
    Ok(CaseEventRow {
        id: r.get(0)?,
        case_id: r.get(1)?,
        unit_path: r.get(2)?,
        kind: r.get(3)?,
        actor_user_id: r.get(4)?,
        actor_name: r.get(5)?,
        at: r.get(6)?,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
    })
}
