//! `plexus learn sensors`: the sensor training task run in this process, with no node: weather
//! stations train a next-hour temperature forecaster on their own readings, a few of them
//! poisoning their updates, and the budget pays them by contribution. Prints the model's
//! held-out error beside the persistence forecasts' and the poisoners' pay beside the honest
//! stations'.

use crate::output::Table;
use crate::print_json;
use anyhow::bail;
use plexus_sensorsim::forecast::run::{run_sensor_task, SensorTask};
use serde_json::json;

#[derive(clap::Args)]
pub struct SensorsArgs {
    /// Participating weather stations (2 to 200), poisoners included.
    #[arg(long, default_value_t = 30)]
    stations: usize,
    /// How many of them poison their updates (at most a tenth of the stations).
    #[arg(long, default_value_t = 3)]
    poisoners: usize,
    /// Federated rounds (1 to 200).
    #[arg(long, default_value_t = 30)]
    rounds: usize,
    /// The seed of the stations' places, readings and initial model: the same seed prints the
    /// same figures.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Runs the task and prints what it measured (as JSON with `--json`).
pub fn run(json: bool, args: SensorsArgs) -> anyhow::Result<()> {
    if !(2..=200).contains(&args.stations) {
        bail!("--stations must be 2 to 200, not {}", args.stations);
    }
    if args.poisoners * 10 > args.stations {
        bail!(
            "--poisoners must be at most a tenth of the stations ({} of {})",
            args.poisoners,
            args.stations
        );
    }
    if !(1..=200).contains(&args.rounds) {
        bail!("--rounds must be 1 to 200, not {}", args.rounds);
    }
    let task = SensorTask {
        stations: args.stations,
        poisoners: args.poisoners,
        rounds: args.rounds,
        ..SensorTask::new(args.seed)
    };
    let started = std::time::Instant::now();
    let report = run_sensor_task(&task)?;
    let secs = started.elapsed().as_secs_f64();
    let beats = report.model_rmse_c < report.persistence_24h_rmse_c;
    if json {
        let mut value = serde_json::to_value(&report)?;
        value["model_beats_24h_persistence"] = json!(beats);
        value["secs"] = json!(secs);
        print_json(&value);
        return Ok(());
    }
    println!(
        "sensor training task (seed {}): {} stations, {} poisoning, {} rounds, {} examples held \
         by the stations, {} in the sponsor's validation set, {} held out",
        report.seed,
        report.stations,
        report.poisoners,
        report.rounds,
        report.train_examples,
        report.validation_examples,
        report.held_out_examples
    );
    let mut errors = Table::new(&["NEXT-HOUR FORECAST", "HELD-OUT RMSE (°C)"]);
    errors.right(1);
    errors.row([
        "federated model".to_string(),
        format!("{:.3}", report.model_rmse_c),
    ]);
    errors.row([
        "persistence, 24 h (tomorrow = today)".to_string(),
        format!("{:.3}", report.persistence_24h_rmse_c),
    ]);
    errors.row([
        "persistence, last hour".to_string(),
        format!("{:.3}", report.persistence_1h_rmse_c),
    ]);
    errors.print();
    println!();
    let mut pay = Table::new(&["STATIONS", "COUNT", "MEAN PAY (UPLX)"]);
    pay.right(1).right(2);
    let poisoners = report.poisoners;
    pay.row([
        "honest".to_string(),
        (report.stations - poisoners).to_string(),
        report.honest_mean_uplx.to_string(),
    ]);
    pay.row([
        "poisoners".to_string(),
        poisoners.to_string(),
        report.poisoner_mean_uplx.to_string(),
    ]);
    pay.print();
    println!(
        "\nthe model {} 24 h persistence; poisoners earned {:.2}% of the honest mean; budget {} \
         uplx ({} paid); {secs:.1} s",
        if beats { "beats" } else { "does not beat" },
        100.0 * report.poisoner_to_honest,
        report.budget_uplx,
        report.paid_uplx.iter().sum::<u128>()
    );
    Ok(())
}
