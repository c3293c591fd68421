//! Key performance indicators (考核指标) per unit, staff member and period.
//!
//! Two paths compute the same numbers from the same facts:
//!
//! - [`kpis`] / [`kpis_by`] read the plain facts directly; the server uses them for publication.
//! - [`Aggregate`] keeps per unit × staff member × local day counts that can be updated one fact at a
//!   time ([`Aggregate::add_rating`], [`Aggregate::remove_rating`], …) and merged
//!   ([`Aggregate::merge`]); the replica uses it to keep dashboards current as changes apply.
//!
//! Tests (including a property test) prove that both paths give identical [`Kpis`].
//!
//! # Definitions
//!
//! A fact belongs to a period by its **local date** (the jurisdiction's UTC offset, Beijing by
//! default): a rating by `rated_at`, a case by `created_at`. A [`Period`] is an inclusive range of
//! local dates. Excluded facts (恶意差评/误评 confirmed, fake ratings confirmed, appeal overturned)
//! leave every numerator **and** every denominator; they are only counted in `excluded_ratings` /
//! `excluded_cases` so the history stays visible.
//!
//! | KPI | numerator | denominator |
//! | --- | --- | --- |
//! | bad-review rate 差评率 | non-excluded ratings at 不满意 or 非常不满意 | non-excluded ratings |
//! | satisfaction rate 满意率 | non-excluded ratings at 基本满意 or better | non-excluded ratings |
//! | good-review rate 好评率 | non-excluded ratings at 非常满意 or 满意 | non-excluded ratings |
//! | timeliness 及时率 | cases handled on or before their due date | non-excluded cases with a due date that are handled, or unhandled and overdue as of `as_of` |
//! | rectification rate 整改率 | closed cases that were rectified (整改/当场解决) | closed cases |
//! | return-visit satisfaction 回访满意率 | return visits where the citizen was satisfied | cases with a return visit |
//! | real-name return-visit coverage 实名差评回访率 | real-name bad-review cases with a return visit | real-name bad-review cases |
//!
//! "Handled" means rectification reported or the case resolved (`handled_at`); a case handled on the
//! local date of its due date is on time (the due date ends at local midnight). An unhandled case is
//! overdue once the local date of `as_of` is after its due date; unhandled cases not yet overdue are
//! not in the timeliness denominator. The facts are a snapshot: `handled_at` is taken as known
//! whatever `as_of` is; `as_of` only decides which unhandled cases are overdue.
//!
//! A bad-review case is a case with a `rating_id` (every bad review opens one); real-name coverage
//! is counted on those cases so that the replica and the server need no join between ratings and
//! cases. `real_name_bad` (counted on ratings) lets a dashboard spot real-name bad reviews that
//! have no case yet.
//!
//! A zero denominator gives a [`Ratio`] whose [`Ratio::value`] is `None`, never NaN; every screen
//! and document writes it `—（0/0）`, never 100 %.
//!
//! Every figure counts the facts *of the period*: ratings rated in it, and cases opened in it (a
//! case's handling, closing and return visit count with the case, whenever they happen). So
//! `overdue_open` is the number of the period's cases still unhandled past their due date, not
//! every overdue case in the inbox, and the rectification rate is over the period's cases, bad
//! reviews and complaints alike, that are closed. The channel mix ([`channel_counts`]) counts the
//! non-excluded ratings, so it adds up to `rated`.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{DeadlineRules, BEIJING_UTC_OFFSET_MINUTES};
use crate::level::Level;

/// One rating (评价) as the statistics see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingFact {
    pub id: i64,
    /// The unit (hall, window or department) the rating counts for.
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub rated_at: DateTime<Utc>,
    pub level: Level,
    /// The channel code (评价渠道, 1–8).
    pub channel: u8,
    pub real_name: bool,
    /// Confirmed malicious/mistaken/fake, or overturned on appeal: leaves the statistics.
    pub excluded: bool,
}

