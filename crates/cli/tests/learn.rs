//! Federated training on a devnet: participants train, the oracle coordinates, the chain pays
//! by score; poisoners and Sybil copies earn next to nothing, a participant that drops out
//! does not stall the task, the budget balances exactly, and anyone can recompute the rounds.
mod support;

use std::time::{Duration, Instant};
use support::*;

#[test]
fn a_training_task_pays_by_contribution_survives_a_drop_out_and_its_rounds_recompute() {
    let devnet = Devnet::fresh();
    let home = &devnet.home;
    let running = devnet.spawn(
        "75s",
        &[
            "--training",
            "--training-rounds",
            "8",
            "--training-dropouts",
            "1",
        ],
    );
    let node = devnet.node_url();
    let coordinator = devnet.oracle_url();

    // Garbage sent to the coordinator is refused and changes nothing.
    let started = Instant::now();
    while get_json(&format!("{coordinator}/v1/learn/tasks/0/round"))
        .is_none_or(|v| v["round"].is_null())
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the coordinator never took task 0"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let refused = post_json(
        &format!("{coordinator}/v1/learn/tasks/0/updates"),
        "{\"task\": 0}",
    )
    .unwrap();
    assert_eq!(refused["error"]["code"], "malformed", "{refused}");

    // The task runs all its rounds although one participant went silent after round 2.
    let finished = loop {
        let task = get_json(&format!("{node}/v1/learn/tasks/0"));
        if let Some(t) = task.filter(|t| t["status"]["state"] == "finished") {
            break t;
        }
        assert!(
            started.elapsed() < Duration::from_secs(65),
            "the task did not finish"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(
        finished["rounds"].as_array().unwrap().len(),
        8,
        "{finished}"
    );

    // Every round recomputes from the published updates and the revealed validation set.
    let audit = run(home, &["--node", &node, "--json", "audit", "training", "0"]);
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert_eq!(report["match"], true, "{report}");
    assert_eq!(report["rounds"].as_array().unwrap().len(), 8);

    // One parameter of one update changed in a published record: the audit says where.
    let record = home.join("oracle/learn/task-0/round-00004.json");
    let text = std::fs::read_to_string(&record).unwrap();
    let mut rec: serde_json::Value = serde_json::from_str(&text).unwrap();
    let delta = rec["updates"][0]["delta"].as_str().unwrap().to_string();
    let flipped = if delta.starts_with('0') { "1" } else { "0" };
    rec["updates"][0]["delta"] = serde_json::json!(format!("{flipped}{}", &delta[1..]));
    std::fs::write(&record, serde_json::to_vec(&rec).unwrap()).unwrap();
    let bad = run(home, &["--node", &node, "--json", "audit", "training", "0"]);
    assert!(!bad.status.success(), "a tampered update went unnoticed");
    let report: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(report["match"], false);
    let problems = report["problems"].to_string();
    assert!(problems.contains("round 4"), "{problems}");
    assert!(!problems.contains("round 3:"), "{problems}");
    std::fs::write(&record, text).unwrap();

    // The final model comes from the coordinator, checked against the chain.
    let model = devnet.dir.path().join("model.bin");
    let out = run(
        home,
        &[
            "--node",
            &node,
            "learn",
            "model",
            "0",
            "-o",
            model.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::metadata(&model).unwrap().len() % 4, 0);

    let s = running.wait_json();
    let t = &s["training"];
    assert_eq!(t["rounds_done"], 8, "{t}");
    assert_eq!(t["accounting_balanced"], true, "{t}");
    let amount = |v: &serde_json::Value| v.as_str().unwrap().parse::<u128>().unwrap();
    assert_eq!(
        amount(&t["paid"]) + amount(&t["refunded"]),
        amount(&t["budget"]),
        "budget = paid + refunded, exactly: {t}"
    );
    let acc = t["accuracy_by_round"].as_array().unwrap();
    assert!(
        acc.last().unwrap().as_f64().unwrap() > acc[0].as_f64().unwrap(),
        "accuracy did not rise: {t}"
    );
    let honest_mean = amount(&t["honest_mean_earned"]);
    assert!(honest_mean > 0, "{t}");
    for p in t["participants"].as_array().unwrap() {
        let earned = amount(&p["earned"]);
        match p["behaviour"].as_str().unwrap() {
            "honest" => assert!(earned > 0, "{p}"),
            "sign-flip" | "noise" | "sybil-copy" => {
                assert!(
                    earned * 10 <= honest_mean,
                    "an attacker earned {earned}: {t}"
                )
            }
            "drop-out-after-2" => assert_eq!(p["rounds_missed"], 6, "{p}"),
            other => panic!("unexpected behaviour {other}"),
        }
    }
}
