//! Tamper evidence for appeal and accountability records.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use hcp_domain::Role;
use hcp_protocol::{codes, ErrorBody};

use crate::auth::AuthUser;
use crate::db::evidence::{self, ChainReport};
use crate::error::{ApiResult, AppError};
use crate::AppState;

/// Walks the hash chain of appeal and accountability records and reports whether it is intact.
#[utoipa::path(get, path = "/api/v1/audit/evidence/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = ChainReport), (status = 403, body = ErrorBody)))]
pub async fn verify(State(state): State<AppState>, who: AuthUser) -> ApiResult<Json<ChainReport>> {
    if !matches!(who.user.role, Role::Supervisor | Role::DisciplineLiaison | Role::Administrator) {
        return Err(AppError::new(StatusCode::FORBIDDEN, codes::FORBIDDEN, "无权查看证据链校验结果"));
    }
    Ok(Json(state.db.read(|c| evidence::verify(c)).await?))
}
