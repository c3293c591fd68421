//! Case detail and case commands: what the user may do, queued through the outbox and projected
//! onto the replica with the same domain rules the server applies.

use chrono::{DateTime, Utc};
use hcp_domain::case::machine::AppealState;
use hcp_domain::{
    Actor, Calendar, Case, CaseCommand, CaseState, CommandKind, EscalationLevel, PolicyContext, ScopePath,
};
use hcp_protocol::ClientCommand;
use hcp_replica::{CaseListItem, OutboxItem, Replica};
use serde::Serialize;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// One entry of a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TimelineEvent {
    /// `created`, `verified`, `assigned`, … (the event's kind).
    pub kind: String,
    pub actor_name: String,
    /// RFC 3339
    pub at: String,
    /// The event's payload as JSON text (`hcp_domain::EventPayload`: reason, measures, due date…).
    pub details: String,
    /// True for a command of this user still waiting to reach the server.
    pub pending: bool,
    /// The evidence files the command behind the event cited (their hashes are in the event).
    pub files: Vec<CitedFile>,
}

/// A file an event cites: its hash and, when the case's files name it, its name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CitedFile {
    pub sha256: String,
    /// Empty when no file of the case has this content (yet).
    pub name: String,
}

/// The files a replicated event cites (`attachments` beside its payload), named from the case's
/// files.
fn cited_files(data: &serde_json::Value, names: &std::collections::HashMap<String, String>) -> Vec<CitedFile> {
    data.get("attachments")
        .and_then(|a| a.as_array())
        .map(|shas| {
            shas.iter()
                .filter_map(|v| v.as_str())
                .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(|sha| CitedFile { sha256: sha.to_owned(), name: names.get(sha).cloned().unwrap_or_default() })
                .collect()
        })
        .unwrap_or_default()
}

/// The payload of a replicated event as JSON text. The server records the whole domain event
/// (`{version, at, actor, payload}`); the timeline shows its payload, the same shape as a pending
/// command's event.
fn event_details(data: &serde_json::Value) -> String {
    data.get("payload").filter(|p| p.is_object()).unwrap_or(data).to_string()
}

/// Everything the case page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CaseDetail {
    /// The case as the inbox shows it, with pending commands already applied.
    pub item: CaseListItem,
    /// The version the next command is based on (server version plus pending commands).
    pub version: u32,
    pub escalation: EscalationLevel,
    pub appeal: AppealState,
    pub real_name: bool,
    pub excluded_from_stats: bool,
    /// Working days until the deadline (negative when overdue); none when no deadline runs.
    pub working_days_left: Option<i32>,
    /// The commands this user may issue now.
    pub available: Vec<CommandKind>,
    pub events: Vec<TimelineEvent>,
    /// This case's commands still in the outbox (pending or rejected).
    pub outbox: Vec<OutboxItem>,
    /// Who may be assigned: department handlers in the case's district (within this user's
    /// jurisdiction), every department's together.
    pub handlers: Vec<Assignee>,
    /// The departments the case may be assigned to, each with its handlers (possibly none): the
    /// assign dialog picks the department first, then one of its handlers.
    pub departments: Vec<DepartmentChoice>,
    /// The rung a supervisor's escalation (with a reason) moves the case to; none at the top.
    pub escalation_next: Option<EscalationLevel>,
    /// The rung the escalation policy requires now that the case is overdue, when above its
    /// current rung (an escalation "by the overdue rule" goes straight there); none otherwise.
    pub escalation_due: Option<EscalationLevel>,
    /// The most working days one extension may ask for under the case's jurisdiction's policy
    /// (the extension form's limit).
    pub max_extension_days: u32,
    /// The staff roster of the case's district this user may name in an accountability decision
    /// (empty unless they may record one), and the staff named in the timeline.
    pub staff: Vec<StaffOption>,
    /// Open integrity leads (异常评价线索) that hold the rating behind the case: whoever verifies
    /// it should know the rating itself is under suspicion.
    pub integrity_leads: Vec<CaseLead>,
    /// The rating behind the case (evaluator masked), for bad reviews.
    pub rating: Option<hcp_replica::RatingSummary>,
    /// Whether this user's role may reveal the evaluator (with a reason, logged on the server).
    pub may_reveal_evaluator: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Assignee {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub user_id: i64,
    pub name: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub department_id: i64,
    pub department_name: String,
}

