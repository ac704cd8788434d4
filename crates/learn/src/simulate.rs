//! A federated task run in one process: participants on label-skewed parts of the digits,
//! some of them misbehaving, each round trained locally and coordinated by [`run_round`]. The
//! tests use it to check what robust aggregation buys, and `plexus bench learn` to time rounds.

use crate::aggregate::Rule;
use crate::contribution::smooth;
use crate::data::Dataset;
use crate::model::{Architecture, Model, TrainConfig};
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

pub fn run(sim: &Simulation) -> Result<SimulationReport, RoundError> {
    let (parts, validation, held_out) = digits_split(sim.roles.len());
    let scratch = Model::new(sim.arch, 64, 10, sim.seed)?;
    // Each participant trains on its own machine: here, each on its own model, side by side
    // on the cores there are.
    let locals = (0..sim.roles.len())
        .map(|_| Model::new(sim.arch, 64, 10, sim.seed))
        .collect::<Result<Vec<_>, _>>()?;
    let mut global = scratch.params()?;
    let mut optimizer = ServerOptimizer::plain();
    let mut report = SimulationReport {
        accuracy: Vec::with_capacity(sim.rounds),
        round_secs: Vec::with_capacity(sim.rounds),
        coordinate_secs: Vec::with_capacity(sim.rounds),
        scores: vec![0.0; sim.roles.len()],
    };
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
            &validation,
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
        scratch.set_params(&global)?;
        report.accuracy.push(scratch.evaluate(&held_out)?.1);
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
