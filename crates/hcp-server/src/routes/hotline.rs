//! 12345回传: administrators watch the callbacks to the 12345 hotline (see [`crate::hotline`]) of
//! their jurisdiction's cases, and retry one that failed.

use axum::extract::State;
use axum::http::StatusCode;
use hcp_domain::Role;
use hcp_protocol::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::db::audit_log;
use crate::db::hotline_outbox::{self, Delivery, Filter};
use crate::error::{ApiResult, AppError, Json, Path, Query};
use crate::hotline::DeliveryState;
use crate::AppState;

fn require_admin(who: &AuthUser) -> ApiResult<()> {
    if who.user.role == Role::Administrator {
        Ok(())
    } else {
        Err(AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "只有系统管理员可以查看和重试12345回传"))
    }
}

/// Paging and filtering of the deliveries.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only deliveries in this state.
    pub status: Option<DeliveryState>,
    /// Deliveries with ids below this (the next page); the newest when absent.
    pub before: Option<i64>,
    /// At most this many (1–200, default 50).
    pub limit: Option<i64>,
}

/// How many deliveries of the jurisdiction are in each state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub retrying: i64,
    pub delivered: i64,
    pub failed: i64,
}

/// A page of deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    /// Whether a callback URL is configured (without one nothing is sent; the outbox keeps
    /// filling and is delivered once one is).
    pub enabled: bool,
    pub counts: DeliveryCounts,
    pub deliveries: Vec<Delivery>,
    /// The `before` of the next page, when there is one.
    pub next_before: Option<i64>,
}

/// The callbacks to the 12345 hotline about the cases of the administrator's jurisdiction, with
/// their state, attempts and last error.
#[utoipa::path(get, path = "/api/v1/admin/hotline/deliveries", tag = "admin", security(("bearer" = [])),
    params(DeliveryQuery),
    responses((status = 200, body = DeliveryPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: AuthUser,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<DeliveryPage>> {
    require_admin(&who)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid("limit 应为 1–200"));
    }
    if q.before.is_some_and(|b| b < 1) {
        return Err(AppError::invalid("before 应为正整数"));
    }
    let filter = Filter { status: q.status, before: q.before.unwrap_or(i64::MAX) };
    let scope = who.user.scope_path.clone();
    let (rows, counts) = state
        .db
        .read(move |c| {
            let upper = format!("{scope}~");
            // One more than asked, to know whether a next page exists.
            let rows = hotline_outbox::list(c, &scope, &upper, &filter, limit + 1)?;
            Ok((rows, hotline_outbox::counts(c, &scope, &upper)?))
        })
        .await?;
    let mut page = DeliveryCounts::default();
    for (s, n) in counts {
        match s {
            DeliveryState::Pending => page.pending = n,
            DeliveryState::Retrying => page.retrying = n,
            DeliveryState::Delivered => page.delivered = n,
            DeliveryState::Failed => page.failed = n,
        }
    }
    let mut deliveries = rows;
    let more = deliveries.len() as i64 > limit;
    deliveries.truncate(limit as usize);
    let next_before = if more { deliveries.last().map(|d| d.id) } else { None };
    Ok(Json(DeliveryPage { enabled: state.config.hotline.url.is_some(), counts: page, deliveries, next_before }))
}

/// Retries a failed delivery now with a fresh round of attempts (or makes a retrying one due
/// now). Audited. A delivered or still pending delivery answers 409.
#[utoipa::path(post, path = "/api/v1/admin/hotline/deliveries/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The delivery")),
    responses((status = 200, body = Delivery), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn retry(State(state): State<AppState>, who: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Delivery>> {
    require_admin(&who)?;
    let scope = who.user.scope_path.clone();
    let now = state.clock.now_rfc3339();
    let user = who.user.clone();
    let client_id = who.client_id.clone();
    let out = state
        .db
        .write(move |c| {
            let upper = format!("{scope}~");
            let Some(before) = hotline_outbox::get(c, id, &scope, &upper)? else { return Ok(Err(None)) };
            if !hotline_outbox::retry(c, id, &now)? {
                return Ok(Err(Some(before.status)));
            }
            let mut entry = audit_log::Entry::by(
                &user,
                client_id.as_deref(),
                &now,
                "admin.hotline.retry",
                format!("hotline_delivery:{id}"),
            );
            entry.detail = format!(
                "重试12345回传：工单 {}（{}）事件 {}，已尝试 {} 次",
                before.case_no, before.ticket_no, before.event, before.attempts
            );
            audit_log::record(c, &entry)?;
            Ok(Ok(hotline_outbox::get(c, id, &scope, &upper)?))
        })
        .await?;
    match out {
        Ok(Some(d)) => Ok(Json(d)),
        Ok(None) | Err(None) => Err(AppError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("回传记录 {id} 不存在或不在您的辖区内"),
        )),
        Err(Some(state)) => Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            match state {
                DeliveryState::Delivered => "该回传已送达，无需重试",
                _ => "该回传尚未发送，正在排队，无需重试",
            },
        )),
    }
}
