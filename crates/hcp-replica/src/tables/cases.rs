//! `cases`: the jurisdiction's bad-review cases as the server last reported them.

use hcp_protocol::CaseRow;
use rusqlite::{params, Connection};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE cases (
    id               INTEGER PRIMARY KEY,
    case_no          TEXT NOT NULL,
    source           TEXT NOT NULL,
    rating_id        INTEGER,
    unit_id          INTEGER NOT NULL,
    unit_path        TEXT NOT NULL,
    department_id    INTEGER,
    staff_id         INTEGER,
    level            TEXT,
    channel          INTEGER,
    item_name        TEXT,
    summary          TEXT NOT NULL,
    state            TEXT NOT NULL,
    escalation_level INTEGER NOT NULL,
    handler_user_id  INTEGER,
    created_at       TEXT NOT NULL,
    deadline         TEXT,
    version          INTEGER NOT NULL,
    updated_at       TEXT NOT NULL,
    aggregate        TEXT
);
CREATE INDEX cases_created ON cases(created_at DESC);
CREATE INDEX cases_state_created ON cases(state, created_at DESC);
";

/// Indexes added later (migration 9): the statistics find a rating's cases by `rating_id`; the inbox
/// filters by level or source, newest first.
pub const INDEXES: &str = "
CREATE INDEX cases_rating ON cases(rating_id);
CREATE INDEX cases_level_created ON cases(level, created_at DESC);
CREATE INDEX cases_source_created ON cases(source, created_at DESC);
";

/// Indexes for the inbox's unit, channel, handler and deadline filters and its orders.
pub const FILTER_INDEXES: &str = "
CREATE INDEX cases_path_created ON cases(unit_path, created_at DESC);
CREATE INDEX cases_channel_created ON cases(channel, created_at DESC);
CREATE INDEX cases_handler_created ON cases(handler_user_id, created_at DESC);
CREATE INDEX cases_deadline ON cases(deadline);
CREATE INDEX cases_updated ON cases(updated_at DESC);
";

/// The inbox's escalation-rung filter (migration 23).
pub const ESCALATION_INDEX: &str = "
CREATE INDEX cases_escalation_created ON cases(escalation_level, created_at DESC);
";

/// The inbox's deadline order (migration 24) as it was before stages had clocks; replaced by
/// [`add_stage_deadline`].
pub fn create_deadline_order_index(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE INDEX cases_deadline_order ON cases((state IN ('assigned', 'in_rectification')) DESC,
            deadline IS NULL, deadline);",
    )?;
    Ok(())
}

/// Every stage has a clock (migration 28): the column `stage_deadline` (the current stage's
/// deadline, [`hcp_domain::Case::deadline`]) filled from each case's aggregate, its index, and the
/// inbox's deadline order over it: running clocks first, by the domain's rule of which states run
/// one, so the order reads the index instead of sorting every case.
pub fn add_stage_deadline(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "ALTER TABLE cases ADD COLUMN stage_deadline TEXT;
         DROP INDEX IF EXISTS cases_deadline_order;",
    )?;
    let found: Vec<(i64, String)> = conn
        .prepare("SELECT id, aggregate FROM cases WHERE aggregate IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = conn.prepare("UPDATE cases SET stage_deadline = ?2 WHERE id = ?1")?;
    for (id, aggregate) in found {
        // An aggregate this version cannot read keeps no stage deadline until the server sends the
        // case again.
        let Ok(case) = serde_json::from_str::<hcp_domain::Case>(&aggregate) else { continue };
        if let Some((_, due)) = case.deadline() {
            update.execute(params![id, due.format("%Y-%m-%d").to_string()])?;
        }
    }
    conn.execute_batch(&format!(
        "CREATE INDEX cases_stage_deadline ON cases(stage_deadline);
         CREATE INDEX cases_deadline_order ON cases({});",
        crate::query::deadline_order("")
    ))?;
    Ok(())
}

pub fn upsert(conn: &Connection, c: &CaseRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO cases (id, case_no, source, rating_id, unit_id, unit_path, department_id, staff_id, level,
            channel, item_name, summary, state, escalation_level, handler_user_id, created_at, deadline, version, updated_at,
            aggregate, stage_deadline)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    )?
    .execute(params![
        c.id,
        c.case_no,
        c.source.as_str(),
        c.rating_id,
        c.unit_id,
        c.unit_path,
        c.department_id,
        c.staff_id,
        c.level.map(|l| l.as_str()),
        c.channel,
        c.item_name,
        c.summary,
        c.state.as_str(),
        c.escalation_level,
        c.handler_user_id,
        c.created_at,
        c.deadline,
        c.version,
        c.updated_at,
        c.aggregate.as_ref().and_then(|a| serde_json::to_string(a).ok()),
        c.stage_deadline,
    ])?;
    super::case_text::index(conn, c.id, &c.case_no, c.item_name.as_deref(), &c.summary)
}

/// A case with its aggregate, as last received from the server.
pub fn get(conn: &Connection, id: i64) -> Result<Option<CaseRow>> {
    use rusqlite::OptionalExtension;
    fn bad<E: std::error::Error + Send + Sync + 'static>(col: usize, e: E) -> rusqlite::Error {
        rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
    }
    fn unknown(col: usize, what: &str, value: &str) -> rusqlite::Error {
        bad(col, crate::ReplicaError::Corrupt(format!("cases.{what} = {value}")))
    }
    let row = conn
        .prepare_cached(
            "SELECT id, case_no, source, rating_id, unit_id, unit_path, department_id, staff_id, level, channel, item_name,
                    summary, state, escalation_level, handler_user_id, created_at, deadline, version, updated_at, aggregate,
                    stage_deadline
               FROM cases WHERE id = ?1",
        )?
        .query_row([id], |r| {
            let source: String = r.get(2)?;
            let level: Option<String> = r.get(8)?;
            let state: String = r.get(12)?;
            let aggregate: Option<String> = r.get(19)?;
            Ok(CaseRow {
                id: r.get(0)?,
                case_no: r.get(1)?,
                source: hcp_domain::CaseSource::parse(&source).ok_or_else(|| unknown(2, "source", &source))?,
                rating_id: r.get(3)?,
                unit_id: r.get(4)?,
                unit_path: r.get(5)?,
                department_id: r.get(6)?,
                staff_id: r.get(7)?,
                level: level.map(|l| hcp_domain::Level::parse(&l).map_err(|e| bad(8, e))).transpose()?,
                channel: r.get(9)?,
                item_name: r.get(10)?,
                summary: r.get(11)?,
                state: hcp_domain::CaseState::parse(&state).ok_or_else(|| unknown(12, "state", &state))?,
                escalation_level: r.get(13)?,
                handler_user_id: r.get(14)?,
                created_at: r.get(15)?,
                deadline: r.get(16)?,
                deadline_provisional: false,
                stage_deadline: r.get(20)?,
                version: r.get(17)?,
                updated_at: r.get(18)?,
                aggregate: aggregate.map(|a| serde_json::from_str(&a)).transpose().map_err(|e| bad(19, e))?,
            })
        })
        .optional()?;
    Ok(row)
}
