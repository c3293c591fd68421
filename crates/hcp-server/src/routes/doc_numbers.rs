//! Document numbers (文号): blocks of an issuing office's yearly sequence, reserved by the desktop
//! clients of that office so that every notice is numbered once, online or offline.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Datelike;
use hcp_protocol::{DocNumberBlock, DocNumberReserveRequest, ErrorBody, ErrorCode};

use crate::auth::AuthUser;
use crate::db::doc_numbers::{self, Reservation};
use crate::db::{audit_log, org_units};
use crate::error::{ApiResult, AppError, Json};
use crate::AppState;

/// The most numbers one reservation may take.
pub const MAX_BLOCK: u32 = 50;

/// Reserves `count` document numbers of the caller's own office for `year`. Hall managers and
/// supervisors only (the roles that issue notices), for their own unit only; the same
/// `request_id` again returns the same block. Audited.
#[utoipa::path(post, path = "/api/v1/doc-numbers/reserve", tag = "notices", security(("bearer" = [])),
    request_body = DocNumberReserveRequest,
    responses((status = 200, body = DocNumberBlock), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id))]
pub async fn reserve(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<DocNumberReserveRequest>,
) -> ApiResult<Json<DocNumberBlock>> {
    if !who.user.role.may_issue_notices() {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "您的角色不出具整改通知书，无需预留文号",
        ));
    }
    let request_id = req.request_id.trim().to_owned();
    if request_id.is_empty() || request_id.len() > 64 {
        return Err(AppError::invalid("request_id 应为 1–64 个字符"));
    }
    if req.count == 0 || req.count > MAX_BLOCK {
        return Err(AppError::invalid(format!("一次可预留 1–{MAX_BLOCK} 个文号")));
    }
    let now = state.clock.now();
    let this_year = hcp_domain::calendar::beijing_date(now).year();
    // Next year's numbers only from December on, so a laptop offline over new year keeps working.
    let december = hcp_domain::calendar::beijing_date(now).month() == 12;
    if req.year != this_year && !(december && req.year == this_year + 1) {
        return Err(AppError::invalid(format!("只能预留 {this_year} 年的文号（12 月起也可预留下一年的）")));
    }
    if req.unit_id != who.user.unit_id {
        let scope = who.user.scope_path.clone();
        let unit_id = req.unit_id;
        let in_scope =
            state.db.read(move |c| Ok(org_units::get(c, unit_id)?.is_some_and(|u| u.path.starts_with(&scope)))).await?;
        return Err(if in_scope {
            AppError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "只能为本单位预留文号：下级单位的文号由其自行预留",
            )
        } else {
            AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "发文单位不存在或不在您的辖区内")
        });
    }
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    let outcome = state
        .db
        .write(move |c| {
            if let Some((block, owner)) = doc_numbers::by_request(c, &request_id)? {
                return Ok(if owner == actor.id { Ok(block) } else { Err(()) });
            }
            let unit = org_units::get(c, actor.unit_id)?
                .ok_or_else(|| crate::db::DbError::Corrupt(format!("user {} has no unit", actor.id)))?;
            let office_name = hcp_domain::docno::issuing_office_name(unit.kind, &unit.name);
            let candidates = hcp_domain::docno::abbreviation_candidates(unit.kind, &unit.name, &unit.code);
            let office = doc_numbers::ensure_office(c, unit.id, &office_name, &candidates, &at)?;
            let block = doc_numbers::reserve(
                c,
                &office,
                &Reservation {
                    request_id: &request_id,
                    year: req.year,
                    count: req.count,
                    user_id: actor.id,
                    client_id: client.as_deref(),
                    at: &at,
                },
            )?;
            let mut e = audit_log::Entry::by(
                &actor,
                client.as_deref(),
                &at,
                "doc_numbers.reserve",
                format!("unit:{}", unit.id),
            );
            e.detail = format!("{}〔{}〕{}–{}号", office.abbreviation, block.year, block.first, block.last);
            audit_log::record(c, &e)?;
            Ok(Ok(block))
        })
        .await?;
    match outcome {
        Ok(block) => {
            tracing::info!(first = block.first, last = block.last, "document numbers reserved");
            Ok(Json(block))
        }
        Err(()) => {
            Err(AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict, "该预留请求编号已被其他用户使用，请重新发起"))
        }
    }
}
