//! One federated round as the coordinator runs it, and as an auditor recomputes it: the
//! round's updates (each participant's trained parameters minus the global ones) are clipped
//! to their median norm, weighted against Sybil copies, aggregated by the task's rule and
//! applied by the server optimizer; then each participant is scored on the validation set.

use crate::aggregate::{self, AggregateError, Rule};
use crate::contribution::{cosine, reward_weight, round_score, sybil_weights, SYBIL_COSINE};
use crate::data::Dataset;
use crate::model::{Model, ModelError};
use crate::optimizer::{OptimizerError, ServerOptimizer};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    #[error(transparent)]
    Aggregate(#[from] AggregateError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Optimizer(#[from] OptimizerError),
}

/// What a round did, per participant in the order the updates were given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundOutcome {
    pub clip_norm: f64,
    pub loss_before: f64,
    pub loss_after: f64,
    pub accuracy_after: f64,
    /// Weight in the aggregate (1/k for a cluster of k copies).
    pub weights: Vec<f64>,
    /// Cosine of each clipped update with the aggregate.
    pub agreement: Vec<f64>,
    /// Validation loss of the global model with only that update applied.
    pub loss_with: Vec<f64>,
    /// This round's raw scores.
    pub scores: Vec<f64>,
}

/// Runs one round on `global` (updated in place) and scores it on `validation`; `model` is
/// scratch space of the task's architecture.
pub fn run_round(
    model: &Model,
    validation: &Dataset,
    global: &mut [f32],
    updates: &[Vec<f32>],
    rule: Rule,
    optimizer: &mut ServerOptimizer,
) -> Result<RoundOutcome, RoundError> {
    let mut clipped = updates.to_vec();
    let clip_norm = aggregate::clip_to_median_norm(&mut clipped)?;
    let weights = sybil_weights(&clipped, SYBIL_COSINE);
    let combined = aggregate::aggregate(rule, &clipped, &weights)?;
    model.set_params(global)?;
    let (loss_before, _) = model.evaluate(validation)?;
    let mut agreement = Vec::with_capacity(updates.len());
    let mut loss_with = Vec::with_capacity(updates.len());
    let mut scores = Vec::with_capacity(updates.len());
    for (u, w) in clipped.iter().zip(&weights) {
        let applied: Vec<f32> = global.iter().zip(u).map(|(g, d)| g + d).collect();
        model.set_params(&applied)?;
        let (loss, _) = model.evaluate(validation)?;
        let cos = cosine(u, &combined);
        scores.push(round_score(loss_before, loss, cos, reward_weight(*w)));
        agreement.push(cos);
        loss_with.push(loss);
    }
    optimizer.step(global, &combined)?;
    model.set_params(global)?;
    let (loss_after, accuracy_after) = model.evaluate(validation)?;
    Ok(RoundOutcome {
        clip_norm,
        loss_before,
        loss_after,
        accuracy_after,
        weights,
        agreement,
        loss_with,
        scores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contribution::smooth;
    use crate::model::{Architecture, TrainConfig};

    /// What each simulated participant does.
    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Role {
        Honest,
        /// Sends its honest update negated and scaled up.
        SignFlip,
        /// Sends a copy of the first Sybil's update.
        Sybil,
    }

    const ROLES: [Role; 8] = [
        Role::Honest,
        Role::Honest,
        Role::Honest,
        Role::Honest,
        Role::SignFlip,
        Role::SignFlip,
        Role::Sybil,
        Role::Sybil,
    ];

    /// Runs `rounds` rounds over the non-IID digits; returns the final held-out accuracy and
    /// each participant's smoothed score.
    fn simulate(rule: Rule, rounds: usize) -> (f64, Vec<f64>) {
        let (train, test) = Dataset::digits().split_every(5);
        let (validation, held_out) = test.split_every(2);
        let parts: Vec<Dataset> = train
            .non_iid_partition(ROLES.len())
            .iter()
            .map(|p| train.subset(p))
            .collect();
        let arch = Architecture::Mlp { hidden: 32 };
        let scratch = Model::new(arch, 64, 10, 1).unwrap();
        let local = Model::new(arch, 64, 10, 1).unwrap();
        let mut global = scratch.params().unwrap();
        let mut optimizer = ServerOptimizer::plain();
        let config = TrainConfig {
            epochs: 2,
            batch: 16,
            lr: 0.1,
        };
        let mut smoothed = vec![0.0; ROLES.len()];
        for _ in 0..rounds {
            let mut updates: Vec<Vec<f32>> = Vec::new();
            for (i, role) in ROLES.iter().enumerate() {
                let update = match role {
                    Role::Sybil if i > 6 => {
                        let copy: Vec<f32> = updates[6].clone();
                        copy
                    }
                    _ => {
                        local.set_params(&global).unwrap();
                        local.train(&parts[i], &config).unwrap();
                        let trained = local.params().unwrap();
                        let delta: Vec<f32> =
                            trained.iter().zip(&global).map(|(t, g)| t - g).collect();
                        if *role == Role::SignFlip {
                            delta.iter().map(|d| -4.0 * d).collect()
                        } else {
                            delta
                        }
                    }
                };
                updates.push(update);
            }
            let outcome = run_round(
                &scratch,
                &validation,
                &mut global,
                &updates,
                rule,
                &mut optimizer,
            )
            .unwrap();
            for (s, r) in smoothed.iter_mut().zip(&outcome.scores) {
                *s = smooth(*s, *r);
            }
        }
        scratch.set_params(&global).unwrap();
        let (_, accuracy) = scratch.evaluate(&held_out).unwrap();
        (accuracy, smoothed)
    }

    #[test]
    fn robust_rounds_learn_the_digits_and_pay_only_honest_work() {
        let (robust, scores) = simulate(Rule::default(), 30);
        let (plain, _) = simulate(Rule::FedAvg, 30);
        eprintln!("held-out accuracy: robust {robust:.3}, FedAvg {plain:.3}; scores {scores:?}");
        assert!(robust >= 0.9, "robust aggregation reached {robust}");
        assert!(plain < robust - 0.1, "FedAvg {plain} vs robust {robust}");
        let honest: Vec<f64> = (0..4).map(|i| scores[i]).collect();
        let mean = honest.iter().sum::<f64>() / honest.len() as f64;
        assert!(mean > 0.0, "{scores:?}");
        for i in 4..8 {
            assert!(
                scores[i] <= 0.1 * mean,
                "participant {i} ({:?}): {scores:?}",
                ROLES[i]
            );
        }
    }
}
