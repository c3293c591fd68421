//! The year's rhythm: how many ratings, bad reviews and other cases fall on each day, and at
//! which times of day.
//!
//! Counts are apportioned exactly (largest remainder), so the totals always equal the profile's.
//! Halls rate only on working days of the statutory calendar and in office hours; online
//! channels (portal, app, SMS) and the system's default ratings run every day, quieter on days
//! off. Months, weekdays, the last working days of a month and the days after a long holiday
//! each have their own load.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use hcp_domain::calendar::DayKind;
use hcp_domain::{Calendar, DeadlineRules};

use crate::rng::{apportion, Rng, Weighted};

/// One day of the plan.
#[derive(Debug, Clone)]
pub(crate) struct DayPlan {
    pub date: NaiveDate,
    /// Ratings given at a hall (channels 3–6): working days, office hours.
    pub office: u64,
    /// Ratings given online (channels 1, 2, 7): every day.
    pub online: u64,
    /// System default ratings (channel 8): a nightly batch.
    pub default: u64,
    /// How many of the office and online ratings are bad reviews.
    pub bad: u64,
    /// Cases from the 12345 hotline and supervisors' findings.
    pub other_cases: u64,
    /// The id of the day's first rating.
    pub first_rating_id: i64,
    /// The id of the day's first case.
    pub first_case_id: i64,
}

impl DayPlan {
    pub fn ratings(&self) -> u64 {
        self.office + self.online + self.default
    }

    pub fn cases(&self) -> u64 {
        self.bad + self.other_cases
    }
}

/// Load by month, January first: the rush before the Spring Festival, the quiet festival month,
/// the spring peak (tax settlement, enrolment), the October holiday and the year-end rush.
const MONTH_LOAD: [f64; 12] = [1.05, 0.8, 1.15, 1.05, 1.0, 1.05, 1.0, 1.05, 1.05, 0.85, 1.0, 1.1];

/// Share of ratings per channel class: at a hall, online, system default.
const OFFICE_SHARE: f64 = 0.67;
const ONLINE_SHARE: f64 = 0.30;
const DEFAULT_SHARE: f64 = 0.03;

fn weekday_load(date: NaiveDate) -> f64 {
    match date.weekday() {
        Weekday::Mon => 1.18,
        Weekday::Tue => 1.05,
        Weekday::Wed => 1.0,
        Weekday::Thu => 0.98,
        Weekday::Fri => 0.92,
        // A makeup working day (调休上班) is quieter than a normal one.
        Weekday::Sat | Weekday::Sun => 0.85,
    }
}

/// The working-day loads of a date range: month, weekday, month end, the days after a holiday.
fn office_loads(calendar: &Calendar, dates: &[NaiveDate]) -> Vec<f64> {
    let mut loads = Vec::with_capacity(dates.len());
    let mut days_off = 0u32;
    let mut holiday_in_break = false;
    let mut since_break = u32::MAX;
    for date in dates {
        let kind = calendar.day_kind(*date);
        if !kind.is_working_day() {
            days_off += 1;
            holiday_in_break |= matches!(kind, DayKind::Holiday(_));
            loads.push(0.0);
            continue;
        }
        if days_off >= 3 && holiday_in_break {
            since_break = 0;
        } else {
            since_break = since_break.saturating_add(1);
        }
        days_off = 0;
        holiday_in_break = false;
        let mut load = MONTH_LOAD[date.month0() as usize] * weekday_load(*date);
        // The first two working days after a long holiday bring the queue that built up.
        load *= match since_break {
            0 => 1.35,
            1 => 1.2,
            _ => 1.0,
        };
        // The last three working days of a month: deadlines of monthly filings.
        let month_end = last_working_days_of_month(calendar, *date);
        if month_end < 3 {
            load *= 1.25;
        }
        loads.push(load);
    }
    loads
}

/// How many working days of the same month follow `date`.
fn last_working_days_of_month(calendar: &Calendar, date: NaiveDate) -> u32 {
    let mut n = 0;
    let mut d = date;
    for _ in 0..31 {
        let Some(next) = d.succ_opt() else { break };
        if next.month() != date.month() {
            break;
        }
        if calendar.is_working_day(next) {
            n += 1;
        }
        d = next;
    }
    n
}

