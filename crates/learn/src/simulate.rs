//! A federated task run in one process: participants each on their own data (label-skewed
//! parts of the digits by default, or any [`FederatedData`], such as the sensor simulator's
//! stations' readings), some of them misbehaving, each round trained locally and coordinated
//! by [`run_round`], and scored in the integer units a task's rounds put on chain. The tests
//! use it to check what robust aggregation buys, `plexus bench learn` to time rounds, and
//! `plexus learn sensors` to train a forecaster on sensor readings.

use crate::aggregate::Rule;
use crate::contribution::{score_units, smooth, smoothed_units};
use crate::data::{shuffled_order, Dataset};
use crate::model::{Architecture, Model, Objective, TrainConfig};
use crate::optimizer::ServerOptimizer;
use crate::round::{run_round, RoundError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What a simulated participant does each round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Honest,
    /// Sends its honest update negated and scaled by 4.
    SignFlip,
    /// Sends whatever the first Sybil before it sent (the first Sybil trains honestly).
    Sybil,
    /// Trains on its own examples with their labels (or targets) shuffled among them, as
    /// though it had made its data up: a data poisoner.
    Shuffled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    pub roles: Vec<Role>,
    pub rounds: usize,
    pub rule: Rule,
    pub arch: Architecture,
    pub train: TrainConfig,
    pub seed: u64,
}

impl Simulation {
    /// Honest participants only, plain FedAvg: the setting a Flower comparison uses.
    pub fn honest(participants: usize, rounds: usize) -> Simulation {
        Simulation {
            roles: vec![Role::Honest; participants],
            rounds,
            rule: Rule::FedAvg,
            arch: Architecture::Mlp { hidden: 32 },
            train: TrainConfig {
                epochs: 2,
                batch: 16,
                lr: 0.1,
            },
            seed: 1,
        }
    }
}

/// What a simulation measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationReport {
    /// Held-out accuracy of the global model after each round.
    pub accuracy: Vec<f64>,
    /// Wall-clock seconds of each round: local training of every participant plus
    /// coordination and scoring.
    pub round_secs: Vec<f64>,
    /// Of each round's seconds, those the coordinator spent: aggregation and scoring.
    pub coordinate_secs: Vec<f64>,
    /// Each participant's smoothed score after the last round.
    pub scores: Vec<f64>,
    /// Held-out loss of the global model after each round (mean squared error for a
    /// regression task).
    pub held_out_loss: Vec<f64>,
    /// Each round's smoothed scores in the integer units a round puts on chain
    /// ([`crate::contribution::smoothed_units`]), one per participant: what the round's pot is split by.
    pub units: Vec<Vec<u64>>,
}

/// What a simulated task trains on: each participant's own examples, the coordinator's
/// validation set (what updates are scored on), and a held-out set the report measures.
#[derive(Debug, Clone, PartialEq)]
pub struct FederatedData {
    pub parts: Vec<Dataset>,
    pub validation: Dataset,
    pub held_out: Dataset,
}

/// The digits split the simulations use: 4/5 for training (partitioned over participants),
/// then the rest halved into the coordinator's validation set and a held-out test set.
pub fn digits_split(participants: usize) -> (Vec<Dataset>, Dataset, Dataset) {
    let (train, test) = Dataset::digits().split_every(5);
    let (validation, held_out) = test.split_every(2);
    let parts = train
        .non_iid_partition(participants)
        .iter()
        .map(|p| train.subset(p))
        .collect();
    (parts, validation, held_out)
}

/// Runs `sim` on the digits, split over its participants by [`digits_split`].
pub fn run(sim: &Simulation) -> Result<SimulationReport, RoundError> {
    let (parts, validation, held_out) = digits_split(sim.roles.len());
    run_on(
        sim,
        &FederatedData {
            parts,
            validation,
            held_out,
        },
    )
}

/// A participant's examples with their labels or targets shuffled among them, the shuffle
/// drawn from `seed`.
fn shuffled(data: &Dataset, seed: u64) -> Dataset {
    let mut out = data.clone();
    let relabelled = data.subset(&shuffled_order(data.len(), seed));
    (out.labels, out.targets) = (relabelled.labels, relabelled.targets);
    out
}

