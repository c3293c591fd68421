//! The scope digest: one hash over every replicated row of a jurisdiction, computed the same way by
//! the server (from its tables) and by a replica (from its copy), so "the replica equals the
//! server" is one comparison. A row contributes its entity, id and the fields that change.

use sha2::{Digest, Sha256};

use super::{Entity, EntityRow};

/// The digested fields of a row, in order (absent values as empty strings, booleans as 0/1).
pub fn fields(row: &EntityRow) -> (Entity, i64, Vec<String>) {
    let opt = |v: Option<i64>| v.map_or_else(String::new, |v| v.to_string());
    let flag = |b: bool| if b { "1".to_owned() } else { "0".to_owned() };
    match row {
        EntityRow::OrgUnit(r) => {
            (Entity::OrgUnit, r.id, vec![r.path.clone(), r.name.clone(), r.code.clone(), flag(r.active)])
        }
        EntityRow::Staff(r) => (Entity::Staff, r.id, vec![r.unit_path.clone(), r.name.clone(), r.employee_no.clone()]),
        EntityRow::User(r) => (
            Entity::User,
            r.id,
            vec![r.unit_path.clone(), r.role.as_str().to_owned(), flag(r.active), r.display_name.clone()],
        ),
        EntityRow::Rating(r) => {
            (Entity::Rating, r.id, vec![r.unit_path.clone(), r.level.as_str().to_owned(), r.rated_at.clone()])
        }
        EntityRow::Case(r) => (
            Entity::Case,
            r.id,
            vec![
                r.version.to_string(),
                r.state.as_str().to_owned(),
                r.escalation_level.to_string(),
                opt(r.handler_user_id),
                r.deadline.clone().unwrap_or_default(),
                r.updated_at.clone(),
            ],
        ),
        EntityRow::CaseEvent(r) => (Entity::CaseEvent, r.id, vec![r.case_id.to_string(), r.kind.clone(), r.at.clone()]),
        EntityRow::ServiceItem(r) => {
            (Entity::ServiceItem, r.id, vec![r.unit_path.clone(), r.code.clone(), r.name.clone(), flag(r.active)])
        }
        EntityRow::Setting(r) => {
            (Entity::Setting, r.id, vec![r.unit_path.clone(), r.key.clone(), r.updated_at.clone()])
        }
        EntityRow::IntegrityFlag(r) => (
            Entity::IntegrityFlag,
            r.id,
            vec![r.unit_path.clone(), r.kind.as_str().to_owned(), r.status.as_str().to_owned(), r.version.to_string()],
        ),
        EntityRow::Award(r) => (
            Entity::Award,
            r.id,
            vec![r.unit_path.clone(), r.kind.as_str().to_owned(), r.period.clone(), r.staff_id.to_string()],
        ),
        EntityRow::SelfAssessment(r) => (
            Entity::SelfAssessment,
            r.id,
            vec![r.unit_path.clone(), r.period.clone(), r.status.as_str().to_owned(), r.version.to_string()],
        ),
        EntityRow::SurveyResult(r) => (
            Entity::SurveyResult,
            r.id,
            vec![r.unit_path.clone(), r.period.clone(), r.satisfaction_centi.to_string(), r.version.to_string()],
        ),
        EntityRow::Attachment(r) => (
            Entity::Attachment,
            r.id,
            vec![r.unit_path.clone(), r.sha256.clone(), r.status.as_str().to_owned(), r.mime.clone()],
        ),
        EntityRow::RatingStat(r) => (
            Entity::RatingStat,
            r.id,
            vec![
                r.unit_path.clone(),
                r.month.clone(),
                r.n_rated.to_string(),
                r.n_real_name.to_string(),
                r.n_excluded.to_string(),
            ],
        ),
    }
}

/// One digest line.
pub fn line(entity: Entity, id: i64, fields: &[String]) -> String {
    let mut s = format!("{}|{id}", entity.as_str());
    for f in fields {
        s.push('|');
        s.push_str(&f.replace('\\', "\\\\").replace('|', "\\|"));
    }
    s
}

/// The digest of a set of lines (order does not matter).
pub fn of(mut lines: Vec<String>) -> String {
    lines.sort_unstable();
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    format!("{:x}", h.finalize())
}