/// A department a case can be assigned to, with its active handlers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DepartmentChoice {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub name: String,
    /// By name; empty when the department has no handler yet.
    pub handlers: Vec<Assignee>,
}

/// A person of the staff roster, as the accountability picker and the timeline show them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StaffOption {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub name: String,
    /// The staff number, e.g. `GH00029`.
    pub employee_no: String,
    /// Department (or hall) and window.
    pub unit: String,
}

impl From<hcp_replica::tables::staff::StaffEntry> for StaffOption {
    fn from(e: hcp_replica::tables::staff::StaffEntry) -> Self {
        StaffOption { id: e.id, name: e.name, employee_no: e.employee_no, unit: e.unit }
    }
}

/// An open integrity lead on the rating behind a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CaseLead {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    /// e.g. `burst_same_device`
    pub kind: String,
    /// e.g. 同一设备集中评价
    pub kind_label: String,
    /// `low`, `medium` or `high`.
    pub severity: String,
    /// RFC 3339
    pub detected_at: String,
}

/// A unit the inbox can be filtered by.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct UnitOption {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub name: String,
    /// `district`, `park`, `town`, `hall` or `department`.
    pub kind: String,
    /// Levels below the user's own unit (0 = the user's unit), for indenting.
    pub depth: u32,
}

/// The answer to an issued command.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    pub command_id: String,
    /// The state the case will be in once the server applies the command (none for a verdict on
    /// an integrity flag).
    pub projected_state: Option<CaseState>,
}

/// The signed-in user as the domain sees them.
pub fn actor(user: &hcp_protocol::UserInfo) -> ApiResult<Actor> {
    let scope = ScopePath::try_from(user.scope_path.clone()).map_err(|e| ApiError::new(ErrorCode::Internal, e))?;
    Ok(Actor { user_id: user.id, role: user.role, scope })
}

fn parse_command(item: &OutboxItem) -> Option<CaseCommand> {
    serde_json::from_str(&item.command).ok()
}

/// The case with the user's pending commands applied (those the rules still accept).
pub fn project(
    r: &Replica,
    case_id: i64,
    actor: &Actor,
    ctx: &PolicyContext<'_>,
    now: DateTime<Utc>,
) -> ApiResult<Option<Case>> {
    Ok(project_with_events(r, case_id, actor, ctx, now)?.map(|(case, _)| case))
}

/// Like [`project`], also returning the events the pending commands will produce.
fn project_with_events(
    r: &Replica,
    case_id: i64,
    actor: &Actor,
    ctx: &PolicyContext<'_>,
    now: DateTime<Utc>,
) -> ApiResult<Option<(Case, Vec<hcp_domain::CaseEvent>)>> {
    let Some(row) = r.case(case_id)? else { return Ok(None) };
    let Some(mut case) = row.aggregate.map(|a| *a) else { return Ok(None) };
    let mut events = Vec::new();
    for item in r.pending_for_case(case_id)? {
        if let Some(cmd) = parse_command(&item) {
            let at = DateTime::parse_from_rfc3339(&item.created_at).map_or(now, |t| t.with_timezone(&Utc));
            if let Ok((next, event)) = hcp_domain::apply(Some(&case), actor, &cmd, at, ctx) {
                case = next;
                events.push(event);
            }
        }
    }
    Ok(Some((case, events)))
}

/// The calendar and the deadline/escalation policy in force at the unit at `path`, as the server
/// distributed them through the feed (the bundled calendar and the defaults when it sent none), so
/// local projections count deadlines exactly as the server will.
pub fn jurisdiction(
    r: &Replica,
    bundled: &Calendar,
    path: &str,
) -> ApiResult<(Calendar, hcp_protocol::JurisdictionPolicy)> {
    use hcp_protocol::setting_keys;
    let calendar = match r.setting(setting_keys::CALENDAR, path)? {
        Some(json) => Calendar::from_json(&json)
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("服务器下发的工作日历无法读取：{e}")))?,
        None => bundled.clone(),
    };
    Ok((calendar, policy(r, path)?))
}

