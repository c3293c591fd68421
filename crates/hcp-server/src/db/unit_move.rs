//! Moving an org unit under another parent (移动单位).
//!
//! A unit's materialised path (`/1/4/17/`) is stored with every row below it, so a move rewrites,
//! in the caller's one write transaction, the paths of the unit, its descendants and every row
//! that stores a path at or below it: staff, ratings, cases (their attribution path, their
//! visibility path and the `unit` of their aggregate, which the scope checks read), case events,
//! service items, settings and integrity leads. Accounts follow through their unit (their
//! jurisdiction is their unit's path).
//!
//! The clients learn of it through the change feed as they learn of a moved account or a case
//! reassigned elsewhere: every moved row is deleted at its old path and upserted at its new one,
//! so a replica that covered only the old place loses the rows, one that covers the new place
//! gains them, and one that covers both ends with the new rows (the delete comes first). A user
//! whose own unit moved gets a new jurisdiction, which the app downloads again on its own.
//!
//! Left as they were, as history: the change log's earlier entries and the append-only audit
//! trail (which records each actor's jurisdiction at the time). Case events keep the `unit` their
//! creation named; the aggregate's `unit` is what is checked from now on.

use hcp_protocol::{ChangeOp, Entity, OrgUnitRow};

use crate::db::{changes, org_units, Conn, DbError, DbResult};

/// How many rows a move rewrote, per kind (for the audit entry and the answer).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub units: usize,
    pub staff: usize,
    pub accounts: usize,
    pub ratings: usize,
    pub cases: usize,
    pub events: usize,
    pub items: usize,
    pub settings: usize,
    pub flags: usize,
}

impl Moved {
    pub fn describe(&self) -> String {
        format!(
            "单位 {} 个、工作人员 {} 名、账号 {} 个、评价 {} 条、工单 {} 件、工单记录 {} 条、服务事项 {} 项、设置 {} 项、诚信线索 {} 条",
            self.units,
            self.staff,
            self.accounts,
            self.ratings,
            self.cases,
            self.events,
            self.items,
            self.settings,
            self.flags
        )
    }
}

/// Why `unit` may not move below `parent`, if it may not (`scope`: the administrator's).
pub fn refusal(unit: &OrgUnitRow, parent: &OrgUnitRow, scope: &str) -> Option<String> {
    if unit.path == scope {
        return Some("不能移动您自己辖区的根单位".into());
    }
    if parent.path.starts_with(&unit.path) {
        return Some(format!("不能把“{}”移到它自己或它的下级单位之下", unit.name));
    }
    if unit.parent_id == Some(parent.id) {
        return Some(format!("“{}”已在“{}”之下", unit.name, parent.name));
    }
    if !parent.kind.may_contain(unit.kind) {
        return Some(format!("“{}”（{}）下不能设立{}", parent.name, parent.kind.as_str(), unit.kind.as_str()));
    }
    None
}

