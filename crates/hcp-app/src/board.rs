//! The 督办 board: the cases a supervisor (or a hall manager, for the hall's part) chases — at
//! risk, overdue and escalated — grouped by rung of the escalation ladder and by responsible unit,
//! with the working days overdue on each jurisdiction's working-day calendar and the last 催办;
//! and its bulk action 升级督办. Read from the replica with pending commands applied: works offline.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hcp_domain::case::machine::EscalationBasis;
use hcp_domain::escalation::{assess, DeadlineStatus};
use hcp_domain::{Calendar, CaseCommand, EscalationLevel};
use hcp_replica::{CaseListItem, Replica};
use serde::Serialize;

use crate::cases::{self, BulkResult};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// The event kind of a 催办 (reminder) in a case's timeline.
pub const URGE_EVENT: &str = "urged";

/// Where a case on the board stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum BoardStatus {
    /// The deadline has passed.
    Overdue,
    /// An extension request waits while the deadline is due or past: the clock is paused.
    Paused,
    /// Due today or within the policy's at-risk window.
    AtRisk,
    /// Escalated above the first line, its deadline not (yet) at risk.
    Escalated,
}

/// The last 催办 on a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct UrgeInfo {
    /// RFC 3339
    pub at: String,
    pub actor_name: String,
    /// The note the supervisor wrote, when there is one.
    pub note: Option<String>,
    /// How many 催办 the case has had.
    pub count: u32,
}

/// One case on the board.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BoardCase {
    /// The case as the inbox shows it, with pending commands applied.
    pub item: CaseListItem,
    pub status: BoardStatus,
    /// Working days past the due date on the jurisdiction's calendar (overdue cases).
    pub working_days_overdue: Option<u32>,
    /// Working days left until the due date (at-risk and escalated cases).
    pub working_days_left: Option<u32>,
    /// The rung the policy requires now, when above the case's rung.
    pub escalation_due: Option<EscalationLevel>,
    pub last_urge: Option<UrgeInfo>,
}

/// The cases of one responsible unit at one rung.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BoardUnit {
    /// The responsible department, or the case's unit while none is assigned.
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub unit_name: String,
    /// Most overdue first.
    pub cases: Vec<BoardCase>,
}

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BoardLevel {
    pub level: EscalationLevel,
    /// By name.
    pub units: Vec<BoardUnit>,
}

/// The 督办 board.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Board {
    /// Highest rung first; rungs without cases are left out.
    pub levels: Vec<BoardLevel>,
    pub overdue: u32,
    pub at_risk: u32,
    /// Cases above the first line.
    pub escalated: u32,
    /// Overdue cases the policy requires to move up now.
    pub escalation_due: u32,
    /// Today in Beijing (`YYYY-MM-DD`), the day the working days are counted to.
    pub today: String,
    /// The board holds the most urgent [`hcp_replica::board::MAX_BOARD`] cases only.
    pub truncated: bool,
}

fn may_use_board(role: hcp_domain::Role) -> bool {
    matches!(role, hcp_domain::Role::Supervisor | hcp_domain::Role::HallManager)
}

fn refuse(user: &hcp_protocol::UserInfo) -> ApiResult<()> {
    if may_use_board(user.role) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("督办看板供督查人员和大厅负责人使用，{}请在差评工单中查看自己的工单", user.role.label_zh()),
        ))
    }
}

