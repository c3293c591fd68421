//! Provisional arrangements (暂定安排) for the years no State Council notice covers yet.
//!
//! The notice for a year appears around November of the year before, so a deadline counted into
//! a year the calendar does not cover would otherwise fall back to the plain Monday–Friday week and
//! could land on New Year's Day. For such a year the calendar derives the days off from the
//! statutory rules themselves, 《全国年节及纪念日放假办法》 as amended by 国务院令第795号 (in force
//! since 1 January 2025), article 2:
//!
//! | festival | statutory days off (全体公民放假) |
//! | --- | --- |
//! | 元旦 | 1 January |
//! | 春节 | 除夕 and 正月初一 to 初三 (4 days) |
//! | 清明节 | the day of the 清明 solar term |
//! | 劳动节 | 1 and 2 May |
//! | 端午节 | 五月初五 |
//! | 中秋节 | 八月十五 |
//! | 国庆节 | 1 to 3 October |
//!
//! and article 6: a statutory day off that falls on a Saturday or a Sunday is made up on a working
//! day (补假). Here the make-up day off is the first Monday–Friday after that day which is not
//! already off; a statutory day shared by two festivals (中秋 on 1 October, as in 2020) is made
//! up the same way.
//!
//! What the rules leave to each year's notice cannot be known in advance and is left out: the
//! bridging days that join a festival to a weekend, and the weekend days worked in exchange
//! (调休上班). A provisional year therefore has the statutory days off and their make-up days off,
//! and no makeup working day; every deadline in it is marked provisional until the official
//! arrangement is imported. Lunar dates and the solar term come from `tyme4rs` (6tail's Tyme).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};

use chrono::{Datelike, NaiveDate, Weekday};

use super::{CalendarYear, HolidaySpan};

/// The first year the rules as amended in 2024 apply to; earlier years always had a notice.
pub const STATUTORY_RULES_SINCE: i32 = 2025;

/// How many years after the last official arrangement get a provisional one. Beyond them only the
/// plain week is known (and every date there is provisional too).
pub const PROVISIONAL_HORIZON_YEARS: i32 = 10;

/// From this month on the next year's arrangement is expected (the notice usually appears in
/// October or November); its absence is then reported to administrators.
pub const WARN_FROM_MONTH: u32 = 10;

/// One statutory day off, with the festival's name.
type StatutoryDay = (NaiveDate, &'static str);

/// The statutory days off of `year` (before make-up days), in date order; a date appears twice
/// when two festivals share it.
pub fn statutory_days(year: i32) -> Vec<(NaiveDate, &'static str)> {
    static CACHE: OnceLock<Mutex<BTreeMap<i32, Vec<StatutoryDay>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    // A poisoned lock only means another thread panicked while inserting; the map is still valid.
    let mut map = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(year).or_insert_with(|| compute_statutory_days(year)).clone()
}

fn compute_statutory_days(year: i32) -> Vec<StatutoryDay> {
    let ymd = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
    let mut days: Vec<StatutoryDay> = Vec::new();
    let mut push = |date: Option<NaiveDate>, name: &'static str| {
        if let Some(date) = date {
            days.push((date, name));
        }
    };
    push(ymd(1, 1), "元旦");
    if let Some(new_year) = lunar_date(year, 1, 1) {
        let eve = new_year.pred_opt();
        push(eve, "春节");
        for offset in 0..3 {
            push(new_year.checked_add_days(chrono::Days::new(offset)), "春节");
        }
    }
    push(qingming(year), "清明节");
    push(ymd(5, 1), "劳动节");
    push(ymd(5, 2), "劳动节");
    push(lunar_date(year, 5, 5), "端午节");
    push(lunar_date(year, 8, 15), "中秋节");
    for d in 1..=3 {
        push(ymd(10, d), "国庆节");
    }
    days.sort_by_key(|(date, _)| *date);
    days
}

/// The Gregorian date of a day of the (non-leap) lunar month, in lunar year `year`.
fn lunar_date(year: i32, month: isize, day: usize) -> Option<NaiveDate> {
    let lunar = tyme4rs::tyme::lunar::LunarDay::new(year as isize, month, day).ok()?;
    solar(&lunar.get_solar_day())
}

/// The day of the 清明 solar term in `year`.
fn qingming(year: i32) -> Option<NaiveDate> {
    let term = tyme4rs::tyme::solar::SolarTerm::new(year as isize, "清明").ok()?;
    let date = solar(&term.get_julian_day().get_solar_day())?;
    // The term falls on 4, 5 or 6 April; anything else means the year is outside the tables.
    (date.year() == year && date.month() == 4).then_some(date)
}

