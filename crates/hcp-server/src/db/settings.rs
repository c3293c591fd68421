//! `settings`: the working-day calendar and the jurisdictions' deadline and escalation policies,
//! one row per (unit, key). A setting applies to its unit and everything below; the nearest wins.
//! Clients receive the settings of their jurisdiction and of its ancestors through the feed.

use hcp_domain::Calendar;
use hcp_protocol::{setting_keys, ChangeOp, Entity, JurisdictionPolicy, SettingRow};

use super::{args, Conn, DbError, DbResult};
use hcp_store::Replicated;

pub use hcp_store::entities::setting::SERVER_DDL as DDL;

const COLS: &str = SettingRow::COLUMNS;

/// Sets (inserts or replaces) the `key` setting of a unit; returns its id.
pub fn put(conn: &Conn<'_>, unit_id: i64, unit_path: &str, key: &str, value: &str, at: &str) -> DbResult<i64> {
    let id = conn.insert(
        "INSERT INTO settings (unit_id, unit_path, key, value, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (unit_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
         RETURNING id",
        args![unit_id, unit_path, key, value, at],
    )?;
    super::changes::record(conn, Entity::Setting, id, unit_path, ChangeOp::Upsert, at)?;
    Ok(id)
}

/// Whether any unit has set `key` (e.g. a distributed calendar).
pub fn is_set_anywhere(conn: &Conn<'_>, key: &str) -> DbResult<bool> {
    Ok(conn.query_opt("SELECT id FROM settings WHERE key = ?1 LIMIT 1", [key], |r| r.get::<i64>(0))?.is_some())
}

/// The nearest `key` setting at or above the unit at `path`.
pub fn nearest(conn: &Conn<'_>, key: &str, path: &str) -> DbResult<Option<SettingRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM settings {NEAREST}"), [key, path], SettingRow::from_row)
}

/// The clauses that find the nearest setting `?1` at or above the unit at path `?2`, for a
/// statement that reads it beside other things.
pub(crate) const NEAREST: &str =
    "WHERE key = ?1 AND substr(?2, 1, length(unit_path)) = unit_path ORDER BY length(unit_path) DESC LIMIT 1";

/// The calendar deadlines are counted on: the distributed one, or `bundled` when none was set.
pub fn calendar(conn: &Conn<'_>, bundled: &Calendar) -> DbResult<Calendar> {
    let Some(row) = conn.query_opt(
        &format!("SELECT {COLS} FROM settings WHERE key = ?1 ORDER BY length(unit_path) LIMIT 1"),
        [setting_keys::CALENDAR],
        SettingRow::from_row,
    )?
    else {
        return Ok(bundled.clone());
    };
    Calendar::from_json(&row.value.to_string()).map_err(|e| DbError::Corrupt(format!("calendar setting: {e}")))
}

/// The calendar built into this release (parsed once).
pub fn bundled_calendar() -> &'static Calendar {
    static BUNDLED: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
    BUNDLED.get_or_init(Calendar::bundled)
}

/// The policy of the jurisdiction at `path` (the defaults when none was set above it).
pub fn policy(conn: &Conn<'_>, path: &str) -> DbResult<JurisdictionPolicy> {
    let value: Option<String> =
        conn.query_opt(&format!("SELECT value FROM settings {NEAREST}"), [setting_keys::POLICY, path], |r| r.get(0))?;
    policy_of(value.as_deref())
}

/// The policy a stored policy setting's value (`None`: none set) makes.
pub(crate) fn policy_of(value: Option<&str>) -> DbResult<JurisdictionPolicy> {
    match value {
        Some(v) => serde_json::from_str(v).map_err(|e| DbError::Corrupt(format!("policy setting: {e}"))),
        None => Ok(JurisdictionPolicy::default()),
    }
}