/// The policy in force at `path` (the defaults when the server set none).
pub fn policy(r: &Replica, path: &str) -> ApiResult<hcp_protocol::JurisdictionPolicy> {
    Ok(match r.setting(hcp_protocol::setting_keys::POLICY, path)? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("服务器下发的时限规则无法读取：{e}")))?,
        None => hcp_protocol::JurisdictionPolicy::default(),
    })
}

pub fn context<'a>(calendar: &'a Calendar, policy: &hcp_protocol::JurisdictionPolicy) -> PolicyContext<'a> {
    PolicyContext { calendar, deadlines: policy.deadlines, escalation: policy.escalation }
}

/// Overlays pending commands on an inbox page.
pub fn overlay(
    r: &Replica,
    items: &mut [CaseListItem],
    actor: &Actor,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let pending: std::collections::HashSet<i64> = r.pending(10_000)?.into_iter().filter_map(|c| c.case_id).collect();
    for item in items.iter_mut().filter(|i| pending.contains(&i.id)) {
        let Some(path) = r.case(item.id)?.map(|c| c.unit_path) else { continue };
        let (cal, policy) = jurisdiction(r, calendar, &path)?;
        if let Some(case) = project(r, item.id, actor, &context(&cal, &policy), now)? {
            apply_projection(item, &case);
        }
    }
    // The calendar is set city-wide: the one in force in the user's jurisdiction is every case's.
    let (cal, _) = jurisdiction(r, calendar, actor.scope.as_str())?;
    for item in items.iter_mut() {
        mark_provisional(item, &cal);
    }
    Ok(())
}

fn apply_projection(item: &mut CaseListItem, case: &Case) {
    item.state = case.state;
    show_deadline(item, case);
    item.escalation = case.escalation;
}

/// The deadline a row shows for `case` (the replica's rule, `hcp_replica::query::shown_deadline`):
/// the current stage's, else the last rectification deadline.
pub(crate) fn show_deadline(item: &mut CaseListItem, case: &Case) {
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let stage = case.deadline();
    item.deadline_running = stage.is_some() && case.state.has_running_deadline();
    item.deadline_stage = stage.map(|(s, _)| s);
    item.deadline = stage.map(|(_, d)| day(d)).or_else(|| case.due_date.map(day));
}

/// Marks a deadline counted on the provisional arrangement of a year without a notice (暂定).
fn mark_provisional(item: &mut CaseListItem, calendar: &Calendar) {
    item.deadline_provisional = item
        .deadline
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .is_some_and(|d| calendar.is_provisional(d));
}

/// Validates a command against the projected case and queues it.
pub fn issue(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_id: Option<i64>,
    command: &CaseCommand,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<Issued> {
    issue_citing(r, user, case_id, command, calendar, now, &|_| Ok(()))
}

/// [`issue`], calling `cite(command_id)` once the command is checked and right before it is
/// queued (to record the evidence files it cites first: a command never waits without them).
pub fn issue_citing(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_id: Option<i64>,
    command: &CaseCommand,
    calendar: &Calendar,
    now: DateTime<Utc>,
    cite: &dyn Fn(&str) -> ApiResult<()>,
) -> ApiResult<Issued> {
    let actor = actor(user)?;
    let path = match (case_id, command) {
        (Some(id), _) => r.case(id)?.map_or_else(|| user.scope_path.clone(), |c| c.unit_path),
        (None, CaseCommand::Create { unit, .. }) => unit.to_string(),
        (None, _) => user.scope_path.clone(),
    };
    let (cal, policy) = jurisdiction(r, calendar, &path)?;
    let ctx = context(&cal, &policy);
    let projected = match case_id {
        Some(id) => Some(
            project(r, id, &actor, &ctx, now)?
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "本地没有该工单，请同步后再试"))?,
        ),
        None => None,
    };
    let (next, _) = hcp_domain::apply(projected.as_ref(), &actor, command, now, &ctx)
        .map_err(|e| ApiError::new(e.code(), e.to_string()))?;
    check_references(r, user, &path, command)?;
    let queued = ClientCommand::Case(command.clone());
    let json = queued.payload().map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    // The server refuses anything larger; say so now rather than after the sync.
    if let Some(why) = hcp_protocol::command_size_refusal(json.len()) {
        return Err(ApiError::new(ErrorCode::InvalidInput, why));
    }
    let command_id = queue_with(r, case_id, projected.as_ref().map(|c| c.version as i64), &queued, now, cite)?;
    Ok(Issued { command_id, projected_state: Some(next.state) })
}

