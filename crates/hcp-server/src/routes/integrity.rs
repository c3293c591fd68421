//! The integrity-flag queue (异常评价线索): the leads detection raised in the caller's
//! jurisdiction, the hall manager's verdict on each (audited; confirmed fake or malicious ratings
//! leave the statistics), and an on-demand detection run.

use axum::extract::State;
use axum::http::StatusCode;
use hcp_domain::integrity::{check_verdict, VerdictRefusal};
use hcp_domain::Role;
use hcp_protocol::{ErrorBody, ErrorCode, FlagDecisionRequest, FlagStatus, IntegrityFlagRow};
use serde::Deserialize;

use crate::auth::AuthUser;
use crate::db::audit_log;
use crate::db::integrity_flags::{self, Decision};
use crate::error::{ApiResult, AppError, Json, Path, Query};
use crate::integrity::{self, ScanReport};
use crate::AppState;

fn forbidden(message: &str) -> AppError {
    AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
}

fn not_found() -> AppError {
    AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "线索不存在或不在您的辖区内")
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FlagListParams {
    /// `open`, `confirmed_fake`, `confirmed_malicious` or `dismissed`; all when absent.
    pub status: Option<String>,
}

/// The integrity flags of the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/integrity/flags", tag = "integrity", security(("bearer" = [])), params(FlagListParams),
    responses((status = 200, body = [IntegrityFlagRow]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: AuthUser,
    Query(p): Query<FlagListParams>,
) -> ApiResult<Json<Vec<IntegrityFlagRow>>> {
    if !who.user.role.may_view_integrity_flags() {
        return Err(forbidden("您的角色无权查看异常评价线索"));
    }
    let status = match p.status.as_deref() {
        None => None,
        Some(s) => Some(FlagStatus::parse(s).ok_or_else(|| {
            AppError::invalid(format!("status“{s}”无效：应为 open、confirmed_fake、confirmed_malicious 或 dismissed"))
        })?),
    };
    let scope = who.user.scope_path.clone();
    let mut rows = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            integrity_flags::in_scope(c, &scope, &format!("{scope}~"), |f| {
                if status.is_none_or(|s| s == f.status) {
                    out.push(f);
                }
                Ok(())
            })?;
            Ok(out)
        })
        .await?;
    rows.reverse();
    Ok(Json(rows))
}

/// Records the verdict on one flag: 核实为虚假评价 or 核实为恶意差评 take its ratings (and the cases they
/// opened) out of the statistics; 核实为正常评价 keeps them. A flag is decided once; the same
/// `command_id` sent again gets the same answer. Hall managers and supervisors only.
#[utoipa::path(post, path = "/api/v1/integrity/flags/{id}/decision", tag = "integrity", security(("bearer" = [])),
    params(("id" = i64, Path, description = "flag id")), request_body = FlagDecisionRequest,
    responses((status = 200, body = IntegrityFlagRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id, flag_id = id))]
pub async fn decide(
    State(state): State<AppState>,
    who: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<FlagDecisionRequest>,
) -> ApiResult<Json<IntegrityFlagRow>> {
    let note = check_verdict(who.user.role, &req.note, None).map_err(refused)?.to_owned();
    let command_id = req.command_id.trim().to_owned();
    if command_id.is_empty() || command_id.chars().count() > 64 {
        return Err(AppError::invalid("command_id 应为 1–64 个字符"));
    }
    let status = FlagStatus::of(req.verdict);
    let scope = who.user.scope_path.clone();
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    enum Out {
        Done(Box<IntegrityFlagRow>),
        NotFound,
        Decided(Box<IntegrityFlagRow>),
    }
    let out = state
        .db
        .write(move |c| {
            let Some(flag) = integrity_flags::get(c, id)?.filter(|f| f.unit_path.starts_with(&scope)) else {
                return Ok(Out::NotFound);
            };
            if integrity_flags::by_command(c, &command_id)? == Some(id) {
                return Ok(Out::Done(Box::new(flag)));
            }
            if flag.status != FlagStatus::Open {
                return Ok(Out::Decided(Box::new(flag)));
            }
            integrity_flags::decide(
                c,
                &flag,
                &Decision {
                    status,
                    user_id: actor.id,
                    user_name: &actor.display_name,
                    at: &at,
                    note: &note,
                    command_id: &command_id,
                },
            )?;
            let mut e = audit_log::Entry::by(
                &actor,
                client.as_deref(),
                &at,
                "integrity.decide",
                format!("integrity_flag:{id}"),
            );
            e.detail = format!("{}；{} 条评价；{}", status.as_str(), flag.rating_ids.len(), note);
            audit_log::record(c, &e)?;
            let decided =
                integrity_flags::get(c, id)?.ok_or_else(|| crate::db::DbError::Corrupt("flag vanished".into()))?;
            Ok(Out::Done(Box::new(decided)))
        })
        .await?;
    match out {
        Out::Done(f) => Ok(Json(*f)),
        Out::NotFound => Err(not_found()),
        Out::Decided(f) => Err(refused(VerdictRefusal::AlreadyDecided {
            by: f.decided_by_name.unwrap_or_else(|| "他人".into()),
            at: f.decided_at,
        })),
    }
}

/// The answer to a verdict the domain's rule refuses.
fn refused(r: VerdictRefusal) -> AppError {
    let status = match r {
        VerdictRefusal::RoleNotAllowed => StatusCode::FORBIDDEN,
        VerdictRefusal::NoteLength => StatusCode::UNPROCESSABLE_ENTITY,
        VerdictRefusal::AlreadyDecided { .. } => StatusCode::CONFLICT,
    };
    AppError::new(status, r.code(), r.to_string())
}

/// Runs the detection now over every rating received since the last run (it also runs every
/// minute in the background). Supervisors and administrators only.
#[utoipa::path(post, path = "/api/v1/integrity/scan", tag = "integrity", security(("bearer" = [])),
    responses((status = 200, body = ScanReport), (status = 403, body = ErrorBody)))]
pub async fn scan(State(state): State<AppState>, who: AuthUser) -> ApiResult<Json<ScanReport>> {
    if !matches!(who.user.role, Role::Supervisor | Role::Administrator) {
        return Err(forbidden("只有督查人员和系统管理员可以运行异常评价检测"));
    }
    Ok(Json(integrity::scan_all(&state).await?))
}
