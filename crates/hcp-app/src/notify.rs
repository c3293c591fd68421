//! What concerns the signed-in user after a sync (the header's bell and the OS notifications):
//! new assignments to them, their cases at risk or overdue, cases escalated to their rung, and
//! 催办 addressed to their unit.
//!
//! Each notification has a stable key (the event's id, or the case and due date of a deadline
//! warning) recorded in the replica, so nothing is notified twice across syncs and restarts; and
//! nothing older than the user's previous session is notified (what happened before then they
//! saw in the app, or is history: a fresh replica's bootstrap notifies nothing old).

use chrono::{DateTime, NaiveDate, Utc};
use hcp_domain::{Calendar, EscalationLevel, Role};
use hcp_replica::tables::notifications::NotificationRow;
use hcp_replica::{CaseQuery, DueWindow, Replica};
use serde::Serialize;

use crate::cases;
use crate::error::ApiResult;

/// Replica meta: when the current session began (RFC 3339).
pub const SESSION_STARTED_AT: &str = "session_started_at";
/// Replica meta: nothing older than this is notified (the previous session's start).
pub const NOTIFY_NOT_BEFORE: &str = "notify_not_before";
/// Replica meta: `off` when the user turned OS notifications off.
pub const NOTIFY_OS: &str = "notify_os";

/// The most events one collection reads.
const MAX_EVENTS: u32 = 5_000;

/// One notification, as the bell lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub case_id: i64,
    /// `assigned`, `at_risk`, `overdue`, `escalated` or `urged`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// When it happened (RFC 3339).
    pub at: String,
    pub read: bool,
}

impl From<NotificationRow> for Notification {
    fn from(n: NotificationRow) -> Self {
        Notification {
            id: n.id,
            case_id: n.case_id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            at: n.at,
            read: n.read,
        }
    }
}

/// The bell's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Notifications {
    /// Newest first.
    pub items: Vec<Notification>,
    pub unread: u32,
    /// Whether OS notifications are on.
    pub os_enabled: bool,
}

/// The rungs whose escalations concern a role: supervisors take the coordination and inspection
/// rungs, discipline liaisons accountability.
fn rungs_of(role: Role) -> &'static [EscalationLevel] {
    match role {
        Role::Supervisor => &[EscalationLevel::CoordinationOffice, EscalationLevel::GovernmentInspection],
        Role::DisciplineLiaison => &[EscalationLevel::Accountability],
        _ => &[],
    }
}

fn parse_at(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&Utc))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The first day a case due on `due` is at risk: `within` working days before it.
fn at_risk_from(calendar: &Calendar, due: NaiveDate, within: u32) -> NaiveDate {
    let mut d = due;
    let mut left = within;
    while left > 0 {
        match d.pred_opt() {
            Some(p) => d = p,
            None => break,
        }
        if calendar.is_working_day(d) {
            left -= 1;
        }
    }
    d
}

