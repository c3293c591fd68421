//! Rankings (综合排名) that are fair to small units.
//!
//! Ranking on the raw satisfaction rate lets a window with three ratings, all good, top the table,
//! and one bad review out of three sink it. Two small-sample corrections are offered:
//!
//! - [`ScoreMethod::BetaBinomial`] (the default): the posterior mean of a beta-binomial model,
//!   `(s + k·m) / (n + k)`, where `s` of `n` ratings were satisfied, `m` is the pooled rate of all
//!   the units being ranked (empirical-Bayes prior mean) and `k` the prior strength in pseudo-ratings
//!   (default 10). A unit with few ratings is pulled towards the pool's rate, so it neither tops nor
//!   sinks the table; a unit with many ratings keeps close to its own rate.
//! - [`ScoreMethod::WilsonLowerBound`]: the lower bound of the Wilson score interval at `z`
//!   (1.96 ≈ 95 %). Conservative: a small sample can never top the table, but it sinks towards the
//!   bottom, so it suits "service star" awards (服务明星) more than league tables.
//!
//! Every [`RankedUnit`] carries its sample size and raw rate beside the rank, so the published table
//! always shows on how many ratings a rank rests. Units without a single rating are not ranked.
//!
//! The ranking is deterministic: by score (higher first), then sample size (larger first), then
//! unit id (smaller first). Units with the same score and sample size share a rank ("1224").

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::kpi::Kpis;

/// The default prior strength of [`ScoreMethod::BetaBinomial`], in pseudo-ratings.
pub const DEFAULT_PRIOR_STRENGTH: f64 = 10.0;
/// The default `z` of [`ScoreMethod::WilsonLowerBound`] (two-sided 95 %).
pub const DEFAULT_WILSON_Z: f64 = 1.96;

/// The input of a ranking: of `trials` ratings, `successes` count as satisfied. `unit_id` may name a
/// hall, window, department or staff member; ids should be unique within one ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UnitScore {
    pub unit_id: i64,
    pub successes: u64,
    pub trials: u64,
}

impl UnitScore {
    /// Satisfaction (满意率): non-excluded ratings at 基本满意 or better over non-excluded ratings.
    pub fn satisfaction(unit_id: i64, kpis: &Kpis) -> UnitScore {
        UnitScore { unit_id, successes: kpis.satisfaction_rate.numerator, trials: kpis.satisfaction_rate.denominator }
    }

    /// Good reviews (好评率): non-excluded ratings at 满意 or 非常满意 over non-excluded ratings.
    pub fn good_reviews(unit_id: i64, kpis: &Kpis) -> UnitScore {
        UnitScore { unit_id, successes: kpis.good_rate.numerator, trials: kpis.good_rate.denominator }
    }

    /// Successes above trials are read as trials.
    fn clamped_successes(&self) -> u64 {
        self.successes.min(self.trials)
    }
}

/// The small-sample correction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ScoreMethod {
    /// Beta-binomial posterior mean with the pooled rate as prior mean; a strength that is negative
    /// or not finite is read as 0 (the raw rate).
    BetaBinomial { prior_strength: f64 },
    /// Wilson score interval lower bound; a `z` that is negative or not finite is read as 1.96.
    WilsonLowerBound { z: f64 },
}

/// How to rank.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RankingParams {
    pub method: ScoreMethod,
}

impl Default for RankingParams {
    fn default() -> Self {
        RankingParams { method: ScoreMethod::BetaBinomial { prior_strength: DEFAULT_PRIOR_STRENGTH } }
    }
}

/// One row of a ranking table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedUnit {
    pub unit_id: i64,
    /// 1-based; `None` for a unit without ratings (未排名).
    pub rank: Option<u32>,
    /// The corrected score in 0..=1; `None` for a unit without ratings.
    pub score: Option<f64>,
    /// The number of ratings the rank rests on (样本量).
    pub sample_size: u64,
    pub successes: u64,
    /// successes / sample_size; `None` for a unit without ratings.
    pub raw_rate: Option<f64>,
}

impl RankedUnit {
    /// `第 1 名 · 校正得分 94.81% · 原始 96.15%（25/26）· 样本 26 条`.
    pub fn summary_zh(&self) -> String {
        match (self.rank, self.score, self.raw_rate) {
            (Some(rank), Some(score), Some(raw)) => format!(
                "第 {rank} 名 · 校正得分 {:.2}% · 原始 {:.2}%（{}/{}）· 样本 {} 条",
                score * 100.0,
                raw * 100.0,
                self.successes,
                self.sample_size,
                self.sample_size
            ),
            _ => format!("未排名 · 无有效评价（样本 {} 条）", self.sample_size),
        }
    }
}

