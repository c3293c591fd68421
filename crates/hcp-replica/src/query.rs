//! Screen queries over the replica.

use hcp_domain::{CaseSource, CaseState, CommandKind, EscalationLevel, Level, Stage};
use rusqlite::types::Value;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::{ReplicaError, Result};

/// The inbox filters. Every field narrows the list; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CaseQuery {
    pub state: Option<CaseState>,
    pub level: Option<Level>,
    pub source: Option<CaseSource>,
    /// Cases of this unit and everything below it.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// The channel the rating came through (1–8).
    #[serde(default)]
    pub channel: Option<u8>,
    /// Cases assigned to this handler.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    #[serde(default)]
    pub handler_user_id: Option<i64>,
    /// Cases at this rung of the escalation ladder.
    #[serde(default)]
    pub escalation: Option<EscalationLevel>,
    /// Only cases at the accountability rung still waiting for an accountability decision (问责决定).
    #[serde(default)]
    pub accountability_pending: bool,
    /// Open cases by their deadline relative to `today`.
    #[serde(default)]
    pub due: Option<DueWindow>,
    /// Today's date (`YYYY-MM-DD`, Beijing) for `due`; the app fills it in.
    #[serde(default)]
    pub today: Option<String>,
    /// The last due date the jurisdiction's policy counts as at risk today (`YYYY-MM-DD`), for
    /// [`DueWindow::AtRisk`]; the app fills it in from the working-day calendar.
    #[serde(default)]
    pub at_risk_until: Option<String>,
    #[serde(default)]
    pub sort: Option<CaseSort>,
    /// Matches the case number, the service item and the summary.
    pub search: Option<String>,
    pub offset: u32,
    pub limit: u32,
}

/// Cases whose deadline runs ([`CaseState::has_running_deadline`]) by their due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum DueWindow {
    /// The deadline has passed.
    Overdue,
    /// Due today.
    Today,
    /// Due today or within the next three days.
    ThreeDays,
    /// Due today or within the policy's at-risk window of working days (即将到期).
    AtRisk,
}

/// The inbox's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CaseSort {
    /// Newest first.
    #[default]
    Newest,
    /// Earliest running deadline first; then cases whose deadline no longer runs (rectified,
    /// closed…) by their last deadline; cases that never had one last.
    Deadline,
    /// Most recently changed first.
    Updated,
}

/// The states whose names satisfy `keep`, as an SQL list: `('assigned', 'in_rectification')`.
fn state_list(keep: impl Fn(CaseState) -> bool) -> String {
    let names: Vec<String> =
        CaseState::ALL.into_iter().filter(|s| keep(*s)).map(|s| format!("'{}'", s.as_str())).collect();
    format!("({})", names.join(", "))
}

/// SQL true when the case's deadline runs: the domain's [`CaseState::has_running_deadline`],
/// over the column `state` of `alias`.
pub(crate) fn running_deadline(alias: &str) -> String {
    format!("{alias}state IN {}", state_list(CaseState::has_running_deadline))
}

/// The deadline order's key (running deadlines first, then the others, missing ones last); the
/// index `cases_deadline_order` holds the same expressions.
pub(crate) fn deadline_order(alias: &str) -> String {
    let shown = shown_deadline(alias);
    format!("({} AND {alias}stage_deadline IS NOT NULL) DESC, {shown} IS NULL, {shown}", running_deadline(alias))
}

/// The deadline a list shows: the current stage's (`stage_deadline`: 核实处置, 签收, 整改 or
/// 回访), else the last rectification deadline of a case no clock runs for any more.
pub(crate) fn shown_deadline(alias: &str) -> String {
    format!("coalesce({alias}stage_deadline, {alias}deadline)")
}

/// One inbox row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CaseListItem {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub case_no: String,
    pub source: CaseSource,
    pub state: CaseState,
    pub level: Option<Level>,
    pub channel: Option<u8>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub unit_name: String,
    pub department_name: Option<String>,
    pub item_name: Option<String>,
    pub summary: String,
    pub created_at: String,
    /// The current stage's deadline ([`CaseListItem::deadline_stage`]), or the last rectification
    /// deadline of a case no clock runs for any more.
    pub deadline: Option<String>,
    /// The stage the deadline belongs to, while the case is in one (核实处置, 签收, 整改, 回访).
    pub deadline_stage: Option<Stage>,
    /// The deadline lies in a year the calendar has only the provisional arrangement for (暂定):
    /// computed by the app with the distributed calendar, not stored.
    #[serde(default)]
    pub deadline_provisional: bool,
    pub staff_name: Option<String>,
    /// The rung of the escalation ladder the case stands on.
    pub escalation: EscalationLevel,
    /// Whether the deadline runs in the case's state ([`CaseState::has_running_deadline`], the one
    /// rule the inbox's overdue filter, the detail's countdown and the server's watch use).
    pub deadline_running: bool,
}

