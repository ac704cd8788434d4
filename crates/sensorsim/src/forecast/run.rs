//! The sensor training task run in one process: the participating stations train a forecaster
//! on their own readings, which never leave them (only parameter updates do); the coordinator
//! aggregates and scores each round with `plexus_learn`'s round, scored on the sponsor's
//! validation set; the budget pays each round by score under the ledger's rules
//! (`plexus_rewards::training`, T1 and T2). The report sets the trained model's held-out error
//! beside the persistence forecasts' on the same held-out set, and the poisoners' pay beside
//! the honest stations'.

use super::{forecast_data, persistence_mse, ForecastSetup, SCALE_C};
use plexus_learn::model::{Architecture, TrainConfig};
use plexus_learn::round::RoundError;
use plexus_learn::simulate::{run_on, Role, Simulation};
use plexus_learn::Rule;
use plexus_rewards::training::{round_pot, split_by_score};
use serde::Serialize;

/// A sensor training task to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorTask {
    /// Participating stations, poisoners included.
    pub stations: usize,
    /// How many of the stations poison their updates: in turn one that sends its update
    /// negated and scaled by 4, and one that trains on its readings with the targets shuffled.
    pub poisoners: usize,
    pub rounds: usize,
    /// The task's budget, uplx.
    pub budget: u128,
    pub seed: u64,
}

impl SensorTask {
    /// 30 stations of which 3 poison, 30 rounds, a budget of 1 000 PLX.
    pub fn new(seed: u64) -> SensorTask {
        SensorTask {
            stations: 30,
            poisoners: 3,
            rounds: 30,
            budget: 1_000_000_000,
            seed,
        }
    }

    /// Each station's role: the last `poisoners` stations poison, alternating the two ways.
    pub fn roles(&self) -> Vec<Role> {
        let honest = self.stations.saturating_sub(self.poisoners);
        (0..self.stations)
            .map(|i| match i.checked_sub(honest) {
                None => Role::Honest,
                Some(k) if k % 2 == 0 => Role::SignFlip,
                Some(_) => Role::Shuffled,
            })
            .collect()
    }
}

/// What a run measured. Errors are root mean squared errors in °C over the held-out set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorTaskReport {
    pub stations: usize,
    pub poisoners: usize,
    pub rounds: usize,
    pub seed: u64,
    /// Examples the participating stations held, in all; the validation and held-out sets'.
    pub train_examples: usize,
    pub validation_examples: usize,
    pub held_out_examples: usize,
    /// The federated model's held-out error after the last round.
    pub model_rmse_c: f64,
    /// The forecast that the next hour is what the same hour read yesterday.
    pub persistence_24h_rmse_c: f64,
    /// The forecast that the next hour is what the last hour read.
    pub persistence_1h_rmse_c: f64,
    /// The model's held-out error after each round.
    pub rmse_by_round_c: Vec<f64>,
    pub budget_uplx: u128,
    /// Each station's role and what the task paid it, uplx.
    pub roles: Vec<Role>,
    pub paid_uplx: Vec<u128>,
    /// Mean pay of the honest stations and of the poisoners, uplx (rounded down), and their
    /// ratio.
    pub honest_mean_uplx: u128,
    pub poisoner_mean_uplx: u128,
    pub poisoner_to_honest: f64,
}

/// Root mean squared error in °C of a mean squared error in normalized units.
fn rmse_c(mse: f64) -> f64 {
    mse.sqrt() * SCALE_C
}

/// The floor of the mean of `values`, 0 when there are none.
fn mean_floor(values: &[u128]) -> u128 {
    values.iter().sum::<u128>() / (values.len().max(1) as u128)
}

/// Runs the task: 7 days of readings to train on, 3 more days held out, 4 reference stations.
pub fn run_sensor_task(task: &SensorTask) -> Result<SensorTaskReport, RoundError> {
    let data = forecast_data(&ForecastSetup {
        stations: task.stations,
        reference_stations: 4,
        train_days: 7,
        test_days: 3,
        seed: task.seed,
    });
    let roles = task.roles();
    let sim = Simulation {
        roles: roles.clone(),
        rounds: task.rounds,
        rule: Rule::default(),
        arch: Architecture::Mlp { hidden: 16 },
        train: TrainConfig {
            epochs: 4,
            batch: 16,
            lr: 0.1,
        },
        seed: task.seed,
    };
    let report = run_on(&sim, &data)?;
    let rounds = u32::try_from(task.rounds).unwrap_or(u32::MAX);
    let mut paid = vec![0u128; roles.len()];
    for (round, units) in (1..=rounds).zip(&report.units) {
        let pot = round_pot(task.budget, rounds, round);
        // A pot of at most the budget times a score below 2⁶⁴ always fits 128 bits.
        let shares = split_by_score(pot, units).unwrap_or_default();
        for (p, share) in paid.iter_mut().zip(shares) {
            *p += share;
        }
    }
    let pay_of = |honest: bool| -> Vec<u128> {
        (roles.iter().zip(&paid))
            .filter(|(r, _)| (**r == Role::Honest) == honest)
            .map(|(_, p)| *p)
            .collect()
    };
    let (honest_mean, poisoner_mean) = (mean_floor(&pay_of(true)), mean_floor(&pay_of(false)));
    let rmse_by_round_c: Vec<f64> = report.held_out_loss.iter().map(|l| rmse_c(*l)).collect();
    Ok(SensorTaskReport {
        stations: task.stations,
        poisoners: roles.iter().filter(|r| **r != Role::Honest).count(),
        rounds: task.rounds,
        seed: task.seed,
        train_examples: data.parts.iter().map(|p| p.len()).sum(),
        validation_examples: data.validation.len(),
        held_out_examples: data.held_out.len(),
        model_rmse_c: rmse_by_round_c.last().copied().unwrap_or(f64::NAN),
        persistence_24h_rmse_c: rmse_c(persistence_mse(&data.held_out, 0)),
        persistence_1h_rmse_c: rmse_c(persistence_mse(&data.held_out, super::HISTORY_H - 1)),
        rmse_by_round_c,
        budget_uplx: task.budget,
        roles,
        paid_uplx: paid,
        honest_mean_uplx: honest_mean,
        poisoner_mean_uplx: poisoner_mean,
        poisoner_to_honest: poisoner_mean as f64 / honest_mean.max(1) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stations_forecast_beats_persistence_and_poisoners_earn_little() {
        let task = SensorTask {
            rounds: 20,
            ..SensorTask::new(7)
        };
        let report = run_sensor_task(&task).unwrap();
        eprintln!(
            "model {:.3} °C, 24 h persistence {:.3} °C, last hour {:.3} °C; pay honest {} \
             poisoners {} ({:.4})",
            report.model_rmse_c,
            report.persistence_24h_rmse_c,
            report.persistence_1h_rmse_c,
            report.honest_mean_uplx,
            report.poisoner_mean_uplx,
            report.poisoner_to_honest
        );
        assert_eq!(report.poisoners, 3);
        assert!(
            report.model_rmse_c < report.persistence_24h_rmse_c,
            "{report:?}"
        );
        assert!(report.honest_mean_uplx > 0, "{report:?}");
        assert!(
            report.poisoner_mean_uplx * 10 <= report.honest_mean_uplx,
            "{report:?}"
        );
        assert!(report.paid_uplx.iter().sum::<u128>() <= task.budget);
        assert_eq!(run_sensor_task(&task).unwrap(), report);
    }
}