/// Runs `sim` on `data`: participant i trains on `data.parts[i]`. The model takes the data's
/// features and objective: a regression model when the validation set has targets, else a
/// classifier of its classes. Panics unless `data` has one part per participant.
pub fn run_on(sim: &Simulation, data: &FederatedData) -> Result<SimulationReport, RoundError> {
    assert_eq!(
        data.parts.len(),
        sim.roles.len(),
        "one data part per participant"
    );
    let FederatedData {
        validation,
        held_out,
        ..
    } = data;
    let parts: Vec<Dataset> = (data.parts.iter().zip(&sim.roles).enumerate())
        .map(|(i, (part, role))| match role {
            Role::Shuffled => shuffled(part, sim.seed ^ i as u64),
            _ => part.clone(),
        })
        .collect();
    let (objective, outputs) = if validation.is_regression() {
        (Objective::Regression, 1)
    } else {
        (Objective::Classification, validation.classes)
    };
    let new_model =
        || Model::with_objective(sim.arch, validation.dim, outputs, objective, sim.seed);
    let scratch = new_model()?;
    // Each participant trains on its own machine: here, each on its own model, side by side
    // on the cores there are.
    let locals = (0..sim.roles.len())
        .map(|_| new_model())
        .collect::<Result<Vec<_>, _>>()?;
    let mut global = scratch.params()?;
    let mut optimizer = ServerOptimizer::plain();
    let mut report = SimulationReport {
        accuracy: Vec::with_capacity(sim.rounds),
        round_secs: Vec::with_capacity(sim.rounds),
        coordinate_secs: Vec::with_capacity(sim.rounds),
        scores: vec![0.0; sim.roles.len()],
        held_out_loss: Vec::with_capacity(sim.rounds),
        units: Vec::with_capacity(sim.rounds),
    };
    let mut units = vec![0u64; sim.roles.len()];
    for _ in 0..sim.rounds {
        let started = Instant::now();
        let first_sybil = sim.roles.iter().position(|r| *r == Role::Sybil);
        let trained: Vec<Option<Vec<f32>>> = sim
            .roles
            .par_iter()
            .enumerate()
            .zip(&locals)
            .map(|((i, role), local)| {
                if *role == Role::Sybil && first_sybil.is_some_and(|f| f < i) {
                    return Ok(None);
                }
                local.set_params(&global)?;
                local.train(&parts[i], &sim.train)?;
                let trained = local.params()?;
                let delta = trained.iter().zip(&global).map(|(t, g)| t - g);
                Ok(Some(if *role == Role::SignFlip {
                    delta.map(|d| -4.0 * d).collect()
                } else {
                    delta.collect()
                }))
            })
            .collect::<Result<_, crate::model::ModelError>>()?;
        let mut updates: Vec<Vec<f32>> = Vec::with_capacity(sim.roles.len());
        for (i, t) in trained.into_iter().enumerate() {
            // A later Sybil sends a copy of the first Sybil's update.
            updates.push(match t {
                Some(u) => u,
                None => updates[first_sybil.unwrap_or(i)].clone(),
            });
        }
        let coordinating = Instant::now();
        let outcome = run_round(
            &scratch,
            validation,
            &mut global,
            &updates,
            sim.rule,
            &mut optimizer,
        )?;
        report.round_secs.push(started.elapsed().as_secs_f64());
        report
            .coordinate_secs
            .push(coordinating.elapsed().as_secs_f64());
        for (s, r) in report.scores.iter_mut().zip(&outcome.scores) {
            *s = smooth(*s, *r);
        }
        for (u, r) in units.iter_mut().zip(&outcome.scores) {
            *u = smoothed_units(*u, score_units(*r));
        }
        report.units.push(units.clone());
        scratch.set_params(&global)?;
        let (loss, accuracy) = scratch.evaluate(held_out)?;
        report.accuracy.push(accuracy);
        report.held_out_loss.push(loss);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robust_rounds_learn_the_digits_and_pay_only_honest_work() {
        let roles = vec![
            Role::Honest,
            Role::Honest,
            Role::Honest,
            Role::Honest,
            Role::SignFlip,
            Role::SignFlip,
            Role::Sybil,
            Role::Sybil,
        ];
        let sim = Simulation {
            roles: roles.clone(),
            rounds: 30,
            rule: Rule::default(),
            ..Simulation::honest(8, 30)
        };
        let robust = run(&sim).unwrap();
        let plain = run(&Simulation {
            rule: Rule::FedAvg,
            ..sim.clone()
        })
        .unwrap();
        let (r, p) = (
            *robust.accuracy.last().unwrap(),
            *plain.accuracy.last().unwrap(),
        );
        let scores = &robust.scores;
        eprintln!("held-out accuracy: robust {r:.3}, FedAvg {p:.3}; scores {scores:?}");
        assert!(r >= 0.9, "robust aggregation reached {r}");
        assert!(p < r - 0.1, "FedAvg {p} vs robust {r}");
        let mean = scores[..4].iter().sum::<f64>() / 4.0;
        assert!(mean > 0.0, "{scores:?}");
        for i in 4..8 {
            assert!(
                scores[i] <= 0.1 * mean,
                "participant {i} ({:?}): {scores:?}",
                roles[i]
            );
        }
    }
}
