//! 定期公开 (public disclosure): the month's figures per unit of the caller's jurisdiction in the
//! published layout (`hcp_domain::disclosure`), with no personal data and small counts suppressed,
//! for supervisors and administrators to publish.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use hcp_domain::disclosure::{self, DisclosureRow, UnitFigures};
use hcp_domain::kpi::{channel_counts, kpis, kpis_by, GroupBy, KpiParams, Period, Subject};
use hcp_domain::Role;
use hcp_protocol::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::{ApiResult, AppError, Json, Query};
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisclosureParams {
    /// `YYYY-MM` (Beijing time).
    pub month: String,
}

/// One published row; every cell a string as published (`<5` for a count of 1–4, `—` for a rate
/// over fewer than 5).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DisclosureRowOut {
    pub unit: String,
    pub month: String,
    pub ratings: String,
    /// Ratings per channel 1–8 (网上办事大厅, 移动端, 二维码, 窗口评价器, 自助终端, 电话回访, 短信, 系统默认评价).
    pub channels: Vec<String>,
    pub bad_reviews: String,
    pub bad_rate: String,
    pub rectification_rate: String,
    pub top_items: String,
    pub top_problems: String,
}

/// The month's public disclosure of the caller's jurisdiction.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Disclosure {
    pub month: String,
    /// The jurisdiction whose figures these are.
    pub jurisdiction: String,
    /// The column headers of the published table, in the order of a row's cells.
    pub headers: Vec<String>,
    /// One row per unit with ratings or cases in the month, then the jurisdiction's total (合计).
    pub rows: Vec<DisclosureRowOut>,
    /// Counts below this are shown as `<N`.
    pub min_count: u64,
}

fn out(r: DisclosureRow) -> DisclosureRowOut {
    DisclosureRowOut {
        unit: r.unit,
        month: r.month,
        ratings: r.ratings,
        channels: r.channels.to_vec(),
        bad_reviews: r.bad_reviews,
        bad_rate: r.bad_rate,
        rectification_rate: r.rectification_rate,
        top_items: r.top_items,
        top_problems: r.top_problems,
    }
}

/// The month's figures per unit in the published layout, personal data removed and counts below 5
/// suppressed (supervisors and administrators of the jurisdiction).
#[utoipa::path(get, path = "/api/v1/disclosure", tag = "statistics", security(("bearer" = [])), params(DisclosureParams),
    responses((status = 200, body = Disclosure), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn monthly(
    State(state): State<AppState>,
    who: AuthUser,
    Query(q): Query<DisclosureParams>,
) -> ApiResult<Json<Disclosure>> {
    if !matches!(who.user.role, Role::Supervisor | Role::Administrator) {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "定期公开数据由督查人员或系统管理员导出",
        ));
    }
    let period = q
        .month
        .split_once('-')
        .filter(|(y, m)| y.len() == 4 && m.len() == 2)
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .and_then(|(y, m)| Period::month(y, m))
        .ok_or_else(|| AppError::invalid(format!("月份“{}”无效，应形如 2026-11", q.month)))?;
    let scope = who.user.scope_path.clone();
    let now = state.clock.now();
    let (ratings, cases, names, texts) = state
        .db
        .read(move |c| {
            let wrap = |e: hcp_stats::StatsError| crate::db::DbError::Corrupt(e.to_string());
            // Bad reviews' service items and content codes (never their evaluators or staff).
            let texts: Vec<(i64, String, String)> = c.query_map(
                "SELECT id, item_name, content_codes FROM ratings
                  WHERE unit_path >= ?1 AND unit_path < ?2 AND level IN ('dissatisfied', 'very_dissatisfied')",
                [scope.clone(), format!("{scope}~")],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            Ok((
                hcp_stats::rating_facts(c, &scope).map_err(wrap)?,
                hcp_stats::case_facts(c, &scope).map_err(wrap)?,
                hcp_stats::unit_names(c).map_err(wrap)?,
                texts,
            ))
        })
        .await?;
    let params = KpiParams::beijing(now);
    let in_month = |r: &hcp_domain::kpi::RatingFact| {
        !r.excluded && r.level.is_bad() && period.contains(hcp_domain::calendar::beijing_date(r.rated_at))
    };
    // The month's counted bad reviews, by unit.
    let bad: BTreeMap<i64, i64> = ratings.iter().filter(|r| in_month(r)).map(|r| (r.id, r.unit_id)).collect();
    let mut items: BTreeMap<i64, BTreeMap<String, u64>> = BTreeMap::new();
    let mut content: BTreeMap<i64, BTreeMap<u16, u64>> = BTreeMap::new();
    for (id, item, codes) in &texts {
        let Some(unit) = bad.get(id) else { continue };
        for key in [*unit, 0] {
            *items.entry(key).or_default().entry(item.clone()).or_default() += 1;
            for code in codes.split(',').filter_map(|c| c.trim().parse::<u16>().ok()) {
                *content.entry(key).or_default().entry(code).or_default() += 1;
            }
        }
    }
    let month = q.month.clone();
    let name_of = |id: i64| names.iter().find(|(u, _)| *u == id).map(|(_, n)| n.clone()).unwrap_or_default();
    let mut rows: Vec<DisclosureRowOut> = kpis_by(&ratings, &cases, GroupBy::Unit, &period, &params)
        .into_iter()
        .map(|(unit_id, k)| {
            let channels = channel_counts(&ratings, Subject::Unit(unit_id), &period, &params);
            let unit = name_of(unit_id);
            out(disclosure::row(UnitFigures {
                unit: &unit,
                month: &month,
                kpis: &k,
                channels: &channels,
                items: items.get(&unit_id).map(|m| m.clone().into_iter().collect()).unwrap_or_default(),
                codes: content.get(&unit_id).map(|m| m.clone().into_iter().collect()).unwrap_or_default(),
            }))
        })
        .collect();
    rows.sort_by(|a, b| a.unit.cmp(&b.unit));
    let total = kpis(&ratings, &cases, Subject::All, &period, &params);
    let channels = channel_counts(&ratings, Subject::All, &period, &params);
    rows.push(out(disclosure::row(UnitFigures {
        unit: "合计",
        month: &month,
        kpis: &total,
        channels: &channels,
        items: items.remove(&0).map(|m| m.into_iter().collect()).unwrap_or_default(),
        codes: content.remove(&0).map(|m| m.into_iter().collect()).unwrap_or_default(),
    })));
    Ok(Json(Disclosure {
        month: q.month,
        jurisdiction: who.user.unit_name.clone(),
        headers: disclosure::HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        rows,
        min_count: disclosure::MIN_COUNT,
    }))
}
