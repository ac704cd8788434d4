//! `plexus bench rewards`: seconds to score an epoch and build its manifest for many devices,
//! next to the time to blake3-hash the same leaves.

/// Runs the benchmark and prints its report.
pub async fn run(devices: usize, runs: u16, json: bool) -> anyhow::Result<()> {
    let mut steps = crate::progress::Steps::new(json, json);
    steps.step(format!(
        "scoring an epoch of {devices} devices (synthetic evidence)…"
    ));
    let r = tokio::task::spawn_blocking(move || {
        plexus_rewards::bench_scoring(devices, usize::from(runs))
    })
    .await??;
    steps.finish();
    let report = serde_json::json!({
        "scenario": "rewards",
        "devices": r.devices,
        "records": r.records,
        "leaves": r.leaves,
        "threads": r.threads,
        "scoring_and_manifest_secs": r.scoring_and_manifest_secs,
        "runs_secs": r.runs_secs,
        "baseline_blake3_leaves_secs": r.blake3_leaves_secs,
        "ratio_to_baseline": r.scoring_and_manifest_secs / r.blake3_leaves_secs,
        "goal_secs": 2.0,
    });
    if json {
        crate::print_json(&report);
    } else {
        println!(
            "rewards: {} devices ({} records) scored with manifest in {:.2} s on {} threads \
             (median of {} runs)\n\
             baseline: blake3 of the same {} leaves in {:.2} s (ratio {:.1}x); goal under 2 s",
            r.devices,
            r.records,
            r.scoring_and_manifest_secs,
            r.threads,
            r.runs_secs.len(),
            r.leaves,
            r.blake3_leaves_secs,
            r.scoring_and_manifest_secs / r.blake3_leaves_secs
        );
    }
    Ok(())
}