fn solar(day: &tyme4rs::tyme::solar::SolarDay) -> Option<NaiveDate> {
    let y = i32::try_from(day.get_year()).ok()?;
    let m = u32::try_from(day.get_month()).ok()?;
    let d = u32::try_from(day.get_day()).ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The provisional arrangement of `year`: the statutory days off and their make-up days off, as
/// holiday spans (consecutive days of one festival together), with no notice and no makeup
/// working day.
pub fn provisional_year(year: i32) -> CalendarYear {
    let statutory = statutory_days(year);
    let mut off: BTreeMap<NaiveDate, &'static str> = BTreeMap::new();
    for (date, name) in &statutory {
        off.entry(*date).or_insert(name);
    }
    let mut seen: BTreeSet<NaiveDate> = BTreeSet::new();
    for (date, name) in &statutory {
        let shared = !seen.insert(*date);
        if is_weekday(*date) && !shared {
            continue;
        }
        // 补假: the first Monday–Friday after the day that is not off already.
        let mut make_up = date.succ_opt();
        while let Some(d) = make_up {
            if is_weekday(d) && !off.contains_key(&d) {
                break;
            }
            make_up = d.succ_opt();
        }
        if let Some(d) = make_up {
            off.insert(d, name);
        }
    }
    let mut holidays: Vec<HolidaySpan> = Vec::new();
    for (date, name) in off {
        match holidays.last_mut() {
            Some(span) if span.name == name && span.last.succ_opt() == Some(date) => span.last = date,
            _ => holidays.push(HolidaySpan { name: name.to_owned(), first: date, last: date }),
        }
    }
    CalendarYear { year, notices: Vec::new(), holidays, working_days: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn days_off(year: &CalendarYear) -> Vec<(NaiveDate, String)> {
        year.holidays
            .iter()
            .flat_map(|s| s.first.iter_days().take_while(|x| *x <= s.last).map(|x| (x, s.name.clone())))
            .collect()
    }

    #[test]
    fn the_lunar_festivals_and_qingming_fall_on_their_known_dates() {
        // 春节 (正月初一), 清明, 端午, 中秋 as the notices of 2025 and 2026 name them, and 2027.
        let known = [
            (2025, d(2025, 1, 29), d(2025, 4, 4), d(2025, 5, 31), d(2025, 10, 6)),
            (2026, d(2026, 2, 17), d(2026, 4, 5), d(2026, 6, 19), d(2026, 9, 25)),
            (2027, d(2027, 2, 6), d(2027, 4, 5), d(2027, 6, 9), d(2027, 9, 15)),
        ];
        for (year, spring, qm, dragon, moon) in known {
            assert_eq!(lunar_date(year, 1, 1), Some(spring), "{year} 春节");
            assert_eq!(qingming(year), Some(qm), "{year} 清明");
            assert_eq!(lunar_date(year, 5, 5), Some(dragon), "{year} 端午");
            assert_eq!(lunar_date(year, 8, 15), Some(moon), "{year} 中秋");
        }
    }

    #[test]
    fn thirteen_statutory_days_a_year() {
        for year in 2025..=2040 {
            let days = statutory_days(year);
            assert_eq!(days.len(), 13, "{year}");
            let count = |name: &str| days.iter().filter(|(_, n)| *n == name).count();
            assert_eq!(
                [
                    count("元旦"),
                    count("春节"),
                    count("清明节"),
                    count("劳动节"),
                    count("端午节"),
                    count("中秋节"),
                    count("国庆节")
                ],
                [1, 4, 1, 2, 1, 1, 3],
                "{year}"
            );
        }
    }

    #[test]
    fn the_2027_provisional_arrangement() {
        let y = provisional_year(2027);
        assert!(y.notices.is_empty() && y.working_days.is_empty());
        let off = days_off(&y);
        let names = |name: &str| off.iter().filter(|(_, n)| n == name).map(|(x, _)| *x).collect::<Vec<_>>();
        // 元旦 on a Friday.
        assert_eq!(names("元旦"), [d(2027, 1, 1)]);
        // 除夕 Friday 5 Feb, 初一 and 初二 on the weekend (made up on Tuesday 9 and Wednesday 10),
        // 初三 Monday 8 Feb.
        assert_eq!(names("春节"), (5..=10).map(|x| d(2027, 2, x)).collect::<Vec<_>>());
        assert_eq!(names("清明节"), [d(2027, 4, 5)]);
        // 1 and 2 May are a Saturday and a Sunday: Monday 3 and Tuesday 4 May off.
        assert_eq!(names("劳动节"), (1..=4).map(|x| d(2027, 5, x)).collect::<Vec<_>>());
        assert_eq!(names("端午节"), [d(2027, 6, 9)]);
        assert_eq!(names("中秋节"), [d(2027, 9, 15)]);
        // 1–3 October: Friday to Sunday, the weekend made up on Monday 4 and Tuesday 5.
        assert_eq!(names("国庆节"), (1..=5).map(|x| d(2027, 10, x)).collect::<Vec<_>>());
    }

    #[test]
    fn a_festival_sharing_a_day_with_another_is_made_up() {
        // In 2028 中秋 is 3 October, the third day of 国庆 (a Tuesday): one more day off follows.
        let off = days_off(&provisional_year(2028));
        let national: Vec<NaiveDate> = off.iter().filter(|(x, _)| x.month() >= 9).map(|(x, _)| *x).collect();
        assert_eq!(national, [d(2028, 10, 1), d(2028, 10, 2), d(2028, 10, 3), d(2028, 10, 4), d(2028, 10, 5)]);
    }
}
