//! Case commands, online (`POST /api/v1/cases/commands`) and from an outbox (`POST /api/v1/sync/push`).

use axum::extract::State;
use axum::http::StatusCode;
use hcp_domain::ScopePath;
use hcp_protocol::{CommandEnvelope, CommandResult, CommandStatus, ErrorBody, ErrorCode, PushRequest, PushResponse};

use crate::auth::AuthUser;
use crate::error::{ApiResult, AppError, Json};
use crate::workflow::{self, Principal};
use crate::AppState;

/// The most commands one push may carry.
pub const MAX_PUSH: usize = 500;

pub(crate) fn principal(who: &AuthUser) -> ApiResult<Principal> {
    let scope = ScopePath::try_from(who.user.scope_path.clone()).map_err(AppError::internal)?;
    Ok(Principal { user_id: who.user.id, name: who.user.display_name.clone(), role: who.user.role, scope })
}

/// Checks a client's envelope before it reaches the workflow.
fn client_envelope_error(env: &CommandEnvelope) -> Option<CommandResult> {
    let refuse = |message: &str| CommandResult {
        command_id: env.command_id.clone(),
        status: CommandStatus::Rejected,
        code: Some(ErrorCode::InvalidInput.to_owned()),
        message: Some(message.to_owned()),
        case: None,
    };
    if env.command_id.starts_with(workflow::SYSTEM_ID_PREFIX) {
        return Some(refuse("command_id 不能以“sys:”开头（系统保留）"));
    }
    let size = serde_json::to_string(&env.command).map_or(usize::MAX, |j| j.len());
    if let Some(why) = hcp_protocol::command_size_refusal(size) {
        return Some(refuse(why));
    }
    if env.case_id.is_some() && env.base_version.is_none() {
        return Some(refuse("对已有工单的操作必须带上 base_version（您看到的工单版本）"));
    }
    None
}

async fn run(
    state: &AppState,
    who: Principal,
    env: CommandEnvelope,
    client_id: Option<String>,
) -> ApiResult<CommandResult> {
    if let Some(refused) = client_envelope_error(&env) {
        return Ok(refused);
    }
    let now = state.clock.now();
    let calendar = state.calendar.clone();
    Ok(state.db.write(move |c| workflow::execute(c, &who, &env, client_id.as_deref(), None, now, &calendar)).await?)
}

fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::VersionConflict => StatusCode::CONFLICT,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::RoleNotAllowed
        | ErrorCode::OutOfScope
        | ErrorCode::NotAssignee
        | ErrorCode::NotRatedStaff
        | ErrorCode::SamePersonApproval => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Applies one command to a case (or creates one with `create`). Rejections come back as
/// 403 (role, scope), 404 (unknown case), 409 (`version_conflict`) or 422 (any other rule), each
/// with the domain's code and a message naming the rule.
#[utoipa::path(post, path = "/api/v1/cases/commands", tag = "cases", security(("bearer" = [])), request_body = CommandEnvelope,
    responses((status = 200, body = CommandResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id, kind = %env.command.kind().as_str()))]
pub async fn command(
    State(state): State<AppState>,
    who: AuthUser,
    Json(env): Json<CommandEnvelope>,
) -> ApiResult<Json<CommandResult>> {
    let p = principal(&who)?;
    let res = run(&state, p, env, None).await?;
    match res.status {
        CommandStatus::Rejected => {
            let code = res.code.unwrap_or(ErrorCode::InvalidInput);
            let message = res.message.unwrap_or_default();
            let status = status_of(code);
            Err(AppError { status, code, message })
        }
        _ => Ok(Json(res)),
    }
}

/// Applies an outbox's commands in `client_seq` order, each in its own transaction, and answers
/// with one result per command: `applied`, `duplicate` (seen before, not applied again) or
/// `rejected` (with code and message). Business rejections never block the commands after them.
#[utoipa::path(post, path = "/api/v1/sync/push", tag = "sync", security(("bearer" = [])), request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id, n = req.commands.len()))]
pub async fn push(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<PushRequest>,
) -> ApiResult<Json<PushResponse>> {
    if req.commands.len() > MAX_PUSH {
        return Err(AppError::invalid(format!("一次最多提交 {MAX_PUSH} 条操作")));
    }
    let client = req.client_id.trim().to_owned();
    if client.is_empty() || client.len() > 64 {
        return Err(AppError::invalid("client_id 应为 1–64 个字符"));
    }
    let p = principal(&who)?;
    let mut cmds = req.commands;
    cmds.sort_by_key(|c| c.client_seq.unwrap_or(i64::MAX));
    let mut results = Vec::with_capacity(cmds.len());
    for env in cmds {
        let command_id = env.command_id.clone();
        // One command's storage failure must not block the commands after it (nor the whole queue).
        let result = match run(&state, p.clone(), env, Some(client.clone())).await {
            Ok(r) => r,
            Err(e) => CommandResult {
                command_id,
                status: CommandStatus::Rejected,
                code: Some(ErrorCode::Internal.to_owned()),
                message: Some(format!("服务器处理该操作时出错：{}", e.message)),
                case: None,
            },
        };
        results.push(result);
    }
    Ok(Json(PushResponse { results }))
}
