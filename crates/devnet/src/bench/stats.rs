//! Figures from repeated runs inside one benchmark invocation: each run measures its subject
//! next to its own baseline, and the report gives the median and the spread of both and of
//! their ratio, so that one noisy run on a small machine neither flatters nor condemns. A JSON
//! report gives each figure `k` as its median and `k_spread` (this module's `Spread`).

use serde::Serialize;

/// Runs of each measurement (and of its baseline) in one invocation, unless `--runs` says.
pub const DEFAULT_RUNS: u16 = 5;

/// The median and the spread of one figure over a benchmark's runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Every run's value, in the order they ran.
    pub runs: Vec<f64>,
}

impl Spread {
    /// The spread of `runs` (at least one value; NaN is not a measurement).
    pub fn of(runs: Vec<f64>) -> Spread {
        assert!(!runs.is_empty(), "a spread of no runs");
        let mut sorted = runs.clone();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        Spread {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            runs,
        }
    }

    /// The spread of `f` applied to each pair of runs (a ratio of a run to its own baseline).
    pub fn pairwise(a: &Spread, b: &Spread, f: impl Fn(f64, f64) -> f64) -> Spread {
        assert_eq!(a.runs.len(), b.runs.len(), "runs to pair differ in number");
        Spread::of(a.runs.iter().zip(&b.runs).map(|(x, y)| f(*x, *y)).collect())
    }

    /// `median (min–max)` with `decimals` digits after the point.
    pub fn show(&self, decimals: usize) -> String {
        format!(
            "{:.d$} ({:.d$}–{:.d$})",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

/// The cores this machine lets the benchmark use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_odd_and_even_runs_and_the_spread_around_it() {
        let s = Spread::of(vec![3.0, 1.0, 2.0, 10.0, 4.0]);
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 10.0));
        assert_eq!(s.runs, vec![3.0, 1.0, 2.0, 10.0, 4.0]);
        assert_eq!(Spread::of(vec![4.0, 1.0, 2.0, 3.0]).median, 2.5);
        assert_eq!(s.show(1), "3.0 (1.0–10.0)");
    }

    #[test]
    fn a_ratio_is_taken_run_by_run_not_of_the_medians() {
        let subject = Spread::of(vec![10.0, 30.0, 20.0]);
        let baseline = Spread::of(vec![10.0, 10.0, 40.0]);
        let ratio = Spread::pairwise(&subject, &baseline, |s, b| s / b);
        assert_eq!(ratio.runs, vec![1.0, 3.0, 0.5]);
        assert_eq!(ratio.median, 1.0);
    }
}
