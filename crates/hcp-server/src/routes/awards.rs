//! 服务明星 / 办事能手: a supervisor confirms one of a period's candidates. The server proposes them
//! again from its own league of the supervisor's jurisdiction (the same rule and figures as the
//! desktop's 排名考核 screen), so only a real candidate is ever awarded, and records the award with
//! the figures it rests on. One award per member of staff and period; audited.

use axum::extract::State;
use axum::http::StatusCode;
use hcp_domain::league::{LeagueOf, LeaguePeriod};
use hcp_domain::merit;
use hcp_protocol::{AwardRequest, AwardRow, ErrorBody, ErrorCode};

use crate::auth::AuthUser;
use crate::db::{audit_log, awards, settings, DbError};
use crate::error::{ApiResult, AppError, Json};
use crate::AppState;

/// Confirms an award. The same `command_id` sent again gets the same answer.
#[utoipa::path(post, path = "/api/v1/awards", tag = "statistics", security(("bearer" = [])), request_body = AwardRequest,
    responses((status = 200, body = AwardRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id, staff_id = req.staff_id))]
pub async fn confirm(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<AwardRequest>,
) -> ApiResult<Json<AwardRow>> {
    if !who.user.role.may_confirm_awards() {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "只有督查人员可以确认服务明星、办事能手",
        ));
    }
    let command_id = req.command_id.trim().to_owned();
    if command_id.is_empty() || command_id.chars().count() > 64 {
        return Err(AppError::invalid("command_id 应为 1–64 个字符"));
    }
    let period = LeaguePeriod::parse(&req.period)
        .ok_or_else(|| AppError::invalid(format!("期间“{}”无效，应形如 2026-11、2026-Q4 或 2026", req.period)))?;
    let scope = who.user.scope_path.clone();
    let now = state.clock.now();
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    enum Out {
        Done(Box<AwardRow>),
        NotFound,
        NotCandidate(String),
        Taken(Box<AwardRow>),
    }
    let out = state
        .db
        .write(move |c| {
            if let Some(done) = awards::by_command(c, &command_id)? {
                return Ok(Out::Done(Box::new(done)));
            }
            let Some((unit_id, unit_path)) =
                c.query_opt("SELECT unit_id, unit_path FROM staff WHERE id = ?1", [req.staff_id], |r| {
                    Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
                })?
            else {
                return Ok(Out::NotFound);
            };
            if !unit_path.starts_with(&scope) {
                return Ok(Out::NotFound);
            }
            if let Some(taken) = awards::of_staff(c, req.staff_id, &period.key())? {
                return Ok(Out::Taken(Box::new(taken)));
            }
            let policy = settings::policy(c, &scope)?;
            let Some(table) = super::rankings::compute(c, LeagueOf::Staff, &scope, period, now)? else {
                return Ok(Out::NotCandidate("期间无效".into()));
            };
            let candidates = merit::candidates(&table, &policy.assessment.stars);
            let Some(found) = candidates.iter().find(|x| x.kind == req.kind && x.entry.id == req.staff_id) else {
                let why = match candidates.iter().find(|x| x.entry.id == req.staff_id) {
                    Some(other) => {
                        format!("该工作人员是{}候选人，不是{}候选人", other.kind.label_zh(), req.kind.label_zh())
                    }
                    None => format!(
                        "该工作人员不是{}{}候选人（样本量、得分或期内差评不符合规则，或数据已变化），请刷新后再试",
                        table.period_label,
                        req.kind.label_zh()
                    ),
                };
                return Ok(Out::NotCandidate(why));
            };
            let mut row = AwardRow {
                id: 0,
                kind: req.kind,
                period: period.key(),
                staff_id: req.staff_id,
                staff_name: found.entry.name.clone(),
                employee_no: found.entry.code.clone(),
                unit_id,
                unit_path: unit_path.clone(),
                league_path: scope.clone(),
                score: found.entry.score.unwrap_or(0.0),
                sample_size: i64::from(found.entry.sample_size),
                satisfied: i64::from(found.entry.satisfied),
                reason: found.reason.clone(),
                confirmed_by: actor.id,
                confirmed_by_name: actor.display_name.clone(),
                confirmed_at: at.clone(),
            };
            row.id = awards::insert(c, &row, &command_id)?;
            let mut e = audit_log::Entry::by(
                &actor,
                client.as_deref(),
                &at,
                "award.confirm",
                format!("staff:{}", req.staff_id),
            );
            e.detail = format!("{}：{}（{}）；{}", req.kind.label_zh(), row.staff_name, table.period_label, row.reason);
            audit_log::record(c, &e)?;
            let saved = hcp_store::get::<hcp_protocol::AwardRow>(c, row.id)?
                .ok_or_else(|| DbError::Corrupt("award vanished".into()))?;
            Ok(Out::Done(Box::new(saved)))
        })
        .await?;
    match out {
        Out::Done(a) => Ok(Json(*a)),
        Out::NotFound => {
            Err(AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "该工作人员不存在或不在您的辖区内"))
        }
        Out::NotCandidate(why) => Err(AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict, why)),
        Out::Taken(a) => Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::AlreadyDecided,
            format!("{}已于 {} 由{}确认为{}", a.staff_name, a.confirmed_at, a.confirmed_by_name, a.kind.label_zh()),
        )),
    }
}