/// One case (差评工单) as the statistics see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFact {
    pub id: i64,
    pub unit_id: i64,
    /// The staff member the case concerns, if any.
    pub staff_id: Option<i64>,
    /// The bad review that opened the case; `None` for complaints and supervisors' observations.
    pub rating_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// The local date by whose end rectification is due.
    pub due_date: Option<NaiveDate>,
    /// When rectification was reported or the case resolved on the spot.
    pub handled_at: Option<DateTime<Utc>>,
    pub closed: bool,
    /// Closed with rectification done (整改 or 当场解决) rather than an explanation only.
    pub rectified: bool,
    /// The return visit (回访): `Some(true)` satisfied, `Some(false)` not satisfied, `None` none yet.
    pub return_visit: Option<bool>,
    pub real_name: bool,
    /// Confirmed malicious/mistaken, or overturned on appeal: leaves the statistics.
    pub excluded: bool,
}

/// An inclusive range of local dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    pub fn new(first: NaiveDate, last: NaiveDate) -> Period {
        Period { first, last }
    }

    /// A calendar month; `None` for an invalid year or month.
    pub fn month(year: i32, month: u32) -> Option<Period> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        Some(Period { first, last: next.pred_opt()? })
    }

    /// The period containing nothing but `date`.
    pub fn day(date: NaiveDate) -> Period {
        Period { first: date, last: date }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    fn is_whole_month(&self) -> bool {
        self.first.day() == 1
            && Period::month(self.first.year(), self.first.month()).is_some_and(|m| m.last == self.last)
    }

    /// A label as official documents write it: `2026年10月` for a whole month, else
    /// `2026年10月1日至2026年10月15日`.
    pub fn label_zh(&self) -> String {
        let day = |d: NaiveDate| format!("{}年{}月{}日", d.year(), d.month(), d.day());
        if self.is_whole_month() {
            format!("{}年{}月", self.first.year(), self.first.month())
        } else {
            format!("{}至{}", day(self.first), day(self.last))
        }
    }

    /// The English label: `October 2026`, else `2026-10-01 to 2026-10-15`.
    pub fn label_en(&self) -> String {
        if self.is_whole_month() {
            self.first.format("%B %Y").to_string()
        } else {
            format!("{} to {}", self.first, self.last)
        }
    }
}

/// Whose KPIs: the whole input, one unit, or one staff member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Subject {
    All,
    Unit(i64),
    Staff(i64),
}

impl Subject {
    fn matches(self, unit_id: i64, staff_id: Option<i64>) -> bool {
        match self {
            Subject::All => true,
            Subject::Unit(u) => unit_id == u,
            Subject::Staff(s) => staff_id == Some(s),
        }
    }
}

/// How [`kpis_by`] and [`Aggregate::kpis_by`] group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Unit,
    /// Facts without a staff member are left out.
    Staff,
}

impl GroupBy {
    fn key(self, unit_id: i64, staff_id: Option<i64>) -> Option<i64> {
        match self {
            GroupBy::Unit => Some(unit_id),
            GroupBy::Staff => staff_id,
        }
    }
}

/// The evaluation instant and time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiParams {
    /// Unhandled cases whose due date is before the local date of `as_of` are overdue.
    pub as_of: DateTime<Utc>,
    /// The jurisdiction's offset from UTC in minutes (Beijing: +480).
    pub utc_offset_minutes: i16,
}

impl KpiParams {
    /// Beijing time.
    pub fn beijing(as_of: DateTime<Utc>) -> KpiParams {
        KpiParams { as_of, utc_offset_minutes: BEIJING_UTC_OFFSET_MINUTES }
    }
}

fn local_date(at: DateTime<Utc>, utc_offset_minutes: i16) -> NaiveDate {
    DeadlineRules { utc_offset_minutes, ..DeadlineRules::default() }.local_date(at)
}

/// A rate as numerator over denominator; kept as integers so that both paths compare exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Ratio {
    pub numerator: u64,
    pub denominator: u64,
}

