//! Staff and window league tables (窗口、工作人员排名) for a month, a quarter or a year.
//!
//! The ranking itself is [`crate::ranking`]'s small-sample-fair score; a league adds what a published
//! table of people needs: a **minimum sample**. A member of staff with three ratings is not ranked
//! at all but listed apart ("样本不足"), with their figures, so nobody tops or sinks a table on a
//! handful of ratings and nobody is silently left out. The pooled prior of the correction is taken
//! over the ranked members only, so the unranked do not move anyone's score.
//!
//! Excluded ratings (confirmed malicious, mistaken or fake, and bad reviews overturned on appeal)
//! never reach a league: its input is the KPIs' satisfaction ratio, which leaves them out.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::kpi::{Kpis, Period};
use crate::ranking::{rank_with, RankedUnit, RankingParams, UnitScore};

/// The default minimum sample of a ranked member (ratings in the period).
pub const DEFAULT_MIN_SAMPLE: u32 = 10;

/// Who a league ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum LeagueOf {
    /// Windows (窗口): a window's ratings are those of the staff posted at it.
    Window,
    /// Members of staff (工作人员): the staff member a rating names.
    Staff,
}

crate::str_enum!(LeagueOf {
    Window => "window",
    Staff => "staff",
});

/// A league's period: a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LeaguePeriod {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
    Year { year: i32 },
}

impl LeaguePeriod {
    /// Reads `2026-11`, `2026-Q4` (or `2026-q4`) or `2026`; `None` for anything else.
    pub fn parse(s: &str) -> Option<LeaguePeriod> {
        let s = s.trim();
        let year = |y: &str| -> Option<i32> {
            (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())).then(|| y.parse().ok()).flatten()
        };
        let period = match s.split_once('-') {
            None => LeaguePeriod::Year { year: year(s)? },
            Some((y, rest)) => {
                let y = year(y)?;
                match rest.strip_prefix(['Q', 'q']) {
                    Some(q) if q.len() == 1 => LeaguePeriod::Quarter { year: y, quarter: q.parse().ok()? },
                    Some(_) => return None,
                    None if rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_digit()) => {
                        LeaguePeriod::Month { year: y, month: rest.parse().ok()? }
                    }
                    None => return None,
                }
            }
        };
        period.dates().map(|_| period)
    }

    /// The period's dates; `None` for a month outside 1–12 or a quarter outside 1–4.
    pub fn dates(self) -> Option<Period> {
        match self {
            LeaguePeriod::Month { year, month } => Period::month(year, month),
            LeaguePeriod::Quarter { year, quarter } if (1..=4).contains(&quarter) => {
                let first = Period::month(year, quarter * 3 - 2)?;
                let last = Period::month(year, quarter * 3)?;
                Some(Period::new(first.first, last.last))
            }
            LeaguePeriod::Quarter { .. } => None,
            LeaguePeriod::Year { year } => {
                Some(Period::new(NaiveDate::from_ymd_opt(year, 1, 1)?, NaiveDate::from_ymd_opt(year, 12, 31)?))
            }
        }
    }

    /// The key it was read from (`2026-11`, `2026-Q4`, `2026`).
    pub fn key(self) -> String {
        match self {
            LeaguePeriod::Month { year, month } => format!("{year}-{month:02}"),
            LeaguePeriod::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
            LeaguePeriod::Year { year } => format!("{year}"),
        }
    }

    /// `2026年11月`, `2026年第四季度`, `2026年度`.
    pub fn label_zh(self) -> String {
        match self {
            LeaguePeriod::Month { year, month } => format!("{year}年{month}月"),
            LeaguePeriod::Quarter { year, quarter } => {
                let q = ["一", "二", "三", "四"].get(quarter.saturating_sub(1) as usize).copied().unwrap_or("?");
                format!("{year}年第{q}季度")
            }
            LeaguePeriod::Year { year } => format!("{year}年度"),
        }
    }

    /// The period before this one of the same kind (the month, quarter or year before).
    pub fn previous(self) -> Option<LeaguePeriod> {
        match self {
            LeaguePeriod::Month { year, month } => Some(if month <= 1 {
                LeaguePeriod::Month { year: year.checked_sub(1)?, month: 12 }
            } else {
                LeaguePeriod::Month { year, month: month - 1 }
            }),
            LeaguePeriod::Quarter { year, quarter } => Some(if quarter <= 1 {
                LeaguePeriod::Quarter { year: year.checked_sub(1)?, quarter: 4 }
            } else {
                LeaguePeriod::Quarter { year, quarter: quarter - 1 }
            }),
            LeaguePeriod::Year { year } => Some(LeaguePeriod::Year { year: year.checked_sub(1)? }),
        }
    }

    /// The month containing `date`.
    pub fn month_of(date: NaiveDate) -> LeaguePeriod {
        LeaguePeriod::Month { year: date.year(), month: date.month() }
    }
}

