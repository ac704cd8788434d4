//! `plexus bench wireless`: signed LoRa witness reports checked and scored per second (the
//! wireless rules of `plexus_rewards::wireless`), next to one core batch-verifying the same
//! reports' ed25519 signatures.

/// Runs the benchmark and prints its report.
pub async fn run(reports: usize, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!(reports >= 1, "--reports must be at least 1");
    let mut steps = crate::progress::Steps::new(json, json);
    steps.step(format!(
        "signing, checking and scoring {reports} witness reports (synthetic epoch)…"
    ));
    let r = tokio::task::spawn_blocking(move || plexus_rewards::wireless::bench_wireless(reports))
        .await??;
    steps.finish();
    let report = serde_json::json!({
        "scenario": "wireless",
        "reports": r.reports,
        "hotspots": r.hotspots,
        "beacons": r.beacons,
        "threads": r.threads,
        "verify_secs": r.verify_secs,
        "scoring_secs": r.scoring_secs,
        "reports_per_sec": r.reports_per_sec,
        "baseline_batch_verify_per_sec_one_core": r.baseline_batch_verify_per_sec_one_core,
        "ratio_to_baseline": r.ratio_to_baseline,
        "goal_ratio": 0.5,
        "valid": r.valid,
        "rejected": r.rejected,
        "paid_hotspots": r.paid_hotspots,
    });
    if json {
        crate::print_json(&report);
    } else {
        println!(
            "wireless: {:.0} signed witness reports checked and scored/s ({} reports, {} beacons, \
             {} hotspots: signatures {:.2} s, checks and scoring {:.2} s, {} threads)\n\
             baseline: {:.0} ed25519 signatures batch-verified/s on one core\n\
             ratio: {:.2}x (goal at least 0.5x); {} valid, {} paid hotspots",
            r.reports_per_sec,
            r.reports,
            r.beacons,
            r.hotspots,
            r.verify_secs,
            r.scoring_secs,
            r.threads,
            r.baseline_batch_verify_per_sec_one_core,
            r.ratio_to_baseline,
            r.valid,
            r.paid_hotspots,
        );
    }
    Ok(())
}