/// The plan of the whole period.
#[derive(Debug, Clone)]
pub(crate) struct YearPlan {
    pub days: Vec<DayPlan>,
}

/// What a plan is built from.
pub(crate) struct PlanInput<'a> {
    pub calendar: &'a Calendar,
    pub first: NaiveDate,
    /// The first day not covered.
    pub end: NaiveDate,
    pub ratings: u64,
    pub bad: u64,
    pub other_cases: u64,
}

impl YearPlan {
    pub fn new(input: &PlanInput<'_>) -> YearPlan {
        let cal = input.calendar;
        let dates: Vec<NaiveDate> = input.first.iter_days().take_while(|d| *d < input.end).collect();
        let office_w = office_loads(cal, &dates);
        let online_w: Vec<f64> = dates
            .iter()
            .map(|d| MONTH_LOAD[d.month0() as usize] * if cal.is_working_day(*d) { 1.0 } else { 0.35 })
            .collect();
        let default_w: Vec<f64> = dates.iter().map(|d| MONTH_LOAD[d.month0() as usize]).collect();
        // The hotline runs every day; tickets of days off are fewer.
        let other_w: Vec<f64> = office_w
            .iter()
            .zip(&dates)
            .map(|(w, d)| if *w > 0.0 { *w } else { 0.2 * MONTH_LOAD[d.month0() as usize] })
            .collect();

        // A period of days off only (1 January alone) has no hall ratings: everything goes online.
        let office_share = if office_w.iter().any(|w| *w > 0.0) { OFFICE_SHARE } else { 0.0 };
        let online_share = ONLINE_SHARE + OFFICE_SHARE - office_share;
        let classes = apportion(input.ratings, &[office_share, online_share, DEFAULT_SHARE]);
        let office = apportion(classes[0], &office_w);
        let online = apportion(classes[1], &online_w);
        let default = apportion(classes[2], &default_w);
        let eligible: Vec<f64> = office.iter().zip(&online).map(|(a, b)| (a + b) as f64).collect();
        let bad = apportion(input.bad.min(classes[0] + classes[1]), &eligible);
        let other = apportion(input.other_cases, &other_w);

        let mut next_rating = 1i64;
        let mut next_case = 1i64;
        let days = dates
            .iter()
            .enumerate()
            .map(|(i, date)| {
                let day = DayPlan {
                    date: *date,
                    office: office[i],
                    online: online[i],
                    default: default[i],
                    bad: bad[i],
                    other_cases: other[i],
                    first_rating_id: next_rating,
                    first_case_id: next_case,
                };
                next_rating += day.ratings() as i64;
                next_case += day.cases() as i64;
                day
            })
            .collect();
        YearPlan { days }
    }
}

/// Office hours of a hall, in local seconds of the day: 08:30–12:00 and 13:30–17:30.
pub(crate) const OFFICE_PERIODS: [(u32, u32); 2] = [(8 * 3600 + 1800, 12 * 3600), (13 * 3600 + 1800, 17 * 3600 + 1800)];

/// Ratings at a hall per half hour from 08:30 to 17:30: the morning peak, the lunch dip (a few
/// halls serve at noon), the afternoon peak.
const OFFICE_CURVE: [f64; 18] =
    [0.6, 1.0, 1.3, 1.4, 1.3, 1.1, 0.8, 0.25, 0.2, 0.25, 0.5, 0.9, 1.2, 1.25, 1.2, 1.0, 0.8, 0.45];

/// Online ratings per hour of the day, midnight first: low at night, peaks late morning,
/// afternoon and evening.
const ONLINE_CURVE: [f64; 24] = [
    0.15, 0.08, 0.05, 0.04, 0.04, 0.06, 0.15, 0.35, 0.7, 1.0, 1.1, 1.0, 0.8, 0.8, 1.0, 1.05, 1.0, 0.9, 0.8, 0.9, 1.0,
    0.95, 0.7, 0.4,
];

/// SMS replies per hour: people answer during the day and the evening.
const SMS_CURVE: [f64; 24] = [
    0.02, 0.01, 0.0, 0.0, 0.0, 0.01, 0.05, 0.3, 0.8, 1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 1.0, 1.0, 0.9, 0.9, 0.9, 0.8, 0.6,
    0.3, 0.1,
];

