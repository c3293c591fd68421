//! The working-day calendar (工作日历) and rectification deadlines (整改时限).
//!
//! # The calendar
//!
//! China's statutory calendar is the Monday–Friday week, changed every year by a notice of the
//! General Office of the State Council (国务院办公厅) that lists the official holidays (放假) and
//! the makeup working days (调休上班, usually a Saturday or a Sunday). [`Calendar::bundled`]
//! carries the arrangements for 2019–2026 from `data/calendar-cn.json`, each year citing its
//! notices:
//!
//! | year | notices |
//! | --- | --- |
//! | 2019 | 国办发明电〔2018〕15号; Labour Day changed by 国办发明电〔2019〕3号 |
//! | 2020 | 国办发明电〔2019〕16号; Spring Festival extended to 2 February by 国办发明电〔2020〕1号 |
//! | 2021 | 国办发明电〔2020〕27号 |
//! | 2022 | 国办发明电〔2021〕11号 |
//! | 2023 | 国办发明电〔2022〕16号 |
//! | 2024 | 国办发明电〔2023〕7号 |
//! | 2025 | 国办发明电〔2024〕12号 |
//! | 2026 | 国办发明电〔2025〕7号 |
//!
//! The State Council publishes the next year's arrangement around November, so the calendar is
//! data: the server distributes updates in the same JSON format and clients load them with
//! [`Calendar::from_json`]; [`Calendar::covers`] tells whether a date's year is covered.
//!
//! # Provisional years
//!
//! A year after the last one covered (up to [`PROVISIONAL_HORIZON_YEARS`] of them, and any gap
//! from 2025 on) gets a **provisional** arrangement computed from the statutory holiday rules (see
//! [`provisional`]): the statutory days off and their make-up days off, no makeup working day.
//! [`Calendar::is_provisional`] tells whether a date is counted on such an estimate (or, beyond
//! the horizon, on the plain week); deadlines there are marked provisional and re-counted with
//! [`Calendar::recount`] when the official arrangement arrives. [`Calendar::missing_schedule`]
//! names the year whose notice is due but missing (from October on, the next one).
//!
//! # Counting convention
//!
//! All dates are local dates in the jurisdiction's time zone (Beijing time, UTC+8, by default);
//! instants are converted with [`DeadlineRules::local_date`].
//!
//! * [`Calendar::working_days_between`]`(a, b)` counts the working days `d` with `a < d <= b`
//!   (the start day excluded, the end day included), negated when `b < a`.
//! * [`Calendar::add_working_days`]`(d, n)` is the `n`-th working day strictly after `d` (`d`
//!   itself when `n = 0`), whether or not `d` is a working day; so
//!   `working_days_between(d, add_working_days(d, n)) == n`.
//! * A deadline is a **due date**: the work must be done by the end of that local day (24:00).
//!   For a case created (or assigned, or reopened) at instant `t` whose local date is `d`:
//!   - **Day 0** is `d` when `d` is a working day and `t` is before the cut-off (17:00 by
//!     default); otherwise day 0 is the first working day after `d` (created after hours or on a
//!     day off, the clock starts with the next working day).
//!   - With [`DeadlinePolicy::WorkingDays`]`(n)` the due date is the `n`-th working day after
//!     day 0. Example (Chongqing, 5 working days): created Monday 10:00 → due Monday of the next
//!     week; created Monday 18:00 → day 0 is Tuesday → due Tuesday of the next week; created
//!     Saturday → day 0 is Monday → due Monday of the next week.
//!   - With [`DeadlinePolicy::CalendarDays`]`(n)` day 0 is `d` before the cut-off and `d + 1`
//!     after it; the due date is `n` calendar days after day 0, moved forward to the next working
//!     day when it falls on a day off (a period never ends on a holiday).
//! * While an extension request waits for approval the clock is paused: when the request is
//!   decided, the deadline moves forward by the working days that passed in between, counted with
//!   `working_days_between(request date, decision date)` (the day of the request counts as
//!   worked). An approved extension then adds the granted working days.

pub mod provisional;

use std::collections::BTreeMap;

pub use provisional::{PROVISIONAL_HORIZON_YEARS, STATUTORY_RULES_SINCE, WARN_FROM_MONTH};

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Offset, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// The bundled arrangement, as shipped with this release.
pub const BUNDLED_CALENDAR_JSON: &str = include_str!("../data/calendar-cn.json");

/// A State Council notice that sets (or changes) a year's arrangement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// The document number, such as `国办发明电〔2025〕7号`.
    pub number: String,
    pub title: String,
    #[serde(default)]
    pub url: String,
}

/// A span of official holidays (放假), both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidaySpan {
    pub name: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// A makeup working day (调休上班).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MakeupDay {
    pub name: String,
    pub date: NaiveDate,
}

/// One year's arrangement. Its spans may reach into the neighbouring year (the 2019 New Year
/// holiday starts on 30 December 2018).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    pub year: i32,
    pub notices: Vec<Notice>,
    pub holidays: Vec<HolidaySpan>,
    pub working_days: Vec<MakeupDay>,
}

/// One year of the public holiday-cn data set (`{"year", "papers", "days": [{"name", "date",
/// "isOffDay"}]}`), the form the official arrangement is often at hand in.
#[derive(Debug, Clone, Deserialize)]
struct HolidayCnYear {
    year: i32,
    days: Vec<HolidayCnDay>,
}

#[derive(Debug, Clone, Deserialize)]
struct HolidayCnDay {
    name: String,
    date: NaiveDate,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

impl CalendarYear {
    /// Reads one year in the holiday-cn format, citing `notice` (which that format does not
    /// carry): consecutive days off of one festival become one span, worked days makeup days.
    pub fn from_holiday_cn(json: &str, notice: Notice) -> Result<CalendarYear, CalendarError> {
        let file: HolidayCnYear = serde_json::from_str(json).map_err(|e| CalendarError::Json(e.to_string()))?;
        let mut days = file.days;
        days.sort_by_key(|d| d.date);
        let mut holidays: Vec<HolidaySpan> = Vec::new();
        let mut working_days = Vec::new();
        for day in days {
            if !day.is_off_day {
                working_days.push(MakeupDay { name: day.name, date: day.date });
                continue;
            }
            match holidays.last_mut() {
                Some(span) if span.name == day.name && span.last.succ_opt() == Some(day.date) => span.last = day.date,
                _ => holidays.push(HolidaySpan { name: day.name, first: day.date, last: day.date }),
            }
        }
        Ok(CalendarYear { year: file.year, notices: vec![notice], holidays, working_days })
    }
}

/// The calendar as data: what the JSON file holds and what the server distributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarData {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub note: String,
    pub years: Vec<CalendarYear>,
}

/// Why calendar data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("工作日历数据格式错误：{0}")]
    Json(String),
    #[error("工作日历中 {0} 年出现了不止一次")]
    DuplicateYear(i32),
    #[error("工作日历中 {0} 年未注明国务院办公厅通知文号")]
    MissingNotice(i32),
    #[error("工作日历中“{name}”的放假区间无效：{first} 至 {last}")]
    InvalidSpan { name: String, first: NaiveDate, last: NaiveDate },
    #[error("工作日历中 {0} 既是放假日又是调休上班日")]
    Conflict(NaiveDate),
}

