//! A pure, deterministic generator of a realistic synthetic jurisdiction for Haochaping.
//!
//! [`Synth::new`] takes a [`Profile`] (seed, year, number of ratings and cases) and builds the
//! [`Jurisdiction`]: the city of 江城市 with its own centre, nine districts, counties and parks
//! whose centres have 40–100 windows and 100–300 staff, towns with service centres, communities
//! with stations, and users of every role. [`Synth::ratings`] then streams a year of ratings over
//! every channel at realistic rhythms (working days of the statutory calendar, office hours,
//! month ends, the days after a holiday; online channels every day), about 1 % of them bad
//! reviews; [`Synth::cases`] streams the cases (every bad review opens one, as intake does, plus
//! 12345 hotline complaints and supervisors' findings up to the profile's count), each built by
//! applying real `hcp_domain` commands with plausible actors and times, so its events replay to
//! its aggregate.
//!
//! Nothing here reads a clock, touches a file or a database: the same profile gives the same
//! rows, byte for byte. Rows use the server's wire types and formats (ids dense from 1 per
//! table, `ScopePath` unit paths, RFC 3339 UTC timestamps with whole seconds, masked
//! evaluators), so a writer inserts them as they come, in large batches with bounded memory.
//!
//! # Writing the data
//!
//! - [`Jurisdiction::units`], [`Jurisdiction::staff`]: insert with their ids.
//! - [`Jurisdiction::users`]: every user with a password hash of the writer's choice (hash one
//!   password once and reuse it); [`SynthUser::staff_id`] links a staff member's account to their
//!   staff record (the server's `users.staff_id`), so the rated staff member may appeal. The demo
//!   profile's user names exist here too (`admin`, `city.supervisor`, `donghu.manager`,
//!   `donghu.supervisor`, `donghu.liaison`, `donghu.handler`, `donghu.staff`…); other staff sign
//!   in with their employee number in lower case (`gh00042`).
//! - [`Synth::ratings`]: the row, the evaluator's [`Identity`] in the server-only identity columns,
//!   and `received_at`.
//! - [`Synth::cases`]: the row (with its aggregate) and its events; an event's `data` is the
//!   serialized [`hcp_domain::CaseEvent`], exactly as the server stores it. Events of kinds
//!   `appealed`, `appeal_decided` and `accountability_recorded` belong in the evidence chain.
//!   Actors are real users of the jurisdiction (`actor_user_id`), or the server itself
//!   (`None`, named 系统) for cases opened by intake.
//!
//! The data of `year` leads up to [`Profile::as_of`] (default: the end of the year); for a server
//! whose today lies inside the year, pass that day so that nothing lies in the future.
//!
//! ```
//! use hcp_synth::{Profile, Synth};
//!
//! let profile = Profile { evaluations: 2_000, cases: 200, ..Profile::bench(2025) };
//! let synth = Synth::new(profile).expect("valid profile");
//! assert!(synth.jurisdiction().units.len() > 1_000);
//! let ratings: Vec<_> = synth.ratings().collect::<Result<_, _>>().expect("ratings");
//! assert_eq!(ratings.len(), 2_000);
//! let cases: Vec<_> = synth.cases().collect::<Result<_, _>>().expect("cases");
//! assert_eq!(cases.len(), 200);
//! ```

mod cases;
mod data;
mod identity;
mod org;
mod plan;
mod ratings;
mod rng;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use hcp_domain::{Calendar, DeadlineRules};

pub use cases::{Cases, SynthCase};
pub use identity::{cert_check_char, is_valid_cert, is_valid_mobile, mask_evaluator, Identity};
pub use org::{Jurisdiction, SynthUser};
pub use ratings::{Ratings, SynthRating};