/// The rows of `table` whose `column` lies at or below `old` (the prefix), with that path.
fn below(c: &Conn<'_>, table: &str, column: &str, old: &str) -> DbResult<Vec<(i64, String)>> {
    c.query_map(
        &format!("SELECT id, {column} FROM {table} WHERE {column} >= ?1 AND {column} < ?2 ORDER BY id"),
        [old.to_owned(), format!("{old}~")],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Rewrites the prefix `old` of `column` to `new` in every row of `table` at or below `old`.
fn rewrite(c: &Conn<'_>, table: &str, column: &str, old: &str, new: &str) -> DbResult<()> {
    c.execute(
        &format!(
            "UPDATE {table} SET {column} = ?2 || substr({column}, length(?1) + 1)
              WHERE {column} >= ?1 AND {column} < ?3"
        ),
        [old.to_owned(), new.to_owned(), format!("{old}~")],
    )?;
    Ok(())
}

fn moved(path: &str, old: &str, new: &str) -> String {
    match path.strip_prefix(old) {
        Some(rest) => format!("{new}{rest}"),
        None => path.to_owned(),
    }
}

/// The feed's entries for rows that moved from `old_path` to `new_path`: a delete at the old
/// place, then an upsert at the new one.
fn announce(c: &Conn<'_>, entity: Entity, rows: &[(i64, String, String)], at: &str) -> DbResult<()> {
    let gone: Vec<(i64, &str)> = rows.iter().filter(|(_, o, n)| o != n).map(|(id, o, _)| (*id, o.as_str())).collect();
    changes::record_many(c, entity, &gone, ChangeOp::Delete, at)?;
    let here: Vec<(i64, &str)> = rows.iter().map(|(id, _, n)| (*id, n.as_str())).collect();
    changes::record_many(c, entity, &here, ChangeOp::Upsert, at)
}

/// Moves `unit` below `parent` (checked by [`refusal`] first) and announces every moved row.
pub fn move_unit(c: &Conn<'_>, unit: &OrgUnitRow, parent: &OrgUnitRow, at: &str) -> DbResult<(OrgUnitRow, Moved)> {
    let old = unit.path.clone();
    let new = format!("{}{}/", parent.path, unit.id);
    let shift = |rows: Vec<(i64, String)>| -> Vec<(i64, String, String)> {
        rows.into_iter().map(|(id, p)| (id, p.clone(), moved(&p, &old, &new))).collect()
    };
    let mut n = Moved::default();

    // What moves, with the paths the clients hold it under now.
    let units = shift(below(c, "org_units", "path", &old)?);
    let staff = shift(below(c, "staff", "unit_path", &old)?);
    let ratings = shift(below(c, "ratings", "unit_path", &old)?);
    let items = shift(below(c, "service_items", "unit_path", &old)?);
    let settings = shift(below(c, "settings", "unit_path", &old)?);
    let flags = shift(below(c, "integrity_flags", "unit_path", &old)?);
    let awards = shift(below(c, "awards", "unit_path", &old)?);
    let assessments = shift(below(c, "self_assessments", "unit_path", &old)?);
    let surveys = shift(below(c, "survey_results", "unit_path", &old)?);
    let attachments = shift(below(c, "attachments", "unit_path", &old)?);
    let events = shift(below(c, "case_events", "unit_path", &old)?);
    let stats = shift(below(c, "rating_stats", "unit_path", &old)?);
    let accounts: Vec<(i64, String, String)> = c
        .query_map(
            "SELECT u.id, o.path FROM users u JOIN org_units o ON o.id = u.unit_id
              WHERE o.path >= ?1 AND o.path < ?2 ORDER BY u.id",
            [old.clone(), format!("{old}~")],
            |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
        )?
        .into_iter()
        .map(|(id, p)| (id, p.clone(), moved(&p, &old, &new)))
        .collect();
    // Cases attributed below the unit or visible there (worked by a handler there); the feed
    // carries a case at its visibility path.
    let cases: Vec<(i64, String, String, String)> = c.query_map(
        "SELECT id, unit_path, scope_path, coalesce(aggregate, '') FROM cases
          WHERE (unit_path >= ?1 AND unit_path < ?2) OR (scope_path >= ?1 AND scope_path < ?2) ORDER BY id",
        [old.clone(), format!("{old}~")],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;

    // The rewrite.
    c.execute("UPDATE org_units SET parent_id = ?2 WHERE id = ?1", crate::args![unit.id, parent.id])?;
    for (table, column) in [
        ("org_units", "path"),
        ("staff", "unit_path"),
        ("ratings", "unit_path"),
        ("cases", "unit_path"),
        ("cases", "scope_path"),
        ("case_events", "unit_path"),
        ("service_items", "unit_path"),
        ("settings", "unit_path"),
        ("integrity_flags", "unit_path"),
        ("awards", "unit_path"),
        ("awards", "league_path"),
        ("self_assessments", "unit_path"),
        ("survey_results", "unit_path"),
        ("attachments", "unit_path"),
        ("rating_stats", "unit_path"),
    ] {
        rewrite(c, table, column, &old, &new)?;
    }
    let mut case_rows = Vec::with_capacity(cases.len());
    for (id, unit_path, scope, aggregate) in cases {
        if !aggregate.is_empty() {
            let mut v: serde_json::Value = serde_json::from_str(&aggregate)
                .map_err(|e| DbError::Corrupt(format!("cases.aggregate of case {id}: {e}")))?;
            if let Some(u) = v.get("unit").and_then(|u| u.as_str()).map(|u| moved(u, &old, &new)) {
                v["unit"] = serde_json::Value::String(u);
            }
            c.execute("UPDATE cases SET aggregate = ?2 WHERE id = ?1", crate::args![id, v.to_string()])?;
        }
        let _ = unit_path;
        case_rows.push((id, scope.clone(), moved(&scope, &old, &new)));
    }

    // The feed: deletes at the old places, upserts at the new ones.
    announce(c, Entity::OrgUnit, &units, at)?;
    announce(c, Entity::Staff, &staff, at)?;
    announce(c, Entity::User, &accounts, at)?;
    announce(c, Entity::Rating, &ratings, at)?;
    announce(c, Entity::Case, &case_rows, at)?;
    announce(c, Entity::CaseEvent, &events, at)?;
    announce(c, Entity::ServiceItem, &items, at)?;
    announce(c, Entity::Setting, &settings, at)?;
    announce(c, Entity::IntegrityFlag, &flags, at)?;
    announce(c, Entity::Award, &awards, at)?;
    announce(c, Entity::SelfAssessment, &assessments, at)?;
    announce(c, Entity::SurveyResult, &surveys, at)?;
    announce(c, Entity::Attachment, &attachments, at)?;
    announce(c, Entity::RatingStat, &stats, at)?;
    n.units = units.len();
    n.staff = staff.len();
    n.accounts = accounts.len();
    n.ratings = ratings.len();
    n.cases = case_rows.len();
    n.events = events.len();
    n.items = items.len();
    n.settings = settings.len();
    n.flags = flags.len();
    let row = org_units::get(c, unit.id)?.ok_or_else(|| DbError::Corrupt("the moved unit vanished".into()))?;
    Ok((row, n))
}
