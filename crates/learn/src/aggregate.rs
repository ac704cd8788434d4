//! Robust aggregation of flat updates.
//!
//! Preconditions, each checked (a violation is an [`AggregateError`], never a silent result):
//! every rule needs at least one update, all of one length, every value finite. Trimmed mean
//! with trim fraction β drops ⌊β·n⌋ values at each end of every coordinate and needs β in
//! [0, 0.5). Krum tolerating f faulty updates needs n ≥ 2f + 3.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AggregateError {
    #[error("no updates to aggregate")]
    Empty,
    #[error("update {index} has {got} parameters, the first has {expected}")]
    Length {
        index: usize,
        got: usize,
        expected: usize,
    },
    #[error("update {index} has a value that is not finite at position {position}")]
    NonFinite { index: usize, position: usize },
    #[error("trim fraction must be at least 0 and below 0.5, not {0}")]
    BadTrim(f64),
    #[error("{rule} tolerating {faulty} faulty updates needs at least {needed}, got {got}")]
    TooFew {
        rule: &'static str,
        faulty: usize,
        needed: usize,
        got: usize,
    },
    #[error("weights: {0}")]
    BadWeights(String),
}

/// How a round's updates become one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// Weighted mean (weights from the coordinator, never from self-reported example counts).
    FedAvg,
    /// Coordinate-wise mean after dropping the ⌊trim·n⌋ smallest and largest values.
    TrimmedMean { trim: f64 },
    /// Coordinate-wise median.
    Median,
    /// The update whose n − f − 2 nearest neighbours are closest (Blanchard et al. 2017).
    Krum { faulty: usize },
}

impl Default for Rule {
    /// Clipping plus a trimmed mean of 25% at each end: robust to a quarter of the updates
    /// pulling any one way.
    fn default() -> Rule {
        Rule::TrimmedMean { trim: 0.25 }
    }
}

/// Checks that `updates` are non-empty, of one length and finite; returns the length.
pub fn check(updates: &[Vec<f32>]) -> Result<usize, AggregateError> {
    let first = updates.first().ok_or(AggregateError::Empty)?;
    let expected = first.len();
    for (index, u) in updates.iter().enumerate() {
        if u.len() != expected {
            return Err(AggregateError::Length {
                index,
                got: u.len(),
                expected,
            });
        }
        if let Some(position) = u.iter().position(|x| !x.is_finite()) {
            return Err(AggregateError::NonFinite { index, position });
        }
    }
    Ok(expected)
}

/// Euclidean norm, summed in f64 in index order.
pub fn norm(u: &[f32]) -> f64 {
    u.iter()
        .map(|x| f64::from(*x) * f64::from(*x))
        .sum::<f64>()
        .sqrt()
}

/// The median of `values` (the lower middle one for an even count), by total order.
fn median_of(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[(values.len() - 1) / 2]
}

/// Scales every update whose norm exceeds the round's median norm down to it, keeping its
/// direction, so that no update moves the model further than a typical one. Returns the
/// clipping norm.
pub fn clip_to_median_norm(updates: &mut [Vec<f32>]) -> Result<f64, AggregateError> {
    check(updates)?;
    let mut norms: Vec<f64> = updates.iter().map(|u| norm(u)).collect();
    let bound = median_of(&mut norms.clone());
    for (u, n) in updates.iter_mut().zip(norms.iter_mut()) {
        if *n > bound && *n > 0.0 {
            let scale = bound / *n;
            for x in u.iter_mut() {
                *x = (f64::from(*x) * scale) as f32;
            }
        }
    }
    Ok(bound)
}

/// The weighted mean of `updates`; `weights` must be finite, non-negative and not all zero.
pub fn fedavg(updates: &[Vec<f32>], weights: &[f64]) -> Result<Vec<f32>, AggregateError> {
    let dim = check(updates)?;
    if weights.len() != updates.len() {
        return Err(AggregateError::BadWeights(format!(
            "{} weights for {} updates",
            weights.len(),
            updates.len()
        )));
    }
    if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
        return Err(AggregateError::BadWeights(
            "each must be finite and non-negative".into(),
        ));
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(AggregateError::BadWeights("they sum to zero".into()));
    }
    let mut sum = vec![0f64; dim];
    for (u, w) in updates.iter().zip(weights) {
        for (s, x) in sum.iter_mut().zip(u) {
            *s += w * f64::from(*x);
        }
    }
    Ok(sum.into_iter().map(|s| (s / total) as f32).collect())
}

