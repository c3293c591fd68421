//! Published statistics: the KPIs of the caller's jurisdiction, computed with the same facts
//! (`hcp-stats`) and the same maths (`hcp_domain::kpi`) as the desktop dashboard.

use axum::extract::State;
use hcp_domain::kpi::{channel_counts, kpis, kpis_by, GroupBy, KpiParams, Kpis, Period, Subject};
use hcp_protocol::ErrorBody;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::{ApiResult, AppError, Json, Query};
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KpiParamsIn {
    /// `YYYY-MM` (Beijing time).
    pub month: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitKpis {
    pub unit_id: i64,
    pub unit_name: String,
    #[schema(value_type = Object)]
    pub kpis: Kpis,
}

/// Non-excluded ratings through one channel (评价渠道分布); the channels add up to `totals.rated`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelCount {
    /// 1–8
    pub channel: u8,
    pub count: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpiReport {
    pub month: String,
    #[schema(value_type = Object)]
    pub totals: Kpis,
    pub units: Vec<UnitKpis>,
    pub channels: Vec<ChannelCount>,
}

/// The month's KPIs of the caller's jurisdiction, in total and per hall.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "statistics", security(("bearer" = [])), params(KpiParamsIn),
    responses((status = 200, body = KpiReport), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    who: AuthUser,
    Query(q): Query<KpiParamsIn>,
) -> ApiResult<Json<KpiReport>> {
    let period = q
        .month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .and_then(|(y, m)| Period::month(y, m))
        .ok_or_else(|| AppError::invalid(format!("月份“{}”无效，应形如 2026-11", q.month)))?;
    let scope = who.user.scope_path.clone();
    let now = state.clock.now();
    let (ratings, cases, names) = state
        .db
        .read(move |c| {
            let wrap = |e: hcp_stats::StatsError| crate::db::DbError::Corrupt(e.to_string());
            Ok((
                hcp_stats::rating_facts(c, &scope).map_err(wrap)?,
                hcp_stats::case_facts(c, &scope).map_err(wrap)?,
                hcp_stats::unit_names(c).map_err(wrap)?,
            ))
        })
        .await?;
    let params = KpiParams::beijing(now);
    let totals = kpis(&ratings, &cases, Subject::All, &period, &params);
    let channels = channel_counts(&ratings, Subject::All, &period, &params)
        .into_iter()
        .map(|(channel, count)| ChannelCount { channel, count })
        .collect();
    let units = kpis_by(&ratings, &cases, GroupBy::Unit, &period, &params)
        .into_iter()
        .map(|(unit_id, kpis)| UnitKpis {
            unit_id,
            unit_name: names.iter().find(|(id, _)| *id == unit_id).map(|(_, n)| n.clone()).unwrap_or_default(),
            kpis,
        })
        .collect();
    Ok(Json(KpiReport { month: q.month, totals, units, channels }))
}
