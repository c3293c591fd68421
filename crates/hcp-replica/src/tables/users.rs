//! `users`: the people of the jurisdiction (no credentials), for assignee pickers and timelines.

use hcp_protocol::UserRow;
use rusqlite::{params, Connection};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    unit_id      INTEGER NOT NULL,
    unit_path    TEXT NOT NULL,
    active       INTEGER NOT NULL
);
CREATE INDEX users_role ON users(role, unit_path);
";

pub fn upsert(conn: &Connection, u: &UserRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO users (id, display_name, role, unit_id, unit_path, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![u.id, u.display_name, u.role.as_str(), u.unit_id, u.unit_path, u.active])?;
    Ok(())
}

/// Active users with `role` whose unit lies under `path`, by name.
pub fn with_role_under(conn: &Connection, role: &str, path: &str) -> Result<Vec<(i64, String, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, display_name, unit_id FROM users WHERE role = ?1 AND active = 1 AND unit_path >= ?2 AND unit_path < ?2 || '~'
          ORDER BY display_name",
    )?;
    let rows = stmt
        .query_map(params![role, path], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
