//! `plexus bench learn`: federated rounds on the digits, next to one process training the same
//! model on all the participants' data.

use std::time::Instant;

/// Runs the benchmark and prints its report.
pub async fn run(participants: usize, rounds: usize, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!(participants >= 1, "--participants must be at least 1");
    anyhow::ensure!(rounds >= 1, "--rounds must be at least 1");
    let mut steps = crate::progress::Steps::new(json, true);
    steps.step(format!(
        "{rounds} federated rounds of {participants} participants, then centralized training"
    ));
    let report = tokio::task::spawn_blocking(move || bench_learn(participants, rounds)).await??;
    steps.finish();
    if json {
        crate::print_json(&report);
    } else {
        let f = |k: &str| report[k].as_f64().unwrap_or_default();
        println!(
            "{participants} participants, {rounds} rounds: {:.4} s per round (median), held-out accuracy {:.3}\n\
             baseline, one process training on all their data for the same epochs: {:.4} s ({:.2}x), accuracy after {rounds} such passes {:.3}",
            f("round_secs_median"),
            f("accuracy"),
            f("baseline_centralized_secs"),
            f("round_secs_median") / f("baseline_centralized_secs"),
            f("baseline_accuracy"),
        );
    }
    Ok(())
}

fn bench_learn(participants: usize, rounds: usize) -> anyhow::Result<serde_json::Value> {
    use plexus_learn::data::Dataset;
    use plexus_learn::model::Model;
    use plexus_learn::simulate::{digits_split, run, Simulation};
    let sim = Simulation::honest(participants, rounds);
    let report = run(&sim)?;
    let mut secs = report.round_secs.clone();
    secs.sort_by(f64::total_cmp);
    let median = secs[secs.len() / 2];
    let mut coordinate = report.coordinate_secs.clone();
    coordinate.sort_by(f64::total_cmp);
    let coordinate_median = coordinate[coordinate.len() / 2];
    // Baseline: the same model trained in one process on all the participants' data, one
    // round's worth of epochs at a time.
    let (parts, _, held_out) = digits_split(participants);
    let mut all = parts[0].clone();
    for p in &parts[1..] {
        all.features.extend_from_slice(&p.features);
        all.labels.extend_from_slice(&p.labels);
    }
    let all: Dataset = all;
    let model = Model::new(sim.arch, 64, 10, sim.seed)?;
    let mut passes = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        model.train(&all, &sim.train)?;
        passes.push(started.elapsed().as_secs_f64());
    }
    passes.sort_by(f64::total_cmp);
    let (_, baseline_accuracy) = model.evaluate(&held_out)?;
    Ok(serde_json::json!({
        "scenario": "learn",
        "participants": participants,
        "rounds": rounds,
        "model": sim.arch,
        "train": sim.train,
        "round_secs_median": median,
        "round_secs": report.round_secs,
        "coordinate_secs_median": coordinate_median,
        "accuracy": report.accuracy.last().copied().unwrap_or_default(),
        "accuracy_by_round": report.accuracy,
        "baseline_centralized_secs": passes[passes.len() / 2],
        "baseline_accuracy": baseline_accuracy,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    }))
}
