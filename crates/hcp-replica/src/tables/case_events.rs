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