/// A page of the inbox and the total count of the query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CasePage {
    pub total: u32,
    pub items: Vec<CaseListItem>,
}

/// The most rows one page returns.
pub const MAX_PAGE: u32 = 500;

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// The inbox's two statements for `q` (the count and the page) and their arguments.
pub(crate) fn list_sql(q: &CaseQuery) -> (String, String, Vec<Value>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    let mut bind = |sql: &str, v: String, clauses: &mut Vec<String>| {
        args.push(Value::Text(v));
        clauses.push(sql.replace('#', &format!("?{}", args.len())));
    };
    if let Some(s) = q.state {
        bind("c.state = #", s.as_str().to_owned(), &mut clauses);
    }
    if let Some(l) = q.level {
        bind("c.level = #", l.as_str().to_owned(), &mut clauses);
    }
    if let Some(s) = q.source {
        bind("c.source = #", s.as_str().to_owned(), &mut clauses);
    }
    if let Some(id) = q.unit_id {
        bind(
            "c.unit_path >= (SELECT path FROM org_units WHERE id = #)
             AND c.unit_path < (SELECT path FROM org_units WHERE id = #) || '~'",
            id.to_string(),
            &mut clauses,
        );
    }
    if let Some(ch) = q.channel {
        bind("c.channel = CAST(# AS INTEGER)", ch.to_string(), &mut clauses);
    }
    if let Some(h) = q.handler_user_id {
        bind("c.handler_user_id = CAST(# AS INTEGER)", h.to_string(), &mut clauses);
    }
    if let Some(e) = q.escalation {
        bind("c.escalation_level = CAST(# AS INTEGER)", e.index().to_string(), &mut clauses);
    }
    if q.accountability_pending {
        // At the top rung, no decision recorded yet, in a state that still takes one.
        clauses.push(format!(
            "c.escalation_level = {} AND coalesce(json_extract(c.aggregate, '$.accountability_decisions'), 0) = 0
             AND c.state IN {}",
            EscalationLevel::Accountability.index(),
            state_list(|s| CommandKind::RecordAccountability.allowed_from(s))
        ));
    }
    if let Some(due) = q.due {
        // Today in Beijing: the app passes it; without it SQLite's clock decides.
        let date = |t: Option<&str>| t.and_then(|t| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok());
        let today = date(q.today.as_deref());
        let open = format!("c.stage_deadline IS NOT NULL AND {}", running_deadline("c."));
        let (now, in_three) = match today {
            Some(d) => (
                format!("'{}'", d.format("%Y-%m-%d")),
                format!("'{}'", (d + chrono::Duration::days(3)).format("%Y-%m-%d")),
            ),
            None => ("date('now', '+8 hours')".to_owned(), "date('now', '+8 hours', '+3 days')".to_owned()),
        };
        // Without the app's bound, the domain's default window on a plain week (1 working day).
        let at_risk_until = date(q.at_risk_until.as_deref())
            .map_or_else(|| format!("date({now}, '+1 day')"), |d| format!("'{}'", d.format("%Y-%m-%d")));
        clauses.push(match due {
            DueWindow::Overdue => format!("{open} AND c.stage_deadline < {now}"),
            DueWindow::Today => format!("{open} AND c.stage_deadline = {now}"),
            DueWindow::ThreeDays => format!("{open} AND c.stage_deadline >= {now} AND c.stage_deadline <= {in_three}"),
            DueWindow::AtRisk => {
                format!("{open} AND c.stage_deadline >= {now} AND c.stage_deadline <= {at_risk_until}")
            }
        });
    }
    if let Some(text) = q.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if text.chars().count() >= crate::tables::case_text::MIN_CHARS {
            // The trigram index answers any substring of three characters or more.
            bind(
                "c.id IN (SELECT rowid FROM case_text WHERE case_text MATCH #)",
                crate::tables::case_text::phrase(text),
                &mut clauses,
            );
        } else {
            bind(
                "(c.case_no LIKE # ESCAPE '\\' OR c.item_name LIKE # ESCAPE '\\' OR c.summary LIKE # ESCAPE '\\')",
                format!("%{}%", escape_like(text)),
                &mut clauses,
            );
        }
    }
    let sql_where = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    let limit = q.limit.clamp(1, MAX_PAGE);
    let order = match q.sort.unwrap_or_default() {
        CaseSort::Newest => "c.created_at DESC, c.id DESC".to_owned(),
        CaseSort::Deadline => format!("{}, c.id", deadline_order("c.")),
        CaseSort::Updated => "c.updated_at DESC, c.id DESC".to_owned(),
    };
    // A deferred join: the page's ids are found through the indexes alone (skipping `offset` rows
    // costs index steps, not joins), then only those rows are joined and read.
    let page = format!(
        "{ITEM_SELECT}
          WHERE c.id IN (SELECT c.id FROM cases c{sql_where} ORDER BY {order} LIMIT {limit} OFFSET {offset})
          ORDER BY {order}",
        offset = q.offset
    );
    (format!("SELECT count(*) FROM cases c{sql_where}"), page, args)
}

