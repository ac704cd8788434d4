//! A devnet with a sensor region: weather stations, rooftop meters and vehicles register at
//! the cells they assert, send each epoch's day of signed readings to the oracle, and are paid
//! from the sensor pool by the quality of what they sent; every kind of cheat is paid nothing,
//! and anyone can recompute the pool's manifest from the oracle's evidence. A buyer buys a day
//! of a region's weather with the CLI, gets it checked against the chain, and the revenue
//! reaches the devices in it by their quality, as the audit recomputes.
mod support;

use serde_json::Value;
use support::*;

#[test]
fn sensors_are_paid_by_the_quality_of_their_readings_and_cheats_are_not() {
    let devnet = Devnet::fresh();
    let running = devnet.spawn(
        "60s",
        &[
            "--sensors",
            "15",
            "--sensor-cheaters",
            "5",
            "--epoch-blocks",
            "40",
        ],
    );
    running.wait_until_ready(std::time::Duration::from_secs(30));
    let node = devnet.node_url();
    // Epoch 2: the devices registered during epoch 1, so they reported all of it.
    let epoch = 2;
    wait_for_final_manifest(&node, epoch, "sensor", std::time::Duration::from_secs(50));
    let (ok, report) = devnet.audit(epoch, "sensor", &[]);
    assert!(ok, "{report}");
    assert_eq!(report["match"], true, "{report}");
    // Without one station's batch the evidence root, and so the audit, disagrees.
    let evidence = http(
        "GET",
        &format!("{}/v1/evidence/{epoch}", devnet.oracle_url()),
        "",
    )
    .unwrap();
    let mut lines: Vec<&str> = evidence.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains("\"kind\":\"readings\"") && l.contains("\"class\":\"weather\""))
        .unwrap_or_else(|| panic!("no station's readings in {evidence}"));
    // The station's readings, as anyone reads them from the oracle.
    let record: Value = serde_json::from_str(lines[i]).unwrap();
    let station = record["device"].as_str().unwrap().to_string();
    let oracle = devnet.oracle_url();
    let readings = run_json(
        &devnet.home,
        &[
            "--json", "query", "readings", "--device", &station, "--epoch", "2", "--oracle",
            &oracle,
        ],
    );
    assert_eq!(readings["class"], "weather", "{readings}");
    assert_eq!(readings["batches"].as_array().unwrap().len(), 1);
    // A day and its 6-hour lead-in of 16 s readings, less an honest station's lost packets.
    let n = readings["weather"].as_array().unwrap().len();
    assert!((6_600..=6_750).contains(&n), "{n} readings");
    lines.remove(i);
    let tampered = devnet.dir.path().join("sensor.jsonl");
    std::fs::write(&tampered, lines.join("\n")).unwrap();
    let (ok, report) = devnet.audit(epoch, "sensor", &["--evidence", tampered.to_str().unwrap()]);
    assert!(!ok, "a dropped batch went unnoticed: {report}");
    assert_eq!(report["match"], false, "{report}");

    buy_a_day_of_weather(&devnet, epoch);

    let s = running.wait_json();
    let sensors = &s["sensors"];
    assert_eq!(sensors["sensors"], 15, "{sensors}");
    assert_eq!(sensors["registered"], 15, "{sensors}");
    assert!(
        sensors["finalized_epochs"].as_array().unwrap().len() >= 3,
        "{sensors}"
    );
    assert_eq!(sensors["honest_paid_every_epoch"], true, "{sensors}");
    assert_eq!(sensors["cheats_held_to_ten_percent"], true, "{sensors}");
    assert_eq!(sensors["pools_balanced"], true, "{sensors}");
    assert!(
        sensors["batches_refused"].as_object().unwrap().is_empty(),
        "{sensors}"
    );
    let by = &sensors["by_behaviour"];
    for cheat in [
        "made-up",
        "constant",
        "indoor",
        "inflating-meter",
        "teleporting",
    ] {
        assert_eq!(by[cheat]["devices"], 1, "{cheat}: {by}");
        assert_eq!(by[cheat]["mean_earned"], "0", "{cheat}: {by}");
        assert!(
            by[cheat]["mean_quality"].as_u64().unwrap() < 500_000,
            "{cheat}: {by}"
        );
    }
    assert!(
        by["honest"]["mean_quality"].as_u64().unwrap() > 950_000,
        "{by}"
    );
    for d in sensors["list"].as_array().unwrap() {
        if d["behaviour"] == "honest" {
            assert!(d["epochs_paid"].as_u64().unwrap() >= 3, "{d}");
            assert_eq!(d["epochs_paid"], d["epochs_reported"], "{d}");
        }
    }
    assert_eq!(s["accounting_balanced"], true, "{s}");
    let market = &s["data_market"];
    assert_eq!(market["balanced"], true, "{market}");
    assert_eq!(market["payouts_exact"], true, "{market}");
    assert!(market["verified"].as_u64().unwrap() >= 3, "{market}");
    assert!(market["devices_paid"].as_u64().unwrap() > 0, "{market}");
    // Alice's purchase and the devnet buyer's of the same set.
    assert!(
        market["sales"].as_u64().unwrap() > market["verified"].as_u64().unwrap(),
        "{market}"
    );
}

