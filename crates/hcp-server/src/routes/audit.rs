//! The audit trail (who did what, when, from which client) and tamper evidence for appeal and
//! accountability records.

use axum::extract::State;
use axum::http::StatusCode;
use hcp_domain::Role;
use hcp_protocol::{ErrorBody, ErrorCode};

use crate::auth::AuthUser;
use crate::db::audit_log::{self, Entry};
use crate::db::evidence::{self, ChainReport};
use crate::error::{ApiResult, AppError, Json, Query};
use crate::AppState;

/// Walks the hash chain of appeal and accountability records, and hashes again the stored bytes of
/// every evidence file on the caller's jurisdiction's cases (one chunk at a time), and reports
/// whether both are intact: a file changed after its upload is named in `altered_attachments`.
#[utoipa::path(get, path = "/api/v1/audit/evidence/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = ChainReport), (status = 403, body = ErrorBody)))]
pub async fn verify(State(state): State<AppState>, who: AuthUser) -> ApiResult<Json<ChainReport>> {
    if !matches!(who.user.role, Role::Supervisor | Role::DisciplineLiaison | Role::Administrator) {
        return Err(AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "无权查看证据链校验结果"));
    }
    let mut report = state.db.read(evidence::verify).await?;
    let (store, scope) = (state.chunks.clone(), who.user.scope_path.clone());
    let (checked, altered) = state
        .db
        .read(move |c| {
            let files = crate::db::attachments::complete_in_scope(c, &scope)?;
            let mut altered = Vec::new();
            for (sha256, size) in &files {
                let again = crate::evidence_store::hash_chunks(*size, |i| store.chunk(c, sha256, i))?;
                if again.as_deref() != Some(sha256.as_str()) {
                    altered.push(sha256.clone());
                }
            }
            Ok((files.len() as i64, altered))
        })
        .await?;
    report.attachments_checked = checked;
    report.valid = report.valid && altered.is_empty();
    report.altered_attachments = altered;
    Ok(Json(report))
}

/// Paging and filtering of the audit trail.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries with ids below this (for the next page); the newest when absent.
    pub before: Option<i64>,
    /// Only actions starting with this, e.g. `case.` or `admin.user.`.
    pub action: Option<String>,
    /// At most this many entries (1–500, default 100).
    pub limit: Option<usize>,
    /// Only entries of users whose name contains this.
    pub actor: Option<String>,
    /// Only entries about this target, e.g. `case:42` or `user:7`.
    pub target: Option<String>,
    /// Only entries at or after this instant (RFC 3339, e.g. `2026-11-01T00:00:00Z`).
    pub since: Option<String>,
    /// Only entries before this instant (RFC 3339).
    pub until: Option<String>,
}

/// An RFC 3339 instant as the audit log stores it (UTC, seconds), or a 422.
fn instant(field: &str, v: Option<String>) -> ApiResult<String> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(String::new()),
        Some(s) => chrono::DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .map_err(|_| AppError::invalid(format!("{field} 应为 RFC 3339 时间，如 2026-11-01T00:00:00+08:00"))),
    }
}

/// The audit trail of the caller's jurisdiction, newest first: every case command (applied or
/// refused), administrative change, sign-in and reveal of an evaluator by users of the jurisdiction.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = [Entry]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn trail(
    State(state): State<AppState>,
    who: AuthUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<Entry>>> {
    if !matches!(who.user.role, Role::Supervisor | Role::DisciplineLiaison | Role::Administrator) {
        return Err(AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "无权查看审计日志"));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit 应为 1–500"));
    }
    let action = q.action.unwrap_or_default();
    if action.len() > 64 {
        return Err(AppError::invalid("action 过长"));
    }
    let actor = q.actor.unwrap_or_default();
    let target = q.target.unwrap_or_default();
    if actor.chars().count() > 64 || target.len() > 64 {
        return Err(AppError::invalid("actor 或 target 过长"));
    }
    let filter = audit_log::Filter {
        before: q.before.unwrap_or(i64::MAX),
        action,
        actor: actor.trim().to_owned(),
        target: target.trim().to_owned(),
        since: instant("since", q.since)?,
        until: instant("until", q.until)?,
    };
    let scope = who.user.scope_path.clone();
    let rows = state.db.read(move |c| audit_log::search(c, &scope, &format!("{scope}~"), &filter, limit)).await?;
    Ok(Json(rows))
}
