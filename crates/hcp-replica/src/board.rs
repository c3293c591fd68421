//! The 督办 board's query: the cases a supervisor chases (at risk, overdue or escalated), with
//! their last 催办 (reminder). Which of them are really at risk or overdue, and by how many
//! working days, the app decides with each jurisdiction's calendar and policy.

use hcp_domain::{CaseState, EscalationLevel};
use rusqlite::Connection;

use crate::query::{case_item_sql, running_deadline, CaseListItem};
use crate::Result;

/// The most cases the board holds (the most urgent first).
pub const MAX_BOARD: usize = 2_000;

/// The last 催办 recorded on a case.
#[derive(Debug, Clone, PartialEq)]
pub struct LastUrge {
    /// RFC 3339
    pub at: String,
    pub actor_name: String,
    /// The event's data (the domain event as JSON).
    pub data: serde_json::Value,
    /// How many 催办 the case has had.
    pub count: u32,
}

/// A case on the board as the replica holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardRow {
    pub item: CaseListItem,
    pub unit_path: String,
    pub department_id: Option<i64>,
    pub last_urge: Option<LastUrge>,
}

/// The cases the board considers: those whose deadline runs and falls on or before `due_until`
/// (`YYYY-MM-DD`: at risk or overdue), those whose deadline is paused by an extension request
/// (already late ones stay visible) and every open case above the first rung of the escalation ladder.
/// `urge_kind` names the 催办 event. Most escalated first, then by deadline.
pub fn board_rows(conn: &Connection, due_until: &str, urge_kind: &str) -> Result<Vec<BoardRow>> {
    let open: Vec<String> =
        CaseState::ALL.into_iter().filter(|s| !s.is_terminal()).map(|s| format!("'{}'", s.as_str())).collect();
    let filter = format!(
        "((c.stage_deadline IS NOT NULL AND c.stage_deadline <= ?1 AND ({running} OR c.state = '{paused}'))
          OR (c.escalation_level > {first} AND c.state IN ({open})))",
        running = running_deadline("c."),
        paused = CaseState::ExtensionRequested.as_str(),
        first = EscalationLevel::FirstLine.index(),
        open = open.join(", "),
    );
    let sql = format!(
        "SELECT c.id, c.unit_path, c.department_id FROM cases c
          WHERE {filter}
          ORDER BY c.escalation_level DESC, c.stage_deadline IS NULL, c.stage_deadline, c.id
          LIMIT {MAX_BOARD}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let found = stmt
        .query_map([due_until], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<i64>>(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut item_stmt = conn.prepare_cached(&case_item_sql())?;
    let mut out = Vec::with_capacity(found.len());
    for (id, unit_path, department_id) in found {
        let mut rows = item_stmt.query([id])?;
        let Some(r) = rows.next()? else { continue };
        let item = crate::query::item_from_row(r)?;
        out.push(BoardRow { item, unit_path, department_id, last_urge: last_urge(conn, id, urge_kind)? });
    }
    Ok(out)
}

/// A case's last `urge_kind` event (its 催办) and how many it had.
pub fn last_urge(conn: &Connection, case_id: i64, urge_kind: &str) -> Result<Option<LastUrge>> {
    use rusqlite::OptionalExtension;
    let found = conn
        .prepare_cached(
            "SELECT at, actor_name, data, (SELECT count(*) FROM case_events WHERE case_id = ?1 AND kind = ?2)
               FROM case_events WHERE case_id = ?1 AND kind = ?2 ORDER BY at DESC, id DESC LIMIT 1",
        )?
        .query_row(rusqlite::params![case_id, urge_kind], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })
        .optional()?;
    Ok(found.map(|(at, actor_name, data, count)| LastUrge {
        at,
        actor_name,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
        count: u32::try_from(count).unwrap_or(u32::MAX),
    }))
}