/// Queues a typed command in the outbox under a new id (see [`queue_with`]); returns the id.
pub(crate) fn queue(
    r: &Replica,
    case_id: Option<i64>,
    base_version: Option<i64>,
    command: &ClientCommand,
    now: DateTime<Utc>,
) -> ApiResult<String> {
    queue_with(r, case_id, base_version, command, now, &|_| Ok(()))
}

/// Queues a typed command under a new id, after `before` (given the id) has done its part (the
/// evidence files a case command cites); returns the id.
fn queue_with(
    r: &Replica,
    case_id: Option<i64>,
    base_version: Option<i64>,
    command: &ClientCommand,
    now: DateTime<Utc>,
    before: &dyn Fn(&str) -> ApiResult<()>,
) -> ApiResult<String> {
    let command_id = uuid::Uuid::now_v7().to_string();
    before(&command_id)?;
    r.enqueue_command(&hcp_replica::NewClientCommand {
        command_id: &command_id,
        case_id,
        base_version,
        command,
        created_at: &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })?;
    Ok(command_id)
}

/// The case page.
pub fn detail(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_id: i64,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<CaseDetail> {
    let actor = actor(user)?;
    let not_found = || ApiError::new(ErrorCode::NotFound, "本地没有该工单，请同步后再试");
    let path = r.case(case_id)?.ok_or_else(not_found)?.unit_path;
    let (cal, policy) = jurisdiction(r, calendar, &path)?;
    let ctx = context(&cal, &policy);
    let (case, pending_events) = project_with_events(r, case_id, &actor, &ctx, now)?.ok_or_else(not_found)?;
    let mut item = r.case_item(case_id)?.ok_or_else(not_found)?;
    apply_projection(&mut item, &case);
    mark_provisional(&mut item, &cal);
    let names: std::collections::HashMap<String, String> =
        r.attachments_of_case(case_id)?.into_iter().map(|a| (a.sha256, a.name)).collect();
    let mut events: Vec<TimelineEvent> = r
        .case_events(case_id)?
        .into_iter()
        .map(|e| TimelineEvent {
            files: cited_files(&e.data, &names),
            kind: e.kind,
            actor_name: e.actor_name,
            at: e.at,
            details: event_details(&e.data),
            pending: false,
        })
        .collect();
    let outbox: Vec<OutboxItem> = r.outbox()?.into_iter().filter(|o| o.case_id == Some(case_id)).collect();
    // Pending commands appear as the events they will produce, in the same shape as the server's.
    for e in pending_events {
        events.push(TimelineEvent {
            kind: e.kind().to_owned(),
            actor_name: user.display_name.clone(),
            at: e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            details: serde_json::to_string(&e.payload).unwrap_or_default(),
            pending: true,
            // A queued command's files show in the 附件 section as 待上传 until it is sent.
            files: Vec::new(),
        });
    }
    let working_days_left = case.clock().map(|(_, due)| {
        let today = hcp_domain::calendar::beijing_date(now);
        i32::try_from(calendar.working_days_between(today, due)).unwrap_or(i32::MAX)
    });
    let departments = assign_choices(r, &user.scope_path, Some(&case.unit))?;
    let handlers = departments.iter().flat_map(|d| d.handlers.iter().cloned()).collect();
    let rating_id = r.case(case_id)?.and_then(|c| c.rating_id);
    let rating = match rating_id {
        Some(id) => r.rating_summary(id)?,
        None => None,
    };
    let integrity_leads = match rating_id {
        Some(id) => r
            .open_flags_for_rating(id)?
            .into_iter()
            .map(|f| CaseLead {
                id: f.id,
                kind: f.kind.as_str().to_owned(),
                kind_label: f.kind.label_zh().to_owned(),
                severity: f.severity.as_str().to_owned(),
                detected_at: f.detected_at,
            })
            .collect(),
        None => Vec::new(),
    };
    let available = hcp_domain::available_commands(Some(&case), &actor);
    let mut staff: Vec<StaffOption> = Vec::new();
    if available.contains(&CommandKind::RecordAccountability) {
        if let Some(base) = within(&user.scope_path, &district_of(&case.unit)) {
            staff.extend(r.staff_under(&base)?.into_iter().map(StaffOption::from));
        }
    }
    let named: Vec<i64> = events.iter().filter_map(|e| accountability_subject(&e.details)).collect();
    let missing: Vec<i64> = named.into_iter().filter(|id| !staff.iter().any(|s| s.id == *id)).collect();
    staff.extend(r.staff_by_ids(&missing)?.into_iter().map(StaffOption::from));
    let assessment = hcp_domain::escalation::assess(&case, &cal, &policy.deadlines, &policy.escalation, now);
    Ok(CaseDetail {
        rating,
        may_reveal_evaluator: user.role.may_reveal_evaluator(),
        item,
        version: u32::try_from(case.version).unwrap_or(u32::MAX),
        escalation: case.escalation,
        appeal: case.appeal,
        real_name: case.real_name,
        excluded_from_stats: case.excluded_from_stats,
        working_days_left,
        escalation_next: case.escalation.next(),
        escalation_due: assessment.escalation_due,
        max_extension_days: policy.deadlines.max_extension_working_days,
        available,
        events,
        outbox,
        handlers,
        departments,
        staff,
        integrity_leads,
    })
}

/// An evaluator's identity as revealed by the server (shown once, never stored on this laptop).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Evaluator {
    pub real_name: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// The district of a unit path ([`ScopePath::district`]).
fn district_of(unit: &ScopePath) -> String {
    unit.district().as_str().to_owned()
}

/// The deeper of two nested unit paths (where both reach), none when neither contains the other.
fn within(a: &str, b: &str) -> Option<String> {
    if a.starts_with(b) {
        Some(a.to_owned())
    } else if b.starts_with(a) {
        Some(b.to_owned())
    } else {
        None
    }
}

/// Where this user may assign cases of `unit` (or, with none, any case of their jurisdiction):
/// the departments inside both their jurisdiction and the case's district, each with its
/// active handlers (the server checks the same).
pub fn assign_choices(r: &Replica, scope: &str, unit: Option<&ScopePath>) -> ApiResult<Vec<DepartmentChoice>> {
    let base = match unit {
        Some(u) => within(scope, &district_of(u)),
        None => Some(scope.to_owned()),
    };
    let Some(base) = base else { return Ok(Vec::new()) };
    Ok(r.departments_under(&base)?
        .into_iter()
        .map(|d| DepartmentChoice {
            handlers: d
                .handlers
                .into_iter()
                .map(|(user_id, name)| Assignee { user_id, name, department_id: d.id, department_name: d.name.clone() })
                .collect(),
            id: d.id,
            name: d.name,
        })
        .collect())
}

/// Who may be assigned cases in a jurisdiction: the department handlers of its departments.
pub fn assignees(r: &Replica, scope: &str) -> ApiResult<Vec<Assignee>> {
    Ok(assign_choices(r, scope, None)?.into_iter().flat_map(|d| d.handlers).collect())
}

/// The staff id an `accountability_recorded` event's details name.
fn accountability_subject(details: &str) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_str(details).ok()?;
    (v.get("kind")?.as_str()? == "accountability_recorded").then(|| v.get("subject_staff_id")?.as_i64()).flatten()
}