/// Alice buys epoch `epoch`'s weather of the region with the CLI: not before paying, not above
/// the price she names; then she gets it, checked against the chain, Bob still cannot, and the
/// audit recomputes the set and finds every device paid at most its share.
fn buy_a_day_of_weather(devnet: &Devnet, epoch: u64) {
    let sets = wait_for_data_sets(
        &devnet.node_url(),
        epoch,
        std::time::Duration::from_secs(30),
    );
    let weather = sets
        .iter()
        .find(|s| s["class"] == "weather")
        .unwrap_or_else(|| panic!("no weather set in {sets:?}"));
    let name = weather["name"].as_str().unwrap().to_string();
    let e = epoch.to_string();
    let oracle = devnet.oracle_url();
    let out = devnet.dir.path().join("weather.json");
    let out = out.to_str().unwrap();
    let get = |who: &str| {
        devnet.cli(&[
            "--json", "data", "get", &name, "--epoch", &e, "--from", who, "--oracle", &oracle,
            "-o", out,
        ])
    };
    let refused = get("alice");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not_bought"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let cheap = devnet.cli(&[
        "data",
        "buy",
        &name,
        "--epoch",
        &e,
        "--from",
        "alice",
        "--max-price",
        "1plx",
    ]);
    assert!(!cheap.status.success());
    assert!(String::from_utf8_lossy(&cheap.stderr).contains("above_price_cap"));
    let bought = devnet.cli(&[
        "--json", "data", "buy", &name, "--epoch", &e, "--from", "alice",
    ]);
    assert!(
        bought.status.success(),
        "{}",
        String::from_utf8_lossy(&bought.stderr)
    );
    let got = get("alice");
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    let summary: Value = serde_json::from_slice(&got.stdout).unwrap();
    assert_eq!(summary["verified"], true, "{summary}");
    assert_eq!(summary["data_root"], weather["data_root"], "{summary}");
    assert!(summary["readings"].as_u64().unwrap() > 6_000, "{summary}");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(
        file["batches"].as_array().unwrap().len() as u64,
        summary["batches"].as_u64().unwrap()
    );
    assert!(!get("bob").status.success(), "bob did not buy it");
    let (ok, report) = devnet.audit(epoch, "weather", &[]);
    assert!(ok, "{report}");
    let audited = &report["data_sets"];
    let set = audited
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name.as_str())
        .unwrap_or_else(|| panic!("{name} not audited: {report}"));
    assert_eq!(set["matches"], true, "{set}");
    assert_eq!(set["data_root"], weather["data_root"], "{set}");
}
