//! `cases`: bad-review cases (差评工单), the aggregate the case commands act on.

use super::{args, parse_col, Conn, DbError, DbResult, Row};
use hcp_domain::{CaseSource, CaseState, Level};
use hcp_protocol::{CaseRow, ChangeOp, Entity};

pub const DDL: &str = "
CREATE TABLE cases (
    id               INTEGER PRIMARY KEY,
    case_no          TEXT NOT NULL UNIQUE,
    source           TEXT NOT NULL,
    rating_id        INTEGER REFERENCES ratings(id),
    unit_id          INTEGER NOT NULL REFERENCES org_units(id),
    unit_path        TEXT NOT NULL,
    department_id    INTEGER REFERENCES org_units(id),
    staff_id         INTEGER REFERENCES staff(id),
    level            TEXT,
    channel          INTEGER,
    item_name        TEXT,
    summary          TEXT NOT NULL,
    state            TEXT NOT NULL,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    handler_user_id  INTEGER REFERENCES users(id),
    created_at       TEXT NOT NULL,
    deadline         TEXT,
    version          INTEGER NOT NULL,
    updated_at       TEXT NOT NULL,
    aggregate        TEXT
);
CREATE INDEX cases_path ON cases(unit_path);
";

/// The visibility path (`scope_path`), apart from the attribution path (`unit_path`, which the
/// statistics count the case under and which never changes). A case is replicated to the
/// jurisdictions whose path is a prefix of its visibility path: its own unit's, until it is
/// assigned to a handler whose unit does not contain it; then the handler's unit (see
/// [`visibility_path`]), so the handler holds every case assigned to them.
pub const SCOPE_DDL: &str = "
ALTER TABLE cases ADD COLUMN scope_path TEXT NOT NULL DEFAULT '';
UPDATE cases SET scope_path = unit_path;
CREATE INDEX cases_scope ON cases(scope_path);
";

/// The case a rating opened, found by the rating: the statistics' exclusion rule, a closed month's
/// recount and the replication window ask it of every rating they read.
pub const RATING_DDL: &str = "
CREATE INDEX cases_rating ON cases(rating_id) WHERE rating_id IS NOT NULL;
";

/// Where a case attributed to `unit_path` is visible while `handler_path` (the assigned
/// handler's unit, if any) works it: its own unit when the handler's unit contains it (a handler
/// of the department concerned), else the handler's unit, the lowest path the handler sees. The
/// jurisdictions above both keep the case; those that contain only the case's unit (say the
/// department it was attributed to) give it up while another department works it.
pub fn visibility_path(unit_path: &str, handler_path: Option<&str>) -> String {
    match handler_path {
        Some(h) if !unit_path.starts_with(h) => h.to_owned(),
        _ => unit_path.to_owned(),
    }
}

/// The visibility path of a case.
pub fn scope_path(conn: &Conn<'_>, id: i64) -> DbResult<Option<String>> {
    conn.query_opt("SELECT scope_path FROM cases WHERE id = ?1", [id], |r| r.get(0))
}

/// Moves a case's visibility path (the caller records the feed's deletions and upserts).
fn set_scope_path(conn: &Conn<'_>, id: i64, path: &str) -> DbResult<()> {
    conn.execute("UPDATE cases SET scope_path = ?2 WHERE id = ?1", args![id, path])?;
    Ok(())
}

const COLS: &str = "id, case_no, source, rating_id, unit_id, unit_path, department_id, staff_id, level, channel,
    item_name, summary, state, escalation_level, handler_user_id, created_at, deadline, version, updated_at, aggregate";