pub fn list_cases(conn: &Connection, q: &CaseQuery) -> Result<CasePage> {
    let (count_sql, page_sql, args) = list_sql(q);
    let total: i64 = conn.query_row(&count_sql, rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
    let mut stmt = conn.prepare(&page_sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
    let mut items = Vec::new();
    while let Some(r) = rows.next()? {
        items.push(item_from_row(r)?);
    }
    Ok(CasePage { total: total as u32, items })
}

/// One inbox row by id.
pub fn case_item(conn: &Connection, id: i64) -> Result<Option<CaseListItem>> {
    let sql = case_item_sql();
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => Ok(Some(item_from_row(r)?)),
        None => Ok(None),
    }
}

pub(crate) fn case_item_sql() -> String {
    format!("{ITEM_SELECT} WHERE c.id = ?1")
}

const ITEM_SELECT: &str =
    "SELECT c.id, c.case_no, c.source, c.state, c.level, c.channel, c.unit_id, coalesce(u.name, ''), d.name,
                c.item_name, c.summary, c.created_at, c.deadline, s.name, c.escalation_level, c.stage_deadline
           FROM cases c
           LEFT JOIN org_units u ON u.id = c.unit_id
           LEFT JOIN org_units d ON d.id = c.department_id
           LEFT JOIN staff s ON s.id = c.staff_id";

pub(crate) fn item_from_row(r: &rusqlite::Row<'_>) -> Result<CaseListItem> {
    {
        let source: String = r.get(2)?;
        let state: String = r.get(3)?;
        let level: Option<String> = r.get(4)?;
        let escalation: u8 = r.get(14)?;
        let stage_deadline: Option<String> = r.get(15)?;
        let state = CaseState::parse(&state).ok_or_else(|| ReplicaError::Corrupt(format!("cases.state = {state}")))?;
        Ok(CaseListItem {
            id: r.get(0)?,
            case_no: r.get(1)?,
            source: CaseSource::parse(&source)
                .ok_or_else(|| ReplicaError::Corrupt(format!("cases.source = {source}")))?,
            state,
            deadline_running: state.has_running_deadline() && stage_deadline.is_some(),
            deadline_stage: stage_deadline.as_ref().and(state.stage()),
            level: level
                .map(|l| Level::parse(&l).map_err(|_| ReplicaError::Corrupt(format!("cases.level = {l}"))))
                .transpose()?,
            channel: r.get(5)?,
            unit_id: r.get(6)?,
            unit_name: r.get(7)?,
            department_name: r.get(8)?,
            item_name: r.get(9)?,
            summary: r.get(10)?,
            created_at: r.get(11)?,
            deadline: stage_deadline.clone().or(r.get(12)?),
            // Marked by the app with the distributed calendar (`hcp_app::cases::overlay`).
            deadline_provisional: false,
            staff_name: r.get(13)?,
            escalation: EscalationLevel::from_index(escalation)
                .ok_or_else(|| ReplicaError::Corrupt(format!("cases.escalation_level = {escalation}")))?,
        })
    }
}