/// Caps each weight at `cap` times the mean weight, so that no participant dominates by the
/// weight it is given (the coordinator's weights, for example Sybil-adjusted ones).
pub fn capped_weights(weights: &[f64], cap: f64) -> Vec<f64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let mean = weights.iter().sum::<f64>() / weights.len() as f64;
    weights.iter().map(|w| w.min(cap * mean)).collect()
}

/// Coordinate-wise trimmed mean: drops the ⌊trim·n⌋ smallest and largest values of every
/// coordinate and averages the rest.
pub fn trimmed_mean(updates: &[Vec<f32>], trim: f64) -> Result<Vec<f32>, AggregateError> {
    let dim = check(updates)?;
    if !(0.0..0.5).contains(&trim) {
        return Err(AggregateError::BadTrim(trim));
    }
    let n = updates.len();
    // trim < 0.5, so 2k < n: at least one value of each coordinate is kept.
    let k = (trim * n as f64).floor() as usize;
    let mut column = vec![0f32; n];
    let mut out = Vec::with_capacity(dim);
    for j in 0..dim {
        for (c, u) in column.iter_mut().zip(updates) {
            *c = u[j];
        }
        column.sort_by(f32::total_cmp);
        let kept = &column[k..n - k];
        let sum: f64 = kept.iter().map(|x| f64::from(*x)).sum();
        out.push((sum / kept.len() as f64) as f32);
    }
    Ok(out)
}

/// Coordinate-wise median (the mean of the two middle values for an even count).
pub fn median(updates: &[Vec<f32>]) -> Result<Vec<f32>, AggregateError> {
    let dim = check(updates)?;
    let n = updates.len();
    let mut column = vec![0f32; n];
    let mut out = Vec::with_capacity(dim);
    for j in 0..dim {
        for (c, u) in column.iter_mut().zip(updates) {
            *c = u[j];
        }
        column.sort_by(f32::total_cmp);
        let m = if n % 2 == 1 {
            f64::from(column[n / 2])
        } else {
            (f64::from(column[n / 2 - 1]) + f64::from(column[n / 2])) / 2.0
        };
        out.push(m as f32);
    }
    Ok(out)
}

fn squared_distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = f64::from(*x) - f64::from(*y);
            d * d
        })
        .sum()
}

/// Krum: the index of the update whose `n − faulty − 2` nearest other updates are closest in
/// squared distance (ties go to the lower index), and that update.
pub fn krum(updates: &[Vec<f32>], faulty: usize) -> Result<(usize, Vec<f32>), AggregateError> {
    check(updates)?;
    let n = updates.len();
    if n < 2 * faulty + 3 {
        return Err(AggregateError::TooFew {
            rule: "Krum",
            faulty,
            needed: 2 * faulty + 3,
            got: n,
        });
    }
    let neighbours = n - faulty - 2;
    let mut best: Option<(f64, usize)> = None;
    for i in 0..n {
        let mut d: Vec<f64> = (0..n)
            .filter(|&j| j != i)
            .map(|j| squared_distance(&updates[i], &updates[j]))
            .collect();
        d.sort_by(f64::total_cmp);
        let score: f64 = d[..neighbours].iter().sum();
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, i));
        }
    }
    let (_, i) = best.expect("n ≥ 3");
    Ok((i, updates[i].clone()))
}

