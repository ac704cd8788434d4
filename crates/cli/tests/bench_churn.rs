//! `plexus bench churn` as a user runs it: a figure per size, next to the first size, and
//! the state work of a block the same after ten times as many of everything.
mod support;

use support::*;

/// Defect: a training task's rounds, the storage providers and the open deals each lived in
/// one state entry that every round, deal or epoch end read and rewrote whole, so a block's
/// work grew with everything ever made. Now a block of the same actions reads and writes the
/// same bytes after ten times as many devices, deals, tasks, orders and rounds.
#[test]
fn a_block_asks_the_same_of_the_state_after_ten_times_as_many_of_everything() {
    let home = tempfile::tempdir().unwrap();
    let report = run_json(
        home.path(),
        &["--json", "bench", "churn", "--items", "30,300"],
    );
    assert_eq!(report["scenario"], "churn", "{report}");
    assert_eq!(
        report["retain_versions"], 100,
        "pruned by default: {report}"
    );
    let sizes = report["sizes"].as_array().unwrap();
    assert_eq!(sizes.len(), 2, "{report}");
    for (size, want) in sizes.iter().zip([30u64, 300]) {
        assert_eq!(size["items"], want, "{report}");
        // Everything was made and ended at least `items` times before the measurement.
        for what in ["devices", "deals", "tasks", "orders", "rounds"] {
            assert!(size[what].as_u64().unwrap() >= want, "{what}: {report}");
        }
        assert!(size["txs_per_block"].as_u64().unwrap() > 200, "{report}");
        let median = size["median_block_ms"].as_f64().unwrap();
        assert!(median > 0.0 && median <= size["max_block_ms"].as_f64().unwrap());
        assert!(size["per_tx_us"].as_f64().unwrap() > 0.0, "{report}");
    }
    assert_eq!(sizes[0]["ratio_to_first"], 1.0, "{report}");
    assert!(sizes[1]["ratio_to_first"].as_f64().unwrap() > 0.0);
    // A few more digits in ids and counters, a level deeper in no list.
    let bytes = sizes[1]["bytes_ratio_to_first"].as_f64().unwrap();
    assert!((0.9..1.1).contains(&bytes), "{report}");
    let reads = |i: usize| sizes[i]["median_reads"].as_f64().unwrap();
    assert!(reads(1) <= reads(0) * 1.1, "{report}");

    let refused = run(home.path(), &["bench", "churn", "--items", "300,30"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("ascending"), "{said}");
}

/// Defect: the benchmark's store kept every version of its state, so the state file grew with
/// every block and a run at 100 000 items outgrew the disk. Now it keeps the newest
/// `--retain-versions` heights, as a node does, and says which heights it still holds.
#[test]
fn the_churn_benchmark_keeps_only_the_newest_heights_it_is_told_to() {
    let home = tempfile::tempdir().unwrap();
    let report = run_json(
        home.path(),
        &[
            "--json",
            "bench",
            "churn",
            "--items",
            "30,300",
            "--retain-versions",
            "40",
        ],
    );
    assert_eq!(report["retain_versions"], 40, "{report}");
    let last = &report["sizes"][1];
    let (height, oldest) = (
        last["height"].as_u64().unwrap(),
        last["oldest_kept"].as_u64().unwrap(),
    );
    assert!(height > 40, "{report}");
    assert_eq!(height - oldest + 1, 40, "heights kept: {report}");
    assert!(last["store_bytes"].as_u64().unwrap() > 0, "{report}");
    assert!(last["store_entries"].as_u64().unwrap() > 0, "{report}");
}