/// The jurisdiction's assessment rules (the `assessment` part of its policy).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssessmentPolicy {
    /// Ratings a window or staff member needs in the period to be ranked (at least 1).
    pub min_sample: u32,
    /// 倒逼: who ranks at the bottom month after month gets a 限期整改 case; `None`: no such rule.
    pub bottom_rule: Option<BottomRule>,
    /// 服务明星 / 办事能手: who the monthly staff league proposes.
    pub stars: crate::merit::StarRule,
    /// 绩效考核: the score sheet's points.
    pub score: crate::merit::ScoreFormula,
}

/// "The last `bottom` ranked of the monthly `of` league, `months` months running": the server then
/// opens one 限期整改 case against each of them, in the first working hours of the next month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct BottomRule {
    pub of: LeagueOf,
    /// How many places at the bottom of the ranked table count (1–10).
    pub bottom: u32,
    /// Consecutive months (2–12).
    pub months: u32,
}

/// One member's run at the bottom: the months (oldest first) with their rank of how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BottomStreak {
    pub id: i64,
    pub name: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    /// (`2026-11`, rank, ranked members).
    pub months: Vec<(String, u32, u32)>,
}

impl BottomStreak {
    /// `2026年9月第3名（共3名）、2026年10月…`.
    pub fn ranks_zh(&self) -> String {
        self.months
            .iter()
            .map(|(m, rank, of)| {
                let label = LeaguePeriod::parse(m).map_or_else(|| m.clone(), LeaguePeriod::label_zh);
                format!("{label}第{rank}名（共{of}名）")
            })
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The members at the bottom of every one of the last `rule.months` tables whose run begins
/// exactly there: `tables` are consecutive months, oldest first, the last `rule.months` of them
/// the run and the one before (when given) the month that must not already be at the bottom. So a
/// rule fires once per run, in the month the run reaches its length. A table with no more ranked
/// members than `rule.bottom` has no bottom.
pub fn bottom_streaks(tables: &[LeagueTable], rule: &BottomRule) -> Vec<BottomStreak> {
    let n = rule.months as usize;
    if n == 0 || tables.len() < n {
        return Vec::new();
    }
    let k = rule.bottom as usize;
    let at_bottom = |t: &LeagueTable, id: i64| -> Option<(u32, u32)> {
        let len = t.ranked.len();
        if len <= k {
            return None;
        }
        let pos = t.ranked.iter().position(|e| e.id == id)?;
        (pos >= len - k).then(|| (t.ranked[pos].rank.unwrap_or(0), u32::try_from(len).unwrap_or(u32::MAX)))
    };
    let run = &tables[tables.len() - n..];
    let before = tables.len().checked_sub(n + 1).map(|i| &tables[i]);
    let last = &run[n - 1];
    let mut out = Vec::new();
    for e in &last.ranked {
        let ranks: Option<Vec<(String, u32, u32)>> =
            run.iter().map(|t| at_bottom(t, e.id).map(|(r, of)| (t.period.clone(), r, of))).collect();
        let Some(months) = ranks else { continue };
        if before.is_some_and(|t| at_bottom(t, e.id).is_some()) {
            continue;
        }
        out.push(BottomStreak {
            id: e.id,
            name: e.name.clone(),
            unit_id: e.unit_id,
            unit_name: e.unit_name.clone(),
            months,
        });
    }
    out
}

impl AssessmentPolicy {
    /// The bounds an administrator may set.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=10_000).contains(&self.min_sample) {
            return Err(format!("排名最低样本量须在 1 到 10000 之间（现为 {}）", self.min_sample));
        }
        if let Some(r) = self.bottom_rule {
            if !(1..=10).contains(&r.bottom) {
                return Err(format!("末位名次数须在 1 到 10 之间（现为 {}）", r.bottom));
            }
            if !(2..=12).contains(&r.months) {
                return Err(format!("连续月数须在 2 到 12 之间（现为 {}）", r.months));
            }
        }
        self.stars.validate()?;
        self.score.validate()
    }
}