fn from_row(r: &Row) -> DbResult<CaseRow> {
    let source: String = r.get(2)?;
    let level: Option<String> = r.get(8)?;
    let state: String = r.get(12)?;
    Ok(CaseRow {
        id: r.get(0)?,
        case_no: r.get(1)?,
        source: parse_col(&source, "cases.source", CaseSource::parse)?,
        rating_id: r.get(3)?,
        unit_id: r.get(4)?,
        unit_path: r.get(5)?,
        department_id: r.get(6)?,
        staff_id: r.get(7)?,
        level: level.map(|l| parse_col(&l, "cases.level", |s| Level::parse(s).ok())).transpose()?,
        channel: r.get(9)?,
        item_name: r.get(10)?,
        summary: r.get(11)?,
        state: parse_col(&state, "cases.state", CaseState::parse)?,
        escalation_level: r.get(13)?,
        handler_user_id: r.get(14)?,
        created_at: r.get(15)?,
        deadline: r.get(16)?,
        deadline_provisional: false,
        stage_deadline: None,
        version: r.get(17)?,
        updated_at: r.get(18)?,
        aggregate: r
            .get::<Option<String>>(19)?
            .map(|a| serde_json::from_str::<Box<hcp_domain::Case>>(&a))
            .transpose()
            .map_err(|e| DbError::Corrupt(format!("cases.aggregate: {e}")))?,
    })
    .map(|mut row: CaseRow| {
        // The current stage's deadline is computed from the aggregate, not stored.
        row.stage_deadline =
            row.aggregate.as_ref().and_then(|a| a.deadline()).map(|(_, d)| d.format("%Y-%m-%d").to_string());
        row
    })
}

pub fn insert(conn: &Conn<'_>, c: &CaseRow) -> DbResult<i64> {
    conn.insert(
        "INSERT INTO cases (case_no, source, rating_id, unit_id, unit_path, department_id, staff_id, level, channel,
            item_name, summary, state, escalation_level, handler_user_id, created_at, deadline, version, updated_at,
            aggregate, scope_path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?5) RETURNING id",
        args![
            &c.case_no,
            c.source.as_str(),
            c.rating_id,
            c.unit_id,
            &c.unit_path,
            c.department_id,
            c.staff_id,
            c.level.map(|l| l.as_str()),
            c.channel,
            &c.item_name,
            &c.summary,
            c.state.as_str(),
            c.escalation_level,
            c.handler_user_id,
            &c.created_at,
            &c.deadline,
            c.version,
            &c.updated_at,
            aggregate_json(c)?,
        ],
    )
}

fn aggregate_json(c: &CaseRow) -> DbResult<Option<String>> {
    c.aggregate
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| DbError::Corrupt(format!("case aggregate: {e}")))
}

