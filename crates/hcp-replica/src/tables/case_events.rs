//! `case_events`: each case's timeline.

use hcp_protocol::CaseEventRow;
use hcp_store::{args, Conn, Replicated};
use rusqlite::Connection;

use crate::Result;

/// The table (derived from the server's, see `hcp_store::replica_table`).
pub use hcp_store::entities::case_event::replica_ddl as ddl;

/// A case's timeline, oldest first.
pub fn for_case(conn: &Connection, case_id: i64) -> Result<Vec<CaseEventRow>> {
    let sql = format!("SELECT {} FROM case_events WHERE case_id = ?1 ORDER BY at, id", CaseEventRow::COLUMNS);
    Ok(Conn::sqlite(conn).query_map(&sql, [case_id], CaseEventRow::from_row)?)
}

/// The events that happened at or after `at` (RFC 3339, as the server writes it), oldest first,
/// at most `limit`.
pub fn since(conn: &Connection, at: &str, limit: u32) -> Result<Vec<CaseEventRow>> {
    let sql = format!("SELECT {} FROM case_events WHERE at >= ?1 ORDER BY at, id LIMIT ?2", CaseEventRow::COLUMNS);
    Ok(Conn::sqlite(conn).query_map(&sql, args![at, limit], CaseEventRow::from_row)?)
}
