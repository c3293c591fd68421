//! `org_units`: the jurisdiction's units (and the scope unit's ancestors, for names).

use hcp_protocol::OrgUnitRow;
use rusqlite::{params, Connection};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE org_units (
    id        INTEGER PRIMARY KEY,
    parent_id INTEGER,
    kind      TEXT NOT NULL,
    name      TEXT NOT NULL,
    code      TEXT NOT NULL,
    path      TEXT NOT NULL
);
";

/// Deactivated units (已停用, see `OrgUnitRow::active`): kept for the history, offered for
/// nothing new.
pub const ACTIVE_DDL: &str = "
ALTER TABLE org_units ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
";

pub fn upsert(conn: &Connection, r: &OrgUnitRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO org_units (id, parent_id, kind, name, code, path, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![r.id, r.parent_id, r.kind.as_str(), r.name, r.code, r.path, r.active])?;
    Ok(())
}
