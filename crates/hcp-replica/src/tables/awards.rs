//! `awards`: confirmed 服务明星 / 办事能手 of the jurisdiction's staff, as the server recorded them.

use hcp_protocol::AwardRow;
use hcp_store::{args, Conn, Replicated};
use rusqlite::Connection;

use crate::Result;

/// The table (derived from the server's, see `hcp_store::replica_table`).
pub use hcp_store::entities::award::replica_ddl as ddl;

/// The awards of the period keys `periods` (`2026-11`, `2026-Q4`, `2026`) under `scope`, 服务明星
/// first, by name.
pub fn list(conn: &Connection, scope: &str, periods: &[String]) -> Result<Vec<AwardRow>> {
    let conn = Conn::sqlite(conn);
    let sql = format!(
        "SELECT {} FROM awards WHERE period = ?1 AND unit_path >= ?2 AND unit_path < ?3 ORDER BY kind DESC, staff_name, id",
        AwardRow::COLUMNS
    );
    let upper = format!("{scope}~");
    let mut out = Vec::new();
    for p in periods {
        out.extend(conn.query_map(&sql, args![p, scope, &upper], AwardRow::from_row)?);
    }
    Ok(out)
}
