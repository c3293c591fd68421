//! The working-day calendar as the app holds it (the one the server distributed, else the bundled
//! one): which years are counted on the provisional arrangement, and whether the official
//! arrangement of this or next year is missing, for the workbench's banner.

use chrono::NaiveDate;
use hcp_domain::{Calendar, Role};
use hcp_replica::Replica;
use serde::Serialize;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// What the workbench tells administrators and supervisors about the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CalendarStatus {
    /// The year whose State Council notice is due but missing: this year when it has none, from
    /// October on the next year. Deadlines in it are provisional (暂定).
    pub missing_year: Option<i32>,
    /// The last year with an official arrangement.
    pub last_official_year: Option<i32>,
    /// The years counted on the provisional arrangement (statutory holidays only).
    pub provisional_years: Vec<i32>,
}

/// The calendar's status on `today` (Beijing date), for administrators and supervisors.
pub fn status(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    bundled: &Calendar,
    today: NaiveDate,
) -> ApiResult<CalendarStatus> {
    if !matches!(user.role, Role::Administrator | Role::Supervisor) {
        return Err(ApiError::new(ErrorCode::Forbidden, "工作日历状态只向系统管理员和督办人员显示"));
    }
    let (calendar, _) = crate::cases::jurisdiction(r, bundled, &user.scope_path)?;
    Ok(of(&calendar, today))
}

fn of(calendar: &Calendar, today: NaiveDate) -> CalendarStatus {
    CalendarStatus {
        missing_year: calendar.missing_schedule(today),
        last_official_year: calendar.covered_years().last().copied(),
        provisional_years: calendar.provisional_years(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn next_years_missing_notice_shows_from_october() {
        let c = Calendar::bundled();
        assert_eq!(of(&c, d(2026, 9, 30)).missing_year, None);
        let october = of(&c, d(2026, 10, 1));
        assert_eq!(october.missing_year, Some(2027));
        assert_eq!(october.last_official_year, Some(2026));
        assert_eq!(october.provisional_years.first(), Some(&2027));
    }
}
