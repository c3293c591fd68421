//! The scope digest of a replica (see `hcp_protocol::digest`): equal to the server's for the same
//! jurisdiction when the replica has caught up.

use hcp_protocol::{digest, Entity};
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use crate::Result;

/// (entity, table, the digested columns after `id`, in `digest::fields` order).
const TABLES: &[(Entity, &str, &str)] = &[
    (Entity::OrgUnit, "org_units", "path, name, code, active"),
    (Entity::Staff, "staff", "unit_path, name, employee_no"),
    (Entity::User, "users", "unit_path, role, active, display_name"),
    (Entity::Rating, "ratings", "unit_path, level, rated_at"),
    (Entity::Case, "cases", "version, state, escalation_level, handler_user_id, deadline, updated_at"),
    (Entity::CaseEvent, "case_events", "case_id, kind, at"),
    (Entity::ServiceItem, "service_items", "unit_path, code, name, active"),
    (Entity::Setting, "settings", "unit_path, key, updated_at"),
    (Entity::Award, "awards", "unit_path, kind, period, staff_id"),
    (Entity::SelfAssessment, "self_assessments", "unit_path, period, status, version"),
    (Entity::SurveyResult, "survey_results", "unit_path, period, satisfaction_centi, version"),
    (Entity::Attachment, "attachments", "unit_path, sha256, status, mime"),
    (Entity::RatingStat, "rating_stats", "unit_path, month, n_rated, n_real_name, n_excluded"),
];

pub fn scope_digest(conn: &Connection) -> Result<String> {
    let mut lines = Vec::new();
    for (entity, table, cols) in TABLES {
        let mut stmt = conn.prepare(&format!("SELECT id, {cols} FROM {table}"))?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let mut fields = Vec::with_capacity(n - 1);
            for i in 1..n {
                fields.push(match r.get_ref(i)? {
                    ValueRef::Null => String::new(),
                    ValueRef::Integer(v) => v.to_string(),
                    ValueRef::Real(v) => v.to_string(),
                    ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
                });
            }
            lines.push(digest::line(*entity, id, &fields));
        }
    }
    Ok(digest::of(lines))
}
