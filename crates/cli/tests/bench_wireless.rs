//! `plexus bench wireless` as a user runs it: witness reports checked and scored per second,
//! next to one core batch-verifying their signatures, with every rejection counted by reason.
mod support;

use support::*;

#[test]
fn the_wireless_benchmark_reports_its_rate_next_to_the_signature_baseline() {
    let home = tempfile::tempdir().unwrap();
    let report = run_json(
        home.path(),
        &["--json", "bench", "wireless", "--reports", "2000"],
    );
    assert_eq!(report["scenario"], "wireless", "{report}");
    assert_eq!(report["reports"], 2000, "{report}");
    assert_eq!(report["beacons"], 200, "ten witnesses a beacon: {report}");
    let rate = report["reports_per_sec"].as_f64().unwrap();
    let baseline = report["baseline_batch_verify_per_sec_one_core"]
        .as_f64()
        .unwrap();
    assert!(rate > 0.0 && baseline > 0.0, "{report}");
    let ratio = report["ratio_to_baseline"].as_f64().unwrap();
    assert!((ratio - rate / baseline).abs() < 1e-9 * ratio, "{report}");
    assert_eq!(report["goal_ratio"], 0.5);
    // Every report either counted or was rejected with a reason; the synthetic epoch's loud
    // reports (one in 50) are rejected as stronger than free space allows.
    let rejected = report["rejected"].as_object().unwrap();
    let rejected_total: u64 = rejected.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(report["valid"].as_u64().unwrap() + rejected_total, 2000);
    assert!(
        rejected["signal_too_strong"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert!(report["paid_hotspots"].as_u64().unwrap() > 150, "{report}");
}
