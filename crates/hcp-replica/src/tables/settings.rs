//! `settings`: the calendar and the jurisdiction policies the server distributes. The nearest
//! setting at or above a unit applies to it.

use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

/// The table (derived from the server's, see `hcp_store::replica_table`).
pub use hcp_store::entities::setting::replica_ddl as ddl;

/// The JSON of the nearest `key` setting at or above the unit at `path`.
pub fn nearest(conn: &Connection, key: &str, path: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT value FROM settings WHERE key = ?1 AND substr(?2, 1, length(unit_path)) = unit_path
              ORDER BY length(unit_path) DESC LIMIT 1",
        )?
        .query_row(params![key, path], |r| r.get(0))
        .optional()?)
}
