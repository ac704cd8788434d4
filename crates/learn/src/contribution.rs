//! Contribution scores: what each participant's update was worth to the round.
//!
//! A participant's raw score is the drop in validation loss that its own update gives when
//! applied to the round's global model, counted only when the update agrees in direction with
//! the round's aggregate (cosine at least [`AGREEMENT_GATE`]); a poisoned update that lowers
//! the loss by pulling against the consensus earns nothing. Near-identical updates (cosine at
//! least [`SYBIL_COSINE`]) form a cluster: in the aggregate its members share one
//! participant's weight, so copies move the model no more than the update alone, and they earn
//! nothing, since participants who train on their own data never send updates that similar
//! (updates are committed before any is revealed, so nobody can copy another's within a
//! round). Scores are smoothed across rounds with an exponential moving average.

/// Least cosine agreement with the aggregate for an update to earn anything. Not 0: an update
/// of random noise agrees with the aggregate by about its own share in it (0.04 to 0.16 over a
/// devnet's 30 rounds with 8 participants), and would otherwise earn whenever the noise
/// happened to lower the loss; honest updates on label-skewed data agreed at 0.36 or more.
pub const AGREEMENT_GATE: f64 = 0.2;
/// Updates this similar are treated as copies of one another.
pub const SYBIL_COSINE: f64 = 0.999;
/// Weight of the past in the smoothed score.
pub const SMOOTHING: f64 = 0.5;
/// Units of score per unit of validation-loss improvement, in the integer scores on chain.
pub const SCORE_SCALE: f64 = 1e12;

/// Cosine of the angle between two vectors, in f64 and index order; 0 when either is zero.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

/// Each update's weight after Sybil down-weighting: updates linked by cosine ≥ `threshold`
/// (transitively) form a cluster, and each member of a cluster of k gets 1/k.
pub fn sybil_weights(updates: &[Vec<f32>], threshold: f64) -> Vec<f64> {
    let n = updates.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            if cosine(&updates[i], &updates[j]) >= threshold {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                // The lower index is the root, so the result does not depend on visit order.
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let roots: Vec<usize> = (0..n).map(|i| root(&mut parent, i)).collect();
    roots
        .iter()
        .map(|r| 1.0 / roots.iter().filter(|s| *s == r).count() as f64)
        .collect()
}

/// The reward weight that goes with an aggregation weight from [`sybil_weights`]: 1 for an
/// update of its own, 0 for one of a cluster of copies.
pub fn reward_weight(aggregation_weight: f64) -> f64 {
    if aggregation_weight >= 1.0 {
        1.0
    } else {
        0.0
    }
}

/// One round's raw score of one update: the validation loss drop it gives, if it agrees with
/// the aggregate, times its Sybil weight.
pub fn round_score(loss_before: f64, loss_with_update: f64, agreement: f64, weight: f64) -> f64 {
    if !(loss_before.is_finite() && loss_with_update.is_finite()) || agreement < AGREEMENT_GATE {
        return 0.0;
    }
    (loss_before - loss_with_update).max(0.0) * weight
}

/// The smoothed score after a round: `SMOOTHING` of the previous one plus the rest of this
/// round's.
pub fn smooth(previous: f64, this_round: f64) -> f64 {
    SMOOTHING * previous + (1.0 - SMOOTHING) * this_round
}

/// A round's raw score (see [`round_score`]) in the integer units that go
/// on chain: `round(raw × SCORE_SCALE)`, 0 for anything not a positive number.
pub fn score_units(raw: f64) -> u64 {
    if raw.is_finite() && raw > 0.0 {
        (raw * SCORE_SCALE).round().min(u64::MAX as f64) as u64
    } else {
        0
    }
}

/// A participant's smoothed score after a round, in integers: `(previous + this round) / 2`,
/// rounded down. A participant that sent nothing adds 0 units.
pub fn smoothed_units(previous: u64, this_round: u64) -> u64 {
    ((previous as u128 + this_round as u128) / 2) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_share_one_weight_and_distinct_updates_keep_theirs() {
        let a = vec![1.0, 0.0, 0.5];
        let b = vec![0.0, 1.0, 0.2];
        let copies = vec![
            a.clone(),
            b.clone(),
            a.clone(),
            a.iter().map(|x| x * 1.0001).collect(),
        ];
        let w = sybil_weights(&copies, SYBIL_COSINE);
        assert_eq!(w, vec![1.0 / 3.0, 1.0, 1.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(sybil_weights(&[a, b], SYBIL_COSINE), vec![1.0, 1.0]);
    }

    #[test]
    fn a_disagreeing_or_harmful_update_scores_nothing() {
        assert_eq!(round_score(1.0, 0.8, 0.9, 1.0), 1.0 - 0.8);
        assert_eq!(round_score(1.0, 0.8, -0.5, 1.0), 0.0);
        assert_eq!(round_score(1.0, 1.3, 0.9, 1.0), 0.0);
        assert_eq!(round_score(1.0, f64::NAN, 0.9, 1.0), 0.0);
        assert_eq!(round_score(1.0, 0.8, 0.9, 0.5), 0.5 * (1.0 - 0.8));
        assert_eq!(smooth(1.0, 0.0), 0.5);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 0.0]), 0.0);
        assert!((cosine(&[1.0, 1.0], &[-1.0, -1.0]) + 1.0).abs() < 1e-12);
    }
}