/// How a date counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind<'a> {
    /// An ordinary Monday–Friday.
    Workday,
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// An official holiday (放假), with the festival's name.
    Holiday(&'a str),
    /// A makeup working day (调休上班), with the festival's name.
    MakeupWorkday(&'a str),
}

impl DayKind<'_> {
    pub fn is_working_day(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeupWorkday(_))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Special {
    working: bool,
    name: String,
}

/// The working-day calendar: the Monday–Friday week changed by the listed arrangements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    data: CalendarData,
    special: BTreeMap<NaiveDate, Special>,
    /// The provisional arrangements of the uncovered years (see [`provisional`]), by year.
    provisional: Vec<CalendarYear>,
}

/// The longest holiday span accepted (the longest ever was the 2020 Spring Festival: 10 days).
const MAX_SPAN_DAYS: i64 = 31;

impl Calendar {
    /// The arrangements 2019–2026 bundled with this release.
    pub fn bundled() -> Calendar {
        // The bundled file is checked by the tests; should it ever fail to parse, fall back to the
        // plain week rather than panic.
        Calendar::from_json(BUNDLED_CALENDAR_JSON).unwrap_or_else(|_| Calendar::weekdays_only())
    }

    /// A calendar with no arrangement at all: Monday–Friday are working days.
    pub fn weekdays_only() -> Calendar {
        Calendar {
            data: CalendarData { name: String::new(), note: String::new(), years: Vec::new() },
            special: BTreeMap::new(),
            provisional: Vec::new(),
        }
    }

    /// Parses calendar data in the format of `data/calendar-cn.json`.
    pub fn from_json(json: &str) -> Result<Calendar, CalendarError> {
        let data: CalendarData = serde_json::from_str(json).map_err(|e| CalendarError::Json(e.to_string()))?;
        Calendar::from_data(data)
    }

    /// Validates calendar data and builds the calendar.
    pub fn from_data(data: CalendarData) -> Result<Calendar, CalendarError> {
        let mut special: BTreeMap<NaiveDate, Special> = BTreeMap::new();
        let mut seen_years = Vec::new();
        for year in &data.years {
            if seen_years.contains(&year.year) {
                return Err(CalendarError::DuplicateYear(year.year));
            }
            seen_years.push(year.year);
            if year.notices.iter().all(|n| n.number.trim().is_empty()) {
                return Err(CalendarError::MissingNotice(year.year));
            }
            for span in &year.holidays {
                let len = (span.last - span.first).num_days();
                if !(0..MAX_SPAN_DAYS).contains(&len) {
                    return Err(CalendarError::InvalidSpan {
                        name: span.name.clone(),
                        first: span.first,
                        last: span.last,
                    });
                }
                for date in span.first.iter_days().take(len as usize + 1) {
                    insert_special(&mut special, date, false, &span.name)?;
                }
            }
            for day in &year.working_days {
                insert_special(&mut special, day.date, true, &day.name)?;
            }
        }
        let provisional: Vec<CalendarYear> =
            provisional_years(&seen_years).into_iter().map(provisional::provisional_year).collect();
        for year in &provisional {
            for span in &year.holidays {
                for date in span.first.iter_days().take_while(|x| *x <= span.last) {
                    // An official arrangement reaching into the year (a New Year holiday starting
                    // in December) wins over the estimate.
                    special.entry(date).or_insert_with(|| Special { working: false, name: span.name.clone() });
                }
            }
        }
        Ok(Calendar { data, special, provisional })
    }

    /// This calendar with `year`'s arrangement added (or replaced), validated like any data.
    pub fn with_year(&self, year: CalendarYear) -> Result<Calendar, CalendarError> {
        let mut data = self.data.clone();
        data.years.retain(|y| y.year != year.year);
        data.years.push(year);
        data.years.sort_by_key(|y| y.year);
        Calendar::from_data(data)
    }

    /// The data this calendar was built from (to store or to distribute).
    pub fn data(&self) -> &CalendarData {
        &self.data
    }

    /// The data as JSON, in the format [`Calendar::from_json`] reads.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.data).unwrap_or_default()
    }

    /// The years that have an arrangement.
    pub fn covered_years(&self) -> Vec<i32> {
        let mut years: Vec<i32> = self.data.years.iter().map(|y| y.year).collect();
        years.sort_unstable();
        years
    }

    /// Whether the date's year has an arrangement; outside it only the plain week is known.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.data.years.iter().any(|y| y.year == date.year())
    }

    /// Whether a date is counted on an estimate rather than on a State Council notice: its year
    /// is not covered, so it has the provisional arrangement (or, outside the years that have
    /// one, the plain week). A deadline counted into or through such a date is provisional.
    pub fn is_provisional(&self, date: NaiveDate) -> bool {
        !self.covers(date)
    }

    /// Whether any date of `from..=to` (either order) is provisional: a deadline counted from
    /// `from` to `to` is then provisional.
    pub fn is_provisional_between(&self, from: NaiveDate, to: NaiveDate) -> bool {
        let (a, b) = if from <= to { (from.year(), to.year()) } else { (to.year(), from.year()) };
        (a..=b).any(|year| !self.covers_year(year))
    }

    fn covers_year(&self, year: i32) -> bool {
        self.data.years.iter().any(|y| y.year == year)
    }

    /// The years with a provisional arrangement, ascending.
    pub fn provisional_years(&self) -> Vec<i32> {
        self.provisional.iter().map(|y| y.year).collect()
    }

    /// The provisional arrangements (statutory days off and their make-up days off), by year.
    pub fn provisional_arrangements(&self) -> &[CalendarYear] {
        &self.provisional
    }

    /// The year whose official arrangement is due but missing on `today`: the current year when it
    /// is not covered, else, from October ([`WARN_FROM_MONTH`]) on, the next year when it is not.
    pub fn missing_schedule(&self, today: NaiveDate) -> Option<i32> {
        let year = today.year();
        if !self.covers_year(year) {
            return Some(year);
        }
        (today.month() >= WARN_FROM_MONTH && !self.covers_year(year + 1)).then_some(year + 1)
    }

    /// The first date of `from..` on which this calendar and `other` disagree about working.
    pub fn first_difference(&self, other: &Calendar, from: NaiveDate) -> Option<NaiveDate> {
        let keys = self.special.range(from..).map(|(d, _)| *d).chain(other.special.range(from..).map(|(d, _)| *d));
        keys.filter(|d| self.is_working_day(*d) != other.is_working_day(*d)).min()
    }

    /// A due date counted on this calendar, re-counted on `new`: the deadline was set on `since`
    /// and ran the working days this calendar has in `since < d <= due`; on `new` it runs as many
    /// from `since`. Unchanged when both calendars agree on every day in between.
    pub fn recount(&self, new: &Calendar, since: NaiveDate, due: NaiveDate) -> NaiveDate {
        if due <= since || self.first_difference(new, since.succ_opt().unwrap_or(since)).is_none_or(|d| d > due) {
            return due;
        }
        let days = u32::try_from(self.working_days_between(since, due)).unwrap_or(0);
        new.add_working_days(since, days)
    }

    /// The notices a year's arrangement cites (empty when the year is not covered).
    pub fn notices(&self, year: i32) -> &[Notice] {
        self.data.years.iter().find(|y| y.year == year).map_or(&[], |y| y.notices.as_slice())
    }

    /// How the date counts.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind<'_> {
        match self.special.get(&date) {
            Some(s) if s.working => DayKind::MakeupWorkday(&s.name),
            Some(s) => DayKind::Holiday(&s.name),
            None if is_weekday(date) => DayKind::Workday,
            None => DayKind::Weekend,
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day_kind(date).is_working_day()
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        self.add_working_days(date, 1)
    }

    /// The working days `d` with `a < d <= b`; negative (the days in `b < d <= a`) when `b < a`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        if b < a {
            return -self.working_days_between(b, a);
        }
        let mut count = weekday_ordinal(b) - weekday_ordinal(a);
        // `a < d` excludes `a` itself, hence the excluded lower bound.
        let range = (std::ops::Bound::Excluded(a), std::ops::Bound::Included(b));
        for (date, s) in self.special.range(range) {
            count += i64::from(s.working) - i64::from(is_weekday(*date));
        }
        count
    }

    /// The `n`-th working day strictly after `date` (`date` itself for `n = 0`). Saturates at the
    /// last date chrono can represent.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return date;
        }
        let target = i64::from(n);
        // Every listed day off removes at most one working day, and a plain week has five: the
        // answer lies within this many calendar days.
        let off_days = self.special.values().filter(|s| !s.working).count() as i64;
        let span = (target + off_days) * 7 / 5 + 14;
        let mut hi = date.checked_add_signed(Duration::days(span)).unwrap_or(NaiveDate::MAX);
        if self.working_days_between(date, hi) < target {
            return NaiveDate::MAX;
        }
        let mut lo = date;
        // Invariant: count(lo) < target <= count(hi).
        while (hi - lo).num_days() > 1 {
            let mid_offset = (hi - lo).num_days() / 2;
            let mid = lo + Duration::days(mid_offset);
            if self.working_days_between(date, mid) >= target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }
}

