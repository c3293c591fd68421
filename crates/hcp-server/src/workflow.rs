//! Case commands: the one path by which a case changes, whoever asks (the online API, an outbox
//! push, intake of a bad review, the seeder).
//!
//! A command is applied through `hcp_domain::apply` (the authority on roles, scope and states) in
//! the caller's transaction: the case row with its aggregate, the event, the change-log entries,
//! the evidence chain for appeals and accountability, and the command's own record all commit
//! together, so a command is applied once and its effects are never half-visible.

use crate::db::{audit_log, case_events, cases, commands, evidence, settings, Conn, DbError, DbResult};
use chrono::{DateTime, SecondsFormat, Utc};
use hcp_domain::{Actor, Calendar, CaseCommand, Level, PolicyContext, Role, ScopePath};
use hcp_protocol::{CaseEventRow, CaseRow, CommandEnvelope, CommandResult, CommandStatus, ErrorCode};

/// Who issues a command.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub scope: ScopePath,
}

/// The user id recorded for commands the server issues itself (cases opened by intake).
pub const SYSTEM_USER_ID: i64 = 0;

/// Command ids the server issues itself start with this; clients may not use it, so nobody can
/// pre-empt (and so block) an id the server will need.
pub const SYSTEM_ID_PREFIX: &str = "sys:";

impl Principal {
    /// The server itself, acting as a supervisor within `scope`.
    pub fn system(scope: ScopePath) -> Principal {
        Principal { user_id: SYSTEM_USER_ID, name: "系统".into(), role: Role::Supervisor, scope }
    }
}

/// Facts a new case copies from the rating that opened it.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub rating_id: Option<i64>,
    pub level: Option<Level>,
    pub channel: Option<u8>,
    pub item_name: Option<String>,
    pub staff_id: Option<i64>,
    pub department_id: Option<i64>,
    /// The 12345 hotline's ticket number of a complaint (its progress is reported back, see
    /// [`crate::hotline`]).
    pub ticket_no: Option<String>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn rejected(command_id: &str, code: ErrorCode, message: impl Into<String>) -> CommandResult {
    CommandResult {
        command_id: command_id.to_owned(),
        status: CommandStatus::Rejected,
        code: Some(code),
        message: Some(message.into()),
        case: None,
    }
}

/// For a unit path: whether the unit exists, the hall it belongs to (the unit itself when no hall
/// is above it) and the department it belongs to, if any.
fn locate(conn: &Conn<'_>, path: &ScopePath) -> DbResult<Option<(i64, Option<i64>)>> {
    let exists: Option<i64> =
        conn.query_opt("SELECT id FROM org_units WHERE path = ?1", [path.as_str()], |r| r.get(0))?;
    let Some(unit_id) = exists else { return Ok(None) };
    let mut hall = None;
    let mut department = None;
    for id in path.ids() {
        let kind: Option<String> = conn.query_opt("SELECT kind FROM org_units WHERE id = ?1", [id], |r| r.get(0))?;
        match kind.as_deref() {
            Some("hall") => hall = Some(id),
            Some("department") => department = Some(id),
            _ => {}
        }
    }
    Ok(Some((hall.unwrap_or(unit_id), department)))
}

/// A `create` whose unit path no longer exists but whose unit (the path's last id) does, with the
/// unit's current path; `None` for any other command.
fn relocate(conn: &Conn<'_>, command: &CaseCommand) -> DbResult<Option<CaseCommand>> {
    let CaseCommand::Create { unit, .. } = command else { return Ok(None) };
    if conn.query_opt("SELECT 1 FROM org_units WHERE path = ?1", [unit.as_str()], |_| Ok(()))?.is_some() {
        return Ok(None);
    }
    let Some(id) = unit.ids().last().copied() else { return Ok(None) };
    let Some(path) = conn.query_opt("SELECT path FROM org_units WHERE id = ?1", [id], |r| r.get::<String>(0))? else {
        return Ok(None);
    };
    let Ok(path) = ScopePath::try_from(path) else { return Ok(None) };
    let mut moved = command.clone();
    if let CaseCommand::Create { unit, .. } = &mut moved {
        *unit = path;
    }
    Ok(Some(moved))
}

