//! `plexus bench rewards` and `plexus bench ingest` as a user runs them: several runs in one
//! invocation, each figure reported as the median of the runs with its spread, next to
//! baselines measured in the same runs.
mod support;

use serde_json::Value;
use support::*;

/// A spread as the reports give it: a positive median between the least and the greatest of
/// `runs` values, one a run.
fn assert_spread(report: &Value, key: &str, runs: usize) {
    let s = &report[key];
    let (median, min, max) = (
        s["median"].as_f64().unwrap(),
        s["min"].as_f64().unwrap(),
        s["max"].as_f64().unwrap(),
    );
    assert!(median > 0.0, "{key}: {report}");
    assert!(min <= median && median <= max, "{key}: {report}");
    assert_eq!(s["runs"].as_array().unwrap().len(), runs, "{key}: {report}");
}

#[test]
fn the_rewards_benchmark_reports_the_median_and_spread_of_its_runs() {
    let home = tempfile::tempdir().unwrap();
    let report = run_json(
        home.path(),
        &[
            "--json",
            "bench",
            "rewards",
            "--devices",
            "2000",
            "--runs",
            "3",
        ],
    );
    assert_eq!(report["scenario"], "rewards", "{report}");
    assert_eq!(report["devices"], 2000, "{report}");
    assert_eq!(report["runs"], 3, "{report}");
    assert!(report["cores"].as_u64().unwrap() >= 1, "{report}");
    for key in [
        "scoring_and_manifest_secs_spread",
        "baseline_blake3_leaves_secs_spread",
        "ratio_to_baseline_spread",
    ] {
        assert_spread(&report, key, 3);
    }
    assert_eq!(
        report["scoring_and_manifest_secs"],
        report["scoring_and_manifest_secs_spread"]["median"]
    );
    assert_eq!(
        report["baseline_blake3_leaves_secs"],
        report["baseline_blake3_leaves_secs_spread"]["median"]
    );
    assert!(report["goal_met"].is_boolean(), "{report}");
}

#[test]
fn the_ingest_benchmark_has_every_fresh_heartbeat_of_every_run_accepted() {
    let home = tempfile::tempdir().unwrap();
    let report = run_json(
        home.path(),
        &[
            "--json",
            "bench",
            "ingest",
            "--devices",
            "300",
            "--runs",
            "2",
        ],
    );
    assert_eq!(report["scenario"], "ingest", "{report}");
    assert_eq!(report["runs"], 2, "{report}");
    // The first device is the readiness probe; every other one sends a heartbeat a run.
    assert_eq!(report["heartbeats_per_run"], 299, "{report}");
    assert_eq!(report["accepted_all_runs"], 2 * 299, "{report}");
    assert!(report["cores"].as_u64().unwrap() >= 1, "{report}");
    for key in [
        "seconds_spread",
        "heartbeats_per_sec_spread",
        "baseline_batch_verify_per_sec_one_core_spread",
        "baseline_batch_verify_per_sec_all_cores_spread",
        "ratio_spread",
        "ratio_to_all_cores_spread",
    ] {
        assert_spread(&report, key, 2);
    }
    assert_eq!(report["ratio"], report["ratio_spread"]["median"]);
    assert_eq!(
        report["baseline_batch_verify_per_sec_all_cores"],
        report["baseline_batch_verify_per_sec_all_cores_spread"]["median"]
    );
    assert!(report["goal_met"].is_boolean(), "{report}");
}