impl Default for AssessmentPolicy {
    fn default() -> Self {
        AssessmentPolicy {
            min_sample: DEFAULT_MIN_SAMPLE,
            bottom_rule: None,
            stars: crate::merit::StarRule::default(),
            score: crate::merit::ScoreFormula::default(),
        }
    }
}

/// A league table: the ranked members, and those below the minimum sample listed apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct League {
    pub min_sample: u32,
    /// Ranked, best first; ties share a rank.
    pub ranked: Vec<RankedUnit>,
    /// Fewer ratings than `min_sample` (but at least one): not ranked (`rank` and `score` are
    /// `None`), largest sample first.
    pub too_few: Vec<RankedUnit>,
}

/// Ranks the members with at least `min_sample` ratings (at least 1) with `params`, and lists the
/// others apart.
pub fn league(scores: &[UnitScore], min_sample: u32, params: &RankingParams) -> League {
    let min = u64::from(min_sample.max(1));
    let (eligible, small): (Vec<UnitScore>, Vec<UnitScore>) =
        scores.iter().filter(|u| u.trials > 0).partition(|u| u.trials >= min);
    let ranked = rank_with(&eligible, params);
    let mut too_few: Vec<RankedUnit> = small
        .iter()
        .map(|u| {
            let s = u.successes.min(u.trials);
            RankedUnit {
                unit_id: u.unit_id,
                rank: None,
                score: None,
                sample_size: u.trials,
                successes: s,
                raw_rate: Some(s as f64 / u.trials as f64),
            }
        })
        .collect();
    too_few.sort_by(|a, b| b.sample_size.cmp(&a.sample_size).then(a.unit_id.cmp(&b.unit_id)));
    League { min_sample: min_sample.max(1), ranked, too_few }
}

/// A window or member of staff a league may list: who they are and where they work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeagueMember {
    pub id: i64,
    pub name: String,
    /// The window's code or the staff member's number (工号).
    pub code: String,
    /// The hall a window belongs to, or the unit a member of staff works in.
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
}

/// One line of a published league table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LeagueEntry {
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub id: i64,
    pub name: String,
    pub code: String,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    /// `None` below the minimum sample.
    pub rank: Option<u32>,
    /// The small-sample-corrected satisfaction; `None` below the minimum sample.
    pub score: Option<f64>,
    /// Ratings the line rests on (excluded ratings left out).
    pub sample_size: u32,
    /// Of them, satisfied (基本满意 or better).
    pub satisfied: u32,
    pub raw_rate: Option<f64>,
    /// Bad reviews (不满意, 非常不满意) among them.
    pub bad_reviews: u32,
}

/// A league table ready to show, print or publish.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LeagueTable {
    pub of: LeagueOf,
    /// `2026-11`, `2026-Q4` or `2026`.
    pub period: String,
    /// `2026年11月`, `2026年第四季度`, `2026年度`.
    pub period_label: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub min_sample: u32,
    pub ranked: Vec<LeagueEntry>,
    pub too_few: Vec<LeagueEntry>,
}

