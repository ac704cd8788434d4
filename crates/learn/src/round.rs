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