/// The Wilson score interval's lower bound for `successes` of `trials`; `None` without trials.
pub fn wilson_lower_bound(successes: u64, trials: u64, z: f64) -> Option<f64> {
    if trials == 0 {
        return None;
    }
    let z = if z.is_finite() && z >= 0.0 { z } else { DEFAULT_WILSON_Z };
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let margin = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - margin) / (1.0 + z2 / n)).clamp(0.0, 1.0))
}

/// The beta-binomial posterior mean `(s + k·m) / (n + k)`; `None` when `n + k` is zero.
pub fn beta_binomial_mean(successes: u64, trials: u64, prior_mean: f64, prior_strength: f64) -> Option<f64> {
    let k = if prior_strength.is_finite() && prior_strength > 0.0 { prior_strength } else { 0.0 };
    let m = if prior_mean.is_finite() { prior_mean.clamp(0.0, 1.0) } else { 0.5 };
    let denominator = trials as f64 + k;
    if denominator <= 0.0 {
        return None;
    }
    Some((successes.min(trials) as f64 + k * m) / denominator)
}

/// Ranks with the default beta-binomial correction (prior strength 10, pooled prior mean).
pub fn rank(units: &[UnitScore]) -> Vec<RankedUnit> {
    rank_with(units, &RankingParams::default())
}

/// Ranks with the given correction; see the module doc for the order and ties.
pub fn rank_with(units: &[UnitScore], params: &RankingParams) -> Vec<RankedUnit> {
    let pooled_successes: u64 = units.iter().map(|u| u.clamped_successes()).sum();
    let pooled_trials: u64 = units.iter().map(|u| u.trials).sum();
    let prior_mean = if pooled_trials == 0 { 0.5 } else { pooled_successes as f64 / pooled_trials as f64 };

    let mut rows: Vec<RankedUnit> = units
        .iter()
        .map(|u| {
            let s = u.clamped_successes();
            let n = u.trials;
            let score = if n == 0 {
                None
            } else {
                match params.method {
                    ScoreMethod::BetaBinomial { prior_strength } => {
                        beta_binomial_mean(s, n, prior_mean, prior_strength)
                    }
                    ScoreMethod::WilsonLowerBound { z } => wilson_lower_bound(s, n, z),
                }
            };
            RankedUnit {
                unit_id: u.unit_id,
                rank: None,
                score,
                sample_size: n,
                successes: s,
                raw_rate: if n == 0 { None } else { Some(s as f64 / n as f64) },
            }
        })
        .collect();

    rows.sort_by(order);
    let mut previous: Option<(f64, u64, u32)> = None;
    for (i, row) in rows.iter_mut().enumerate() {
        let Some(score) = row.score else { continue };
        let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let rank = match previous {
            Some((s, n, r)) if s.total_cmp(&score) == Ordering::Equal && n == row.sample_size => r,
            _ => position,
        };
        row.rank = Some(rank);
        previous = Some((score, row.sample_size, rank));
    }
    rows
}

