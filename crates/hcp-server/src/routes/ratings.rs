//! Evaluator identities: masked everywhere, revealed one rating at a time to roles that need
//! them, with a reason, and every reveal recorded.

use axum::extract::State;
use axum::http::StatusCode;
use hcp_protocol::{ErrorBody, ErrorCode, RevealRequest, RevealedEvaluator};

use crate::auth::AuthUser;
use crate::db::{audit_log, ratings, reveals};
use crate::error::{ApiResult, AppError, Json, Path};
use crate::AppState;

/// Reveals the evaluator of one rating in the caller's jurisdiction. Hall managers, supervisors
/// and discipline-inspection liaisons only; the reason is recorded with the caller and the time.
#[utoipa::path(post, path = "/api/v1/ratings/{id}/reveal", tag = "ratings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "rating id")), request_body = RevealRequest,
    responses((status = 200, body = RevealedEvaluator), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id, rating_id = id))]
pub async fn reveal(
    State(state): State<AppState>,
    who: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<RevealRequest>,
) -> ApiResult<Json<RevealedEvaluator>> {
    if !who.user.role.may_reveal_evaluator() {
        return Err(AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "您的角色无权查看评价人信息"));
    }
    let reason = req.reason.trim().to_owned();
    if reason.chars().count() < 4 || reason.chars().count() > 500 {
        return Err(AppError::invalid("请说明查看评价人信息的理由（4–500 个字）"));
    }
    let scope = who.user.scope_path.clone();
    let user_id = who.user.id;
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    let found = state
        .db
        .write(move |c| {
            let Some((path, evaluator, real_name)) = ratings::evaluator(c, id)? else { return Ok(None) };
            if !path.starts_with(&scope) {
                return Ok(None);
            }
            reveals::record(c, user_id, id, &reason, &at)?;
            let mut e = audit_log::Entry::by(&actor, client.as_deref(), &at, "rating.reveal", format!("rating:{id}"));
            e.detail = reason.clone();
            audit_log::record(c, &e)?;
            Ok(Some((evaluator, real_name)))
        })
        .await?;
    let Some((e, real_name)) = found else {
        return Err(AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "评价记录不存在或不在您的辖区内"));
    };
    tracing::info!("evaluator revealed");
    Ok(Json(RevealedEvaluator { rating_id: id, real_name, name: e.name, phone: e.phone, cert: e.cert }))
}
