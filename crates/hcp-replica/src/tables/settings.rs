//! `settings`: the calendar and the jurisdiction policies the server distributes. The nearest
//! setting at or above a unit applies to it.

use hcp_protocol::SettingRow;
use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE settings (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL,
    unit_path  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX settings_key ON settings(key, unit_path);
";

pub fn upsert(conn: &Connection, r: &SettingRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO settings (id, unit_id, unit_path, key, value, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![r.id, r.unit_id, r.unit_path, r.key, r.value.to_string(), r.updated_at])?;
    Ok(())
}

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
