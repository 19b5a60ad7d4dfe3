//! The statistics behind the reports: Welch's interval for a difference of
//! means (and, by the delta method, for the relative difference), and a
//! seeded percentile bootstrap. Quantiles come from `statrs`.

use rand::{rngs::StdRng, Rng, SeedableRng};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Two-sided confidence level of every interval in the reports.
pub const CONFIDENCE: f64 = 0.95;

/// Resamples of every bootstrap interval.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;

/// Seed of every bootstrap, so that the same rows always give the same interval.
pub const BOOTSTRAP_SEED: u64 = 0x4845_4152_5448; // "HEARTH"

/// A group's size, mean and sample variance (n − 1 in the denominator).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// People in the group.
    pub n: i64,
    /// Their mean.
    pub mean: f64,
    /// The sample variance; `None` below two people.
    pub variance: Option<f64>,
}

impl Sample {
    /// From the size, the sum and the sum of squared deviations from the
    /// mean (computed in two passes, so no cancellation).
    pub fn from_sums(n: i64, sum: f64, squared_deviations: f64) -> Self {
        Self {
            n,
            mean: if n > 0 { sum / n as f64 } else { 0.0 },
            variance: (n >= 2).then(|| (squared_deviations / (n as f64 - 1.0)).max(0.0)),
        }
    }
}

/// Welch's comparison of two means: `a − b` and `(a − b) / b` with their
/// intervals at [`CONFIDENCE`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// `a.mean − b.mean`.
    pub difference: f64,
    /// `difference / b.mean`; `None` when `b.mean` is 0.
    pub relative: Option<f64>,
    /// Welch–Satterthwaite degrees of freedom; `None` without variances or
    /// when both are 0.
    pub degrees_of_freedom: Option<f64>,
    /// Interval of the difference: `difference ± t × √(s²ₐ/nₐ + s²ᵦ/nᵦ)`.
    pub interval: Option<(f64, f64)>,
    /// Interval of the relative difference by the delta method:
    /// `relative ± t × √(s²ₐ/(nₐ·b²) + a²·s²ᵦ/(nᵦ·b⁴))` (means `a`, `b`).
    pub relative_interval: Option<(f64, f64)>,
}

/// Above this many degrees of freedom the normal quantile is used: it is
/// within 2·10⁻⁵ of Student's there, and `statrs`' t quantile loses
/// accuracy beyond (1.2·10⁻⁴ off at 10⁶).
pub const NORMAL_ABOVE_DF: f64 = 1e5;

/// The t quantile for a two-sided interval at [`CONFIDENCE`] with `df`
/// degrees of freedom.
pub fn t_quantile(df: f64) -> Option<f64> {
    let p = 1.0 - (1.0 - CONFIDENCE) / 2.0;
    if df > NORMAL_ABOVE_DF {
        return Some(z_quantile());
    }
    Some(StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(p))
}

/// The normal quantile for a two-sided interval at [`CONFIDENCE`] (1.96).
pub fn z_quantile() -> f64 {
    Normal::standard().inverse_cdf(1.0 - (1.0 - CONFIDENCE) / 2.0)
}

/// Compares the means of `a` and `b` (Welch's unequal-variance t interval).
pub fn welch(a: &Sample, b: &Sample) -> Welch {
    let difference = a.mean - b.mean;
    let relative = (b.mean != 0.0).then(|| difference / b.mean);
    let mut out = Welch {
        difference,
        relative,
        degrees_of_freedom: None,
        interval: None,
        relative_interval: None,
    };
    let (Some(va), Some(vb)) = (a.variance, b.variance) else {
        return out;
    };
    let (wa, wb) = (va / a.n as f64, vb / b.n as f64);
    let se2 = wa + wb;
    if se2 <= 0.0 {
        return out;
    }
    let df = se2 * se2 / (wa * wa / (a.n as f64 - 1.0) + wb * wb / (b.n as f64 - 1.0));
    let Some(t) = t_quantile(df) else {
        return out;
    };
    let half = t * se2.sqrt();
    out.degrees_of_freedom = Some(df);
    out.interval = Some((difference - half, difference + half));
    if let Some(r) = relative {
        let m = b.mean;
        let se = (wa / (m * m) + a.mean * a.mean * wb / (m * m * m * m)).sqrt();
        out.relative_interval = Some((r - t * se, r + t * se));
    }
    out
}

/// The percentile bootstrap interval at [`CONFIDENCE`] of `estimate` over
/// `units`: [`BOOTSTRAP_RESAMPLES`] resamples of the units with
/// replacement, seeded with [`BOOTSTRAP_SEED`]; resamples where the
/// estimate is undefined are left out. `None` without units or when fewer
/// than half the resamples give an estimate.
pub fn bootstrap<T>(units: &[T], estimate: impl Fn(&[&T]) -> Option<f64>) -> Option<(f64, f64)> {
    if units.is_empty() {
        return None;
    }
    let mut rng = StdRng::seed_from_u64(BOOTSTRAP_SEED);
    let mut draw: Vec<&T> = Vec::with_capacity(units.len());
    let mut values = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    for _ in 0..BOOTSTRAP_RESAMPLES {
        draw.clear();
        draw.extend((0..units.len()).map(|_| &units[rng.random_range(0..units.len())]));
        if let Some(v) = estimate(&draw).filter(|v| v.is_finite()) {
            values.push(v);
        }
    }
    if values.len() * 2 < BOOTSTRAP_RESAMPLES {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    Some((percentile(&values, tail), percentile(&values, 1.0 - tail)))
}

/// The `p` quantile of sorted `values`, interpolated linearly between ranks.
fn percentile(values: &[f64], p: f64) -> f64 {
    let rank = p * (values.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    values[lo] + (values[hi] - values[lo]) * (rank - lo as f64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        // Student's t tables, 0.975 one-sided.
        assert!((t_quantile(4.0).unwrap() - 2.776_445).abs() < 1e-5);
        assert!((t_quantile(30.0).unwrap() - 2.042_272).abs() < 1e-5);
        assert!((t_quantile(1000.0).unwrap() - 1.962_339).abs() < 1e-5);
        assert!((t_quantile(1e5).unwrap() - 1.959_984).abs() < 1e-5);
        assert!((t_quantile(1e7).unwrap() - 1.959_964).abs() < 1e-5);
    }

    #[test]
    fn welch_with_equal_groups_has_2n_minus_2_degrees() {
        // a = [10, 20, 30], b = [0, 10, 20]: means 20 and 10, s² = 100 each,
        // s²/n = 33.33 each; df = 66.67² / (2 × 33.33² / 2) = 4.
        let a = Sample::from_sums(3, 60.0, 200.0);
        let b = Sample::from_sums(3, 30.0, 200.0);
        let w = welch(&a, &b);
        assert!((w.degrees_of_freedom.unwrap() - 4.0).abs() < 1e-9);
        let half = 2.776_445 * (200.0_f64 / 3.0).sqrt();
        let (lo, hi) = w.interval.unwrap();
        assert!((lo - (10.0 - half)).abs() < 1e-4 && (hi - (10.0 + half)).abs() < 1e-4);
    }

    #[test]
    fn a_bootstrap_of_identical_units_is_a_point() {
        let units = [2.0, 2.0, 2.0];
        let ci = bootstrap(&units, |d| {
            Some(d.iter().copied().sum::<f64>() / d.len() as f64)
        });
        assert_eq!(ci, Some((2.0, 2.0)));
    }
}