/// The years that get a provisional arrangement, given the covered ones: the gaps from 2025 on
/// and [`PROVISIONAL_HORIZON_YEARS`] years after the last one (none without any data: that is the
/// plain week by choice).
fn provisional_years(covered: &[i32]) -> Vec<i32> {
    let Some(last) = covered.iter().copied().max() else {
        return Vec::new();
    };
    (STATUTORY_RULES_SINCE..=last.saturating_add(PROVISIONAL_HORIZON_YEARS)).filter(|y| !covered.contains(y)).collect()
}

fn insert_special(
    special: &mut BTreeMap<NaiveDate, Special>,
    date: NaiveDate,
    working: bool,
    name: &str,
) -> Result<(), CalendarError> {
    match special.get(&date) {
        Some(existing) if existing.working != working => Err(CalendarError::Conflict(date)),
        Some(_) => Ok(()),
        None => {
            special.insert(date, Special { working, name: name.to_owned() });
            Ok(())
        }
    }
}

fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The number of Mondays–Fridays up to and including `date`, counted from a fixed Monday; only
/// differences of this number mean anything.
fn weekday_ordinal(date: NaiveDate) -> i64 {
    // 0001-01-01 (day 1 of the common era) is a Monday, so day `n` is a Monday when
    // `(n - 1) % 7 == 0`.
    let n = i64::from(date.num_days_from_ce()) - 1;
    5 * n.div_euclid(7) + (n.rem_euclid(7) + 1).min(5)
}

/// A jurisdiction's deadline for rectification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "days", rename_all = "snake_case")]
pub enum DeadlinePolicy {
    /// N working days (Chongqing: 5; elsewhere often 15).
    WorkingDays(u32),
    /// N calendar days, the last day moved to the next working day when it is a day off.
    CalendarDays(u32),
}

impl Default for DeadlinePolicy {
    /// Chongqing's rule: rectification within 5 working days.
    fn default() -> Self {
        DeadlinePolicy::WorkingDays(5)
    }
}

/// Beijing time, UTC+8, in minutes.
pub const BEIJING_UTC_OFFSET_MINUTES: i16 = 8 * 60;

/// An instant in Beijing time (UTC+8), the time of every official record, deadline and document
/// in this domain, whatever the zone of the machine that shows it.
pub fn beijing_time(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&DeadlineRules::default().offset())
}

/// The date in Beijing (UTC+8) of an instant (see [`beijing_time`]).
pub fn beijing_date(at: DateTime<Utc>) -> NaiveDate {
    beijing_time(at).date_naive()
}

/// The first instant of a Beijing date (its midnight, UTC+8), the inverse of [`beijing_date`].
pub fn beijing_start(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    DateTime::<Utc>::from_naive_utc_and_offset(midnight, Utc)
        - chrono::Duration::minutes(i64::from(BEIJING_UTC_OFFSET_MINUTES))
}

/// The replication window of `months` months (at least 1: the current month is always held in full)
/// on the Beijing date `today`: its first month (`YYYY-MM`) and that month's first instant (RFC 3339,
/// UTC, whole seconds).
pub fn month_window(today: NaiveDate, months: u32) -> (String, String) {
    use chrono::Datelike;
    let this_month = today.with_day(1).unwrap_or(today);
    let first = this_month.checked_sub_months(chrono::Months::new(months.max(1) - 1)).unwrap_or(this_month);
    (first.format("%Y-%m").to_string(), beijing_start(first).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The first instant of the Beijing month `YYYY-MM` and of the month after it (RFC 3339, UTC, whole
/// seconds): the bounds a month's ratings are read between. `None` for a malformed month.
pub fn month_bounds(month: &str) -> Option<(String, String)> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    let at = |d: NaiveDate| beijing_start(d).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Some((at(first), at(next)))
}

/// The deadline rules of a jurisdiction: policy, cut-off time, time zone and extension limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeadlineRules {
    pub policy: DeadlinePolicy,
    /// Work arriving at or after this local time starts counting on the next working day.
    pub cutoff: NaiveTime,
    /// The jurisdiction's offset from UTC in minutes (Beijing: +480). An offset of a day or more
    /// is invalid and read as Beijing time.
    pub utc_offset_minutes: i16,
    /// The most working days one extension may ask for.
    pub max_extension_working_days: u32,
    /// 核实处置: working days from a case's arrival to verify it and resolve or assign it (`None`:
    /// no clock for this stage).
    pub verify_within_working_days: Option<u32>,
    /// 签收: working days from assignment for the handler to accept the case (`None`: no clock).
    pub accept_within_working_days: Option<u32>,
    /// From when the rectification deadline ([`Self::policy`]) counts.
    pub rectify_from: RectifyFrom,
    /// 回访: working days from the rectification report (or on-the-spot resolution) to the return
    /// visit (`None`: no clock).
    pub return_visit_within_working_days: Option<u32>,
}

/// From when the rectification deadline counts: from assignment (the handler gets the whole
/// period) or from the bad review's arrival (Chongqing: a bad review is rectified within 5 working
/// days of being received, however long verification and assignment took).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RectifyFrom {
    #[default]
    Assignment,
    Arrival,
}