impl Ratio {
    pub fn new(numerator: u64, denominator: u64) -> Ratio {
        Ratio { numerator, denominator }
    }

    /// The rate in 0..=1, or `None` when the denominator is zero.
    pub fn value(&self) -> Option<f64> {
        if self.denominator == 0 {
            None
        } else {
            Some(self.numerator as f64 / self.denominator as f64)
        }
    }

    /// The rate in percent, or `None` when the denominator is zero.
    pub fn percent(&self) -> Option<f64> {
        self.value().map(|v| v * 100.0)
    }

    /// `91.30%（42/46）`, or `—（0/0）` without a denominator.
    pub fn label_zh(&self) -> String {
        match self.percent() {
            Some(p) => format!("{p:.2}%（{}/{}）", self.numerator, self.denominator),
            None => format!("—（{}/{}）", self.numerator, self.denominator),
        }
    }
}

/// The KPIs of one subject over one period (see the module doc for the definitions).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Kpis {
    /// Non-excluded ratings (参评数).
    pub rated: u64,
    /// Non-excluded ratings per level, in [`Level::ALL`] order (非常满意 … 非常不满意).
    pub level_counts: [u64; 5],
    /// Non-excluded bad reviews (差评数).
    pub bad: u64,
    /// Non-excluded real-name bad reviews, counted on ratings.
    pub real_name_bad: u64,
    /// Ratings left out of the statistics (kept for the history).
    pub excluded_ratings: u64,
    /// Non-excluded cases.
    pub cases: u64,
    /// Cases left out of the statistics.
    pub excluded_cases: u64,
    /// Non-excluded unhandled cases overdue as of `as_of` (part of the timeliness denominator).
    pub overdue_open: u64,
    pub bad_rate: Ratio,
    pub satisfaction_rate: Ratio,
    pub good_rate: Ratio,
    pub timeliness: Ratio,
    pub rectification_rate: Ratio,
    pub return_visit_satisfaction: Ratio,
    pub real_name_visit_coverage: Ratio,
}

impl Kpis {
    /// The non-excluded ratings at `level`.
    pub fn count(&self, level: Level) -> u64 {
        level_index(level).and_then(|i| self.level_counts.get(i).copied()).unwrap_or(0)
    }
}

fn level_index(level: Level) -> Option<usize> {
    Level::ALL.iter().position(|l| *l == level)
}

/// The raw counts both paths reduce to; [`Tally::finish`] turns them into [`Kpis`].
#[derive(Debug, Clone, Default)]
struct Tally {
    level_counts: [u64; 5],
    real_name_bad: u64,
    excluded_ratings: u64,
    cases: u64,
    excluded_cases: u64,
    on_time: u64,
    late: u64,
    overdue_open: u64,
    closed: u64,
    closed_rectified: u64,
    visited: u64,
    visit_satisfied: u64,
    real_name_bad_cases: u64,
    real_name_bad_cases_visited: u64,
}

impl Tally {
    fn finish(&self) -> Kpis {
        let rated: u64 = self.level_counts.iter().sum();
        let bad = self.level_counts[3] + self.level_counts[4];
        let good = self.level_counts[0] + self.level_counts[1];
        Kpis {
            rated,
            level_counts: self.level_counts,
            bad,
            real_name_bad: self.real_name_bad,
            excluded_ratings: self.excluded_ratings,
            cases: self.cases,
            excluded_cases: self.excluded_cases,
            overdue_open: self.overdue_open,
            bad_rate: Ratio::new(bad, rated),
            satisfaction_rate: Ratio::new(rated - bad, rated),
            good_rate: Ratio::new(good, rated),
            timeliness: Ratio::new(self.on_time, self.on_time + self.late + self.overdue_open),
            rectification_rate: Ratio::new(self.closed_rectified, self.closed),
            return_visit_satisfaction: Ratio::new(self.visit_satisfied, self.visited),
            real_name_visit_coverage: Ratio::new(self.real_name_bad_cases_visited, self.real_name_bad_cases),
        }
    }
}

