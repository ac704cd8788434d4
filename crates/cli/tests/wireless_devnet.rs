//! A devnet with a wireless city: its hotspots register at the cells they assert, its phones'
//! data sessions settle on chain as receipts both keys signed, and the self-dealer pays for
//! the traffic it routes to itself.
mod support;

use serde_json::Value;
use support::*;

/// A figure of the summary: amounts are decimal strings, counts numbers.
fn amount(v: &Value) -> u128 {
    v.as_u64()
        .map(u128::from)
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

#[test]
fn a_wireless_city_registers_its_hotspots_and_settles_its_phones_data_on_chain() {
    let devnet = Devnet::fresh();
    let s = devnet.run_json(
        "45s",
        &[
            "--hotspots",
            "11",
            "--hotspot-cheaters",
            "6",
            "--subscribers",
            "12",
            // Epochs of about 4 s: room for the two speed tests a Wi-Fi hotspot needs when
            // its slow line takes most of a second a test and the machine is busy.
            "--epoch-blocks",
            "40",
        ],
    );
    let w = &s["wireless"];
    assert_eq!(w["hotspots"], 11, "{w}");
    assert_eq!(w["registered"], 11, "{w}");
    let list = w["list"].as_array().expect("the hotspots");
    assert_eq!(list.len(), 11);
    for h in list {
        assert_eq!(h["status"], "active", "{h}");
        assert_eq!(
            h["h3_cell"].as_str().unwrap().len(),
            15,
            "a res-12 cell: {h}"
        );
    }
    let behaviour =
        |b: &str| -> Vec<&Value> { list.iter().filter(|h| h["behaviour"] == b).collect() };
    assert_eq!(behaviour("spoofer").len(), 1);
    assert_eq!(behaviour("witness_ring").len(), 3);
    assert_eq!(behaviour("self_dealer").len(), 1);
    assert_eq!(behaviour("silent").len(), 1);
    assert!(w["receipts_settled"].as_u64().unwrap() > 0, "{w}");
    assert!(w["refused"].as_object().unwrap().is_empty(), "{w}");

    // The self-dealer's phone pushes its traffic through its own hotspot, and its owner pays
    // for every credit of it.
    let dealer = behaviour("self_dealer")[0];
    assert!(amount(&dealer["bytes_carried"]) > 0, "{dealer}");
    let burned: u128 = w["self_dealers_burned"]
        .as_object()
        .unwrap()
        .values()
        .map(amount)
        .sum();
    let credits_used: u128 = dealer["data_by_epoch"]
        .as_object()
        .unwrap()
        .values()
        .map(|d| amount(&d["credits"]))
        .sum();
    assert!(
        burned * 100_000 / 1_000_000 >= credits_used,
        "the dealer used {credits_used} credits but burned only {burned} uplx"
    );
    // Its hotspot is paid from the data pool, never more than its owner burned.
    let data_paid = amount(&dealer["data_paid"]);
    assert!(data_paid > 0, "{dealer}");
    assert!(data_paid <= burned, "paid {data_paid} for {burned} burned");
    // Every honest Wi-Fi hotspot is paid for its modeled coverage in every finalized epoch,
    // and its owner's claims are paid; the silent hotspot and the spoofer earn nothing.
    assert!(w["records_accepted"].as_u64().unwrap() > 0, "{w}");
    let finalized = s["finalized_epochs"].as_array().unwrap().len();
    assert!(finalized >= 2, "too few epochs: {s}");
    for h in list
        .iter()
        .filter(|h| h["behaviour"] == "honest" && h["class"] != "lora")
    {
        let paid = h["rewards_by_epoch"].as_object().unwrap();
        assert!(paid.len() >= finalized, "{h}");
        assert!(
            paid.values().all(|r| amount(r) > 0),
            "unpaid in an epoch: {h}"
        );
        assert!(amount(&h["claimed"]) > 0, "{h}");
    }
    for cheat in ["silent", "spoofer"] {
        assert_eq!(
            amount(&behaviour(cheat)[0]["rewards"]),
            0,
            "{cheat} was paid"
        );
    }
    // Wi-Fi coverage is multiplied by the speed tier the oracles measured: a hotspot on a
    // 60 Mbps line is at most ×0.5 (its tests cannot show more), the others are paid; the
    // silent hotspot's tests fail, tier 0.
    let wifi: Vec<&Value> = list.iter().filter(|h| h["class"] != "lora").collect();
    let slow: Vec<&&Value> = wifi.iter().filter(|h| h["backhaul_mbps"] == 60).collect();
    assert!(!slow.is_empty(), "no Wi-Fi hotspot on a slow line: {w}");
    for h in &wifi {
        let scored = h["scores_by_epoch"].as_object().unwrap();
        assert!(!scored.is_empty(), "{h}");
        for (epoch, score) in scored {
            let quarters = score["speed_quarters"].as_u64().unwrap();
            match h["behaviour"].as_str().unwrap() {
                "silent" => assert_eq!(quarters, 0, "epoch {epoch}: {h}"),
                _ if h["backhaul_mbps"] == 60 => {
                    assert!((1..=2).contains(&quarters), "epoch {epoch}: {h}")
                }
                _ => assert!(quarters >= 1, "epoch {epoch}: {h}"),
            }
        }
    }
    // What the rules made of each hotspot's evidence: the honest are trusted where they
    // assert; the spoofer, reporting from elsewhere, has trust 0 and every witness report it
    // sent is invalid, with the reason.
    for h in behaviour("honest") {
        assert!(amount(&h["location_trust"]) > 0, "{h}");
        assert!(!h["scores_by_epoch"].as_object().unwrap().is_empty(), "{h}");
    }
    let spoofer = behaviour("spoofer")[0];
    assert_eq!(amount(&spoofer["location_trust"]), 0, "{spoofer}");
    assert_eq!(spoofer["witnesses_valid"], 0, "{spoofer}");
    assert!(
        amount(&spoofer["witnesses_invalid"]["location_mismatch"]) > 0,
        "{spoofer}"
    );
    // The ring is paid a small part of what honest hotspots at its asserted spots would be.
    // (A ring of two is not caught: its evidence is the same as an honest hotspot's next to one
    // that lies about where it is, and the rules never make the honest one forfeit.)
    let ring = &w["ring"];
    assert_eq!(ring["members"], 3, "{ring}");
    assert!(amount(&ring["honest_at_claimed_spread"]) > 0, "{ring}");
    assert!(ring["percent"].as_f64().unwrap() <= 10.0, "{ring}");
    // The silent hotspot carries nothing; the burn shows in the chain's totals.
    assert_eq!(behaviour("silent")[0]["bytes_carried"], 0);
    assert!(amount(&w["burned_for_credits"]) >= burned, "{w}");
    assert_eq!(s["accounting_balanced"], true, "{s}");
}

#[test]
fn the_audit_recomputes_coverage_and_poc_from_the_oracles_evidence_and_catches_a_dropped_record() {
    let devnet = Devnet::fresh();
    let running = devnet.spawn(
        "90s",
        &[
            "--hotspots",
            "11",
            "--subscribers",
            "4",
            "--epoch-blocks",
            "20",
        ],
    );
    running.wait_until_ready(std::time::Duration::from_secs(30));
    let node = devnet.node_url();
    // Epoch 2: the hotspots registered during epoch 1, so they were active all through it.
    let epoch = 2;
    for resource in ["coverage", "poc"] {
        wait_for_final_manifest(&node, epoch, resource, std::time::Duration::from_secs(80));
    }
    let evidence = http(
        "GET",
        &format!("{}/v1/evidence/{epoch}", devnet.oracle_url()),
        "",
    )
    .unwrap();
    // The Wi-Fi hotspots' speed tests are evidence of the coverage manifest, the LoRa
    // hotspots' witness reports of the PoC one: without one of them the audit disagrees.
    let devices = get_json(&format!("{node}/v1/devices?limit=1000")).unwrap();
    let keys_of = |class: &str| -> Vec<String> {
        let all = devices["devices"].as_array().unwrap();
        let of_class = all.iter().filter(|d| d["class"] == class);
        of_class
            .map(|d| d["key"].as_str().unwrap().to_string())
            .collect()
    };
    for (resource, kind, class) in [
        ("coverage", "speed_test", "wifi-indoor"),
        ("poc", "witness_report", "lora"),
    ] {
        let keys = keys_of(class);
        assert!(!keys.is_empty(), "no {class} hotspot: {devices}");
        let (ok, report) = devnet.audit(epoch, resource, &[]);
        assert!(ok, "{resource}: {report}");
        assert_eq!(report["match"], true, "{resource}: {report}");

        let mut lines: Vec<&str> = evidence.lines().collect();
        let i = lines
            .iter()
            .position(|l| {
                l.contains(&format!("\"kind\":\"{kind}\"")) && keys.iter().any(|k| l.contains(k))
            })
            .unwrap_or_else(|| panic!("no {kind} record of a {class} hotspot in {evidence}"));
        lines.remove(i);
        let tampered = devnet.dir.path().join(format!("{resource}.jsonl"));
        std::fs::write(&tampered, lines.join("\n")).unwrap();
        let (ok, report) =
            devnet.audit(epoch, resource, &["--evidence", tampered.to_str().unwrap()]);
        assert!(!ok, "{resource}: a dropped {kind} went unnoticed: {report}");
        assert_eq!(report["match"], false, "{resource}: {report}");
    }
    // Stopped before its time: dropping it kills it.
    drop(running);
}
