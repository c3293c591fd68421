//! A small, self-contained random number generator (xoshiro256** seeded through SplitMix64).
//!
//! Owning the algorithm keeps the output identical across dependency upgrades and platforms: the
//! same seed must give the same jurisdiction in every release. Draws use only integer and exactly
//! rounded floating-point arithmetic (no `ln`, `exp` or `powf`, whose results differ by platform). Every stream is derived from the profile's
//! seed and a few labels (what is drawn, which day, which row), so any part of the data can be
//! regenerated on its own.

/// One step of SplitMix64: a good 64-bit mixer.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes a seed with labels into one 64-bit value.
pub(crate) fn mix(seed: u64, labels: &[u64]) -> u64 {
    let mut state = seed;
    let mut out = splitmix64(&mut state);
    for label in labels {
        state ^= out.rotate_left(17) ^ label.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        out = splitmix64(&mut state);
    }
    out
}

/// Stream labels, so that different purposes never share a stream.
pub(crate) mod stream {
    pub const ORG: u64 = 1;
    pub const RATING_DAY: u64 = 2;
    pub const IDENTITY: u64 = 3;
    pub const CASE_DAY: u64 = 4;
    pub const CASE_LIFE: u64 = 5;
    pub const BURST: u64 = 6;
}

#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for `seed` and `labels`.
    pub fn new(seed: u64, labels: &[u64]) -> Rng {
        let mut state = mix(seed, labels);
        let s = [splitmix64(&mut state), splitmix64(&mut state), splitmix64(&mut state), splitmix64(&mut state)];
        Rng { s }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform value in `0..n` (0 when `n` is 0), by Lemire's multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform index into a slice of length `n`.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// A uniform value in `lo..=hi` (`lo` when `hi < lo`).
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(u64::from(hi - lo) + 1) as u32
    }

    /// A uniform value in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A value between `lo` and `hi`, many near `lo` and few near `hi` (the cube of a uniform
    /// draw: the median lies an eighth of the way up). Only exactly rounded arithmetic, so the
    /// result is the same on every platform, unlike `ln`/`exp`.
    pub fn skewed(&mut self, lo: f64, hi: f64) -> f64 {
        let u = self.unit();
        lo + (hi - lo).max(0.0) * u * u * u
    }

    /// One element of a non-empty slice; `None` for an empty one.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.index(items.len()))
        }
    }
}

/// A table for drawing indices in proportion to weights.
#[derive(Debug, Clone, Default)]
pub(crate) struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    /// Negative and non-finite weights count as zero.
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Weighted {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                if w.is_finite() && w > 0.0 {
                    total += w;
                }
                total
            })
            .collect();
        Weighted { cumulative }
    }

    pub fn total(&self) -> f64 {
        self.cumulative.last().copied().unwrap_or(0.0)
    }

    /// An index drawn in proportion to its weight; `None` when every weight is zero.
    pub fn draw(&self, rng: &mut Rng) -> Option<usize> {
        let total = self.total();
        if total <= 0.0 {
            return None;
        }
        let x = rng.unit() * total;
        let i = self.cumulative.partition_point(|c| *c <= x);
        // `x < total`, so `i` is in range; the bound only guards against rounding.
        Some(i.min(self.cumulative.len() - 1))
    }
}

/// Splits `total` into integer parts proportional to `weights` (largest remainder), so the parts
/// add up to `total` exactly.
pub(crate) fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let clean: Vec<f64> = weights.iter().map(|w| if w.is_finite() && *w > 0.0 { *w } else { 0.0 }).collect();
    let sum: f64 = clean.iter().sum();
    if sum <= 0.0 || total == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = clean.iter().map(|w| w / sum * total as f64).collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let assigned: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..exact.len()).filter(|i| clean[*i] > 0.0).collect();
    // Largest fractional part first; the index breaks ties so the result is deterministic.
    order.sort_by(|a, b| {
        let fa = exact[*a] - exact[*a].floor();
        let fb = exact[*b] - exact[*b].floor();
        fb.total_cmp(&fa).then(a.cmp(b))
    });
    let mut left = total.saturating_sub(assigned);
    let mut k = 0;
    while left > 0 && !order.is_empty() {
        parts[order[k % order.len()]] += 1;
        left -= 1;
        k += 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7, &[1, 2]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7, &[1, 2]).next_u64(), Rng::new(7, &[1, 3]).next_u64());
        assert_ne!(Rng::new(7, &[1, 2]).next_u64(), Rng::new(8, &[1, 2]).next_u64());
    }

    #[test]
    fn draws_stay_in_range() {
        let mut r = Rng::new(1, &[]);
        for _ in 0..10_000 {
            assert!(r.below(7) < 7);
            let x = r.between(3, 5);
            assert!((3..=5).contains(&x));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            let l = r.skewed(2.0, 50.0);
            assert!((2.0..=50.0 + 1e-9).contains(&l));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.pick::<u8>(&[]), None);
    }

    #[test]
    fn weighted_draws_follow_the_weights() {
        let w = Weighted::new([1.0, 0.0, 3.0]);
        let mut r = Rng::new(2, &[]);
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            if let Some(i) = w.draw(&mut r) {
                counts[i] += 1;
            }
        }
        assert_eq!(counts[1], 0);
        let share = f64::from(counts[2]) / 40_000.0;
        assert!((share - 0.75).abs() < 0.02, "{share}");
        assert_eq!(Weighted::new([0.0, -1.0]).draw(&mut r), None);
    }

    #[test]
    fn apportion_adds_up_exactly() {
        let parts = apportion(1_000, &[1.0, 2.0, 3.0, 0.0, f64::NAN]);
        assert_eq!(parts.iter().sum::<u64>(), 1_000);
        assert_eq!(parts[3], 0);
        assert_eq!(parts[4], 0);
        assert_eq!(apportion(10, &[0.0, 0.0]), vec![0, 0]);
        assert_eq!(apportion(7, &[1.0, 1.0, 1.0]).iter().sum::<u64>(), 7);
    }
}