/// The KPIs of `subject` over `period`, directly from the facts (the server's publication path).
pub fn kpis(ratings: &[RatingFact], cases: &[CaseFact], subject: Subject, period: &Period, params: &KpiParams) -> Kpis {
    let mut tally = Tally::default();
    let off = params.utc_offset_minutes;
    let today = local_date(params.as_of, off);
    for r in ratings {
        if !subject.matches(r.unit_id, r.staff_id) || !period.contains(local_date(r.rated_at, off)) {
            continue;
        }
        if r.excluded {
            tally.excluded_ratings += 1;
            continue;
        }
        if let Some(i) = level_index(r.level) {
            tally.level_counts[i] += 1;
        }
        if r.level.is_bad() && r.real_name {
            tally.real_name_bad += 1;
        }
    }
    for c in cases {
        if !subject.matches(c.unit_id, c.staff_id) || !period.contains(local_date(c.created_at, off)) {
            continue;
        }
        if c.excluded {
            tally.excluded_cases += 1;
            continue;
        }
        tally.cases += 1;
        if let Some(due) = c.due_date {
            match c.handled_at {
                Some(h) if local_date(h, off) <= due => tally.on_time += 1,
                Some(_) => tally.late += 1,
                None if today > due => tally.overdue_open += 1,
                None => {}
            }
        }
        if c.closed {
            tally.closed += 1;
            if c.rectified {
                tally.closed_rectified += 1;
            }
        }
        if let Some(satisfied) = c.return_visit {
            tally.visited += 1;
            if satisfied {
                tally.visit_satisfied += 1;
            }
        }
        if c.real_name && c.rating_id.is_some() {
            tally.real_name_bad_cases += 1;
            if c.return_visit.is_some() {
                tally.real_name_bad_cases_visited += 1;
            }
        }
    }
    tally.finish()
}

/// The KPIs of every unit (or staff member) with at least one fact in `period`, directly from the facts.
pub fn kpis_by(
    ratings: &[RatingFact],
    cases: &[CaseFact],
    group: GroupBy,
    period: &Period,
    params: &KpiParams,
) -> BTreeMap<i64, Kpis> {
    let off = params.utc_offset_minutes;
    let mut keys = std::collections::BTreeSet::new();
    for r in ratings {
        if period.contains(local_date(r.rated_at, off)) {
            keys.extend(group.key(r.unit_id, r.staff_id));
        }
    }
    for c in cases {
        if period.contains(local_date(c.created_at, off)) {
            keys.extend(group.key(c.unit_id, c.staff_id));
        }
    }
    keys.into_iter()
        .map(|k| {
            let subject = match group {
                GroupBy::Unit => Subject::Unit(k),
                GroupBy::Staff => Subject::Staff(k),
            };
            (k, kpis(ratings, cases, subject, period, params))
        })
        .collect()
}

/// The channel mix (评价渠道分布) of `subject` over `period`: non-excluded ratings per channel code,
/// so the channels always add up to [`Kpis::rated`] (excluded ratings leave the mix as they leave
/// every other figure).
pub fn channel_counts(
    ratings: &[RatingFact],
    subject: Subject,
    period: &Period,
    params: &KpiParams,
) -> BTreeMap<u8, u64> {
    let mut out = BTreeMap::new();
    for r in ratings {
        if r.excluded
            || !subject.matches(r.unit_id, r.staff_id)
            || !period.contains(local_date(r.rated_at, params.utc_offset_minutes))
        {
            continue;
        }
        *out.entry(r.channel).or_insert(0) += 1;
    }
    out
}

/// Why an [`Aggregate`] refused a change; the aggregate is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    #[error("统计汇总的时区不一致（{0} 分钟 / {1} 分钟），无法合并")]
    OffsetMismatch(i16, i16),
    #[error("统计汇总中没有要撤回的记录（{kind} {id}）")]
    NotPresent { kind: &'static str, id: i64 },
}