/// The ids a command names, checked against the replica as the server will check them (so a
/// bad choice is refused at once, not after the sync): an assignment's department lies in the
/// case's district inside the user's jurisdiction and the handler is one of its active handlers;
/// an accountability decision names a staff member of the case's district.
fn check_references(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_path: &str,
    command: &CaseCommand,
) -> ApiResult<()> {
    let unit = ScopePath::try_from(case_path.to_owned()).map_err(|e| ApiError::new(ErrorCode::Internal, e))?;
    let refuse = |m: String| Err(ApiError::new(ErrorCode::InvalidInput, m));
    match command {
        CaseCommand::Assign { department_id, handler_id, .. } => {
            let choices = assign_choices(r, &user.scope_path, Some(&unit))?;
            let Some(dept) = choices.iter().find(|d| d.id == *department_id) else {
                return refuse(format!("承办部门 {department_id} 不存在，或不在您的辖区与本工单所在辖区内"));
            };
            if dept.handlers.is_empty() {
                return refuse(format!("承办部门“{}”暂无承办人，请选择其他部门或联系管理员添加承办人", dept.name));
            }
            if !dept.handlers.iter().any(|h| h.user_id == *handler_id) {
                return refuse(format!("承办人 {handler_id} 不是承办部门“{}”的在岗承办人", dept.name));
            }
        }
        CaseCommand::RecordAccountability { subject_staff_id, .. } => {
            let known = within(&user.scope_path, &district_of(&unit))
                .map(|base| r.staff_under(&base))
                .transpose()?
                .is_some_and(|staff| staff.iter().any(|s| s.id == *subject_staff_id));
            if !known {
                return refuse(format!("被问责人员 {subject_staff_id} 不存在，或不是本工单所在辖区的工作人员"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// One case a bulk action could not queue, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub case_id: i64,
    pub case_no: String,
    pub code: crate::ErrorCode,
    pub message: String,
}

/// What a bulk action queued and what it could not.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    pub queued: u32,
    pub refused: Vec<Refusal>,
}

/// Assigns every case to one handler, each through the same rules as a single assignment.
pub fn bulk_assign(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_ids: &[i64],
    handler_id: i64,
    department_id: i64,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<BulkResult> {
    bulk_issue(r, user, case_ids, calendar, now, |_| {
        Ok(CaseCommand::Assign { department_id, handler_id, due_date: None })
    })
}

/// 催办 (批量催办): presses the handlers of one or many cases with one note, each through the
/// same rules as a single 催办 (a supervisor, a case whose deadline runs).
pub fn urge_cases(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_ids: &[i64],
    note: &str,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<BulkResult> {
    bulk_issue(r, user, case_ids, calendar, now, |_| Ok(CaseCommand::Urge { note: note.to_owned() }))
}

/// Queues the command `command_for(case)` on every case (1–500 of them), each through the same
/// rules as a single command; the cases refused (by `command_for` or by the rules) are listed with
/// the reason.
pub fn bulk_issue(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_ids: &[i64],
    calendar: &Calendar,
    now: DateTime<Utc>,
    command_for: impl Fn(i64) -> ApiResult<CaseCommand>,
) -> ApiResult<BulkResult> {
    if case_ids.is_empty() || case_ids.len() > 500 {
        return Err(ApiError::new(ErrorCode::InvalidInput, "请选择 1–500 件工单"));
    }
    let mut result = BulkResult { queued: 0, refused: Vec::new() };
    for id in case_ids {
        match command_for(*id).and_then(|cmd| issue(r, user, Some(*id), &cmd, calendar, now)) {
            Ok(_) => result.queued += 1,
            Err(e) => result.refused.push(Refusal {
                case_id: *id,
                case_no: r.case_item(*id).ok().flatten().map(|c| c.case_no).unwrap_or_else(|| id.to_string()),
                code: e.code,
                message: e.message,
            }),
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::event_details;
    use serde_json::json;

    #[test]
    fn replicated_events_show_their_payload_like_pending_ones() {
        let server = json!({"version": 2, "at": "2026-11-20T01:00:00Z", "actor": {"user_id": 5},
                            "payload": {"kind": "verified", "outcome": "genuine", "reason": "属实"}});
        let details: serde_json::Value = serde_json::from_str(&event_details(&server)).expect("json");
        assert_eq!(details, json!({"kind": "verified", "outcome": "genuine", "reason": "属实"}));
        let bare = json!({"kind": "created", "source": "bad_review"});
        assert_eq!(event_details(&bare), bare.to_string());
    }
}