/// What a league needs of one member's ratings in the period (excluded ratings left out).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Ratings at 基本满意 or better.
    pub satisfied: u64,
    pub rated: u64,
    /// 不满意 and 非常不满意.
    pub bad: u64,
}

impl Tally {
    pub fn of(k: &Kpis) -> Tally {
        Tally { satisfied: k.satisfaction_rate.numerator, rated: k.satisfaction_rate.denominator, bad: k.bad }
    }

    fn add(&mut self, other: Tally) {
        self.satisfied += other.satisfied;
        self.rated += other.rated;
        self.bad += other.bad;
    }
}

/// The tallies of members from their KPIs (per staff member, or per unit).
pub fn tallies(by: &BTreeMap<i64, Kpis>) -> BTreeMap<i64, Tally> {
    by.iter().map(|(id, k)| (*id, Tally::of(k))).collect()
}

/// The windows' tallies: a window's ratings are those of the staff posted at it (`staff_window`:
/// staff id → window id). Ratings of staff without a window, and ratings without a staff member,
/// belong to no window.
pub fn window_tallies(by_staff: &BTreeMap<i64, Kpis>, staff_window: &[(i64, i64)]) -> BTreeMap<i64, Tally> {
    let mut out: BTreeMap<i64, Tally> = BTreeMap::new();
    for (staff, window) in staff_window {
        if let Some(k) = by_staff.get(staff) {
            out.entry(*window).or_default().add(Tally::of(k));
        }
    }
    out
}