/// The key of one aggregate cell: unit × staff member × local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CellKey {
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub day: NaiveDate,
}

/// The counts of one cell. Timeliness of unhandled cases depends on `as_of`, so they are kept by
/// due date and resolved when KPIs are read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cell {
    pub level_counts: [u64; 5],
    pub real_name_bad: u64,
    pub excluded_ratings: u64,
    pub cases: u64,
    pub excluded_cases: u64,
    pub handled_on_time: u64,
    pub handled_late: u64,
    /// Non-excluded unhandled cases with a due date, counted per due date.
    pub open_by_due_date: BTreeMap<NaiveDate, u64>,
    pub closed: u64,
    pub closed_rectified: u64,
    pub visited: u64,
    pub visit_satisfied: u64,
    pub real_name_bad_cases: u64,
    pub real_name_bad_cases_visited: u64,
}

impl Cell {
    fn of_rating(r: &RatingFact) -> Cell {
        let mut c = Cell::default();
        if r.excluded {
            c.excluded_ratings = 1;
            return c;
        }
        if let Some(i) = level_index(r.level) {
            c.level_counts[i] = 1;
        }
        if r.level.is_bad() && r.real_name {
            c.real_name_bad = 1;
        }
        c
    }

    fn of_case(f: &CaseFact, off: i16) -> Cell {
        let mut c = Cell::default();
        if f.excluded {
            c.excluded_cases = 1;
            return c;
        }
        c.cases = 1;
        if let Some(due) = f.due_date {
            match f.handled_at {
                Some(h) if local_date(h, off) <= due => c.handled_on_time = 1,
                Some(_) => c.handled_late = 1,
                None => {
                    c.open_by_due_date.insert(due, 1);
                }
            }
        }
        if f.closed {
            c.closed = 1;
            c.closed_rectified = u64::from(f.rectified);
        }
        if let Some(satisfied) = f.return_visit {
            c.visited = 1;
            c.visit_satisfied = u64::from(satisfied);
        }
        if f.real_name && f.rating_id.is_some() {
            c.real_name_bad_cases = 1;
            c.real_name_bad_cases_visited = u64::from(f.return_visit.is_some());
        }
        c
    }

    fn scalars_mut(&mut self) -> [&mut u64; 17] {
        let [l0, l1, l2, l3, l4] = &mut self.level_counts;
        [
            l0,
            l1,
            l2,
            l3,
            l4,
            &mut self.real_name_bad,
            &mut self.excluded_ratings,
            &mut self.cases,
            &mut self.excluded_cases,
            &mut self.handled_on_time,
            &mut self.handled_late,
            &mut self.closed,
            &mut self.closed_rectified,
            &mut self.visited,
            &mut self.visit_satisfied,
            &mut self.real_name_bad_cases,
            &mut self.real_name_bad_cases_visited,
        ]
    }

    fn scalars(&self) -> [u64; 17] {
        let l = self.level_counts;
        [
            l[0],
            l[1],
            l[2],
            l[3],
            l[4],
            self.real_name_bad,
            self.excluded_ratings,
            self.cases,
            self.excluded_cases,
            self.handled_on_time,
            self.handled_late,
            self.closed,
            self.closed_rectified,
            self.visited,
            self.visit_satisfied,
            self.real_name_bad_cases,
            self.real_name_bad_cases_visited,
        ]
    }

    fn is_empty(&self) -> bool {
        self.scalars().iter().all(|v| *v == 0) && self.open_by_due_date.is_empty()
    }

    fn add(&mut self, other: &Cell) {
        for (a, b) in self.scalars_mut().into_iter().zip(other.scalars()) {
            *a = a.saturating_add(b);
        }
        for (due, n) in &other.open_by_due_date {
            let e = self.open_by_due_date.entry(*due).or_insert(0);
            *e = e.saturating_add(*n);
        }
    }

