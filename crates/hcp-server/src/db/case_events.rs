//! `case_events`: the append-only timeline of every case. An event's `unit_path` is where it is
//! replicated: its case's visibility path (`cases::SCOPE_DDL`), not the unit the case concerns.

use super::{args, Conn, DbResult};
use hcp_protocol::{CaseEventRow, ChangeOp, Entity};

pub use hcp_store::entities::case_event::SERVER_DDL as DDL;

/// Appends an event (the id in `e` is ignored) and records its change; returns its id.
pub fn insert(conn: &Conn<'_>, e: &CaseEventRow) -> DbResult<i64> {
    let id = conn.insert(
        "INSERT INTO case_events (case_id, unit_path, kind, actor_user_id, actor_name, at, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        args![e.case_id, &e.unit_path, &e.kind, e.actor_user_id, &e.actor_name, &e.at, e.data.to_string()],
    )?;
    super::changes::record(conn, Entity::CaseEvent, id, &e.unit_path, ChangeOp::Upsert, &e.at)?;
    Ok(id)
}

/// The ids of a case's events, in order.
pub fn ids_of_case(conn: &Conn<'_>, case_id: i64) -> DbResult<Vec<i64>> {
    conn.query_map("SELECT id FROM case_events WHERE case_id = ?1 ORDER BY id", [case_id], |r| r.get(0))
}

/// Moves a case's events to the case's new visibility path (their `unit_path` is where they
/// are replicated, the same as their case's; see `cases::SCOPE_DDL`).
pub(in crate::db) fn move_case(conn: &Conn<'_>, case_id: i64, path: &str) -> DbResult<()> {
    conn.execute("UPDATE case_events SET unit_path = ?2 WHERE case_id = ?1", args![case_id, path])?;
    Ok(())
}