/// The stages of a case that each have a clock ([`DeadlineRules`]), named by the case's state.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 核实处置: verify a new case and resolve it on the spot or assign it.
    Verify,
    /// 签收: the handler accepts an assigned case.
    Accept,
    /// 整改: rectification, until the report (paused while an extension waits).
    Rectify,
    /// 回访: the return visit after rectification.
    ReturnVisit,
}

crate::str_enum!(Stage {
    Verify => "verify",
    Accept => "accept",
    Rectify => "rectify",
    ReturnVisit => "return_visit",
});

impl Stage {
    /// The deadline's name: 核实处置期限, 签收期限, 整改期限, 回访期限.
    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Verify => "核实处置",
            Stage::Accept => "签收",
            Stage::Rectify => "整改",
            Stage::ReturnVisit => "回访",
        }
    }
}

impl Default for DeadlineRules {
    fn default() -> Self {
        DeadlineRules {
            policy: DeadlinePolicy::default(),
            cutoff: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
            utc_offset_minutes: BEIJING_UTC_OFFSET_MINUTES,
            max_extension_working_days: 10,
            // A callback within 1 day (Zhejiang), signing for an assignment the next working day,
            // and the return visit within 3 working days of the report.
            verify_within_working_days: Some(1),
            accept_within_working_days: Some(1),
            rectify_from: RectifyFrom::Assignment,
            return_visit_within_working_days: Some(3),
        }
    }
}

/// The longest deadline a policy may set, in working or calendar days.
pub const MAX_DEADLINE_DAYS: u32 = 365;

/// The most working days one extension may be allowed to ask for.
pub const MAX_EXTENSION_WORKING_DAYS: u32 = 60;

/// The widest offset from UTC a jurisdiction may have (UTC−12:00 to UTC+14:00), in minutes.
pub const UTC_OFFSET_RANGE: std::ops::RangeInclusive<i16> = -12 * 60..=14 * 60;

impl DeadlineRules {
    /// Checks the rules an administrator sets: a deadline of 1 to [`MAX_DEADLINE_DAYS`] days, a
    /// real time zone, and extensions of at most [`MAX_EXTENSION_WORKING_DAYS`]. The message names
    /// the field (Chinese).
    pub fn validate(&self) -> Result<(), String> {
        let days = match self.policy {
            DeadlinePolicy::WorkingDays(n) | DeadlinePolicy::CalendarDays(n) => n,
        };
        if !(1..=MAX_DEADLINE_DAYS).contains(&days) {
            return Err(format!("deadlines.policy.days 应为 1–{MAX_DEADLINE_DAYS} 天"));
        }
        if !UTC_OFFSET_RANGE.contains(&self.utc_offset_minutes) {
            return Err(format!(
                "deadlines.utc_offset_minutes 应在 {} 到 {} 分钟之间（UTC−12:00 至 UTC+14:00）",
                UTC_OFFSET_RANGE.start(),
                UTC_OFFSET_RANGE.end()
            ));
        }
        if self.max_extension_working_days > MAX_EXTENSION_WORKING_DAYS {
            return Err(format!("deadlines.max_extension_working_days 不能超过 {MAX_EXTENSION_WORKING_DAYS} 个工作日"));
        }
        for (field, days) in [
            ("verify_within_working_days", self.verify_within_working_days),
            ("accept_within_working_days", self.accept_within_working_days),
            ("return_visit_within_working_days", self.return_visit_within_working_days),
        ] {
            if days.is_some_and(|n| n > MAX_DEADLINE_DAYS) {
                return Err(format!("deadlines.{field} 不能超过 {MAX_DEADLINE_DAYS} 个工作日"));
            }
        }
        Ok(())
    }

    /// The due date of a stage clock of `working_days` started at `at` (`None` without a clock).
    pub fn stage_due(&self, calendar: &Calendar, at: DateTime<Utc>, working_days: Option<u32>) -> Option<NaiveDate> {
        working_days.map(|n| calendar.add_working_days(self.day_zero(calendar, at), n))
    }

    /// The rectification deadline of a case that arrived at `arrived` and is assigned at `now`.
    pub fn rectification_due(&self, calendar: &Calendar, arrived: DateTime<Utc>, now: DateTime<Utc>) -> NaiveDate {
        match self.rectify_from {
            RectifyFrom::Assignment => self.due_date(calendar, now),
            RectifyFrom::Arrival => self.due_date(calendar, arrived.min(now)),
        }
    }

