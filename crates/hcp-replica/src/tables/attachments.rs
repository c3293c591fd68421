//! `attachments`: the evidence files on the jurisdiction's cases, as metadata (name, size, type,
//! uploader, state). The bytes are never here: they are fetched from the server when opened.

use hcp_protocol::AttachmentRow;
use hcp_store::{Conn, Replicated};
use rusqlite::Connection;

use crate::Result;

/// The table (derived from the server's, see `hcp_store::replica_table`).
pub use hcp_store::entities::attachment::replica_ddl as ddl;

/// The files of a case, oldest first.
pub fn of_case(conn: &Connection, case_id: i64) -> Result<Vec<AttachmentRow>> {
    let sql = format!("SELECT {} FROM attachments WHERE case_id = ?1 ORDER BY id", AttachmentRow::COLUMNS);
    Ok(Conn::sqlite(conn).query_map(&sql, [case_id], AttachmentRow::from_row)?)
}
