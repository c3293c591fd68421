//! Order statistics over repeated measurements.

use serde::Serialize;

/// The summary of one figure's samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub p95: f64,
    pub p99: f64,
    pub min: f64,
    pub max: f64,
}

/// The `q`-quantile (0 ≤ q ≤ 1) of sorted samples, by the nearest-rank method (always one of the
/// samples, so a p95 over 20 trials is the 19th).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let q = q.clamp(0.0, 1.0);
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The median (the mean of the two middle samples for an even count).
pub fn median_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

pub fn summarize(samples: &[f64]) -> Option<Summary> {
    let mut s: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    Some(Summary {
        n: s.len(),
        median: median_sorted(&s)?,
        p95: quantile_sorted(&s, 0.95)?,
        p99: quantile_sorted(&s, 0.99)?,
        min: *s.first()?,
        max: *s.last()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median_sorted(&[1.0, 2.0, 9.0]), Some(2.0));
        assert_eq!(median_sorted(&[1.0, 2.0, 4.0, 9.0]), Some(3.0));
        assert_eq!(median_sorted(&[]), None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let s: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(quantile_sorted(&s, 0.95), Some(19.0));
        assert_eq!(quantile_sorted(&s, 0.5), Some(10.0));
        assert_eq!(quantile_sorted(&s, 1.0), Some(20.0));
        assert_eq!(quantile_sorted(&s, 0.0), Some(1.0));
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_sorted(&hundred, 0.99), Some(99.0));
    }

    #[test]
    fn summary_sorts_and_drops_non_finite() {
        let s = summarize(&[5.0, f64::NAN, 1.0, 3.0]).expect("summary");
        assert_eq!((s.n, s.median, s.min, s.max), (3, 3.0, 1.0, 5.0));
        assert!(summarize(&[]).is_none());
    }
}
