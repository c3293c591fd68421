//! The staff and window leagues (窗口、工作人员排名) of the caller's jurisdiction for a month, a
//! quarter or a year: the same facts (`hcp-stats`), maths (`hcp_domain::kpi`, `hcp_domain::league`)
//! and policy (the jurisdiction's `assessment.min_sample`) as the desktop app's 排名考核 screen.

use axum::extract::State;
use hcp_domain::kpi::{kpis_by, GroupBy, KpiParams};
use hcp_domain::league::{LeagueOf, LeaguePeriod, LeagueTable};
use hcp_protocol::ErrorBody;
use serde::Deserialize;

use crate::auth::AuthUser;
use chrono::{DateTime, Utc};

use crate::db::{settings, Conn, DbResult};
use crate::error::{ApiResult, AppError, Json, Query};
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeagueParamsIn {
    /// `window` or `staff`.
    pub of: String,
    /// `2026-11` (a month), `2026-Q4` (a quarter) or `2026` (a year), Beijing time.
    pub period: String,
}

/// The league of the caller's jurisdiction: the ranked windows or staff members, best first, with
/// their sample sizes, and apart those with fewer ratings than the jurisdiction's minimum sample.
#[utoipa::path(get, path = "/api/v1/rankings", tag = "statistics", security(("bearer" = [])), params(LeagueParamsIn),
    responses((status = 200, description = "a league table: `of`, `period`, `periodLabel`, `firstDay`, `lastDay`, `minSample`, `ranked` and `tooFew` (each entry: `id`, `name`, `code`, `unitId`, `unitName`, `rank`, `score`, `sampleSize`, `satisfied`, `rawRate`, `badReviews`)", body = Object),
              (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn league(
    State(state): State<AppState>,
    who: AuthUser,
    Query(q): Query<LeagueParamsIn>,
) -> ApiResult<Json<LeagueTable>> {
    let of = LeagueOf::parse(&q.of).ok_or_else(|| AppError::invalid("of 应为 window（窗口）或 staff（工作人员）"))?;
    let period = LeaguePeriod::parse(&q.period)
        .ok_or_else(|| AppError::invalid(format!("期间“{}”无效，应形如 2026-11、2026-Q4 或 2026", q.period)))?;
    let scope = who.user.scope_path.clone();
    let now = state.clock.now();
    let table = state
        .db
        .read(move |c| compute(c, of, &scope, period, now))
        .await?
        .ok_or_else(|| AppError::invalid("期间无效"))?;
    Ok(Json(table))
}

/// The league of `of` under `scope` for `period` as of `now`, by the jurisdiction's policy
/// (`None` for a period without dates).
pub fn compute(
    c: &Conn<'_>,
    of: LeagueOf,
    scope: &str,
    period: LeaguePeriod,
    now: DateTime<Utc>,
) -> DbResult<Option<LeagueTable>> {
    let Some(dates) = period.dates() else { return Ok(None) };
    let wrap = |e: hcp_stats::StatsError| crate::db::DbError::Corrupt(e.to_string());
    let ratings = hcp_stats::rating_facts(c, scope).map_err(wrap)?;
    let cases = hcp_stats::case_facts(c, scope).map_err(wrap)?;
    let policy = settings::policy(c, scope)?;
    let by_staff = kpis_by(&ratings, &cases, GroupBy::Staff, &dates, &KpiParams::beijing(now));
    hcp_stats::league(c, of, scope, period, &policy.assessment, &by_staff).map_err(wrap)
}
