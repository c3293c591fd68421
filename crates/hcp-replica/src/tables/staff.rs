//! `staff`: the people rated at the jurisdiction's windows.

use rusqlite::Connection;

use crate::Result;

/// The table (derived from the server's, see `hcp_store::replica_table`).
pub use hcp_store::entities::staff::replica_ddl as ddl;

/// A person of the staff roster as a picker shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffEntry {
    pub id: i64,
    pub name: String,
    /// e.g. `GH00029`
    pub employee_no: String,
    /// The department (or hall) and window, e.g. `东湖区税务局窗口 9号窗口`.
    pub unit: String,
}

const ENTRY_SQL: &str = "SELECT s.id, s.name, s.employee_no,
        trim(coalesce(d.name, h.name, '') || ' ' || coalesce(w.name, ''))
   FROM staff s
   LEFT JOIN org_units d ON d.id = s.department_id
   LEFT JOIN org_units h ON h.id = s.unit_id
   LEFT JOIN org_units w ON w.id = s.window_id";

fn entry(r: &rusqlite::Row) -> rusqlite::Result<StaffEntry> {
    Ok(StaffEntry { id: r.get(0)?, name: r.get(1)?, employee_no: r.get(2)?, unit: r.get(3)? })
}

/// The staff at or below `path`, by staff number.
pub fn under(conn: &Connection, path: &str) -> Result<Vec<StaffEntry>> {
    Ok(conn
        .prepare_cached(&format!(
            "{ENTRY_SQL} WHERE s.unit_path >= ?1 AND s.unit_path < ?1 || '~' ORDER BY s.employee_no, s.id"
        ))?
        .query_map([path], entry)?
        .collect::<rusqlite::Result<_>>()?)
}

/// Staff members by id (those the replica holds), by id.
pub fn by_ids(conn: &Connection, ids: &[i64]) -> Result<Vec<StaffEntry>> {
    let mut stmt = conn.prepare_cached(&format!("{ENTRY_SQL} WHERE s.id = ?1"))?;
    let mut out = Vec::new();
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for id in sorted {
        if let Some(e) = stmt.query_map([id], entry)?.next() {
            out.push(e?);
        }
    }
    Ok(out)
}
