//! 排名考核: the staff and window leagues of the user's jurisdiction for a month, a quarter or a
//! year, offline from the replica's aggregates. The maths and the members are the server's
//! (`GET /api/v1/rankings`): `hcp_domain::league` over the same KPIs, `hcp_stats::league_members`
//! over the same tables, the jurisdiction's own `assessment.min_sample`.

use chrono::{DateTime, Utc};
use hcp_domain::kpi::GroupBy;
use hcp_domain::league::{AssessmentPolicy, LeaguePeriod};
pub use hcp_domain::league::{LeagueOf, LeagueTable};
use hcp_replica::Replica;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The league of `of` (`window` or `staff`) for `period` (`2026-11`, `2026-Q4`, `2026`) under the
/// replica's scope.
pub fn league(
    r: &Replica,
    of: LeagueOf,
    period: &str,
    policy: &AssessmentPolicy,
    now: DateTime<Utc>,
) -> ApiResult<LeagueTable> {
    let bad = || ApiError::new(ErrorCode::InvalidInput, format!("期间“{period}”无效，应形如 2026-11、2026-Q4 或 2026"));
    let key = LeaguePeriod::parse(period).ok_or_else(bad)?;
    let dates = key.dates().ok_or_else(bad)?;
    let scope = r.scope()?.unwrap_or_else(|| "/".to_owned());
    let by_staff = r.kpis_by(&scope, GroupBy::Staff, &dates, now)?;
    hcp_stats::league(r.conn(), of, &scope, key, policy, &by_staff)
        .map_err(crate::dashboard::stats_error)?
        .ok_or_else(bad)
}
