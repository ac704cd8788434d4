//! `plexus bench storage` as a user runs it: put and get over loopback next to copying the
//! same file with an fsync, measured afresh in each run, reported as medians with their spread.
mod support;

use support::*;

#[test]
fn the_storage_benchmark_reports_each_run_next_to_its_own_copy_baseline() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().display().to_string();
    let report = run_json(
        home.path(),
        &[
            "--json", "bench", "storage", "--mib", "4", "--runs", "2", "--dir", &dir,
        ],
    );
    assert_eq!(report["scenario"], "storage", "{report}");
    assert_eq!(report["runs"], 2, "{report}");
    assert_eq!(report["bytes"], 4 * 1024 * 1024, "{report}");
    assert!(report["cores"].as_u64().unwrap() >= 1, "{report}");
    assert!(report["goal_met"].is_boolean(), "{report}");
    for name in [
        "put_mib_per_sec",
        "get_mib_per_sec",
        "copy_and_sync_mib_per_sec",
        "put_ratio_to_copy",
        "get_ratio_to_copy",
    ] {
        let spread = &report[format!("{name}_spread")];
        let runs: Vec<f64> = spread["runs"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no runs: {report}"))
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(runs.len(), 2, "{name}: {report}");
        assert!(runs.iter().all(|r| *r > 0.0), "{name}: {report}");
        let (median, min, max) = (
            spread["median"].as_f64().unwrap(),
            spread["min"].as_f64().unwrap(),
            spread["max"].as_f64().unwrap(),
        );
        assert!(min <= median && median <= max, "{name}: {report}");
        assert_eq!(report[name].as_f64().unwrap(), median, "{name}: {report}");
    }
    // The ratios are taken run by run against that run's copy.
    let put = &report["put_mib_per_sec_spread"]["runs"];
    let copy = &report["copy_and_sync_mib_per_sec_spread"]["runs"];
    let ratio = &report["put_ratio_to_copy_spread"]["runs"];
    for i in 0..2 {
        let expected = put[i].as_f64().unwrap() / copy[i].as_f64().unwrap();
        assert!((ratio[i].as_f64().unwrap() - expected).abs() < 1e-9 * expected);
    }
    // Nothing of the benchmark is left in the directory it was given.
    let left: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn the_storage_benchmark_refuses_runs_outside_one_to_a_hundred() {
    let home = tempfile::tempdir().unwrap();
    for runs in ["0", "101"] {
        let out = run(
            home.path(),
            &["bench", "storage", "--mib", "1", "--runs", runs],
        );
        assert!(!out.status.success(), "--runs {runs} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--runs"), "{err}");
    }
}
