//! Intake from the channels: ratings (single or batch) and 12345 complaints. Administrators only
//! (the channel systems sign in with administrator accounts).

use axum::extract::State;
use axum::http::StatusCode;
use hcp_domain::{Role, ScopePath};
use hcp_protocol::{CommandResult, ComplaintIn, ErrorBody, ErrorCode, IntakeRequest, IntakeResponse};

use crate::auth::AuthUser;
use crate::error::{ApiResult, AppError, Json};
use crate::intake;
use crate::AppState;

/// The reporter behind an intake request: an administrator account, bounded by its jurisdiction.
fn reporter(who: &AuthUser) -> ApiResult<intake::Reporter> {
    if who.user.role != Role::Administrator {
        return Err(AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "只有系统管理员账号可以报送评价数据"));
    }
    Ok(intake::Reporter::Account {
        user_id: who.user.id,
        name: who.user.display_name.clone(),
        scope: ScopePath::try_from(who.user.scope_path.clone()).map_err(AppError::internal)?,
        client_id: who.client_id.clone(),
    })
}

/// Receives ratings; idempotent on (source, service_record_no, rating_count). Each rating gets
/// its own result (`created`, `duplicate`, `rejected` with a message naming the field); a bad
/// review opens a case.
#[utoipa::path(post, path = "/api/v1/intake/ratings", tag = "intake", security(("bearer" = [])), request_body = IntakeRequest,
    responses((status = 200, body = IntakeResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(n = req.ratings.len()))]
pub async fn ratings(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<IntakeRequest>,
) -> ApiResult<Json<IntakeResponse>> {
    let by = reporter(&who)?;
    if req.ratings.is_empty() {
        return Err(AppError::invalid("ratings 不能为空"));
    }
    if req.ratings.len() > intake::MAX_BATCH {
        return Err(AppError::invalid(format!("一次最多报送 {} 条评价", intake::MAX_BATCH)));
    }
    let now = state.clock.now();
    let calendar = state.calendar.clone();
    let results = state.db.write(move |c| intake::ratings_batch(c, &req.ratings, &by, now, &calendar)).await?;
    Ok(Json(IntakeResponse { results }))
}

/// Opens a case for a 12345 hotline complaint; the ticket number makes it idempotent.
#[utoipa::path(post, path = "/api/v1/intake/complaints", tag = "intake", security(("bearer" = [])), request_body = ComplaintIn,
    responses((status = 200, body = CommandResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complaint(
    State(state): State<AppState>,
    who: AuthUser,
    Json(c): Json<ComplaintIn>,
) -> ApiResult<Json<CommandResult>> {
    let by = reporter(&who)?;
    let now = state.clock.now();
    let calendar = state.calendar.clone();
    let res = state.db.write(move |conn| intake::complaint_by(conn, &c, &by, now, &calendar)).await?;
    match res {
        Ok(r) if r.status == hcp_protocol::CommandStatus::Rejected => {
            Err(AppError::invalid(r.message.unwrap_or_else(|| "该投诉未能生成工单".into())))
        }
        Ok(r) => Ok(Json(r)),
        Err((_, message)) => Err(AppError::invalid(message)),
    }
}