pub(crate) fn urge_info(u: hcp_replica::board::LastUrge) -> UrgeInfo {
    let payload = u.data.get("payload").unwrap_or(&u.data);
    let note = ["note", "reason"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    UrgeInfo { at: u.at, actor_name: u.actor_name, note, count: u.count }
}

/// A rung's cases by responsible unit (name, id).
type UnitsByName = BTreeMap<(String, i64), Vec<BoardCase>>;

/// The board at `now`.
pub fn board(r: &Replica, user: &hcp_protocol::UserInfo, calendar: &Calendar, now: DateTime<Utc>) -> ApiResult<Board> {
    refuse(user)?;
    let actor = cases::actor(user)?;
    let today = hcp_domain::calendar::beijing_date(now);
    // The widest at-risk window of the jurisdiction's policy bounds the query; each case is then
    // judged by its own jurisdiction's calendar and policy.
    let (cal, policy) = cases::jurisdiction(r, calendar, &user.scope_path)?;
    let until = policy.escalation.at_risk_until(&cal, today) + chrono::Duration::days(14);
    let rows = r.board_rows(&until.format("%Y-%m-%d").to_string(), URGE_EVENT)?;
    let truncated = rows.len() >= hcp_replica::board::MAX_BOARD;
    let mut by_level: BTreeMap<std::cmp::Reverse<EscalationLevel>, UnitsByName> = BTreeMap::new();
    let (mut overdue, mut at_risk, mut escalated, mut escalation_due) = (0, 0, 0, 0);
    for row in rows {
        let (cal, policy) = cases::jurisdiction(r, calendar, &row.unit_path)?;
        let ctx = cases::context(&cal, &policy);
        let Some(case) = cases::project(r, row.item.id, &actor, &ctx, now)? else { continue };
        let a = assess(&case, &cal, &policy.deadlines, &policy.escalation, now);
        let up = case.escalation > EscalationLevel::FirstLine && !case.state.is_terminal();
        let (status, over, left) = match a.status {
            DeadlineStatus::Overdue { working_days_overdue, .. } => {
                (BoardStatus::Overdue, Some(working_days_overdue), None)
            }
            DeadlineStatus::AtRisk { working_days_left, .. } => (BoardStatus::AtRisk, None, Some(working_days_left)),
            DeadlineStatus::Paused { due } if due <= today => (BoardStatus::Paused, None, None),
            DeadlineStatus::OnTrack { working_days_left, .. } if up => {
                (BoardStatus::Escalated, None, Some(working_days_left))
            }
            _ if up => (BoardStatus::Escalated, None, None),
            _ => continue,
        };
        match status {
            BoardStatus::Overdue => overdue += 1,
            BoardStatus::AtRisk => at_risk += 1,
            _ => {}
        }
        if up {
            escalated += 1;
        }
        if a.escalation_due.is_some() {
            escalation_due += 1;
        }
        let mut item = row.item;
        item.state = case.state;
        item.escalation = case.escalation;
        cases::show_deadline(&mut item, &case);
        // The department the case was assigned to, or, before assignment, the one it arrived for.
        let (unit_id, unit_name) = match (case.department_id.or(row.department_id), item.department_name.clone()) {
            (Some(id), Some(name)) => (id, name),
            _ => (item.unit_id, item.unit_name.clone()),
        };
        by_level.entry(std::cmp::Reverse(case.escalation)).or_default().entry((unit_name, unit_id)).or_default().push(
            BoardCase {
                item,
                status,
                working_days_overdue: over,
                working_days_left: left,
                escalation_due: a.escalation_due,
                last_urge: row.last_urge.map(urge_info),
            },
        );
    }
    let levels = by_level
        .into_iter()
        .map(|(std::cmp::Reverse(level), units)| BoardLevel {
            level,
            units: units
                .into_iter()
                .map(|((unit_name, unit_id), mut cases)| {
                    cases.sort_by(|a, b| {
                        (a.status, std::cmp::Reverse(a.working_days_overdue), &a.item.deadline, a.item.id).cmp(&(
                            b.status,
                            std::cmp::Reverse(b.working_days_overdue),
                            &b.item.deadline,
                            b.item.id,
                        ))
                    });
                    BoardUnit { unit_id, unit_name, cases }
                })
                .collect(),
        })
        .collect();
    Ok(Board {
        levels,
        overdue,
        at_risk,
        escalated,
        escalation_due,
        today: today.format("%Y-%m-%d").to_string(),
        truncated,
    })
}

/// 升级督办 on several cases: a case the policy requires to move up goes straight to the required
/// rung ("by the overdue rule"); any other moves one rung up with `reason`, which it then needs.
pub fn bulk_escalate(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_ids: &[i64],
    reason: Option<String>,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<BulkResult> {
    refuse(user)?;
    let actor = cases::actor(user)?;
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    cases::bulk_issue(r, user, case_ids, calendar, now, |id| {
        let not_found = || ApiError::new(ErrorCode::NotFound, "本地没有该工单，请同步后再试");
        let row = r.case(id)?.ok_or_else(not_found)?;
        let (cal, policy) = cases::jurisdiction(r, calendar, &row.unit_path)?;
        let case = cases::project(r, id, &actor, &cases::context(&cal, &policy), now)?.ok_or_else(not_found)?;
        let due = assess(&case, &cal, &policy.deadlines, &policy.escalation, now).escalation_due;
        match (due, &reason) {
            (Some(_), _) => Ok(CaseCommand::Escalate { basis: EscalationBasis::Overdue }),
            (None, Some(reason)) => {
                Ok(CaseCommand::Escalate { basis: EscalationBasis::Manual { reason: reason.clone() } })
            }
            (None, None) => {
                Err(ApiError::new(ErrorCode::InvalidInput, "未达到超期升级条件，请填写升级理由后再升级督办"))
            }
        }
    })
}
