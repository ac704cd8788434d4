//! `plexus sim`: a scenario from a seed tells the same story every time, and a wrong name is
//! refused with the names that exist.

mod support;

use support::plexus;

fn sim(args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    plexus()
        .arg("--home")
        .arg(home.path())
        .arg("sim")
        .args(args)
        .output()
        .expect("plexus runs")
}

#[test]
fn a_scenario_run_twice_from_one_seed_prints_the_same_story() {
    let first = sim(&["wrong-compute", "--seed", "5"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let story = String::from_utf8(first.stdout).unwrap();
    assert!(
        story.starts_with("scenario wrong-compute (seed 5)"),
        "{story}"
    );
    assert!(story.contains("cheat (wrong-compute) slashed"), "{story}");
    let again = sim(&["wrong-compute", "--seed", "5"]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), story);
}

#[test]
fn an_unknown_scenario_is_refused_with_the_names_that_exist() {
    let out = sim(&["free-money"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("replica-dropper") && err.contains("poisoner"),
        "{err}"
    );
}

#[test]
fn economics_writes_the_charts_and_a_row_per_epoch() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("econ");
    let dir_arg = dir.to_str().unwrap();
    let run = sim(&[
        "economics",
        "--devices",
        "50",
        "--epochs",
        "20",
        "--out",
        dir_arg,
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("economics: 50 devices, 20 epochs, seed 1"),
        "{stdout}"
    );
    assert!(stdout.contains("paid to owners"), "{stdout}");
    for name in [
        "supply.svg",
        "emission_by_class.svg",
        "rewards_per_device.svg",
        "fees.svg",
    ] {
        let svg = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
        assert!(svg.contains("<polyline"), "{name}");
    }
    let csv = std::fs::read_to_string(dir.join("economics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 21);
    assert!(csv.starts_with("epoch,emission,"), "{csv}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("economics.json")).unwrap())
            .unwrap();
    assert_eq!(json["epochs"].as_array().unwrap().len(), 20);
    assert_eq!(json["epochs"][0]["emission"], 10_000_000_000u64);

    let again = out.path().join("again");
    let json_run = plexus()
        .arg("--home")
        .arg(out.path().join("home"))
        .args([
            "--json",
            "sim",
            "economics",
            "--devices",
            "50",
            "--epochs",
            "20",
            "--out",
        ])
        .arg(&again)
        .output()
        .unwrap();
    assert!(json_run.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&json_run.stdout).unwrap();
    assert_eq!(summary["summary"]["devices"], 50);
    assert_eq!(
        std::fs::read_to_string(again.join("economics.csv")).unwrap(),
        csv,
        "the same seed writes the same table"
    );
}

#[test]
fn economics_refuses_an_out_that_is_a_file_and_sizes_past_the_bounds() {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("taken");
    std::fs::write(&file, "not a directory").unwrap();
    let run = sim(&["economics", "--devices", "5", "--epochs", "2", "--out"]
        .into_iter()
        .chain([file.to_str().unwrap()])
        .collect::<Vec<_>>());
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("is not a directory"));
    let dir = out.path().join("d");
    let too_many = sim(&[
        "economics",
        "--devices",
        "2000000",
        "--epochs",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(!too_many.status.success());
    assert!(String::from_utf8_lossy(&too_many.stderr).contains("--devices must be 1 to 1000000"));
    assert!(!dir.exists(), "nothing is written for a refused run");
}

#[test]
fn wireless_prints_what_each_behaviour_earned_and_the_cheats_earn_nothing() {
    let args = [
        "wireless",
        "--hotspots",
        "40",
        "--hotspot-cheaters",
        "8",
        "--subscribers",
        "60",
        "--epochs",
        "2",
        "--seed",
        "4",
    ];
    let table = sim(&args);
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.starts_with(
            "wireless simulation: 40 hotspots (8 cheating), 60 subscribers, 2 epochs, seed 4"
        ),
        "{text}"
    );
    for name in ["honest", "spoofer", "witness_ring", "self_dealer", "silent"] {
        assert!(text.contains(name), "{name} missing: {text}");
    }
    let json = sim(&[&args[..], &["--json"]].concat());
    assert!(json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let behaviours = v["by_behaviour"].as_array().unwrap();
    for b in behaviours {
        let earned = b["coverage_shares"].as_u64().unwrap() + b["poc_shares"].as_u64().unwrap();
        match b["behaviour"].as_str().unwrap() {
            "spoofer" | "witness_ring" | "silent" => assert_eq!(earned, 0, "{b}"),
            "honest" => assert!(earned > 0, "{b}"),
            _ => {}
        }
    }
    assert_eq!(v["hotspot_totals"].as_array().unwrap().len(), 40);
    assert!(v["rejected"]["signal_too_strong"].as_u64().unwrap() > 0);
}