    /// The jurisdiction's time zone.
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(i32::from(self.utc_offset_minutes) * 60)
            .or_else(|| FixedOffset::east_opt(i32::from(BEIJING_UTC_OFFSET_MINUTES) * 60))
            .unwrap_or_else(|| Utc.fix())
    }

    /// The local date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.offset()).date_naive()
    }

    /// Day 0 of a working-day count for work arriving at `at` (see the module doc).
    pub fn day_zero(&self, calendar: &Calendar, at: DateTime<Utc>) -> NaiveDate {
        let local = at.with_timezone(&self.offset());
        let date = local.date_naive();
        if calendar.is_working_day(date) && local.time() < self.cutoff {
            date
        } else {
            calendar.next_working_day(date)
        }
    }

    /// The due date for work arriving at `at` under this jurisdiction's policy.
    pub fn due_date(&self, calendar: &Calendar, at: DateTime<Utc>) -> NaiveDate {
        match self.policy {
            DeadlinePolicy::WorkingDays(n) => calendar.add_working_days(self.day_zero(calendar, at), n),
            DeadlinePolicy::CalendarDays(n) => {
                let local = at.with_timezone(&self.offset());
                let mut start = local.date_naive();
                if local.time() >= self.cutoff {
                    start = start.succ_opt().unwrap_or(start);
                }
                let due = start.checked_add_signed(Duration::days(i64::from(n))).unwrap_or(NaiveDate::MAX);
                if calendar.is_working_day(due) {
                    due
                } else {
                    calendar.next_working_day(due)
                }
            }
        }
    }

    /// The instant a due date ends: local midnight at the end of that day, in UTC.
    pub fn due_instant(&self, due: NaiveDate) -> DateTime<Utc> {
        let next = due.succ_opt().unwrap_or(due);
        let local = next.and_time(NaiveTime::MIN);
        let utc =
            local.checked_sub_signed(Duration::seconds(i64::from(self.offset().local_minus_utc()))).unwrap_or(local);
        DateTime::from_naive_utc_and_offset(utc, Utc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    /// A Beijing-time instant.
    fn bj(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        d(y, m, day)
            .and_hms_opt(h, min, 0)
            .expect("valid test time")
            .and_local_timezone(FixedOffset::east_opt(8 * 3600).expect("offset"))
            .single()
            .expect("unique local time")
            .with_timezone(&Utc)
    }

    fn cal() -> Calendar {
        Calendar::from_json(BUNDLED_CALENDAR_JSON).expect("bundled calendar parses")
    }

    /// A window of n months starts n-1 months before the current one, at its Beijing midnight.
    #[test]
    fn a_window_starts_at_the_first_midnight_of_its_first_month() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        assert_eq!(month_window(d, 2), ("2026-11".to_owned(), "2026-10-31T16:00:00Z".to_owned()));
        assert_eq!(month_window(d, 1), ("2026-12".to_owned(), "2026-11-30T16:00:00Z".to_owned()));
        assert_eq!(month_window(d, 0), month_window(d, 1));
        let jan = NaiveDate::from_ymd_opt(2027, 1, 1).expect("date");
        assert_eq!(month_window(jan, 13).0, "2026-01");
        assert_eq!(
            month_bounds("2026-12"),
            Some(("2026-11-30T16:00:00Z".to_owned(), "2026-12-31T16:00:00Z".to_owned()))
        );
        assert_eq!(month_bounds("2026-13"), None);
        assert_eq!(month_bounds("x"), None);
    }

    /// A Beijing date starts at 16:00 UTC the day before, and its first and last instants are on it.
    #[test]
    fn a_beijing_date_starts_at_its_midnight() {
        let start = beijing_start(d(2026, 12, 7));
        assert_eq!(start, bj(2026, 12, 7, 0, 0));
        assert_eq!(start.to_rfc3339(), "2026-12-06T16:00:00+00:00");
        assert_eq!(beijing_date(start), d(2026, 12, 7));
        assert_eq!(beijing_date(start - chrono::Duration::seconds(1)), d(2026, 12, 6));
    }

    #[test]
    fn the_bundled_calendar_parses_and_covers_2019_to_2026() {
        let c = cal();
        assert_eq!(c.covered_years(), (2019..=2026).collect::<Vec<_>>());
        assert_eq!(Calendar::bundled(), c);
        assert!(c.covers(d(2026, 12, 31)));
        assert!(!c.covers(d(2027, 1, 1)));
        for year in 2019..=2026 {
            assert!(c.notices(year).iter().any(|n| n.number.starts_with("国办发明电〔")), "{year} cites no notice");
        }
        assert_eq!(c.notices(2026)[0].number, "国办发明电〔2025〕7号");
        assert_eq!(c.notices(2020)[1].number, "国办发明电〔2020〕1号");
        assert!(c.notices(2027).is_empty());
    }

    /// (year, Spring Festival first/last day off, its makeup days, National Day first/last day
    /// off, its makeup days), as the notices word them.
    type FestivalRow =
        (i32, (u32, u32), (u32, u32), &'static [(u32, u32)], (u32, u32), (u32, u32), &'static [(u32, u32)]);
    const FESTIVALS: [FestivalRow; 8] = [
        (2019, (2, 4), (2, 10), &[(2, 2), (2, 3)], (10, 1), (10, 7), &[(9, 29), (10, 12)]),
        (2020, (1, 24), (2, 2), &[(1, 19)], (10, 1), (10, 8), &[(9, 27), (10, 10)]),
        (2021, (2, 11), (2, 17), &[(2, 7), (2, 20)], (10, 1), (10, 7), &[(9, 26), (10, 9)]),
        (2022, (1, 31), (2, 6), &[(1, 29), (1, 30)], (10, 1), (10, 7), &[(10, 8), (10, 9)]),
        (2023, (1, 21), (1, 27), &[(1, 28), (1, 29)], (9, 29), (10, 6), &[(10, 7), (10, 8)]),
        (2024, (2, 10), (2, 17), &[(2, 4), (2, 18)], (10, 1), (10, 7), &[(9, 29), (10, 12)]),
        (2025, (1, 28), (2, 4), &[(1, 26), (2, 8)], (10, 1), (10, 8), &[(9, 28), (10, 11)]),
        (2026, (2, 15), (2, 23), &[(2, 14), (2, 28)], (10, 1), (10, 7), &[(9, 20), (10, 10)]),
    ];

    #[test]
    fn every_spring_festival_and_national_day_is_off_and_their_makeup_days_are_worked() {
        let c = cal();
        for (year, sf_first, sf_last, sf_work, nd_first, nd_last, nd_work) in FESTIVALS {
            for (first, last) in [(sf_first, sf_last), (nd_first, nd_last)] {
                let first = d(year, first.0, first.1);
                let last = d(year, last.0, last.1);
                let before = first.pred_opt().expect("date");
                let after = last.succ_opt().expect("date");
                for day in first.iter_days().take_while(|x| *x <= last) {
                    assert!(!c.is_working_day(day), "{day} should be off");
                    assert!(matches!(c.day_kind(day), DayKind::Holiday(_)), "{day}");
                }
                // The days around a holiday are working days or ordinary weekends.
                for edge in [before, after] {
                    assert!(c.is_working_day(edge) || !is_weekday(edge), "{edge} next to a holiday");
                }
            }
            for (m, day) in sf_work.iter().chain(nd_work) {
                let date = d(year, *m, *day);
                assert!(!is_weekday(date), "{date} is not a weekend day");
                assert!(c.is_working_day(date), "{date} should be worked");
                assert!(matches!(c.day_kind(date), DayKind::MakeupWorkday(_)));
            }
        }
    }

    #[test]
    fn the_2020_spring_festival_extension_is_included() {
        let c = cal();
        // Saturday 1 February 2020 was first a makeup working day; the extension made it off.
        assert!(!c.is_working_day(d(2020, 1, 31)));
        assert!(!c.is_working_day(d(2020, 2, 1)));
        assert!(!c.is_working_day(d(2020, 2, 2)));
        assert!(c.is_working_day(d(2020, 2, 3)));
        assert_eq!(c.next_working_day(d(2020, 1, 23)), d(2020, 2, 3));
    }

    #[test]
    fn makeup_saturdays_and_sundays() {
        let c = cal();
        let saturday = d(2026, 2, 14);
        let sunday = d(2026, 9, 20);
        assert_eq!(saturday.weekday(), Weekday::Sat);
        assert_eq!(sunday.weekday(), Weekday::Sun);
        assert_eq!(c.day_kind(saturday), DayKind::MakeupWorkday("春节"));
        assert_eq!(c.day_kind(sunday), DayKind::MakeupWorkday("国庆节"));
        // An ordinary weekend stays off, an ordinary weekday stays on.
        assert_eq!(c.day_kind(d(2026, 3, 7)), DayKind::Weekend);
        assert_eq!(c.day_kind(d(2026, 3, 9)), DayKind::Workday);
        // 2019 Labour Day as changed: 1–4 May off, Sundays 28 April and 5 May worked.
        assert!(!c.is_working_day(d(2019, 5, 3)));
        assert!(c.is_working_day(d(2019, 4, 28)));
        assert!(c.is_working_day(d(2019, 5, 5)));
    }

    #[test]
    fn working_day_arithmetic() {
        let c = cal();
        // A plain week: Monday 9 March 2026 + 5 working days = Monday 16 March.
        assert_eq!(c.add_working_days(d(2026, 3, 9), 5), d(2026, 3, 16));
        assert_eq!(c.working_days_between(d(2026, 3, 9), d(2026, 3, 16)), 5);
        assert_eq!(c.working_days_between(d(2026, 3, 16), d(2026, 3, 9)), -5);
        assert_eq!(c.working_days_between(d(2026, 3, 9), d(2026, 3, 9)), 0);
        // From a Saturday, the first working day is Monday.
        assert_eq!(c.add_working_days(d(2026, 3, 7), 1), d(2026, 3, 9));
        assert_eq!(c.add_working_days(d(2026, 3, 7), 0), d(2026, 3, 7));
        // Across the 2026 Spring Festival: Thursday 12 Feb + 2 = Saturday 14 Feb (makeup) then
        // Tuesday 24 Feb.
        assert_eq!(c.add_working_days(d(2026, 2, 12), 1), d(2026, 2, 13));
        assert_eq!(c.add_working_days(d(2026, 2, 12), 2), d(2026, 2, 14));
        assert_eq!(c.add_working_days(d(2026, 2, 12), 3), d(2026, 2, 24));
        // Across National Day 2026: Wednesday 30 Sep + 1 = Thursday 8 Oct.
        assert_eq!(c.add_working_days(d(2026, 9, 30), 1), d(2026, 10, 8));
        // Far outside the data the plain week applies, and huge counts saturate.
        assert_eq!(c.add_working_days(d(2100, 1, 4), 5), d(2100, 1, 11));
        assert_eq!(c.add_working_days(d(2026, 1, 5), u32::MAX), NaiveDate::MAX);
    }

    #[test]
    fn add_and_between_agree_everywhere_in_the_data() {
        let c = cal();
        let mut day = d(2018, 12, 1);
        while day <= d(2027, 1, 31) {
            for n in [0u32, 1, 2, 5, 15, 40] {
                let due = c.add_working_days(day, n);
                assert_eq!(c.working_days_between(day, due), i64::from(n), "{day} + {n}");
                if n > 0 {
                    assert!(c.is_working_day(due), "{day} + {n} = {due}");
                    assert_eq!(c.working_days_between(day, due.pred_opt().expect("date")), i64::from(n) - 1);
                }
            }
            day = day.succ_opt().expect("date");
        }
    }

    #[test]
    fn a_deadline_crosses_the_year_boundary() {
        let c = cal();
        let rules = DeadlineRules::default();
        // Monday 29 Dec 2025, 10:00: day 0; 30, 31 Dec, then 1–3 Jan 2026 off, Sunday 4 Jan
        // worked, Monday 5, Tuesday 6 Jan.
        let due = rules.due_date(&c, bj(2025, 12, 29, 10, 0));
        assert_eq!(due, d(2026, 1, 6));
        // 2023 began with 31 Dec 2022 – 2 Jan 2023 off: Friday 30 Dec 2022 + 5 = 3, 4, 5, 6 and
        // Monday 9 Jan 2023.
        assert_eq!(rules.due_date(&c, bj(2022, 12, 30, 9, 0)), d(2023, 1, 9));
        // Thursday 27 Dec 2018 + 5: 28 Dec, Saturday 29 Dec (makeup), 2, 3, 4 Jan 2019.
        assert_eq!(rules.due_date(&c, bj(2018, 12, 27, 9, 0)), d(2019, 1, 4));
    }

    #[test]
    fn the_counting_convention_around_the_cut_off_and_days_off() {
        let c = cal();
        let rules = DeadlineRules::default();
        // Monday 9 March 2026 before 17:00: day 0 is Monday, due Monday 16 March.
        assert_eq!(rules.due_date(&c, bj(2026, 3, 9, 16, 59)), d(2026, 3, 16));
        // At or after the cut-off, day 0 is Tuesday: due Tuesday 17 March.
        assert_eq!(rules.due_date(&c, bj(2026, 3, 9, 17, 0)), d(2026, 3, 17));
        // Saturday: day 0 is Monday 9 March.
        assert_eq!(rules.due_date(&c, bj(2026, 3, 7, 10, 0)), d(2026, 3, 16));
        // During the 2026 Spring Festival: day 0 is Tuesday 24 Feb; Saturday 28 Feb is worked.
        assert_eq!(rules.due_date(&c, bj(2026, 2, 18, 10, 0)), d(2026, 3, 2));
        // Instants are converted to Beijing time: 01:00 UTC on Monday is 09:00 in Beijing.
        let utc = d(2026, 3, 9).and_hms_opt(1, 0, 0).expect("time").and_utc();
        assert_eq!(rules.due_date(&c, utc), d(2026, 3, 16));
        // 10:00 UTC on Monday is 18:00 in Beijing: after hours.
        let late = d(2026, 3, 9).and_hms_opt(10, 0, 0).expect("time").and_utc();
        assert_eq!(rules.due_date(&c, late), d(2026, 3, 17));
        // The cut-off is configurable.
        let early = DeadlineRules { cutoff: NaiveTime::from_hms_opt(12, 0, 0).expect("time"), ..rules };
        assert_eq!(early.due_date(&c, bj(2026, 3, 9, 13, 0)), d(2026, 3, 17));
        // Zero working days: due the same day before the cut-off.
        let same_day = DeadlineRules { policy: DeadlinePolicy::WorkingDays(0), ..rules };
        assert_eq!(same_day.due_date(&c, bj(2026, 3, 9, 9, 0)), d(2026, 3, 9));
        // 15 working days, as elsewhere: Monday 9 March → Monday 30 March.
        let fifteen = DeadlineRules { policy: DeadlinePolicy::WorkingDays(15), ..rules };
        assert_eq!(fifteen.due_date(&c, bj(2026, 3, 9, 9, 0)), d(2026, 3, 30));
    }

    #[test]
    fn calendar_day_deadlines_never_end_on_a_day_off() {
        let c = cal();
        let rules = DeadlineRules { policy: DeadlinePolicy::CalendarDays(15), ..DeadlineRules::default() };
        // Monday 9 March 2026 + 15 = Tuesday 24 March.
        assert_eq!(rules.due_date(&c, bj(2026, 3, 9, 9, 0)), d(2026, 3, 24));
        // Wednesday 16 Sep 2026 + 15 = Thursday 1 Oct, National Day: moved to Thursday 8 Oct.
        assert_eq!(rules.due_date(&c, bj(2026, 9, 16, 9, 0)), d(2026, 10, 8));
        // After the cut-off the count starts a day later: Friday 13 March + 15 = Saturday 28
        // March, moved to Monday 30 March.
        assert_eq!(rules.due_date(&c, bj(2026, 3, 12, 18, 0)), d(2026, 3, 30));
    }

    #[test]
    fn due_instants_are_local_midnight() {
        let rules = DeadlineRules::default();
        let end = rules.due_instant(d(2026, 3, 16));
        assert_eq!(end, bj(2026, 3, 17, 0, 0));
        assert_eq!(rules.local_date(end), d(2026, 3, 17));
        // The last representable date does not overflow.
        assert!(rules.due_instant(NaiveDate::MAX) > end);
        let bad_zone = DeadlineRules { utc_offset_minutes: 30_000, ..rules };
        assert_eq!(bad_zone.offset(), rules.offset());
    }

    #[test]
    fn calendar_data_is_replaceable_at_run_time() {
        let json = r#"{"years":[{"year":2027,"notices":[{"number":"国办发明电〔2026〕1号","title":"t"}],
            "holidays":[{"name":"元旦","first":"2027-01-01","last":"2027-01-03"}],
            "working_days":[{"name":"元旦","date":"2027-01-09"}]}]}"#;
        let c = Calendar::from_json(json).expect("parses");
        assert!(!c.is_working_day(d(2027, 1, 1)));
        assert!(c.is_working_day(d(2027, 1, 9)));
        assert!(c.covers(d(2027, 6, 1)));
        // Round trip through the distributed form.
        assert_eq!(Calendar::from_json(&c.to_json()), Ok(c.clone()));
        // Before the data, from 2025 on, the gap gets the provisional arrangement: 1 October 2026
        // is National Day, but 8 October (a bridging day of the real notice) is a plain Thursday.
        assert!(!c.is_working_day(d(2026, 10, 1)));
        assert!(c.is_working_day(d(2026, 10, 8)));
        assert!(c.is_provisional(d(2026, 10, 1)));
        assert!(!c.is_provisional(d(2027, 10, 1)));
        // Before 2025 (other rules) only the week counts.
        assert!(c.is_working_day(d(2024, 10, 1)));
    }

    // ---- provisional years ----

    /// The made-up 2027 arrangement in the holiday-cn format (a test fixture, not the notice).
    fn fixture_2027() -> CalendarYear {
        let path = std::path::Path::new(
            &std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
        )
        .join("tests/data/fixtures/2027-holiday-cn.test-fixture.json");
        let text = std::fs::read_to_string(&path).expect("2027 fixture");
        let notice =
            Notice {
                number: "测试用例〔2026〕1号".into(), title: "测试用 2027 年安排".into(), url: String::new()
            };
        CalendarYear::from_holiday_cn(&text, notice).expect("fixture parses")
    }

    #[test]
    fn the_turn_of_2026_into_2027_counts_on_the_provisional_arrangement() {
        let c = cal();
        assert_eq!(c.provisional_years(), (2027..=2036).collect::<Vec<_>>());
        assert!(!c.is_provisional(d(2026, 12, 31)));
        assert!(c.is_provisional(d(2027, 1, 1)));
        assert!(c.is_provisional_between(d(2026, 12, 25), d(2027, 1, 4)));
        assert!(!c.is_provisional_between(d(2026, 12, 1), d(2026, 12, 31)));
        // Friday 25 December 2026 + 5 working days: 28–31 December, then not New Year's Day (off
        // by the statutory rules) but Monday 4 January 2027.
        assert_eq!(c.add_working_days(d(2026, 12, 25), 5), d(2027, 1, 4));
        assert_eq!(c.day_kind(d(2027, 1, 1)), DayKind::Holiday("元旦"));
        let rules = DeadlineRules::default();
        let due = rules.due_date(&c, bj(2026, 12, 25, 10, 0));
        assert_eq!(due, d(2027, 1, 4));
        assert!(c.is_provisional(due));
        // The 2027 Spring Festival: 除夕 Friday 5 February to 初三 Monday 8 February, the weekend
        // made up on Tuesday 9 and Wednesday 10 February.
        for day in 5..=10 {
            assert_eq!(c.day_kind(d(2027, 2, day)), DayKind::Holiday("春节"), "2027-02-{day:02}");
        }
        assert!(c.is_working_day(d(2027, 2, 4)));
        assert!(c.is_working_day(d(2027, 2, 11)));
        assert_eq!(c.add_working_days(d(2027, 2, 4), 1), d(2027, 2, 11));
        // No makeup working day is guessed: Saturday 20 February 2027 stays off.
        assert_eq!(c.day_kind(d(2027, 2, 20)), DayKind::Weekend);
        // Beyond the horizon only the week is known, and it is provisional too.
        assert!(c.is_working_day(d(2037, 1, 1)));
        assert!(c.is_provisional(d(2037, 1, 1)));
    }

    #[test]
    fn the_missing_schedule_is_reported_from_october() {
        let c = cal();
        assert_eq!(c.missing_schedule(d(2026, 9, 30)), None);
        assert_eq!(c.missing_schedule(d(2026, 10, 1)), Some(2027));
        assert_eq!(c.missing_schedule(d(2026, 12, 6)), Some(2027));
        assert_eq!(c.missing_schedule(d(2027, 3, 1)), Some(2027));
        let with_2027 = c.with_year(fixture_2027()).expect("valid");
        assert_eq!(with_2027.missing_schedule(d(2026, 12, 6)), None);
        assert_eq!(with_2027.missing_schedule(d(2027, 10, 8)), Some(2028));
    }

    #[test]
    fn importing_the_official_year_replaces_the_estimate_and_recounts_deadlines() {
        let old = cal();
        let year = fixture_2027();
        assert_eq!(year.year, 2027);
        assert_eq!(year.working_days.len(), 4);
        assert_eq!(
            year.holidays.iter().find(|h| h.name == "春节").map(|h| (h.first, h.last)),
            Some((d(2027, 2, 5), d(2027, 2, 12)))
        );
        let new = old.with_year(year).expect("valid");
        assert_eq!(new.covered_years(), (2019..=2027).collect::<Vec<_>>());
        assert_eq!(new.provisional_years(), (2028..=2037).collect::<Vec<_>>());
        assert!(!new.is_provisional(d(2027, 2, 11)));
        // Where the estimate and the notice part: the notice adds bridging days (11, 12 Feb).
        assert_eq!(old.first_difference(&new, d(2026, 12, 1)), Some(d(2027, 2, 11)));
        // A deadline that ends before they part keeps its date.
        assert_eq!(old.recount(&new, d(2026, 12, 25), d(2027, 1, 4)), d(2027, 1, 4));
        // Assigned Monday 1 February 2027, 5 working days: 2, 3, 4 and then 11, 12 February on the
        // estimate; on the notice 11 and 12 are off: 15 and 16 February.
        let rules = DeadlineRules::default();
        let at = bj(2027, 2, 1, 10, 0);
        assert_eq!(rules.due_date(&old, at), d(2027, 2, 12));
        assert_eq!(rules.due_date(&new, at), d(2027, 2, 16));
        assert_eq!(old.recount(&new, d(2027, 2, 1), d(2027, 2, 12)), d(2027, 2, 16));
        // A makeup Saturday the notice adds moves a deadline earlier: assigned Wednesday 17
        // February, 5 working days: 18, 19, 22, 23, 24 on the estimate; 18, 19, Saturday 20, 22,
        // 23 on the notice.
        assert_eq!(rules.due_date(&old, bj(2027, 2, 17, 10, 0)), d(2027, 2, 24));
        assert_eq!(old.recount(&new, d(2027, 2, 17), d(2027, 2, 24)), d(2027, 2, 23));
        assert_eq!(rules.due_date(&new, bj(2027, 2, 17, 10, 0)), d(2027, 2, 23));
        // Nothing to recount between identical calendars.
        assert_eq!(new.first_difference(&new.clone(), d(2019, 1, 1)), None);
    }

    #[test]
    fn the_provisional_2025_and_2026_match_the_official_days_off() {
        // The estimate made without the notices of 2025 and 2026, checked against holiday-cn:
        // every statutory day off and every made-up day off of each of the seven festivals is an
        // official day off of that festival. What the estimate cannot know is the rest: the
        // bridging days off and the weekend days worked in exchange.
        let dir = holiday_cn_dir();
        for year in [2025, 2026] {
            let text = std::fs::read_to_string(dir.join(format!("{year}.json"))).expect("holiday-cn year");
            let official = CalendarYear::from_holiday_cn(
                &text,
                Notice { number: "x".into(), title: "t".into(), url: String::new() },
            )
            .expect("parses");
            let official_off: BTreeMap<NaiveDate, String> = official
                .holidays
                .iter()
                .flat_map(|s| s.first.iter_days().take_while(|x| *x <= s.last).map(|x| (x, s.name.clone())))
                .collect();
            let estimate = provisional::provisional_year(year);
            let mut matched: Vec<String> = Vec::new();
            for span in &estimate.holidays {
                for day in span.first.iter_days().take_while(|x| *x <= span.last) {
                    let name =
                        official_off.get(&day).unwrap_or_else(|| panic!("{day} ({}) is not off in {year}", span.name));
                    assert!(name.contains(&span.name), "{day}: {} against the notice's {name}", span.name);
                }
                if !matched.contains(&span.name) {
                    matched.push(span.name.clone());
                }
            }
            matched.sort();
            let mut all =
                ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"].map(str::to_owned).to_vec();
            all.sort();
            assert_eq!(matched, all, "{year}: every statutory holiday matches");
            // The notices then give more days off than the statutes: bridging days, paid back by
            // makeup working days the estimate has none of.
            let estimate_off: usize =
                estimate.holidays.iter().map(|s| (s.last - s.first).num_days() as usize + 1).sum();
            assert!(official_off.len() > estimate_off, "{year}");
            assert!(!official.working_days.is_empty() && estimate.working_days.is_empty(), "{year}");
        }
    }

    #[test]
    fn bad_calendar_data_is_refused_with_a_reason() {
        assert!(matches!(Calendar::from_json("{"), Err(CalendarError::Json(_))));
        let no_notice = r#"{"years":[{"year":2027,"notices":[],"holidays":[],"working_days":[]}]}"#;
        assert_eq!(Calendar::from_json(no_notice), Err(CalendarError::MissingNotice(2027)));
        let conflict = r#"{"years":[{"year":2027,"notices":[{"number":"x","title":"t"}],
            "holidays":[{"name":"a","first":"2027-01-01","last":"2027-01-02"}],
            "working_days":[{"name":"a","date":"2027-01-02"}]}]}"#;
        let err = Calendar::from_json(conflict).expect_err("conflict");
        assert_eq!(err, CalendarError::Conflict(d(2027, 1, 2)));
        assert!(err.to_string().contains("既是放假日又是调休上班日"));
        let backwards = r#"{"years":[{"year":2027,"notices":[{"number":"x","title":"t"}],
            "holidays":[{"name":"a","first":"2027-01-05","last":"2027-01-02"}],
            "working_days":[]}]}"#;
        assert!(matches!(Calendar::from_json(backwards), Err(CalendarError::InvalidSpan { .. })));
        let twice = r#"{"years":[{"year":2027,"notices":[{"number":"x","title":"t"}],"holidays":[],"working_days":[]},
            {"year":2027,"notices":[{"number":"x","title":"t"}],"holidays":[],"working_days":[]}]}"#;
        assert_eq!(Calendar::from_json(twice), Err(CalendarError::DuplicateYear(2027)));
        // A misspelt or unknown field is refused, not silently dropped.
        let unknown = r#"{"years":[{"year":2027,"notices":[{"number":"x","title":"t","nmuber":"y"}],"holidays":[],"working_days":[]}]}"#;
        assert!(matches!(Calendar::from_json(unknown), Err(CalendarError::Json(e)) if e.contains("nmuber")));
    }

    #[test]
    fn policies_serialize_plainly() {
        let json = serde_json::to_string(&DeadlinePolicy::default()).expect("json");
        assert_eq!(json, r#"{"kind":"working_days","days":5}"#);
        let rules: DeadlineRules =
            serde_json::from_str(r#"{"policy":{"kind":"calendar_days","days":15}}"#).expect("json");
        assert_eq!(rules.policy, DeadlinePolicy::CalendarDays(15));
        assert_eq!(rules.cutoff, NaiveTime::from_hms_opt(17, 0, 0).expect("time"));
    }

    proptest::proptest! {
        #[test]
        fn adding_and_counting_agree_for_any_date(
            days in -3_000_000i64..3_000_000,
            n in 0u32..5_000,
        ) {
            let c = cal();
            let date = d(2020, 1, 1) + Duration::days(days);
            let due = c.add_working_days(date, n);
            proptest::prop_assert_eq!(c.working_days_between(date, due), i64::from(n));
            proptest::prop_assert_eq!(c.working_days_between(due, date), -i64::from(n));
            if n > 0 {
                proptest::prop_assert!(c.is_working_day(due));
            }
        }
    }

    // ---- the check against the public holiday-cn data set ----

    #[derive(Deserialize)]
    struct HolidayCnFile {
        year: i32,
        days: Vec<HolidayCnDay>,
    }

    #[derive(Deserialize)]
    struct HolidayCnDay {
        date: NaiveDate,
        #[serde(rename = "isOffDay")]
        is_off_day: bool,
    }

    /// The public holiday-cn data set (MIT, NateScarlet), vendored under `tests/data/holiday-cn`
    /// as an independent reference to check the bundled calendar against.
    fn holiday_cn_dir() -> std::path::PathBuf {
        let dir = std::path::Path::new(
            &std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
        )
        .join("tests/data/holiday-cn");
        assert!(dir.is_dir(), "holiday-cn reference data missing at {}", dir.display());
        dir
    }

    #[test]
    fn the_bundled_calendar_agrees_with_holiday_cn_day_by_day() {
        let dir = holiday_cn_dir();
        let c = cal();
        let mut reference: BTreeMap<NaiveDate, bool> = BTreeMap::new();
        let mut years = Vec::new();
        for year in 2019..=2026 {
            let path = dir.join(format!("{year}.json"));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let file: HolidayCnFile =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()));
            years.push(file.year);
            for day in file.days {
                reference.insert(day.date, !day.is_off_day);
            }
        }
        assert_eq!(years, c.covered_years());
        let mut day = d(2018, 12, 1);
        let mut checked = 0;
        while day <= d(2026, 12, 31) {
            let expected = reference.get(&day).copied().unwrap_or_else(|| is_weekday(day));
            assert_eq!(c.is_working_day(day), expected, "{day} differs from holiday-cn");
            checked += 1;
            day = day.succ_opt().expect("date");
        }
        assert!(checked > 2900);
    }
}
