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

/// A department with the active department handlers at it or below it (by name; none when the
/// department has no handler yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentHandlers {
    pub id: i64,
    pub name: String,
    pub path: String,
    /// (user id, display name)
    pub handlers: Vec<(i64, String)>,
}

/// The active departments at or below `path` (a deactivated one takes no assignments), by path
/// (a hall's departments together), each with its handlers.
pub fn departments_under(conn: &Connection, path: &str) -> Result<Vec<DepartmentHandlers>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.id, d.name, d.path, u.id, u.display_name
           FROM org_units d
           LEFT JOIN users u ON u.role = 'department_handler' AND u.active = 1
                            AND u.unit_path >= d.path AND u.unit_path < d.path || '~'
          WHERE d.kind = 'department' AND d.active = 1 AND d.path >= ?1 AND d.path < ?1 || '~'
          ORDER BY d.path, u.display_name, u.id",
    )?;
    let mut out: Vec<DepartmentHandlers> = Vec::new();
    let mut rows = stmt.query(params![path])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if out.last().map(|d| d.id) != Some(id) {
            out.push(DepartmentHandlers { id, name: r.get(1)?, path: r.get(2)?, handlers: Vec::new() });
        }
        if let (Some(uid), Some(name), Some(d)) =
            (r.get::<_, Option<i64>>(3)?, r.get::<_, Option<String>>(4)?, out.last_mut())
        {
            d.handlers.push((uid, name));
        }
    }
    Ok(out)
}