/// Every notification that concerns `user` now and that happened at or after `not_before`, new or
/// not (see [`collect`]).
pub fn candidates(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    calendar: &Calendar,
    now: DateTime<Utc>,
    not_before: DateTime<Utc>,
) -> ApiResult<Vec<NotificationRow>> {
    let notified_at = rfc3339(now);
    let mut out = Vec::new();
    let row = |id: String, case_id: i64, kind: &str, title: String, body: String, at: String| NotificationRow {
        id,
        case_id,
        kind: kind.to_owned(),
        title,
        body,
        at,
        notified_at: notified_at.clone(),
        read: false,
    };
    let case_no =
        |id: i64| -> String { r.case_item(id).ok().flatten().map(|c| c.case_no).unwrap_or_else(|| format!("#{id}")) };
    // Events: assignments to me, escalations to my rung, 催办 to my unit.
    for e in r.case_events_since(&rfc3339(not_before), MAX_EVENTS)? {
        let Some(at) = parse_at(&e.at) else { continue };
        if at < not_before || e.actor_user_id == Some(user.id) {
            continue;
        }
        let payload = e.data.get("payload").unwrap_or(&e.data);
        let id = format!("event:{}", e.id);
        match e.kind.as_str() {
            "assigned" if payload.get("handler_id").and_then(|v| v.as_i64()) == Some(user.id) => {
                let due = payload.get("due_date").and_then(|v| v.as_str()).unwrap_or("");
                let no = case_no(e.case_id);
                out.push(row(
                    id,
                    e.case_id,
                    "assigned",
                    format!("新交办工单 {no}"),
                    format!("{}将工单 {no} 交办给您，整改期限 {due}", e.actor_name),
                    e.at.clone(),
                ));
            }
            "escalated" => {
                let to = payload.get("to").and_then(|v| v.as_str()).and_then(EscalationLevel::parse);
                if let Some(to) = to.filter(|t| rungs_of(user.role).contains(t)) {
                    let no = case_no(e.case_id);
                    out.push(row(
                        id,
                        e.case_id,
                        "escalated",
                        format!("工单 {no} 升级至{}", to.label_zh()),
                        format!("工单 {no} 已升级至“{}”，请及时督办", to.label_zh()),
                        e.at.clone(),
                    ));
                }
            }
            crate::board::URGE_EVENT => {
                let Some(case) = r.case(e.case_id)? else { continue };
                let mine = case.department_id == Some(user.unit_id)
                    || case.unit_id == user.unit_id
                    || case.handler_user_id == Some(user.id);
                if mine {
                    let no = case_no(e.case_id);
                    let note = payload.get("note").and_then(|v| v.as_str()).map(str::trim).unwrap_or("");
                    let body = if note.is_empty() {
                        format!("{}对工单 {no} 发出催办，请尽快办理", e.actor_name)
                    } else {
                        format!("{}对工单 {no} 发出催办：{note}", e.actor_name)
                    };
                    out.push(row(id, e.case_id, "urged", format!("催办：工单 {no}"), body, e.at.clone()));
                }
            }
            _ => {}
        }
    }
    // Deadlines of my cases: the handler's own, the hall manager's hall's.
    let mine = match user.role {
        Role::DepartmentHandler => Some(CaseQuery { handler_user_id: Some(user.id), ..CaseQuery::default() }),
        Role::HallManager => Some(CaseQuery { unit_id: Some(user.unit_id), ..CaseQuery::default() }),
        _ => None,
    };
    if let Some(base) = mine {
        let today = hcp_domain::calendar::beijing_date(now);
        let (cal, policy) = cases::jurisdiction(r, calendar, &user.scope_path)?;
        let until = policy.escalation.at_risk_until(&cal, today);
        for due in [DueWindow::Overdue, DueWindow::AtRisk] {
            let q = CaseQuery {
                due: Some(due),
                today: Some(today.format("%Y-%m-%d").to_string()),
                at_risk_until: Some(until.format("%Y-%m-%d").to_string()),
                limit: hcp_replica::query::MAX_PAGE,
                ..base.clone()
            };
            for c in r.list_cases(&q)?.items {
                let Some(deadline) = c.deadline.as_deref() else { continue };
                let Ok(date) = NaiveDate::parse_from_str(deadline, "%Y-%m-%d") else { continue };
                let stage = c.deadline_stage.map_or("整改", |s| s.label_zh());
                // When the case became overdue (the day after its due date) or at risk (the first
                // day of the window before it).
                let (kind, since, title, body) = match due {
                    DueWindow::Overdue => (
                        "overdue",
                        hcp_domain::calendar::beijing_start(date + chrono::Duration::days(1)),
                        format!("工单 {} 已超期", c.case_no),
                        format!("工单 {} 的{stage}期限 {deadline} 已过，请尽快办理", c.case_no),
                    ),
                    _ => (
                        "at_risk",
                        hcp_domain::calendar::beijing_start(at_risk_from(&cal, date, policy.escalation.at_risk_within)),
                        format!("工单 {} 即将到期", c.case_no),
                        format!("工单 {} 的{stage}期限为 {deadline}，即将到期", c.case_no),
                    ),
                };
                if since < not_before {
                    continue;
                }
                out.push(row(format!("{kind}:{}:{deadline}", c.id), c.id, kind, title, body, rfc3339(since)));
            }
        }
    }
    Ok(out)
}

/// Records what concerns `user` and was not notified before; returns the new notifications (for
/// the OS notification), oldest first. `not_before` bounds the events' age.
pub fn collect(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    calendar: &Calendar,
    now: DateTime<Utc>,
    not_before: DateTime<Utc>,
) -> ApiResult<Vec<Notification>> {
    let all = candidates(r, user, calendar, now, not_before)?;
    Ok(r.record_notifications(&all)?.into_iter().map(Notification::from).collect())
}

/// The previous session's start becomes the bound of what is notified; this session starts now.
pub fn start_session(r: &Replica, now: DateTime<Utc>) -> ApiResult<()> {
    let previous = r.meta(SESSION_STARTED_AT)?.unwrap_or_else(|| rfc3339(now));
    r.set_meta(NOTIFY_NOT_BEFORE, &previous)?;
    r.set_meta(SESSION_STARTED_AT, &rfc3339(now))?;
    Ok(())
}

/// The bound [`start_session`] set (now when none).
pub fn not_before(r: &Replica, now: DateTime<Utc>) -> ApiResult<DateTime<Utc>> {
    Ok(r.meta(NOTIFY_NOT_BEFORE)?.as_deref().and_then(parse_at).unwrap_or(now))
}

/// Whether OS notifications are on (the default).
pub fn os_enabled(r: &Replica) -> ApiResult<bool> {
    Ok(r.meta(NOTIFY_OS)?.as_deref() != Some("off"))
}

/// The bell's list: the newest 100.
pub fn list(r: &Replica) -> ApiResult<Notifications> {
    let (rows, unread) = r.notifications(100)?;
    Ok(Notifications { items: rows.into_iter().map(Notification::from).collect(), unread, os_enabled: os_enabled(r)? })
}