/// Writes every mutable column of an existing case and records its change at its visibility
/// path (see [`move_visibility`] for moving it first). A new case ([`insert`]) is announced by
/// the update that completes it, in the same transaction.
pub fn update(conn: &Conn<'_>, c: &CaseRow, at: &str) -> DbResult<()> {
    // The rating the case names, and whether the case takes it out of the statistics, before and
    // after: a change moves the rating in a closed month's statistics.
    let before: Option<(Option<i64>, i64)> = conn.query_opt(
        &format!(
            "SELECT rating_id, coalesce({}, 0) FROM cases WHERE id = ?1",
            hcp_stats::rules::case_self_excluded(super::rating_stats::rule_dialect(conn), "cases")
        ),
        [c.id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let after = (c.rating_id, i64::from(c.aggregate.as_ref().is_some_and(|a| a.excluded_from_stats)));
    let scope: String = conn.query_row(
        "UPDATE cases SET case_no = ?2, department_id = ?3, state = ?4, escalation_level = ?5, handler_user_id = ?6,
            deadline = ?7, version = ?8, updated_at = ?9, aggregate = ?10, summary = ?11
          WHERE id = ?1 RETURNING scope_path",
        args![
            c.id,
            &c.case_no,
            c.department_id,
            c.state.as_str(),
            c.escalation_level,
            c.handler_user_id,
            &c.deadline,
            c.version,
            &c.updated_at,
            aggregate_json(c)?,
            &c.summary,
        ],
        |r| r.get(0),
    )?;
    super::changes::record(conn, Entity::Case, c.id, &scope, ChangeOp::Upsert, at)?;
    if let Some(before) = before.filter(|b| *b != after) {
        let ratings: Vec<i64> = before.0.into_iter().chain(after.0).collect();
        super::rating_stats::ratings_changed_by_id(conn, &ratings, at)?;
    }
    Ok(())
}

/// Moves a case and its timeline from the visibility path `old` to `new`, in the feed as a
/// deletion at the old path followed by an upsert at the new one (the case's own upsert at `new`
/// follows with its [`update`]), so every replica converges: a jurisdiction that covers both
/// paths deletes and then receives the case again, one that covers only the old path loses it,
/// and one that covers only the new path (the handler's) receives the case and its whole timeline.
pub fn move_visibility(conn: &Conn<'_>, case_id: i64, old: &str, new: &str, at: &str) -> DbResult<()> {
    use super::changes::record_many;
    let events = super::case_events::ids_of_case(conn, case_id)?;
    super::changes::record(conn, Entity::Case, case_id, old, ChangeOp::Delete, at)?;
    record_many(
        conn,
        Entity::CaseEvent,
        &events.iter().map(|id| (*id, old)).collect::<Vec<_>>(),
        ChangeOp::Delete,
        at,
    )?;
    let files = super::attachments::move_case(conn, case_id, new)?;
    record_many(
        conn,
        Entity::Attachment,
        &files.iter().map(|id| (*id, old)).collect::<Vec<_>>(),
        ChangeOp::Delete,
        at,
    )?;
    record_many(
        conn,
        Entity::Attachment,
        &files.iter().map(|id| (*id, new)).collect::<Vec<_>>(),
        ChangeOp::Upsert,
        at,
    )?;
    set_scope_path(conn, case_id, new)?;
    super::case_events::move_case(conn, case_id, new)?;
    record_many(conn, Entity::CaseEvent, &events.iter().map(|id| (*id, new)).collect::<Vec<_>>(), ChangeOp::Upsert, at)
}

/// Sets the row's computed `deadline_provisional`: its deadline lies where `calendar` has only
/// the provisional arrangement (see `hcp_domain::Calendar::is_provisional`).
pub fn mark_provisional(row: &mut CaseRow, calendar: &hcp_domain::Calendar) {
    let provisional = |d: Option<&str>| {
        d.and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .is_some_and(|d| calendar.is_provisional(d))
    };
    row.deadline_provisional = provisional(row.deadline.as_deref()) || provisional(row.stage_deadline.as_deref());
}

/// The cases whose deadline runs ([`CaseState::has_running_deadline`], the one rule), by id:
/// id, unit path and aggregate, for the deadline watch.
pub fn running(conn: &Conn<'_>) -> DbResult<Vec<(i64, String, hcp_domain::Case)>> {
    let states: Vec<String> =
        CaseState::ALL.into_iter().filter(|s| s.has_running_deadline()).map(|s| format!("'{}'", s.as_str())).collect();
    conn.query_map(
        &format!(
            "SELECT id, unit_path, aggregate FROM cases WHERE state IN ({}) AND aggregate IS NOT NULL ORDER BY id",
            states.join(", ")
        ),
        (),
        |r| {
            let json: String = r.get(2)?;
            let case = serde_json::from_str(&json).map_err(|e| DbError::Corrupt(format!("cases.aggregate: {e}")))?;
            Ok((r.get(0)?, r.get(1)?, case))
        },
    )
}

/// The ids of the cases in any of `states`, in id order.
pub fn ids_in_states(conn: &Conn<'_>, states: &[CaseState]) -> DbResult<Vec<i64>> {
    if states.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT id FROM cases WHERE state IN ({}) ORDER BY id", super::sql::marks(states.len(), 1));
    let names: Vec<super::Value> = states.iter().map(|s| super::Value::from(s.as_str())).collect();
    conn.query_map(&sql, names, |r| r.get(0))
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<CaseRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM cases WHERE id = ?1"), [id], from_row)
}

/// The rows with these ids (those that exist) with their visibility paths, in no particular
/// order: a change page's cases.
pub fn get_many_with_scope(conn: &Conn<'_>, ids: &[i64]) -> DbResult<Vec<(CaseRow, String)>> {
    super::changes::by_ids(conn, &format!("SELECT {COLS}, scope_path FROM cases"), ids, |r| {
        Ok((from_row(r)?, r.get(20)?))
    })
}

/// The rows visible in scope (by their visibility path) with an id above `after` (0: all of
/// them), by id: a snapshot, or the rest of an interrupted one. `dense` (most of the table is in scope, see
/// [`super::changes::dense_in_scope`]) reads the table in id order instead of the path index.
pub fn in_scope(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    dense: bool,
    f: impl FnMut(CaseRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan_after(
        conn,
        &format!(
            "SELECT {COLS} FROM cases WHERE {} AND id > ?3 ORDER BY id",
            hcp_store::path_range("scope_path", dense)
        ),
        scope,
        upper,
        after,
        from_row,
        f,
    )
}