/// Ranked rows first (score desc, sample size desc, id asc), then unranked rows by id.
fn order(a: &RankedUnit, b: &RankedUnit) -> Ordering {
    match (a.score, b.score) {
        (Some(x), Some(y)) => {
            y.total_cmp(&x).then_with(|| b.sample_size.cmp(&a.sample_size)).then_with(|| a.unit_id.cmp(&b.unit_id))
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.unit_id.cmp(&b.unit_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(unit_id: i64, successes: u64, trials: u64) -> UnitScore {
        UnitScore { unit_id, successes, trials }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-4)
    }

    /// Five windows with 40–60 ratings each and one window with three perfect ratings.
    fn table() -> Vec<UnitScore> {
        vec![u(1, 57, 60), u(2, 45, 50), u(3, 38, 40), u(4, 40, 48), u(5, 50, 55), u(6, 3, 3)]
    }

    #[test]
    fn a_three_rating_perfect_window_neither_tops_nor_sinks() {
        let ranked = rank(&table());
        let small = ranked.iter().find(|r| r.unit_id == 6);
        let rank6 = small.and_then(|r| r.rank);
        assert!(rank6.is_some_and(|r| r > 1 && r < 6), "{ranked:?}");
        // The raw rate would have put it first.
        assert_eq!(small.and_then(|r| r.raw_rate), Some(1.0));
        assert_eq!(small.map(|r| r.sample_size), Some(3));
        // Hand computation: pooled m = 233/256 = 0.910156; window 6: (3 + 9.10156)/13 = 0.930889;
        // window 1 (57/60 = 0.95): (57 + 9.10156)/70 = 0.944308; window 4 (40/48): (40 + 9.10156)/58 = 0.846579.
        assert!(close(small.and_then(|r| r.score), 0.930889));
        assert_eq!(ranked.first().map(|r| r.unit_id), Some(1));
        assert!(close(ranked.first().and_then(|r| r.score), 0.944308));
        assert_eq!(ranked.last().map(|r| r.unit_id), Some(4));
        assert!(close(ranked.last().and_then(|r| r.score), 0.846579));
        // Ranks are 1..=6 in order.
        let ranks: Vec<_> = ranked.iter().map(|r| r.rank).collect();
        assert_eq!(ranks, (1..=6).map(Some).collect::<Vec<_>>());
    }

    #[test]
    fn a_three_rating_bad_window_does_not_sink_below_a_large_poor_one() {
        // One bad review of three (raw 66.7 %) against a large window at 75 %.
        let ranked = rank(&[u(1, 90, 100), u(2, 75, 100), u(3, 2, 3)]);
        let order: Vec<_> = ranked.iter().map(|r| r.unit_id).collect();
        assert_eq!(order, vec![1, 3, 2]);
    }

    #[test]
    fn wilson_lower_bound_never_lets_a_small_sample_top_the_table() {
        let params = RankingParams { method: ScoreMethod::WilsonLowerBound { z: DEFAULT_WILSON_Z } };
        let ranked = rank_with(&table(), &params);
        assert_ne!(ranked.first().map(|r| r.unit_id), Some(6));
        // Hand computation: n = 3, p = 1, z = 1.96: 1 / (1 + 3.8416/3) = 0.438494.
        assert!(close(wilson_lower_bound(3, 3, 1.96), 0.438494));
        // n = 60, s = 57: p = 0.95 → 0.862993.
        assert!(close(wilson_lower_bound(57, 60, 1.96), 0.862993));
        assert_eq!(wilson_lower_bound(0, 0, 1.96), None);
        assert!(close(wilson_lower_bound(3, 3, f64::NAN), 0.438494));
    }

    #[test]
    fn ties_share_a_rank_and_break_deterministically() {
        let ranked = rank(&[u(9, 10, 10), u(3, 10, 10), u(5, 20, 20), u(7, 0, 0)]);
        let rows: Vec<_> = ranked.iter().map(|r| (r.unit_id, r.rank)).collect();
        // Pooled m = 1: every score is 1.0; the larger sample goes first, equal ones share rank 2,
        // ordered by id; the unit without ratings is not ranked.
        assert_eq!(rows, vec![(5, Some(1)), (3, Some(2)), (9, Some(2)), (7, None)]);
        assert_eq!(ranked.last().map(|r| r.summary_zh()), Some("未排名 · 无有效评价（样本 0 条）".to_owned()));
        // The same input in another order gives the same table.
        let again = rank(&[u(7, 0, 0), u(5, 20, 20), u(9, 10, 10), u(3, 10, 10)]);
        assert_eq!(again, ranked);
    }

    #[test]
    fn odd_inputs_do_not_panic_or_produce_nan() {
        assert!(rank(&[]).is_empty());
        let ranked = rank_with(
            &[u(1, 5, 3), u(2, 0, 4)],
            &RankingParams { method: ScoreMethod::BetaBinomial { prior_strength: f64::INFINITY } },
        );
        // Successes above trials are clamped; an infinite strength is read as 0 (the raw rate).
        assert_eq!(ranked.iter().map(|r| r.score).collect::<Vec<_>>(), vec![Some(1.0), Some(0.0)]);
        assert!(ranked.iter().all(|r| r.score.is_some_and(|s| !s.is_nan())));
        assert_eq!(beta_binomial_mean(0, 0, 0.5, 0.0), None);
        assert!(ranked.first().map(|r| r.summary_zh()).is_some_and(|s| s.starts_with("第 1 名 · 校正得分 100.00%")));
    }
}