/// Applies one command inside the caller's transaction and records its outcome.
pub fn execute(
    conn: &Conn<'_>,
    who: &Principal,
    env: &CommandEnvelope,
    client_id: Option<&str>,
    origin: Option<&Origin>,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> DbResult<CommandResult> {
    let id = env.command_id.trim();
    if id.is_empty() || id.len() > 64 {
        return Ok(rejected(&env.command_id, ErrorCode::InvalidInput, "command_id 应为 1–64 个字符"));
    }
    if let Some(prev) = commands::find(conn, id)? {
        // The server's own ids (intake's) are answered to whoever reports the same rating or
        // ticket again; clients cannot send them (see `routes::cases`).
        if prev.user_id != who.user_id && !id.starts_with(SYSTEM_ID_PREFIX) {
            return Ok(rejected(id, ErrorCode::InvalidInput, "command_id 已被其他用户使用"));
        }
        return Ok(match prev.status {
            CommandStatus::Rejected => CommandResult {
                command_id: id.to_owned(),
                status: CommandStatus::Rejected,
                code: prev.code,
                message: prev.message,
                case: None,
            },
            _ => {
                // The case as it is now, only while the caller may still see it: a replay after
                // the caller lost the case's jurisdiction answers like any foreign case.
                let mut case = prev.case_id.map(|c| cases::get(conn, c)).transpose()?.flatten();
                if let Some(row) = case.as_mut() {
                    cases::mark_provisional(row, &settings::calendar(conn, calendar)?);
                }
                match case {
                    Some(row) if !visible_to(&row, who) => {
                        rejected(id, ErrorCode::NotFound, format!("工单 {} 不存在", row.id))
                    }
                    case => CommandResult {
                        command_id: id.to_owned(),
                        status: CommandStatus::Duplicate,
                        code: None,
                        message: None,
                        case,
                    },
                }
            }
        });
    }
    let at = rfc3339(now);
    let outcome = decide(conn, who, env, origin, now, calendar)?;
    let (status, code, message, case_id, result) = match outcome {
        Ok((row, event_id)) => {
            record_evidence(conn, &row, event_id, who, &at)?;
            (CommandStatus::Applied, None, None, Some(row.id), Some(row))
        }
        Err((code, message)) => (CommandStatus::Rejected, Some(code), Some(message), env.case_id, None),
    };
    audit_log::record(
        conn,
        &audit_log::Entry {
            id: 0,
            at: at.clone(),
            user_id: (who.user_id != SYSTEM_USER_ID).then_some(who.user_id),
            user_name: who.name.clone(),
            unit_path: who.scope.to_string(),
            client_id: client_id.map(str::to_owned),
            action: format!("case.{}", env.command.kind().as_str()),
            target: case_id.map_or_else(|| "case:new".to_owned(), |c| format!("case:{c}")),
            outcome: match (&status, &code) {
                (CommandStatus::Rejected, Some(c)) => format!("rejected:{c}"),
                (CommandStatus::Rejected, None) => "rejected".into(),
                _ => "applied".into(),
            },
            detail: message.clone().unwrap_or_default(),
        },
    )?;
    commands::record(
        conn,
        &commands::NewRecord {
            command_id: id,
            client_id,
            client_seq: env.client_seq,
            user_id: who.user_id,
            case_id,
            kind: env.command.kind().as_str(),
            status,
            code,
            message: message.as_deref(),
            at: &at,
        },
    )?;
    Ok(CommandResult { command_id: id.to_owned(), status, code, message, case: result })
}

/// Whether `who` may see (and act on) a case: it lies in their jurisdiction, or they are
/// personally linked to it (its assignee, or the rated staff member).
fn visible_to(row: &CaseRow, who: &Principal) -> bool {
    let linked = row
        .aggregate
        .as_ref()
        .is_some_and(|a| a.assignee_id == Some(who.user_id) || a.rated_staff_id == Some(who.user_id));
    row.unit_path.starts_with(who.scope.as_str()) || linked
}

type Decision = Result<(CaseRow, i64), (ErrorCode, String)>;

fn decide(
    conn: &Conn<'_>,
    who: &Principal,
    env: &CommandEnvelope,
    origin: Option<&Origin>,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> DbResult<Decision> {
    let actor = Actor { user_id: who.user_id, role: who.role, scope: who.scope.clone() };
    let current = match env.case_id {
        None => None,
        Some(case_id) => match cases::get(conn, case_id)? {
            None => return Ok(Err((ErrorCode::NotFound, format!("工单 {case_id} 不存在")))),
            Some(row) => Some(row),
        },
    };
    if let Some(row) = &current {
        // Outside the caller's jurisdiction (and not personally linked) looks like not found, before
        // anything about the case is revealed.
        if !visible_to(row, who) {
            return Ok(Err((ErrorCode::NotFound, format!("工单 {} 不存在", row.id))));
        }
    }
    if let (Some(row), Some(base)) = (&current, env.base_version) {
        if row.version != base {
            return Ok(Err((
                ErrorCode::VersionConflict,
                format!(
                    "工单 {} 已被他人更新（您看到的是第 {base} 版，当前为第 {} 版），请刷新后重新操作",
                    row.case_no, row.version
                ),
            )));
        }
    }
    let aggregate = match &current {
        Some(row) => match &row.aggregate {
            Some(a) => Some((**a).clone()),
            None => return Err(DbError::Corrupt(format!("case {} has no aggregate", row.id))),
        },
        None => None,
    };
    // A unit moved (or was renamed in the tree) after a client queued its `create` with the old
    // path: the unit is the path's last id, so the case opens at the unit's current path.
    let relocated = relocate(conn, &env.command)?;
    let command = relocated.as_ref().unwrap_or(&env.command);
    let case_path = current.as_ref().map(|r| r.unit_path.clone());
    // Where the case is replicated now (its own unit's path for a new one).
    let old_scope = match &current {
        Some(row) => Some(cases::scope_path(conn, row.id)?.unwrap_or_else(|| row.unit_path.clone())),
        None => None,
    };
    if let Some(refusal) = check_references(conn, who, command, case_path.as_deref())? {
        return Ok(Err((ErrorCode::InvalidInput, refusal)));
    }
    if let Some(refusal) = check_attachments(conn, env, command)? {
        return Ok(Err((ErrorCode::InvalidInput, refusal)));
    }
    // The distributed calendar and the case's jurisdiction's policy (defaults when none is set).
    let calendar = settings::calendar(conn, calendar)?;
    let policy_path = match (&case_path, command) {
        (Some(p), _) => p.clone(),
        (None, CaseCommand::Create { unit, .. }) => unit.to_string(),
        (None, _) => who.scope.to_string(),
    };
    let policy = settings::policy(conn, &policy_path)?;
    let ctx = PolicyContext { calendar: &calendar, deadlines: policy.deadlines, escalation: policy.escalation };
    let (next, event) = match hcp_domain::apply(aggregate.as_ref(), &actor, command, now, &ctx) {
        Ok(x) => x,
        // A case the caller may not act on (outside their jurisdiction, linked to them in a way
        // their role does not count) is "not found", as above: the domain's message would name
        // the case's unit.
        Err(hcp_domain::TransitionError::OutOfScope { .. }) if current.is_some() => {
            let id = current.as_ref().map_or(0, |r| r.id);
            return Ok(Err((ErrorCode::NotFound, format!("工单 {id} 不存在"))));
        }
        Err(e) => return Ok(Err((e.code(), e.to_string()))),
    };
    let at = rfc3339(now);
    let mut row = match current {
        Some(row) => row,
        None => {
            let CaseCommand::Create { source, unit, .. } = command else {
                return Ok(Err((ErrorCode::InvalidInput, "新建工单须使用“create”命令".into())));
            };
            let Some((unit_id, department)) = locate(conn, unit)? else {
                return Ok(Err((ErrorCode::InvalidInput, format!("单位 {unit} 不存在"))));
            };
            let mut o = origin.cloned().unwrap_or_default();
            o.department_id = o.department_id.or(department);
            if o.item_name.is_none() {
                o.item_name = crate::case_item::name(conn, command)?;
            }
            let mut row = CaseRow {
                id: 0,
                case_no: String::new(),
                source: *source,
                rating_id: o.rating_id,
                unit_id,
                unit_path: unit.to_string(),
                department_id: o.department_id,
                staff_id: o.staff_id,
                level: o.level,
                channel: o.channel,
                item_name: o.item_name,
                summary: next.summary.clone(),
                state: next.state,
                escalation_level: 0,
                handler_user_id: None,
                created_at: at.clone(),
                deadline: None,
                deadline_provisional: false,
                stage_deadline: None,
                version: 0,
                updated_at: at.clone(),
                aggregate: None,
            };
            row.case_no = format!("PENDING-{}", env.command_id);
            row.id = cases::insert(conn, &row)?;
            row.case_no = case_number(&row, now);
            if let Some(ticket) = o.ticket_no.as_deref() {
                crate::db::hotline_outbox::record_ticket(conn, row.id, ticket)?;
            }
            row
        }
    };
    row.state = next.state;
    row.escalation_level = next.escalation.index();
    row.handler_user_id = next.assignee_id;
    if next.department_id.is_some() {
        row.department_id = next.department_id;
    }
    row.set_deadlines(&next);
    row.version = next.version as i64;
    row.updated_at = at.clone();
    row.summary = next.summary.clone();
    let handler_path = match next.assignee_id {
        Some(h) => crate::db::users::by_id(conn, h)?.map(|u| u.scope_path),
        None => None,
    };
    let visible_at = cases::visibility_path(&row.unit_path, handler_path.as_deref());
    row.aggregate = Some(Box::new(next));
    cases::mark_provisional(&mut row, &calendar);
    if let Some(old) = old_scope.filter(|old| *old != visible_at) {
        cases::move_visibility(conn, row.id, &old, &visible_at, &at)?;
    }
    cases::update(conn, &row, &at)?;

    let mut data = serde_json::to_value(&event).map_err(|e| DbError::Corrupt(e.to_string()))?;
    if !env.attachments.is_empty() {
        data["attachments"] = serde_json::json!(env.attachments);
    }
    let ev = CaseEventRow {
        id: 0,
        case_id: row.id,
        unit_path: visible_at,
        kind: event.kind().to_owned(),
        actor_user_id: (who.user_id != SYSTEM_USER_ID).then_some(who.user_id),
        actor_name: who.name.clone(),
        at: at.clone(),
        data,
    };
    let event_id = case_events::insert(conn, &ev)?;
    // The 12345 hotline hears of it in the same transaction (when the case is one of its tickets).
    crate::db::hotline_outbox::enqueue(conn, &row, event_id, &event.payload, &at)?;
    Ok(Ok((row, event_id)))
}

/// The district of a unit path ([`ScopePath::district`]).
fn district_of(path: &str) -> Option<String> {
    ScopePath::try_from(path.to_owned()).ok().map(|p| p.district().as_str().to_owned())
}

/// Ids a command names must exist and fit the case and the caller (a refusal names nothing of
/// another jurisdiction):
/// - an assignment goes to a department of the case's district inside the caller's jurisdiction
///   and to an active handler of that department (at it or below it);
/// - a new case's rated staff member is an active staff account inside the caller's jurisdiction;
/// - an accountability decision names a staff member on the roster of the case's district inside
///   the caller's jurisdiction.
fn check_references(
    conn: &Conn<'_>,
    who: &Principal,
    cmd: &CaseCommand,
    case_path: Option<&str>,
) -> DbResult<Option<String>> {
    let scope = who.scope.as_str();
    let district = case_path.and_then(district_of);
    let in_case_district = |path: &str| district.as_deref().is_none_or(|d| path.starts_with(d));
    match cmd {
        CaseCommand::Assign { department_id, handler_id, .. } => {
            let dept = crate::db::org_units::get(conn, *department_id)?
                .filter(|d| d.kind == hcp_domain::OrgKind::Department && d.path.starts_with(scope));
            let Some(dept) = dept else {
                return Ok(Some(format!("承办部门 {department_id} 不存在或不在您的辖区内")));
            };
            if !in_case_district(&dept.path) {
                return Ok(Some(format!("承办部门“{}”不属于本工单所在辖区", dept.name)));
            }
            match crate::db::users::by_id(conn, *handler_id)? {
                Some(u) if u.active && u.role == Role::DepartmentHandler && u.scope_path.starts_with(&dept.path) => {}
                _ => {
                    return Ok(Some(format!("承办人 {handler_id} 不存在、已停用或不是承办部门“{}”的承办人", dept.name)))
                }
            }
        }
        CaseCommand::Create { rated_staff_id: Some(id), .. } => {
            let ok = match crate::db::users::by_id(conn, *id)? {
                Some(u) if u.active && u.role == Role::StaffMember => {
                    u.scope_path.starts_with(scope)
                        || crate::db::users::staff_path(conn, u.id)?.is_some_and(|p| p.starts_with(scope))
                }
                _ => false,
            };
            if !ok {
                return Ok(Some(format!("被评价工作人员账号 {id} 不存在或不在您的辖区内")));
            }
        }
        CaseCommand::RecordAccountability { subject_staff_id, .. } => {
            let ok = crate::db::staff::get(conn, *subject_staff_id)?
                .is_some_and(|s| s.unit_path.starts_with(scope) && in_case_district(&s.unit_path));
            if !ok {
                return Ok(Some(format!("被问责人员 {subject_staff_id} 不存在，或不是本工单所在辖区的工作人员")));
            }
        }
        _ => {}
    }
    if let Some(refusal) = crate::unit_state::command_refusal(conn, scope, cmd)? {
        return Ok(Some(refusal));
    }
    crate::case_item::refusal(conn, scope, cmd)
}

/// The most files one command may cite.
const MAX_CITED_FILES: usize = 20;

/// Why the files a command cites are refused, if they are: only the commands that carry evidence
/// cite files, each a SHA-256 declared on the command's case (its bytes may still be on the way)
/// and not refused, each once.
fn check_attachments(conn: &Conn<'_>, env: &CommandEnvelope, command: &CaseCommand) -> DbResult<Option<String>> {
    if env.attachments.is_empty() {
        return Ok(None);
    }
    let carries_evidence = matches!(
        command,
        CaseCommand::Verify { .. }
            | CaseCommand::ReportRectification { .. }
            | CaseCommand::ReturnVisit { .. }
            | CaseCommand::Appeal { .. }
            | CaseCommand::DecideAppeal { .. }
            | CaseCommand::RecordAccountability { .. }
    );
    if !carries_evidence {
        return Ok(Some("只有核实、报送整改、回访、申诉、申诉复核和问责决定可以附带文件".into()));
    }
    let Some(case_id) = env.case_id else {
        return Ok(Some("新建工单时不能附带文件".into()));
    };
    if env.attachments.len() > MAX_CITED_FILES {
        return Ok(Some(format!("一次最多附带 {MAX_CITED_FILES} 个文件")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for sha256 in &env.attachments {
        if !crate::evidence_store::is_sha256(sha256) {
            return Ok(Some("附件应以 64 位小写十六进制的 SHA-256 标识".into()));
        }
        if !seen.insert(sha256.as_str()) {
            return Ok(Some(format!("附件 {}… 重复", &sha256[..12])));
        }
        match crate::db::attachments::on_case(conn, case_id, sha256)? {
            None => return Ok(Some(format!("附件 {}… 未在本工单登记，请先登记文件", &sha256[..12]))),
            Some(a) if a.status == hcp_protocol::AttachmentStatus::Refused => {
                return Ok(Some(format!("附件“{}”已被拒收：{}", a.name, a.note)))
            }
            Some(_) => {}
        }
    }
    Ok(None)
}

/// `CP-2026-000123`: the year the case was opened and its id.
fn case_number(row: &CaseRow, now: DateTime<Utc>) -> String {
    use chrono::Datelike;
    let year = hcp_domain::calendar::beijing_date(now).year();
    format!("{}-{year}-{:06}", row.source.case_no_prefix(), row.id)
}

/// Appeals and accountability decisions are evidence: chain them.
fn record_evidence(conn: &Conn<'_>, row: &CaseRow, event_id: i64, who: &Principal, at: &str) -> DbResult<()> {
    let Some(ev) = hcp_store::get::<hcp_protocol::CaseEventRow>(conn, event_id)? else { return Ok(()) };
    if matches!(ev.kind.as_str(), "appealed" | "appeal_decided" | "accountability_recorded") {
        let payload = ev.data.to_string();
        evidence::append(
            conn,
            &evidence::Entry {
                case_id: row.id,
                event_id,
                kind: &ev.kind,
                actor_id: who.user_id,
                at,
                payload: &payload,
            },
        )?;
    }
    Ok(())
}