    /// `self - other`, or `None` if `other` is not contained in `self`.
    fn checked_sub(&self, other: &Cell) -> Option<Cell> {
        let mut out = self.clone();
        for (a, b) in out.scalars_mut().into_iter().zip(other.scalars()) {
            *a = a.checked_sub(b)?;
        }
        for (due, n) in &other.open_by_due_date {
            let e = out.open_by_due_date.get_mut(due)?;
            *e = e.checked_sub(*n)?;
            if *e == 0 {
                out.open_by_due_date.remove(due);
            }
        }
        Some(out)
    }

    /// The KPIs of these counts, unhandled cases counting as overdue when their due date is before
    /// `today` (the local date of `as_of`). Lets a store that keeps [`Cell`]-shaped sums elsewhere
    /// (the replica's aggregate tables) finish them with exactly the maths of [`kpis`].
    pub fn kpis(&self, today: NaiveDate) -> Kpis {
        let mut t = Tally::default();
        self.tally_into(&mut t, today);
        t.finish()
    }

    fn tally_into(&self, t: &mut Tally, today: NaiveDate) {
        for (a, b) in t.level_counts.iter_mut().zip(self.level_counts) {
            *a += b;
        }
        t.real_name_bad += self.real_name_bad;
        t.excluded_ratings += self.excluded_ratings;
        t.cases += self.cases;
        t.excluded_cases += self.excluded_cases;
        t.on_time += self.handled_on_time;
        t.late += self.handled_late;
        t.overdue_open += self.open_by_due_date.range(..today).map(|(_, n)| *n).sum::<u64>();
        t.closed += self.closed;
        t.closed_rectified += self.closed_rectified;
        t.visited += self.visited;
        t.visit_satisfied += self.visit_satisfied;
        t.real_name_bad_cases += self.real_name_bad_cases;
        t.real_name_bad_cases_visited += self.real_name_bad_cases_visited;
    }
}

/// Incremental KPI counts per unit × staff member × local day (the replica's dashboard path).
///
/// Apply a change to a fact as `remove_*(old)` then `add_*(new)`; e.g. an appeal overturned removes
/// the rating as it was and adds it with `excluded = true`. Cells that fall back to zero are dropped,
/// so an aggregate equals the one built from the current facts alone, whatever the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    utc_offset_minutes: i16,
    cells: BTreeMap<CellKey, Cell>,
}

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate::new(BEIJING_UTC_OFFSET_MINUTES)
    }
}

impl Aggregate {
    pub fn new(utc_offset_minutes: i16) -> Aggregate {
        Aggregate { utc_offset_minutes, cells: BTreeMap::new() }
    }

    /// An aggregate of all the facts.
    pub fn from_facts(ratings: &[RatingFact], cases: &[CaseFact], utc_offset_minutes: i16) -> Aggregate {
        let mut a = Aggregate::new(utc_offset_minutes);
        for r in ratings {
            a.add_rating(r);
        }
        for c in cases {
            a.add_case(c);
        }
        a
    }

    pub fn utc_offset_minutes(&self) -> i16 {
        self.utc_offset_minutes
    }