use plan::{PlanInput, YearPlan};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The same seed gives the same data.
    pub seed: u64,
    /// The calendar year the ratings fall in.
    pub year: i32,
    /// The day the data leads up to (exclusive): ratings stop the day before and open cases
    /// stand as they would that morning. `None` covers the whole year (up to 1 January of the
    /// next year). Must lie in `year`, after 1 January, or be 1 January of the next year.
    pub as_of: Option<NaiveDate>,
    /// The first day of the data (`None`: 1 January of `year`): a profile of one month, say.
    /// Must lie in `year`, before [`Profile::as_of`].
    pub from: Option<NaiveDate>,
    /// Ratings in total.
    pub evaluations: u64,
    /// Cases in total: one per bad review, the rest from the 12345 hotline (about nine in ten)
    /// and supervisors' own findings. At least the number of bad reviews.
    pub cases: u64,
    /// Share of bad reviews among the ratings (0–0.2): 0.01 oversamples reality (≈ 0.01 %) so
    /// that the workflows have work.
    pub bad_share: f64,
}

impl Profile {
    /// The ratings of the benchmark profile (issue 9): 1 M ratings.
    pub const BENCH_EVALUATIONS: u64 = 1_000_000;
    /// Cases per rating in the benchmark profile: 100 k cases for 1 M ratings.
    pub const BENCH_CASES_PER_RATING: f64 = 0.1;
    /// The benchmark's share of bad reviews.
    pub const BENCH_BAD_SHARE: f64 = 0.01;

    /// The benchmark profile for `year`: 1 M ratings, 100 k cases, 1 % bad reviews, seed 2026.
    pub fn bench(year: i32) -> Profile {
        Profile {
            seed: 2026,
            year,
            as_of: None,
            from: None,
            evaluations: Profile::BENCH_EVALUATIONS,
            cases: (Profile::BENCH_EVALUATIONS as f64 * Profile::BENCH_CASES_PER_RATING) as u64,
            bad_share: Profile::BENCH_BAD_SHARE,
        }
    }

    /// The benchmark profile for the year of `today` up to (not including) `today`, for a server
    /// whose clock reads `today`: nothing lies in the future. On 1 January, the whole previous year.
    pub fn leading_up_to(today: NaiveDate) -> Profile {
        if today.ordinal() == 1 {
            Profile { as_of: Some(today), ..Profile::bench(today.year() - 1) }
        } else {
            Profile { as_of: Some(today), ..Profile::bench(today.year()) }
        }
    }

    /// This profile with `evaluations` ratings and the benchmark's ratio of cases (one per ten
    /// ratings), as `hcp-server seed --profile bench --evaluations N` wants.
    pub fn scaled(self, evaluations: u64) -> Profile {
        let cases = (evaluations as f64 * Profile::BENCH_CASES_PER_RATING).round() as u64;
        Profile { evaluations, cases, ..self }
    }

    /// The number of bad reviews the profile asks for.
    pub fn bad_reviews(&self) -> u64 {
        (self.evaluations as f64 * self.bad_share).round() as u64
    }

    fn first_day(&self) -> Result<NaiveDate, ProfileError> {
        let january = NaiveDate::from_ymd_opt(self.year, 1, 1).ok_or(ProfileError::Year(self.year))?;
        match self.from {
            None => Ok(january),
            Some(d) if d.year() == self.year && d < self.end_day()? => Ok(d),
            Some(d) => Err(ProfileError::From { from: d, year: self.year }),
        }
    }

    fn end_day(&self) -> Result<NaiveDate, ProfileError> {
        let next = NaiveDate::from_ymd_opt(self.year + 1, 1, 1).ok_or(ProfileError::Year(self.year))?;
        match self.as_of {
            None => Ok(next),
            Some(d) if d.year() == self.year && d.ordinal() > 1 => Ok(d),
            Some(d) if d == next => Ok(d),
            Some(d) => Err(ProfileError::AsOf { as_of: d, year: self.year }),
        }
    }

    /// Checks the profile; [`Synth::new`] calls it.
    pub fn validate(&self) -> Result<(), ProfileError> {
        if !(1970..=2200).contains(&self.year) {
            return Err(ProfileError::Year(self.year));
        }
        self.first_day()?;
        self.end_day()?;
        if !(0.0..=0.2).contains(&self.bad_share) {
            return Err(ProfileError::BadShare(self.bad_share));
        }
        if self.evaluations > i64::MAX as u64 / 2 {
            return Err(ProfileError::TooMany(self.evaluations));
        }
        if self.cases < self.bad_reviews() {
            return Err(ProfileError::TooFewCases { cases: self.cases, bad_reviews: self.bad_reviews() });
        }
        if self.cases > i64::MAX as u64 / 2 {
            return Err(ProfileError::TooMany(self.cases));
        }
        Ok(())
    }
}

