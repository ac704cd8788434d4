//! How a federated training task's budget pays its participants, round by round, in integer
//! base units. The ledger pays each submitted round with these rules, and the in-process
//! simulations (`plexus learn sensors`) use them to say what a run would have paid.
//!
//! - T1 (`round_pot`): round `r` of `rounds` pays `budget / rounds`; the last round also pays
//!   `budget % rounds`, so the rounds together pay the whole budget.
//! - T2 (`split_by_score`): a round's pot is split by the participants' scores: participant
//!   `i` gets `floor(pot × score_i / Σ score)`; the rounding remainder, and the whole pot of a
//!   round where every score is zero, are not paid (the ledger keeps them in escrow for the
//!   sponsor's refund).

/// T1: what round `round` (1-based) of a task of `rounds` rounds with `budget` pays. `rounds` is
/// at least 1.
pub fn round_pot(budget: u128, rounds: u32, round: u32) -> u128 {
    let rounds = u128::from(rounds.max(1));
    let base = budget / rounds;
    if u128::from(round) == rounds {
        base + budget % rounds
    } else {
        base
    }
}

/// T2: each participant's share of `pot`, in the order of `scores`; `None` when `pot × score`
/// exceeds 128 bits for some score.
pub fn split_by_score(pot: u128, scores: &[u64]) -> Option<Vec<u128>> {
    let total: u128 = scores.iter().map(|s| u128::from(*s)).sum();
    scores
        .iter()
        .map(|s| {
            let product = pot.checked_mul(u128::from(*s))?;
            Some(product.checked_div(total).unwrap_or(0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rounds_pay_the_whole_budget() {
        let pots: Vec<u128> = (1..=3).map(|r| round_pot(100, 3, r)).collect();
        assert_eq!(pots, vec![33, 33, 34]);
        assert_eq!(round_pot(7, 1, 1), 7);
    }

    #[test]
    fn a_pot_splits_by_score_rounding_down() {
        assert_eq!(split_by_score(10, &[1, 1, 1]), Some(vec![3, 3, 3]));
        assert_eq!(split_by_score(10, &[3, 0, 1]), Some(vec![7, 0, 2]));
        assert_eq!(split_by_score(10, &[0, 0]), Some(vec![0, 0]));
        assert_eq!(split_by_score(u128::MAX, &[2, 1]), None);
    }
}