/// Aggregates by `rule`; `weights` are used by FedAvg only.
pub fn aggregate(
    rule: Rule,
    updates: &[Vec<f32>],
    weights: &[f64],
) -> Result<Vec<f32>, AggregateError> {
    match rule {
        Rule::FedAvg => fedavg(updates, weights),
        Rule::TrimmedMean { trim } => trimmed_mean(updates, trim),
        Rule::Median => median(updates),
        Rule::Krum { faulty } => krum(updates, faulty).map(|(_, u)| u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `honest` updates near `centre`, then `poisoned` ones far from it in either direction.
    fn round(honest: &[Vec<f32>], poisoned: usize, magnitude: f32) -> Vec<Vec<f32>> {
        let mut all = honest.to_vec();
        for p in 0..poisoned {
            let sign = if p % 2 == 0 { 1.0 } else { -1.0 };
            all.push(vec![sign * magnitude; honest[0].len()]);
        }
        all
    }

    fn honest_updates() -> impl Strategy<Value = Vec<Vec<f32>>> {
        (3usize..12, 1usize..6).prop_flat_map(|(n, dim)| {
            proptest::collection::vec(proptest::collection::vec(-1.0f32..1.0, dim), n)
        })
    }

    fn within_honest_range(out: &[f32], honest: &[Vec<f32>]) -> bool {
        (0..out.len()).all(|j| {
            let lo = honest.iter().map(|u| u[j]).fold(f32::INFINITY, f32::min);
            let hi = honest
                .iter()
                .map(|u| u[j])
                .fold(f32::NEG_INFINITY, f32::max);
            out[j] >= lo - 1e-5 && out[j] <= hi + 1e-5
        })
    }

    proptest! {
        #[test]
        fn trimmed_mean_and_median_stay_within_the_honest_range(honest in honest_updates(), magnitude in 10.0f32..1e6) {
            // Up to a fifth poisoned, in either direction: a 20% trim removes them all.
            let poisoned = honest.len() / 4;
            let all = round(&honest, poisoned, magnitude);
            let trim = 0.2;
            prop_assume!(((trim * all.len() as f64).floor() as usize) >= poisoned);
            let t = trimmed_mean(&all, trim).unwrap();
            prop_assert!(within_honest_range(&t, &honest), "{t:?}");
            let m = median(&all).unwrap();
            prop_assert!(within_honest_range(&m, &honest), "{m:?}");
        }

        #[test]
        fn krum_picks_an_honest_update_when_its_precondition_holds(honest in honest_updates(), magnitude in 10.0f32..1e6) {
            let faulty = (honest.len() - 3) / 2;
            let faulty = faulty.min(honest.len() - 1);
            let all = round(&honest, faulty, magnitude);
            prop_assume!(all.len() >= 2 * faulty + 3);
            let (i, _) = krum(&all, faulty).unwrap();
            prop_assert!(i < honest.len(), "Krum chose poisoned update {i}");
        }

        #[test]
        fn clipping_bounds_every_norm_by_the_median_and_keeps_directions(mut updates in honest_updates(), scale in 1.0f32..1e4) {
            for x in updates[0].iter_mut() {
                *x *= scale;
            }
            let before = updates.clone();
            let bound = clip_to_median_norm(&mut updates).unwrap();
            for (u, b) in updates.iter().zip(&before) {
                prop_assert!(norm(u) <= bound * (1.0 + 1e-5) + 1e-6);
                // Same direction: the clipped update is a non-negative multiple of the original.
                let dot: f64 = u.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
                prop_assert!(dot >= -1e-9);
            }
        }
    }

    #[test]
    fn fedavg_weights_and_caps() {
        let updates = vec![vec![0.0, 2.0], vec![2.0, 4.0]];
        assert_eq!(fedavg(&updates, &[1.0, 1.0]).unwrap(), vec![1.0, 3.0]);
        assert_eq!(fedavg(&updates, &[3.0, 1.0]).unwrap(), vec![0.5, 2.5]);
        // A weight 99 times the other is capped at 1.5 times the mean.
        let capped = capped_weights(&[99.0, 1.0], 1.5);
        assert_eq!(capped, vec![75.0, 1.0]);
        assert!(matches!(
            fedavg(&updates, &[0.0, 0.0]),
            Err(AggregateError::BadWeights(_))
        ));
        assert!(matches!(
            fedavg(&updates, &[1.0]),
            Err(AggregateError::BadWeights(_))
        ));
        assert!(matches!(
            fedavg(&updates, &[f64::NAN, 1.0]),
            Err(AggregateError::BadWeights(_))
        ));
    }

    #[test]
    fn plain_fedavg_is_dragged_by_one_poisoned_update() {
        let honest = vec![vec![1.0f32; 4]; 9];
        let all = round(&honest, 1, 1000.0);
        let avg = fedavg(&all, &vec![1.0; all.len()]).unwrap();
        assert!(avg[0] > 50.0, "{avg:?}");
        let robust = aggregate(Rule::default(), &all, &[]).unwrap();
        assert_eq!(robust, vec![1.0; 4]);
    }

    #[test]
    fn every_precondition_is_checked_with_a_clear_error() {
        assert_eq!(median(&[]), Err(AggregateError::Empty));
        let ragged = vec![vec![1.0, 2.0], vec![1.0]];
        assert_eq!(
            trimmed_mean(&ragged, 0.1),
            Err(AggregateError::Length {
                index: 1,
                got: 1,
                expected: 2
            })
        );
        let nan = vec![vec![1.0, f32::NAN]];
        assert_eq!(
            median(&nan),
            Err(AggregateError::NonFinite {
                index: 0,
                position: 1
            })
        );
        let four = vec![vec![0.0]; 4];
        assert_eq!(trimmed_mean(&four, 0.5), Err(AggregateError::BadTrim(0.5)));
        assert_eq!(
            trimmed_mean(&four, -0.1),
            Err(AggregateError::BadTrim(-0.1))
        );
        let err = krum(&four, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Krum tolerating 1 faulty updates needs at least 5, got 4"
        );
        assert!(krum(&four, 0).is_ok());
    }
}
