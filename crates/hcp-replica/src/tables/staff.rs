//! `staff`: the people rated at the jurisdiction's windows.

use hcp_protocol::StaffRow;
use rusqlite::{params, Connection};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL,
    department_id INTEGER,
    window_id     INTEGER,
    name          TEXT NOT NULL,
    employee_no   TEXT NOT NULL,
    unit_path     TEXT NOT NULL
);
";

pub fn upsert(conn: &Connection, r: &StaffRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO staff (id, unit_id, department_id, window_id, name, employee_no, unit_path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![r.id, r.unit_id, r.department_id, r.window_id, r.name, r.employee_no, r.unit_path])?;
    Ok(())
}