    /// The cells, in key order.
    pub fn cells(&self) -> impl Iterator<Item = (&CellKey, &Cell)> {
        self.cells.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn key(&self, unit_id: i64, staff_id: Option<i64>, at: DateTime<Utc>) -> CellKey {
        CellKey { unit_id, staff_id, day: local_date(at, self.utc_offset_minutes) }
    }

    fn add_cell(&mut self, key: CellKey, contribution: &Cell) {
        self.cells.entry(key).or_default().add(contribution);
    }

    fn remove_cell(
        &mut self,
        key: CellKey,
        contribution: &Cell,
        kind: &'static str,
        id: i64,
    ) -> Result<(), AggregateError> {
        let not_present = AggregateError::NotPresent { kind, id };
        let current = self.cells.get(&key).ok_or_else(|| not_present.clone())?;
        let next = current.checked_sub(contribution).ok_or(not_present)?;
        if next.is_empty() {
            self.cells.remove(&key);
        } else {
            self.cells.insert(key, next);
        }
        Ok(())
    }

    pub fn add_rating(&mut self, r: &RatingFact) {
        let key = self.key(r.unit_id, r.staff_id, r.rated_at);
        self.add_cell(key, &Cell::of_rating(r));
    }

    /// Takes back a rating exactly as it was added; refuses (and changes nothing) if it is not there.
    pub fn remove_rating(&mut self, r: &RatingFact) -> Result<(), AggregateError> {
        let key = self.key(r.unit_id, r.staff_id, r.rated_at);
        self.remove_cell(key, &Cell::of_rating(r), "评价", r.id)
    }

    pub fn add_case(&mut self, c: &CaseFact) {
        let key = self.key(c.unit_id, c.staff_id, c.created_at);
        let contribution = Cell::of_case(c, self.utc_offset_minutes);
        self.add_cell(key, &contribution);
    }

    /// Takes back a case exactly as it was added; refuses (and changes nothing) if it is not there.
    pub fn remove_case(&mut self, c: &CaseFact) -> Result<(), AggregateError> {
        let key = self.key(c.unit_id, c.staff_id, c.created_at);
        let contribution = Cell::of_case(c, self.utc_offset_minutes);
        self.remove_cell(key, &contribution, "工单", c.id)
    }

    /// Replaces a rating's old state by its new one (e.g. when it is excluded).
    pub fn update_rating(&mut self, old: &RatingFact, new: &RatingFact) -> Result<(), AggregateError> {
        self.remove_rating(old)?;
        self.add_rating(new);
        Ok(())
    }

    /// Replaces a case's old state by its new one (e.g. when it is handled, closed or visited).
    pub fn update_case(&mut self, old: &CaseFact, new: &CaseFact) -> Result<(), AggregateError> {
        self.remove_case(old)?;
        self.add_case(new);
        Ok(())
    }

    /// Adds all of `other`'s counts (e.g. the aggregates of two shards or two sync batches).
    pub fn merge(&mut self, other: &Aggregate) -> Result<(), AggregateError> {
        if self.utc_offset_minutes != other.utc_offset_minutes {
            return Err(AggregateError::OffsetMismatch(self.utc_offset_minutes, other.utc_offset_minutes));
        }
        for (key, cell) in &other.cells {
            self.add_cell(*key, cell);
        }
        Ok(())
    }

    fn tally(&self, filter: impl Fn(&CellKey) -> bool, period: &Period, today: NaiveDate) -> Tally {
        let mut t = Tally::default();
        for (key, cell) in &self.cells {
            if period.contains(key.day) && filter(key) {
                cell.tally_into(&mut t, today);
            }
        }
        t
    }

    /// The KPIs of `subject` over `period` as of `as_of`; equal to [`kpis`] on the same facts.
    pub fn kpis(&self, subject: Subject, period: &Period, as_of: DateTime<Utc>) -> Kpis {
        let today = local_date(as_of, self.utc_offset_minutes);
        self.tally(|k| subject.matches(k.unit_id, k.staff_id), period, today).finish()
    }

    /// The KPIs of every unit (or staff member) with a fact in `period`; equal to [`kpis_by`].
    pub fn kpis_by(&self, group: GroupBy, period: &Period, as_of: DateTime<Utc>) -> BTreeMap<i64, Kpis> {
        let today = local_date(as_of, self.utc_offset_minutes);
        let mut tallies: BTreeMap<i64, Tally> = BTreeMap::new();
        for (key, cell) in &self.cells {
            if !period.contains(key.day) {
                continue;
            }
            if let Some(k) = group.key(key.unit_id, key.staff_id) {
                cell.tally_into(tallies.entry(k).or_default(), today);
            }
        }
        tallies.into_iter().map(|(k, t)| (k, t.finish())).collect()
    }
}

#[cfg(test)]
mod tests;
