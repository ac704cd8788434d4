//! `plexus learn sensors`: the sensor training task runs without a node, its forecaster beats
//! persistence, its poisoners are paid next to nothing, and a seed repeats its figures.
mod support;

use support::plexus;

fn sensors(args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    plexus()
        .arg("--home")
        .arg(home.path())
        .args(["learn", "sensors"])
        .args(args)
        .output()
        .expect("plexus runs")
}

#[test]
fn the_sensor_task_beats_persistence_pays_poisoners_little_and_repeats_from_its_seed() {
    let args = [
        "--stations",
        "10",
        "--poisoners",
        "1",
        "--rounds",
        "12",
        "--seed",
        "3",
        "--json",
    ];
    let out = sensors(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["model_beats_24h_persistence"], true, "{report}");
    let model = report["model_rmse_c"].as_f64().unwrap();
    let persistence = report["persistence_24h_rmse_c"].as_f64().unwrap();
    assert!(model < persistence, "{report}");
    let honest = report["honest_mean_uplx"].as_u64().unwrap();
    let poisoner = report["poisoner_mean_uplx"].as_u64().unwrap();
    assert!(honest > 0 && poisoner * 10 <= honest, "{report}");
    let mut again: serde_json::Value = serde_json::from_slice(&sensors(&args).stdout).unwrap();
    // Only the time taken may differ.
    report["secs"] = 0.into();
    again["secs"] = 0.into();
    assert_eq!(again, report);
}

#[test]
fn more_than_a_tenth_of_poisoners_is_refused() {
    let out = sensors(&["--stations", "10", "--poisoners", "2"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at most a tenth"), "{err}");
}