/// Why a profile cannot be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProfileError {
    #[error("年份 {0} 无效：应在 1970–2200 之间")]
    Year(i32),
    #[error("截止日期 {as_of} 不在 {year} 年内（最晚为次年 1 月 1 日）")]
    AsOf { as_of: NaiveDate, year: i32 },
    #[error("起始日期 {from} 不在 {year} 年内或不早于截止日期")]
    From { from: NaiveDate, year: i32 },
    #[error("差评比例 {0} 无效：应在 0–0.2 之间")]
    BadShare(f64),
    #[error("工单数 {cases} 少于差评数 {bad_reviews}：每条差评都会生成一张工单")]
    TooFewCases { cases: u64, bad_reviews: u64 },
    #[error("数量 {0} 过大")]
    TooMany(u64),
}

/// A row that could not be generated: a defect of the generator, never of the profile. The
/// stream that meets one yields it and ends.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SynthError {
    #[error("{date} 的工单无法生成：辖区中缺少{what}")]
    Jurisdiction { date: chrono::NaiveDate, what: String },
    #[error("工单 {case_id} 无法创建：{message}")]
    Create { case_id: i64, message: String },
    #[error("工单 {case_id} 的事件无法序列化：{message}")]
    Serialize { case_id: i64, message: String },
}

/// A generator for one profile: the jurisdiction in memory, ratings and cases on demand.
#[derive(Debug, Clone)]
pub struct Synth {
    profile: Profile,
    calendar: Calendar,
    rules: DeadlineRules,
    jurisdiction: Jurisdiction,
    plan: YearPlan,
    end: NaiveDate,
}

impl Synth {
    /// A generator on the bundled statutory calendar.
    pub fn new(profile: Profile) -> Result<Synth, ProfileError> {
        Synth::with_calendar(profile, Calendar::bundled())
    }

    /// A generator on a given calendar (for instance, the one the server distributes).
    pub fn with_calendar(profile: Profile, calendar: Calendar) -> Result<Synth, ProfileError> {
        profile.validate()?;
        let first = profile.first_day()?;
        let end = profile.end_day()?;
        let bad = profile.bad_reviews();
        let plan = YearPlan::new(&PlanInput {
            calendar: &calendar,
            first,
            end,
            ratings: profile.evaluations,
            bad,
            other_cases: profile.cases - bad,
        });
        let jurisdiction = Jurisdiction::build(profile.seed);
        Ok(Synth { profile, calendar, rules: DeadlineRules::default(), jurisdiction, plan, end })
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn jurisdiction(&self) -> &Jurisdiction {
        &self.jurisdiction
    }

    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The instant the data leads up to: local midnight starting the `as_of` day. Every
    /// rating and event lies before it.
    pub fn as_of(&self) -> DateTime<Utc> {
        plan::instant(&self.rules, self.end, 0)
    }

    /// The number of ratings [`Synth::ratings`] yields.
    pub fn rating_count(&self) -> u64 {
        self.plan.days.iter().map(|d| d.ratings()).sum()
    }

    /// The number of bad reviews among them (each opens a case).
    pub fn bad_review_count(&self) -> u64 {
        self.plan.days.iter().map(|d| d.bad).sum()
    }

    /// The number of cases [`Synth::cases`] yields.
    pub fn case_count(&self) -> u64 {
        self.plan.days.iter().map(|d| d.cases()).sum()
    }

    /// Every rating, ids 1..=n in time order, one day in memory at a time. An error (a defect,
    /// never expected) ends the stream.
    pub fn ratings(&self) -> Ratings<'_> {
        Ratings::new(self)
    }

    /// Every case with its events, case ids 1..=n in order of creation, event ids 1..=m. An
    /// error (a defect, never expected) ends the stream.
    pub fn cases(&self) -> Cases<'_> {
        Cases::new(self)
    }
}

#[cfg(test)]
mod tests;