/// The league of `members` over their tallies of the period (`by`: per window or per staff id).
/// Ids in `by` that are not members (a rating's staff member no longer on the roster) are listed
/// under their id, so no rating silently drops out of the table.
pub fn table(
    of: LeagueOf,
    period: LeaguePeriod,
    policy: &AssessmentPolicy,
    by: &BTreeMap<i64, Tally>,
    members: &[LeagueMember],
) -> Option<LeagueTable> {
    let dates = period.dates()?;
    let scores: Vec<UnitScore> =
        by.iter().map(|(id, t)| UnitScore { unit_id: *id, successes: t.satisfied, trials: t.rated }).collect();
    let l = league(&scores, policy.min_sample, &RankingParams::default());
    let entry = |r: &RankedUnit| {
        let member = members.iter().find(|m| m.id == r.unit_id);
        let small = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        LeagueEntry {
            id: r.unit_id,
            name: member.map_or_else(|| format!("#{}", r.unit_id), |m| m.name.clone()),
            code: member.map(|m| m.code.clone()).unwrap_or_default(),
            unit_id: member.and_then(|m| m.unit_id),
            unit_name: member.and_then(|m| m.unit_name.clone()),
            rank: r.rank,
            score: r.score,
            sample_size: small(r.sample_size),
            satisfied: small(r.successes),
            raw_rate: r.raw_rate,
            bad_reviews: small(by.get(&r.unit_id).map_or(0, |t| t.bad)),
        }
    };
    Some(LeagueTable {
        of,
        period: period.key(),
        period_label: period.label_zh(),
        first_day: dates.first,
        last_day: dates.last,
        min_sample: l.min_sample,
        ranked: l.ranked.iter().map(entry).collect(),
        too_few: l.too_few.iter().map(entry).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(unit_id: i64, successes: u64, trials: u64) -> UnitScore {
        UnitScore { unit_id, successes, trials }
    }

    /// Three months of four staff members of one hall, minimum sample 5 (hand-computed below;
    /// the prior strength is the default 10 and the prior mean is pooled over the ranked).
    fn fixture() -> Vec<crate::kpi::RatingFact> {
        use crate::kpi::RatingFact;
        use crate::Level::{BasicallySatisfied, Dissatisfied, Satisfied, VeryDissatisfied};
        let mut out = Vec::new();
        // (month, staff, satisfied, dissatisfied)
        let plan = [
            (9, 1, 6, 0),
            (9, 2, 3, 3),
            (9, 3, 2, 0),
            (9, 4, 4, 1),
            (10, 1, 5, 0),
            (10, 2, 4, 4),
            (10, 3, 4, 0),
            (10, 4, 5, 0),
            (11, 1, 9, 1),
            (11, 2, 2, 3),
            (11, 3, 6, 0),
            (11, 4, 3, 0),
        ];
        for (month, staff, good, bad) in plan {
            for i in 0..(good + bad) {
                let id = out.len() as i64 + 1;
                // Satisfied and basically satisfied both count as satisfied.
                let level = if i < good {
                    if i % 2 == 0 {
                        Satisfied
                    } else {
                        BasicallySatisfied
                    }
                } else {
                    Dissatisfied
                };
                let rated_at = chrono::NaiveDate::from_ymd_opt(2026, month, 10)
                    .and_then(|d| d.and_hms_opt(2, 0, 0))
                    .expect("time")
                    .and_utc();
                out.push(RatingFact {
                    id,
                    unit_id: 100,
                    staff_id: Some(staff),
                    rated_at,
                    level,
                    channel: 1,
                    real_name: false,
                    excluded: false,
                });
            }
        }
        // A malicious bad review of staff 4 in September, confirmed: it never counts.
        let mut excluded = out[0].clone();
        excluded.id = 999;
        excluded.staff_id = Some(4);
        excluded.level = VeryDissatisfied;
        excluded.excluded = true;
        out.push(excluded);
        out
    }

    fn staff_table(key: &str) -> LeagueTable {
        let facts = fixture();
        let period = LeaguePeriod::parse(key).expect("period");
        let now =
            chrono::NaiveDate::from_ymd_opt(2026, 12, 7).and_then(|d| d.and_hms_opt(1, 0, 0)).expect("now").and_utc();
        let by = crate::kpi::kpis_by(
            &facts,
            &[],
            crate::GroupBy::Staff,
            &period.dates().expect("dates"),
            &crate::KpiParams::beijing(now),
        );
        let members: Vec<LeagueMember> = (1..=4)
            .map(|id| LeagueMember {
                id,
                name: format!("工作人员{id}"),
                code: format!("G{id:03}"),
                unit_id: Some(100),
                unit_name: Some("东湖区政务服务中心".into()),
            })
            .collect();
        let policy = AssessmentPolicy { min_sample: 5, ..AssessmentPolicy::default() };
        table(LeagueOf::Staff, period, &policy, &tallies(&by), &members).expect("table")
    }

    fn lines(t: &LeagueTable) -> Vec<(i64, Option<u32>, u32, u32, String)> {
        t.ranked
            .iter()
            .chain(&t.too_few)
            .map(|e| (e.id, e.rank, e.sample_size, e.satisfied, e.score.map_or("-".into(), |s| format!("{s:.6}"))))
            .collect()
    }

    #[test]
    fn a_hand_computed_staff_league_over_three_months() {
        // September: pooled over 1, 2, 4: 13/17, k·m = 7.647059. Staff 4's excluded review leaves
        // 5 ratings (4 satisfied); staff 3 (2 ratings) is below the minimum.
        // 1: (6 + 7.647059)/16 = 0.852941; 4: (4 + 7.647059)/15 = 0.776471; 2: (3 + 7.647059)/16 = 0.665441.
        let sep = staff_table("2026-09");
        assert_eq!(
            lines(&sep),
            vec![
                (1, Some(1), 6, 6, "0.852941".into()),
                (4, Some(2), 5, 4, "0.776471".into()),
                (2, Some(3), 6, 3, "0.665441".into()),
                (3, None, 2, 2, "-".into()),
            ]
        );
        assert_eq!(sep.ranked[1].bad_reviews, 1, "the excluded review is not a bad review either");
        assert_eq!(sep.period_label, "2026年9月");
        // October: 14/18, k·m = 7.777778; 1 and 4 tie (5/5 each): they share rank 1, the next is 3.
        // 1, 4: (5 + 7.777778)/15 = 0.851852; 2: (4 + 7.777778)/18 = 0.654321.
        assert_eq!(
            lines(&staff_table("2026-10")),
            vec![
                (1, Some(1), 5, 5, "0.851852".into()),
                (4, Some(1), 5, 5, "0.851852".into()),
                (2, Some(3), 8, 4, "0.654321".into()),
                (3, None, 4, 4, "-".into()),
            ]
        );
        // November: 17/21, k·m = 8.095238. 3: (6 + 8.095238)/16 = 0.880952; 1: (9 + 8.095238)/20 =
        // 0.854762; 2: (2 + 8.095238)/15 = 0.673016; 4 (3 ratings) below the minimum.
        assert_eq!(
            lines(&staff_table("2026-11")),
            vec![
                (3, Some(1), 6, 6, "0.880952".into()),
                (1, Some(2), 10, 9, "0.854762".into()),
                (2, Some(3), 5, 2, "0.673016".into()),
                (4, None, 3, 3, "-".into()),
            ]
        );
        // The fourth quarter (October and November): 38/46, k·m = 8.260870. 3: 18.260870/20 =
        // 0.913043; 4: 16.260870/18 = 0.903382; 1: 22.260870/25 = 0.890435; 2: 14.260870/23 = 0.620038.
        let q4 = staff_table("2026-Q4");
        assert_eq!(
            lines(&q4),
            vec![
                (3, Some(1), 10, 10, "0.913043".into()),
                (4, Some(2), 8, 8, "0.903382".into()),
                (1, Some(3), 15, 14, "0.890435".into()),
                (2, Some(4), 13, 6, "0.620038".into()),
            ]
        );
        assert_eq!((q4.first_day.to_string(), q4.last_day.to_string()), ("2026-10-01".into(), "2026-12-31".into()));
        assert_eq!(q4.ranked[0].name, "工作人员3");
        assert_eq!(q4.ranked[0].unit_name.as_deref(), Some("东湖区政务服务中心"));
    }

    #[test]
    fn the_consecutive_bottom_rule_fires_once_in_the_month_the_run_reaches_its_length() {
        let rule = BottomRule { of: LeagueOf::Staff, bottom: 1, months: 3 };
        let [aug, sep, oct, nov] = ["2026-08", "2026-09", "2026-10", "2026-11"].map(staff_table);
        // Staff 2 is last in September, October and November (August has no ratings: no bottom).
        let fired = bottom_streaks(&[aug.clone(), sep.clone(), oct.clone(), nov.clone()], &rule);
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert_eq!(fired[0].id, 2);
        assert_eq!(fired[0].months, vec![("2026-09".into(), 3, 3), ("2026-10".into(), 3, 3), ("2026-11".into(), 3, 3)]);
        assert_eq!(fired[0].ranks_zh(), "2026年9月第3名（共3名）、2026年10月第3名（共3名）、2026年11月第3名（共3名）");
        // A month earlier the run was two months long: nothing yet.
        assert!(bottom_streaks(&[aug, sep.clone(), oct.clone()], &rule).is_empty());
        // A fourth month at the bottom does not fire again: the month before the run was bottom too.
        assert!(bottom_streaks(&[sep.clone(), oct.clone(), nov.clone(), nov.clone()], &rule).is_empty());
        // The last two of two months: September's are 4 and 2, October's 4 (rank 1, shared, but
        // second of three) and 2; November's 1 and 2.
        let two = BottomRule { bottom: 2, months: 2, ..rule };
        let ids = |t: &[LeagueTable]| bottom_streaks(t, &two).iter().map(|s| s.id).collect::<Vec<_>>();
        assert_eq!(ids(&[sep.clone(), oct.clone()]), vec![4, 2]);
        assert_eq!(ids(&[oct.clone(), nov.clone()]), vec![2], "1 was not at the bottom in October");
        assert!(ids(&[sep, oct, nov]).is_empty(), "2's run began in September and fired in October");
    }

    #[test]
    fn a_windows_ratings_are_its_staffs() {
        let k = |satisfied: u64, rated: u64, bad: u64| {
            let mut k = Kpis::default();
            k.satisfaction_rate.numerator = satisfied;
            k.satisfaction_rate.denominator = rated;
            k.bad = bad;
            k
        };
        let by_staff: BTreeMap<i64, Kpis> =
            [(1, k(9, 10, 1)), (2, k(4, 5, 1)), (3, k(7, 7, 0)), (4, k(1, 1, 0))].into();
        // Staff 1 and 2 at window 10, 3 at window 11, 4 without a window, 5 (no ratings) at 11.
        let t = window_tallies(&by_staff, &[(1, 10), (2, 10), (3, 11), (5, 11)]);
        assert_eq!(t.get(&10), Some(&Tally { satisfied: 13, rated: 15, bad: 2 }));
        assert_eq!(t.get(&11), Some(&Tally { satisfied: 7, rated: 7, bad: 0 }));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn periods_read_months_quarters_and_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let q4 = LeaguePeriod::parse("2026-Q4").expect("quarter");
        assert_eq!(q4.dates(), Some(Period::new(d(2026, 10, 1), d(2026, 12, 31))));
        assert_eq!(q4.label_zh(), "2026年第四季度");
        assert_eq!(LeaguePeriod::parse("2026-q1").and_then(LeaguePeriod::dates).map(|p| p.last), Some(d(2026, 3, 31)));
        assert_eq!(LeaguePeriod::parse("2026").and_then(LeaguePeriod::dates).map(|p| p.first), Some(d(2026, 1, 1)));
        assert_eq!(LeaguePeriod::parse("2026-02").and_then(LeaguePeriod::dates).map(|p| p.last), Some(d(2026, 2, 28)));
        for bad in
            ["", "2026-13", "2026-Q5", "2026-Q0", "26-01", "2026-1", "2026-Q12", "2026/11", "２０２６", "2026-11-01"]
        {
            assert_eq!(LeaguePeriod::parse(bad), None, "{bad}");
        }
        assert_eq!(
            LeaguePeriod::parse("2026-01").and_then(LeaguePeriod::previous).map(LeaguePeriod::key).as_deref(),
            Some("2025-12")
        );
        assert_eq!(
            LeaguePeriod::parse("2026-Q1").and_then(LeaguePeriod::previous).map(LeaguePeriod::key).as_deref(),
            Some("2025-Q4")
        );
        assert_eq!(q4.key(), "2026-Q4");
    }

    #[test]
    fn members_below_the_minimum_sample_are_listed_apart_and_do_not_move_the_prior() {
        // Two members with 20 ratings, one with 3 perfect ones, one without any.
        let scores = [u(1, 18, 20), u(2, 15, 20), u(3, 3, 3), u(4, 0, 0)];
        let t = league(&scores, 10, &RankingParams::default());
        assert_eq!(t.ranked.iter().map(|r| (r.unit_id, r.rank)).collect::<Vec<_>>(), vec![(1, Some(1)), (2, Some(2))]);
        // Prior over the ranked only: m = 33/40 = 0.825; (18 + 8.25)/30 = 0.875, (15 + 8.25)/30 = 0.775.
        assert!((t.ranked[0].score.unwrap_or(0.0) - 0.875).abs() < 1e-9);
        assert!((t.ranked[1].score.unwrap_or(0.0) - 0.775).abs() < 1e-9);
        assert_eq!(t.too_few.len(), 1);
        assert_eq!((t.too_few[0].unit_id, t.too_few[0].rank, t.too_few[0].sample_size), (3, None, 3));
        assert_eq!(t.too_few[0].raw_rate, Some(1.0));
        // A minimum of 0 is read as 1: everyone with a rating is ranked.
        assert_eq!(league(&scores, 0, &RankingParams::default()).ranked.len(), 3);
    }
}
