//! Three oracles watch one devnet: they draw the same challenges from the chain's beacon,
//! merge each other's sealed evidence, and submit identical roots for every epoch; when one is
//! stopped midway the other two still make each manifest final (threshold 2 of 3), honest
//! devices are paid, and the cheaters are not.
mod support;

use serde_json::Value;
use support::*;

fn amount(v: &Value) -> u128 {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn three_oracles_agree_and_keep_paying_at_threshold_when_one_is_stopped() {
    let devnet = Devnet {
        oracle: format!("127.0.0.1:{}", free_port_range(3)),
        ..Devnet::fresh()
    };
    let s = devnet.run_json(
        "60s",
        &[
            "--oracles",
            "3",
            "--kill-oracle-at",
            "25s",
            "--agents",
            "6",
            "--cheaters",
            "4",
            "--epoch-blocks",
            "16",
        ],
    );
    assert_eq!(s["oracles"], 3, "{s}");
    assert_eq!(s["oracle_threshold"], 2, "{s}");
    let epochs = s["oracle_epochs"].as_array().expect("oracle_epochs");
    assert!(epochs.len() >= 3, "too few epochs closed: {epochs:?}");
    assert_eq!(s["oracles_agree"], true, "{epochs:#?}");
    // Before the stop all three submitted; after it, two did, and their manifests still went
    // final.
    assert!(
        epochs
            .iter()
            .any(|e| e["submitted"].as_array().unwrap().len() == 3),
        "{epochs:#?}"
    );
    let final_at_two = epochs
        .iter()
        .filter(|e| e["submitted"].as_array().unwrap().len() == 2 && e["final"] == true)
        .count();
    assert!(
        final_at_two >= 2,
        "too few epochs went final with two oracles: {epochs:#?}"
    );

    let finalized: Vec<u64> = s["finalized_epochs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_u64().unwrap())
        .collect();
    for d in s["devices"].as_array().unwrap() {
        let by_epoch = &d["rewards_by_epoch"];
        let behaviour = d["behaviour"].as_str().unwrap();
        match behaviour {
            // Paid in every finalized epoch after the one it registered in.
            "honest" => {
                for e in finalized.iter().filter(|e| **e >= 2) {
                    assert!(
                        amount(&by_epoch[e.to_string()]) > 0,
                        "an honest device went unpaid in epoch {e}: {d}"
                    );
                }
            }
            "wrong-compute" => {
                assert_eq!(amount(&d["rewards"]), 0, "{d}");
                assert!(d["status"].get("slashed").is_some(), "not slashed: {d}");
            }
            b if b.starts_with("over-declare") || b == "replay-heartbeats" => {
                assert_eq!(amount(&d["rewards"]), 0, "a cheater was paid: {d}")
            }
            _ => {}
        }
    }
    assert_eq!(s["accounting_balanced"], true);
}
