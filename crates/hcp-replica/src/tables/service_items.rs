//! `service_items`: the government service items of the jurisdiction (事项目录).

use hcp_protocol::ServiceItemRow;
use rusqlite::{params, Connection};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE service_items (
    id                    INTEGER PRIMARY KEY,
    unit_id               INTEGER NOT NULL,
    unit_path             TEXT NOT NULL,
    code                  TEXT NOT NULL,
    name                  TEXT NOT NULL,
    promised_working_days INTEGER,
    active                INTEGER NOT NULL
);
CREATE INDEX service_items_path ON service_items(unit_path);
";

pub fn upsert(conn: &Connection, r: &ServiceItemRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO service_items (id, unit_id, unit_path, code, name, promised_working_days, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![r.id, r.unit_id, r.unit_path, r.code, r.name, r.promised_working_days, r.active])?;
    Ok(())
}