/// Draws times of day.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    office: Weighted,
    online: Weighted,
    sms: Weighted,
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            office: Weighted::new(OFFICE_CURVE),
            online: Weighted::new(ONLINE_CURVE),
            sms: Weighted::new(SMS_CURVE),
        }
    }

    /// A local second of the day in office hours (noon service included, more thinly).
    pub fn office(&self, rng: &mut Rng) -> u32 {
        let slot = self.office.draw(rng).unwrap_or(2) as u32;
        8 * 3600 + 1800 + slot * 1800 + rng.below(1800) as u32
    }

    pub fn online(&self, rng: &mut Rng) -> u32 {
        let hour = self.online.draw(rng).unwrap_or(10) as u32;
        hour * 3600 + rng.below(3600) as u32
    }

    pub fn sms(&self, rng: &mut Rng) -> u32 {
        let hour = self.sms.draw(rng).unwrap_or(10) as u32;
        hour * 3600 + rng.below(3600) as u32
    }

    /// The nightly batch of default ratings, 01:00–03:00.
    pub fn nightly(&self, rng: &mut Rng) -> u32 {
        3600 + rng.below(7200) as u32
    }
}

/// The instant of a local date and second of the day in the jurisdiction's time zone.
pub(crate) fn instant(rules: &DeadlineRules, date: NaiveDate, secs: u32) -> DateTime<Utc> {
    let local = date.and_time(chrono::NaiveTime::MIN) + Duration::seconds(i64::from(secs));
    let utc = local - Duration::seconds(i64::from(rules.offset().local_minus_utc()));
    DateTime::from_naive_utc_and_offset(utc, Utc)
}

/// RFC 3339 in UTC with whole seconds, as the server writes every timestamp.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn the_plan_adds_up_and_keeps_halls_closed_on_days_off() {
        let cal = Calendar::bundled();
        let plan = YearPlan::new(&PlanInput {
            calendar: &cal,
            first: d(2026, 1, 1),
            end: d(2027, 1, 1),
            ratings: 100_003,
            bad: 1_000,
            other_cases: 9_001,
        });
        assert_eq!(plan.days.len(), 365);
        assert_eq!(plan.days.iter().map(DayPlan::ratings).sum::<u64>(), 100_003);
        assert_eq!(plan.days.iter().map(|p| p.bad).sum::<u64>(), 1_000);
        assert_eq!(plan.days.iter().map(|p| p.other_cases).sum::<u64>(), 9_001);
        for p in &plan.days {
            if !cal.is_working_day(p.date) {
                assert_eq!(p.office, 0, "{} is a day off", p.date);
            }
            assert!(p.bad <= p.office + p.online);
        }
        // 2026-02-14 is a makeup working day (Saturday); 2026-10-01 a holiday (Thursday).
        let day = |date| plan.days.iter().find(|p| p.date == date).expect("in plan");
        assert!(day(d(2026, 2, 14)).office > 0);
        assert_eq!(day(d(2026, 10, 1)).office, 0);
        // The first working day after the National Day break (Thursday 8 October) is busier than
        // a normal Thursday.
        assert!(day(d(2026, 10, 8)).office > day(d(2026, 9, 17)).office);
        let last = plan.days.last().expect("days");
        assert_eq!(last.first_rating_id + last.ratings() as i64, 100_004);
    }

    #[test]
    fn times_of_day_fall_in_their_windows() {
        let clock = Clock::new();
        let mut rng = Rng::new(3, &[]);
        for _ in 0..5_000 {
            let t = clock.office(&mut rng);
            assert!((8 * 3600 + 1800..17 * 3600 + 1800).contains(&t));
            assert!(clock.online(&mut rng) < 86_400);
            let s = clock.sms(&mut rng);
            assert!((3600..86_400).contains(&s) || s < 3600);
            let n = clock.nightly(&mut rng);
            assert!((3600..3 * 3600).contains(&n));
        }
    }

    #[test]
    fn instants_are_beijing_time() {
        let rules = DeadlineRules::default();
        let t = instant(&rules, d(2026, 3, 2), 9 * 3600 + 30 * 60);
        assert_eq!(rfc3339(t), "2026-03-02T01:30:00Z");
    }
}
