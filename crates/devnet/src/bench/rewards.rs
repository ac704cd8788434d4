//! `plexus bench rewards`: seconds to score an epoch and build its manifest for many devices,
//! next to the time to blake3-hash the same leaves, both measured in every run; the median and
//! the spread of the runs are reported.

use super::stats::{cores, Spread};

/// The goal for 10⁶ devices, and the stretch goal.
const GOAL_SECS: f64 = 2.0;
const STRETCH_GOAL_SECS: f64 = 1.0;

/// Runs the benchmark and prints its report.
pub async fn run(devices: usize, runs: u16, json: bool) -> anyhow::Result<()> {
    let mut steps = crate::progress::Steps::new(json, json);
    steps.step(format!(
        "scoring an epoch of {devices} devices (synthetic evidence), {runs} runs…"
    ));
    let r = tokio::task::spawn_blocking(move || {
        plexus_rewards::bench_scoring(devices, usize::from(runs))
    })
    .await??;
    steps.finish();
    let scoring = Spread::of(r.runs_secs.clone());
    let baseline = Spread::of(r.baseline_runs_secs.clone());
    let ratio = Spread::pairwise(&scoring, &baseline, |s, b| s / b);
    let report = serde_json::json!({
        "scenario": "rewards",
        "devices": r.devices,
        "records": r.records,
        "leaves": r.leaves,
        "threads": r.threads,
        "cores": cores(),
        "runs": scoring.runs.len(),
        "scoring_and_manifest_secs": scoring.median,
        "scoring_and_manifest_secs_spread": scoring,
        "runs_secs": r.runs_secs,
        "baseline_blake3_leaves_secs": baseline.median,
        "baseline_blake3_leaves_secs_spread": baseline,
        "ratio_to_baseline": ratio.median,
        "ratio_to_baseline_spread": ratio,
        "goal_secs": GOAL_SECS,
        "stretch_goal_secs": STRETCH_GOAL_SECS,
        "goal_met": scoring.median <= GOAL_SECS,
    });
    if json {
        crate::print_json(&report);
    } else {
        println!(
            "rewards: {} devices ({} records) scored with manifest in {} s on {} threads \
             (median (min–max) of {} runs)\n\
             baseline: blake3 of the same {} leaves on one thread in {} s; ratio {}x\n\
             goal: under {GOAL_SECS} s (stretch {STRETCH_GOAL_SECS} s): {}",
            r.devices,
            r.records,
            scoring.show(2),
            r.threads,
            scoring.runs.len(),
            r.leaves,
            baseline.show(2),
            ratio.show(1),
            if scoring.median <= GOAL_SECS {
                "met"
            } else {
                "not met"
            }
        );
    }
    Ok(())
}
