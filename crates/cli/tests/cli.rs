//! The CLI as a user drives it: init a node, start it, transfer, query with proofs.
mod support;

use support::*;

/// A chain for these tests, with `bob_addr` funded.
fn init_test_node(home: &std::path::Path, bob_addr: &str) {
    init_node(
        home,
        &[
            "--chain-id",
            "plexus-cli-test",
            "--account",
            &format!("{bob_addr}=5plx"),
            "--block-ms",
            "200",
        ],
    );
}

#[test]
fn a_cli_transfer_shows_in_both_accounts_with_proofs_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let bob_addr = add_key(&home, "bob");
    init_test_node(&home, &bob_addr);
    let node = NodeProcess::start(&home, free_port());

    let faucet = node.cli_json(&["--json", "keys", "show", "faucet"]);
    let faucet_addr = faucet["address"].as_str().unwrap();
    let before = node.cli_json(&["--json", "query", "account", faucet_addr]);
    let result = node.cli_json(&[
        "--json", "tx", "transfer", "--from", "faucet", "--to", &bob_addr, "--amount", "2.5plx",
        "--wait",
    ]);
    assert_eq!(result["status"], "committed", "{result}");
    assert_eq!(result["code"], "ok", "{result}");

    let bob_after = node.cli_json(&["--json", "query", "account", &bob_addr]);
    assert_eq!(bob_after["balance"], "7500000");
    assert_eq!(bob_after["proof_verified"], true);
    assert!(bob_after["height"].as_u64().unwrap() >= result["height"].as_u64().unwrap());
    let faucet_after = node.cli_json(&["--json", "query", "account", "faucet"]);
    assert_eq!(faucet_after["proof_verified"], true);
    assert_eq!(faucet_after["nonce"], 1);
    let spent = before["balance"].as_str().unwrap().parse::<u128>().unwrap()
        - faucet_after["balance"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap();
    assert_eq!(spent, 2_500_000 + 1_000, "amount plus the minimum fee");

    // An account the chain has never seen comes back empty, with a verified proof of absence.
    let nobody = run_json(
        &home,
        &[
            "--keyring-backend",
            "test",
            "--json",
            "keys",
            "add",
            "nobody",
        ],
    );
    let absent = node.cli_json(&[
        "--json",
        "query",
        "account",
        nobody["address"].as_str().unwrap(),
    ]);
    assert_eq!(absent["exists"], false);
    assert_eq!(absent["proof_verified"], true);

    // An older height still proves the old balance.
    let old = node.cli_json(&["--json", "query", "account", &bob_addr, "--height", "0"]);
    assert_eq!(old["balance"], "5000000");
    assert_eq!(old["proof_verified"], true);
}

#[test]
fn a_snapshot_of_a_stopped_node_verifies_against_its_app_hash_and_a_tampered_copy_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let bob_addr = add_key(&home, "bob");
    init_test_node(&home, &bob_addr);
    let mut node = NodeProcess::start(&home, free_port());
    let result = node.cli_json(&[
        "--json", "tx", "transfer", "--from", "faucet", "--to", &bob_addr, "--amount", "1plx",
        "--wait",
    ]);
    let height = result["height"].as_u64().unwrap();
    let block = get_json(&format!("{}/v1/blocks/{height}", node.url)).unwrap();
    let app_hash = block["app_hash"].as_str().unwrap().to_string();
    node.kill();

    let file = dir.path().join("snap.bin");
    let file_arg = file.to_str().unwrap();
    let exported = run_json(
        &home,
        &[
            "--json",
            "node",
            "snapshot",
            "export",
            "--height",
            &height.to_string(),
            "--out",
            file_arg,
        ],
    );
    assert_eq!(exported["app_hash"], app_hash, "{exported}");
    assert_eq!(exported["chain_id"], "plexus-cli-test", "{exported}");
    let verified = run_json(
        &home,
        &[
            "--json", "node", "snapshot", "verify", file_arg, "--root", &app_hash,
        ],
    );
    assert_eq!(verified["verified"], true, "{verified}");
    assert_eq!(verified["height"], height, "{verified}");

    // One byte of one stored value changed: the rebuilt root differs and the file is refused.
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let tampered = dir.path().join("tampered.bin");
    std::fs::write(&tampered, bytes).unwrap();
    let out = run(
        &home,
        &["node", "snapshot", "verify", tampered.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("snapshot refused"), "{err}");

    // A new machine with the chain's genesis, config, node key, beacon hash chain and keyring,
    // but no state or blocks, starts from the snapshot and goes on from the next height,
    // revealing the next values of the hash chain.
    let restored = dir.path().join("restored");
    std::fs::create_dir_all(restored.join("keyring-test")).unwrap();
    for name in ["genesis.json", "config.toml", "node_key.json"] {
        std::fs::copy(home.join(name), restored.join(name)).unwrap();
    }
    let without_reveals = run(
        &restored,
        &["node", "snapshot", "restore", file_arg, "--root", &app_hash],
    );
    assert!(!without_reveals.status.success());
    assert!(
        String::from_utf8_lossy(&without_reveals.stderr).contains("beacon_chain"),
        "a solo home without its hash chain is refused, naming the file"
    );
    std::fs::copy(home.join("beacon_chain"), restored.join("beacon_chain")).unwrap();
    for entry in std::fs::read_dir(home.join("keyring-test")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            restored.join("keyring-test").join(entry.file_name()),
        )
        .unwrap();
    }
    let restore = |file: &str, root: &str| {
        run(
            &restored,
            &[
                "--json", "node", "snapshot", "restore", file, "--root", root,
            ],
        )
    };
    let wrong_root = restore(file_arg, &"00".repeat(32));
    assert!(
        !wrong_root.status.success(),
        "a snapshot of another root is refused"
    );
    let tampered_out = restore(tampered.to_str().unwrap(), &app_hash);
    assert!(!tampered_out.status.success());
    let out = restore(file_arg, &app_hash);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = restore(file_arg, &app_hash);
    assert!(
        !again.status.success(),
        "a node with state is not restored over"
    );
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let node2 = NodeProcess::start(&restored, free_port());
    let sent = node2.cli_json(&[
        "--json", "tx", "transfer", "--from", "faucet", "--to", &bob_addr, "--amount", "1plx",
        "--wait",
    ]);
    assert!(sent["height"].as_u64().unwrap() > height, "{sent}");
    let next = get_json(&format!("{}/v1/blocks/{}", node2.url, height + 1)).unwrap();
    assert_eq!(
        next["prev_app_hash"], app_hash,
        "the chain goes on from the snapshot"
    );
    // Bob had 5 plx at genesis and 1 more before the snapshot; 1 more since.
    let bob = node2.cli_json(&["--json", "query", "account", &bob_addr]);
    assert_eq!(bob["balance"], "7000000", "{bob}");
    assert_eq!(bob["proof_verified"], true);
    let before = http("GET", &format!("{}/v1/blocks/{height}", node2.url), "").unwrap();
    assert!(
        before.contains(&format!("keeps blocks from {}", height + 1)),
        "blocks before the snapshot are not kept here: {before}"
    );
}

#[test]
fn bad_input_on_the_command_line_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let out = run(home, &["devnet", "--no-such-flag"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-flag"));

    let out = run(home, &["--node", "http://127.0.0.1:1", "query", "status"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach a node"));

    let out = run(
        home,
        &["--keyring-backend", "test", "keys", "show", "ghost"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no key named"));

    let out = run(home, &["query", "account", "plx1notanaddress"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid address"));

    let out = run(
        home,
        &["node", "start", "--oracle-url", "ftp://oracle.example"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("over http or https"));
}

#[test]
fn a_node_started_with_oracle_urls_tells_its_console_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let bob_addr = add_key(&home, "bob");
    init_test_node(&home, &bob_addr);
    let config = home.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("oracles = []"), "{text}");
    std::fs::write(
        &config,
        text.replace("oracles = []", r#"oracles = ["http://127.0.0.1:26651/"]"#),
    )
    .unwrap();
    let node = NodeProcess::start(&home, free_port());
    let settings = get_json(&format!("{}/v1/console", node.url)).unwrap();
    assert_eq!(
        settings["oracles"],
        serde_json::json!(["http://127.0.0.1:26651"])
    );
}

#[test]
fn the_devnet_commits_blocks_with_transfers_and_resumes_its_chain() {
    let devnet = Devnet::fresh();
    let first = devnet.run_json("4s", &[]);
    assert_eq!(first["chain_id"], "plexus-devnet");
    assert!(first["height"].as_u64().unwrap() >= 4, "{first}");
    assert!(first["txs_committed"].as_u64().unwrap() > 0, "{first}");
    for key in ["app_hash", "epochs_finalized", "minted", "paid", "devices"] {
        assert!(first.get(key).is_some(), "summary lacks {key}");
    }
    let second = devnet.run_json("2s", &[]);
    assert!(second["height"].as_u64().unwrap() > first["height"].as_u64().unwrap());
    assert!(second["txs_committed"].as_u64().unwrap() > first["txs_committed"].as_u64().unwrap());
    assert_eq!(second["supply"], first["supply"], "supply changed");
}

#[test]
fn a_devnet_of_four_validators_agrees_at_every_height_and_resumes() {
    let devnet = Devnet::fresh();
    let p2p = free_port_range(4).to_string();
    let first = devnet.run_json("8s", &["--p2p-port", &p2p, "--validators", "4"]);
    let validators = first["validators"].as_array().unwrap();
    assert_eq!(validators.len(), 4, "{first}");
    assert_eq!(first["validators_agree"], true, "{first}");
    assert!(first["height"].as_u64().unwrap() >= 3, "{first}");
    assert!(first["txs_committed"].as_u64().unwrap() > 0, "{first}");
    for v in validators {
        assert!(v["height"].as_u64().unwrap() >= 1, "{v}");
    }

    // The set is fixed when the devnet is created.
    let out = devnet.run("2s", &["--p2p-port", &p2p, "--validators", "2"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("created with 4 validator(s)"), "{err}");

    let second = devnet.run_json("8s", &["--p2p-port", &p2p]);
    assert_eq!(second["validators"].as_array().unwrap().len(), 4);
    assert_eq!(second["validators_agree"], true, "{second}");
    assert!(
        second["txs_committed"].as_u64().unwrap() > first["txs_committed"].as_u64().unwrap(),
        "{second}"
    );
    assert_eq!(second["supply"], first["supply"], "supply changed");
}

#[test]
fn a_storage_agent_that_drops_its_replica_fails_its_challenge_and_the_replica_moves() {
    let devnet = Devnet::fresh();
    let summary = devnet.run_json(
        "40s",
        &[
            "--storage-agents",
            "4",
            "--storage-cheaters",
            "1",
            "--epoch-blocks",
            "24",
        ],
    );
    let storage = &summary["storage"];
    assert_eq!(storage["accounting_balanced"], true, "{storage}");
    let deals = storage["deals"].as_array().unwrap();
    assert_eq!(deals.len(), 1, "{storage}");
    let deal = &deals[0];
    assert_eq!(deal["replicas"], 3);
    let providers: Vec<&str> = deal["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(providers.len(), 3, "{deal}");
    let devices = storage["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 4);
    let dropper = devices
        .iter()
        .find(|d| d["behaviour"] == "drop-replicas")
        .unwrap();
    let dropper_key = dropper["device"].as_str().unwrap();
    let failed = dropper["failed_epochs"].as_array().unwrap();
    let honest_keepers = devices
        .iter()
        .filter(|d| d["behaviour"] == "honest" && d["keeps_replica"] == true)
        .count();
    // The demo blob is chosen so that the dropper is assigned a replica. It is caught at
    // the first challenge, unpaid for that epoch, and never assigned to the deal again; the
    // spare takes its place, so three honest devices keep the blob.
    assert_eq!(failed.len(), 1, "{storage}");
    assert_eq!(dropper["keeps_replica"], false, "{storage}");
    assert!(!providers.contains(&dropper_key), "{storage}");
    let failed_in = deal["failed"].as_array().unwrap();
    assert_eq!(failed_in.len(), 1, "{deal}");
    assert_eq!(failed_in[0]["device"], dropper_key);
    assert_eq!(honest_keepers, 3, "{storage}");
    for d in devices.iter().filter(|d| d["behaviour"] == "honest") {
        assert!(d["failed_epochs"].as_array().unwrap().is_empty(), "{d}");
    }
    // Every epoch of the term so far paid each replica that passed, and nothing else.
    let paid: u128 = deal["paid"].as_str().unwrap().parse().unwrap();
    let price: u128 = deal["price_per_replica_epoch"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(paid % price, 0);
    assert!(paid > 0, "{deal}");

    // Resumed, the agents listen on new ports and say so on chain before the oracle's next
    // audit: no honest replica fails, and the deal keeps its three honest keepers.
    let resumed = devnet.run_json("15s", &["--storage-agents", "4", "--storage-cheaters", "1"]);
    let storage = &resumed["storage"];
    assert_eq!(storage["accounting_balanced"], true, "{storage}");
    let deal = &storage["deals"][0];
    assert_eq!(deal["providers"].as_array().unwrap().len(), 3, "{deal}");
    assert_eq!(deal["failed"].as_array().unwrap().len(), 1, "{deal}");
    for d in storage["devices"].as_array().unwrap() {
        if d["behaviour"] == "honest" {
            assert!(d["failed_epochs"].as_array().unwrap().is_empty(), "{d}");
        }
    }
    let paid_after: u128 = deal["paid"].as_str().unwrap().parse().unwrap();
    assert!(paid_after > paid, "{deal}");
}

#[test]
fn the_consensus_benchmark_reports_both_drivers_with_agreeing_validators() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_json(
        dir.path(),
        &[
            "bench",
            "consensus",
            "--validators",
            "3",
            "--txs",
            "600",
            "--accounts",
            "40",
            "--samples",
            "5",
            "--json",
        ],
    );
    for key in ["consensus", "baseline_solo"] {
        let d = &report[key];
        assert_eq!(d["txs"], 600, "{report}");
        assert_eq!(d["app_hashes_agree"], true, "{report}");
        assert!(d["transfers_per_sec"].as_f64().unwrap() > 0.0, "{report}");
        assert!(d["latency_ms_median"].as_f64().unwrap() > 0.0, "{report}");
    }
    assert_eq!(report["consensus"]["validators"], 3);
    assert_eq!(report["baseline_solo"]["validators"], 1);
}

#[test]
fn a_devnet_with_agents_pays_honest_devices_and_slashes_a_wrong_answer() {
    let devnet = Devnet::fresh();
    let s = devnet.run_json(
        "25s",
        &["--agents", "3", "--cheaters", "1", "--epoch-blocks", "24"],
    );
    assert!(s["epochs_finalized"].as_u64().unwrap() >= 1, "{s}");
    assert_eq!(s["accounting_balanced"], true);
    let sum: u128 = ["paid", "unclaimed", "dust", "slashed"]
        .iter()
        .map(|k| s[*k].as_str().unwrap().parse::<u128>().unwrap())
        .sum();
    assert_eq!(sum, s["minted"].as_str().unwrap().parse::<u128>().unwrap());
    let devices = s["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 3);
    for d in devices {
        let earned: u128 = d["rewards"].as_str().unwrap().parse().unwrap();
        match d["behaviour"].as_str().unwrap() {
            "honest" => assert!(earned > 0, "an honest device earned nothing: {d}"),
            "wrong-compute" => {
                assert_eq!(earned, 0, "{d}");
                assert!(d["status"].get("slashed").is_some(), "not slashed: {d}");
            }
            other => panic!("unexpected behaviour {other}"),
        }
    }
}

#[test]
fn a_newcomers_devnet_with_no_agent_flag_shows_every_class_at_work_with_jobs_a_deal_and_training() {
    let devnet = Devnet::fresh();
    let s = devnet.run_whole_json("70s", &["--epoch-blocks", "20"]);
    assert_eq!(s["accounting_balanced"], true, "{s}");
    assert!(s["epochs_finalized"].as_u64().unwrap() >= 1, "{s}");
    let devices = s["devices"].as_array().unwrap();
    let class_of = |class: &str| -> Vec<&serde_json::Value> {
        devices.iter().filter(|d| d["class"] == class).collect()
    };
    for (class, n) in [("cpu-small", 3), ("storage-small", 3), ("bw-home", 2)] {
        let of_class = class_of(class);
        assert_eq!(of_class.len(), n, "{class} devices: {devices:?}");
        for d in of_class {
            assert_eq!(d["behaviour"], "honest", "{d}");
            // Storage is paid from its deals' escrow, the other classes from the epochs' pools.
            if class != "storage-small" {
                let earned: u128 = d["rewards"].as_str().unwrap().parse().unwrap();
                assert!(earned > 0, "an honest {class} device earned nothing: {d}");
            }
        }
    }
    let jobs = &s["jobs"];
    assert!(
        jobs["completed"].as_u64().unwrap() >= 1,
        "no job completed: {jobs}"
    );
    assert_eq!(jobs["wrong_results_accepted"], 0, "{jobs}");
    let storage = &s["storage"];
    assert!(
        !storage["deals"].as_array().unwrap().is_empty(),
        "no deal: {storage}"
    );
    let keeping = storage["devices"].as_array().unwrap();
    assert_eq!(keeping.len(), 3, "{storage}");
    assert!(
        keeping.iter().all(|d| d["keeps_replica"] == true),
        "{storage}"
    );
    let paid: u128 = storage["accounting"]["paid"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(paid > 0, "the deal paid its providers nothing: {storage}");
    let training = &s["training"];
    assert!(
        training["rounds_done"].as_u64().unwrap() >= 1,
        "no training round closed: {training}"
    );
}

/// Runs `plexus audit epoch 1` against `node` and `oracle` with `extra` arguments.
fn audit_epoch_1(
    home: &std::path::Path,
    node: &str,
    oracle: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "--node", node, "--json", "audit", "epoch", "1", "--oracle", oracle,
    ];
    args.extend_from_slice(extra);
    run(home, &args)
}

#[test]
fn an_audit_matches_the_published_evidence_and_catches_a_changed_record() {
    let devnet = Devnet::fresh();
    let running = devnet.spawn("40s", &["--agents", "2", "--epoch-blocks", "16"]);
    let node = devnet.node_url();
    running.wait_until_ready(std::time::Duration::from_secs(30));
    wait_for_final_manifest(&node, 1, "compute", std::time::Duration::from_secs(35));
    let oracle_url = devnet.oracle_url();
    let audit = |extra: &[&str]| audit_epoch_1(&devnet.home, &node, &oracle_url, extra);
    let ok = audit(&[]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report["match"], true, "{report}");

    // The same evidence with one heartbeat removed no longer yields the chain's manifest.
    let evidence = http("GET", &format!("{oracle_url}/v1/evidence/1"), "").unwrap();
    let mut lines: Vec<&str> = evidence.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains("\"heartbeat\""))
        .unwrap();
    lines.remove(i);
    let tampered = devnet.dir.path().join("tampered.jsonl");
    std::fs::write(&tampered, lines.join("\n")).unwrap();
    let bad = audit(&["--evidence", tampered.to_str().unwrap()]);
    assert!(!bad.status.success(), "a changed record went unnoticed");
    let report: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(report["match"], false);
    // Stopped before its time: dropping it kills it.
    drop(running);
}

#[test]
fn bandwidth_is_paid_by_the_measured_tier_and_the_audit_recomputes_it() {
    let devnet = Devnet::fresh();
    let running = devnet.spawn(
        "35s",
        &[
            "--bandwidth-agents",
            "3",
            "--bandwidth-cheaters",
            "1",
            "--epoch-blocks",
            "24",
        ],
    );
    let node = devnet.node_url();
    running.wait_until_ready(std::time::Duration::from_secs(30));
    wait_for_final_manifest(&node, 1, "bandwidth", std::time::Duration::from_secs(30));
    let oracle_url = devnet.oracle_url();
    let home = &devnet.home;
    let audit = |extra: &[&str]| {
        let mut args = vec!["--resource", "bandwidth"];
        args.extend_from_slice(extra);
        audit_epoch_1(home, &node, &oracle_url, &args)
    };
    let ok = audit(&[]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report["match"], true, "{report}");
    assert_eq!(report["devices_rewarded"], 2, "{report}");

    // A speed test reported slower than measured no longer yields the chain's manifest.
    let evidence = http("GET", &format!("{oracle_url}/v1/evidence/1"), "").unwrap();
    let mut lines: Vec<String> = evidence.lines().map(str::to_string).collect();
    let i = lines
        .iter()
        .position(|l| l.contains("\"speed_test\"") && !l.contains("failure"))
        .expect("a speed test in the evidence");
    let mut record: serde_json::Value = serde_json::from_str(&lines[i]).unwrap();
    record["download_kbps"] = serde_json::json!(1);
    lines[i] = record.to_string();
    let tampered = devnet.dir.path().join("tampered.jsonl");
    std::fs::write(&tampered, lines.join("\n")).unwrap();
    let bad = audit(&["--evidence", tampered.to_str().unwrap()]);
    assert!(!bad.status.success(), "a changed speed test went unnoticed");
    let unknown = audit_epoch_1(home, &node, &oracle_url, &["--resource", "training"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains(
                "audits cover compute, bandwidth, coverage, poc, sensor, weather, energy, vehicle and data"
            ),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );

    let s = running.wait_json();
    assert_eq!(s["accounting_balanced"], true, "{s}");
    let bandwidth = s["bandwidth"].as_array().unwrap();
    assert_eq!(bandwidth.len(), 3, "{s}");
    for d in bandwidth {
        let earned: u128 = d["rewards"].as_str().unwrap().parse().unwrap();
        let epochs = d["epochs"].as_object().unwrap();
        assert!(!epochs.is_empty(), "{d}");
        match d["behaviour"].as_str().unwrap() {
            "honest" => {
                assert!(earned > 0, "an honest device earned nothing: {d}");
                // Loopback is far above the top tier in every epoch.
                for e in epochs.values() {
                    assert_eq!(e["tier"], 1.0, "{d}");
                }
            }
            "throttle" => {
                assert_eq!(earned, 0, "{d}");
                for e in epochs.values() {
                    assert_eq!(e["tier"], 0.0, "{d}");
                    assert!(e["download_mbps"].as_f64().unwrap() < 30.0, "{d}");
                }
            }
            other => panic!("unexpected behaviour {other}"),
        }
    }
}

#[test]
fn accounts_flooding_the_mempool_with_gapped_and_low_fee_transactions_cannot_keep_honest_transfers_out(
) {
    let home = tempfile::tempdir().unwrap();
    let report = run_json(
        home.path(),
        &[
            "--json", "bench", "mempool", "--users", "10", "--blocks", "12",
        ],
    );
    let flooded = &report["with_flood"];
    assert_eq!(flooded["honest_uncommitted"], 0, "{report}");
    assert!(
        flooded["median_blocks_to_commit"].as_u64().unwrap() <= 2,
        "{report}"
    );
    // The flood's valid transactions still execute (and pay), a fair share a block; those
    // behind a missing nonce wait in a bounded queue, the rest refused at admission.
    assert!(flooded["flood_committed"].as_u64().unwrap() > 0, "{report}");
    assert!(flooded["flood_refused"].as_u64().unwrap() > 0, "{report}");
}

#[test]
fn a_cli_delegator_stakes_with_a_new_validator_and_sees_its_stake_and_unbonding() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let bob_addr = add_key(&home, "bob");
    init_test_node(&home, &bob_addr);
    let node = NodeProcess::start(&home, free_port());
    let faucet = node.cli_json(&["--json", "keys", "show", "faucet"]);
    let faucet_addr = faucet["address"].as_str().unwrap().to_string();
    // The operator's consensus key, made in a home of its own and the same when asked again.
    let operator = dir.path().join("operator");
    let made = run_json(&operator, &["--json", "node", "consensus-key"]);
    assert_eq!(made["created"], true, "{made}");
    let consensus = made["consensus_key"].as_str().unwrap().to_string();
    assert_eq!(consensus.len(), 64, "{made}");
    let again = run_json(&operator, &["--json", "node", "consensus-key"]);
    assert_eq!(
        (again["created"].as_bool(), again["consensus_key"].as_str()),
        (Some(false), Some(consensus.as_str()))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(operator.join("consensus_key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the consensus key is readable by others: {mode:o}"
        );
    }
    let created = node.cli_json(&[
        "--json",
        "tx",
        "create-validator",
        "--from",
        "faucet",
        "--consensus-key",
        &consensus,
        "--p2p-address",
        "127.0.0.1:26656",
        "--self-stake",
        "200plx",
    ]);
    assert_eq!(created["code"], "ok", "{created}");
    let staked = node.cli_json(&[
        "--json",
        "tx",
        "stake",
        "--from",
        "bob",
        "--validator",
        &faucet_addr,
        "--amount",
        "2plx",
    ]);
    assert_eq!(staked["code"], "ok", "{staked}");
    let unstaked = node.cli_json(&[
        "--json",
        "tx",
        "unstake",
        "--from",
        "bob",
        "--validator",
        &faucet_addr,
        "--amount",
        "0.5plx",
    ]);
    assert_eq!(unstaked["code"], "ok", "{unstaked}");
    let mine = node.cli_json(&["--json", "query", "delegations", "bob"]);
    assert_eq!(mine["delegations"][0]["stake"], "1500000", "{mine}");
    assert_eq!(mine["unbondings"][0]["amount"], "500000", "{mine}");
    let validators = node.cli_json(&["--json", "query", "validators"]);
    let operators = validators["operators"].as_array().unwrap();
    assert_eq!(operators.len(), 1, "{validators}");
    assert_eq!(operators[0]["tokens"], "201500000");
    // More than bob holds with the validator: refused with its code, named in the error.
    let out = node.cli(&[
        "tx",
        "unstake",
        "--from",
        "bob",
        "--validator",
        &faucet_addr,
        "--amount",
        "5plx",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("insufficient_stake"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn two_transfers_sent_in_a_row_without_waiting_both_commit() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let bob_addr = add_key(&home, "bob");
    // Blocks at least 2 s apart, so the first transfer is still pending when the second is
    // signed.
    init_node(
        &home,
        &[
            "--account",
            &format!("{bob_addr}=5plx"),
            "--min-block-ms",
            "2000",
            "--block-ms",
            "3000",
        ],
    );
    let node = NodeProcess::start(&home, free_port());
    let transfer = |amount: &str, wait: bool| {
        let mut args = vec![
            "--json", "tx", "transfer", "--from", "faucet", "--to", &bob_addr, "--amount", amount,
        ];
        if wait {
            args.push("--wait");
        }
        node.cli_json(&args)
    };
    transfer("1plx", false);
    transfer("2plx", false);
    let last = transfer("3plx", true);
    assert_eq!(last["code"], "ok", "{last}");
    let faucet = node.cli_json(&["--json", "query", "account", "faucet"]);
    assert_eq!(faucet["nonce"], 3, "{faucet}");
    let bob = node.cli_json(&["--json", "query", "account", &bob_addr]);
    assert_eq!(bob["balance"], "11000000", "{bob}");
}

#[test]
fn a_carrier_buys_data_credits_for_a_subscriber_and_a_receipt_travels_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let bob_addr = add_key(&home, "bob");
    add_key(&home, "hotspot");
    init_test_node(&home, &bob_addr);
    let node = NodeProcess::start(&home, free_port());
    let bob_before = node.cli_json(&["--json", "query", "account", "bob"]);

    // Bob buys for himself: 0.5 PLX burned, 50 000 credits at the default price.
    let bought = node.cli_json(&[
        "--json",
        "tx",
        "buy-data-credits",
        "--from",
        "bob",
        "--amount",
        "0.5plx",
    ]);
    assert_eq!(bought["code"], "ok", "{bought}");
    let credits = node.cli_json(&["--json", "wireless", "credits", "bob"]);
    assert_eq!(credits["credits"], "50000", "{credits}");
    assert_eq!(credits["bought_by"], bob_addr.as_str(), "{credits}");
    let bob_after = node.cli_json(&["--json", "query", "account", "bob"]);
    let balance =
        |v: &serde_json::Value| -> u128 { v["balance"].as_str().unwrap().parse().unwrap() };
    let fee: u128 = bought["fee"].as_str().unwrap().parse().unwrap();
    assert_eq!(balance(&bob_before) - balance(&bob_after), 500_000 + fee);

    // The faucet buys as a carrier for a fresh subscriber, and only it may add to those.
    let subscriber = add_key(&home, "subscriber");
    let carried = node.cli_json(&[
        "--json",
        "tx",
        "buy-data-credits",
        "--from",
        "faucet",
        "--amount",
        "1plx",
        "--for",
        "subscriber",
    ]);
    assert_eq!(carried["code"], "ok", "{carried}");
    let faucet = node.cli_json(&["--json", "keys", "show", "faucet"]);
    let credits = node.cli_json(&["--json", "wireless", "credits", &subscriber]);
    assert_eq!(credits["credits"], "100000", "{credits}");
    assert_eq!(credits["bought_by"], faucet["address"], "{credits}");
    let out = node.cli(&[
        "tx",
        "buy-data-credits",
        "--from",
        "bob",
        "--amount",
        "1plx",
        "--for",
        "subscriber",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("other_carrier"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A receipt signed by both keys goes to a file and back; the key it names as the hotspot
    // is no registered device, so the chain refuses it, saying so.
    let receipt = dir.path().join("receipt.json");
    node.cli(&[
        "wireless",
        "sign-receipt",
        "--subscriber",
        "subscriber",
        "--hotspot",
        "hotspot",
        "--session",
        "1",
        "--bytes-up",
        "1000",
        "--bytes-down",
        "50000",
        "--out",
        receipt.to_str().unwrap(),
    ]);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
    assert_eq!(written["bytes_down"], 50000, "{written}");
    assert_eq!(written["subscriber_signature"].as_str().unwrap().len(), 128);
    let out = node.cli(&[
        "tx",
        "settle-data-session",
        "--from",
        "bob",
        "--receipt",
        receipt.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown_device"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let credits = node.cli_json(&["--json", "wireless", "credits", &subscriber]);
    assert_eq!(credits["credits"], "100000", "nothing spent: {credits}");
    let epoch = written["epoch"].as_u64().unwrap();
    let data = node.cli_json(&["--json", "wireless", "data", &epoch.to_string()]);
    assert!(data["hotspots"].as_array().unwrap().is_empty(), "{data}");

    // Once the faucet registers that key as a Wi-Fi hotspot (located where it registers), the
    // same receipt settles: 51 000 bytes cost ⌈51 000 / 24 576⌉ = 3 credits.
    register_wifi_hotspot(&node, &home, "faucet", "hotspot");
    let settled = node.cli_json(&[
        "--json",
        "tx",
        "settle-data-session",
        "--from",
        "bob",
        "--receipt",
        receipt.to_str().unwrap(),
    ]);
    assert_eq!(settled["code"], "ok", "{settled}");
    let credits = node.cli_json(&["--json", "wireless", "credits", &subscriber]);
    assert_eq!(credits["credits"], "99997", "{credits}");
    let data = node.cli_json(&["--json", "wireless", "data", &epoch.to_string()]);
    let hotspots = data["hotspots"].as_array().unwrap();
    assert_eq!(hotspots.len(), 1, "{data}");
    assert_eq!(hotspots[0]["credits"], "3", "{data}");
}

#[test]
fn a_hotspot_owner_claims_its_data_pay_and_the_audit_recomputes_it_from_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let bob_addr = add_key(&home, "bob");
    add_key(&home, "hotspot");
    init_node(
        &home,
        &[
            "--chain-id",
            "plexus-cli-test",
            "--account",
            &format!("{bob_addr}=5plx"),
            "--block-ms",
            "200",
            "--epoch-blocks",
            "20",
        ],
    );
    let node = NodeProcess::start(&home, free_port());
    register_wifi_hotspot(&node, &home, "faucet", "hotspot");
    let bought = node.cli_json(&[
        "--json",
        "tx",
        "buy-data-credits",
        "--from",
        "bob",
        "--amount",
        "0.5plx",
    ]);
    assert_eq!(bought["code"], "ok", "{bought}");
    let receipt = dir.path().join("receipt.json");
    node.cli(&[
        "wireless",
        "sign-receipt",
        "--subscriber",
        "bob",
        "--hotspot",
        "hotspot",
        "--session",
        "1",
        "--bytes-up",
        "0",
        "--bytes-down",
        &(1_000 * 24 * 1024).to_string(),
        "--out",
        receipt.to_str().unwrap(),
    ]);
    let settled = node.cli_json(&[
        "--json",
        "tx",
        "settle-data-session",
        "--from",
        "bob",
        "--receipt",
        receipt.to_str().unwrap(),
    ]);
    assert_eq!(settled["code"], "ok", "{settled}");
    // The session counts in the epoch its settlement's block belongs to.
    let epoch = (settled["height"].as_u64().unwrap() - 1) / 20 + 1;
    let epoch_arg = epoch.to_string();
    let started = std::time::Instant::now();
    let data = loop {
        let data = node.cli_json(&["--json", "wireless", "data", &epoch_arg]);
        if !data["pool"].is_null() {
            break data;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "epoch {epoch} did not end: {data}"
        );
    };
    // 1 000 credits are worth 10 000 uplx, far below the Coverage pool: paid in full.
    assert_eq!(data["summary"]["value"], "10000", "{data}");
    assert_eq!(data["pool"]["held"], "10000", "{data}");

    let faucet = node.cli_json(&["--json", "keys", "show", "faucet"]);
    let faucet_addr = faucet["address"].as_str().unwrap();
    let balance = |who: &str| -> u128 {
        let a = node.cli_json(&["--json", "query", "account", who]);
        a["balance"].as_str().unwrap().parse().unwrap()
    };
    let owner_before = balance(faucet_addr);
    let claimed = node.cli_json(&[
        "--json",
        "tx",
        "claim-data",
        "--from",
        "bob",
        "--epoch",
        &epoch_arg,
        "--device",
        "hotspot",
    ]);
    assert_eq!(claimed["code"], "ok", "{claimed}");
    assert_eq!(balance(faucet_addr), owner_before + 10_000);
    let data = node.cli_json(&["--json", "wireless", "data", &epoch_arg]);
    assert_eq!(data["hotspots"][0]["claimed"], "10000", "{data}");
    // Claimed once.
    let out = node.cli(&[
        "tx",
        "claim-data",
        "--from",
        "bob",
        "--epoch",
        &epoch_arg,
        "--device",
        "hotspot",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already_claimed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let audit = node.cli(&["audit", "epoch", &epoch_arg, "--resource", "data"]);
    let stdout = String::from_utf8_lossy(&audit.stdout);
    assert!(
        audit.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&audit.stderr)
    );
    assert!(
        stdout.contains("MATCH") && !stdout.contains("MISMATCH"),
        "{stdout}"
    );
}

/// The secret of `name` in `home`'s test keyring.
fn secret(home: &std::path::Path, name: &str) -> plexus_types::SecretKey {
    let text = std::fs::read_to_string(home.join(format!("keyring-test/{name}.json"))).unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    let bytes = hex::decode(file["secret_key"].as_str().unwrap()).unwrap();
    plexus_types::SecretKey::from_slice(&bytes).unwrap()
}

/// `owner` registers the key `device` as a `wifi-indoor` hotspot in a San Francisco cell (a
/// Wi-Fi registration asserts its location).
fn register_wifi_hotspot(node: &NodeProcess, home: &std::path::Path, owner: &str, device: &str) {
    use plexus_types::{statements, Amount, Body, Capabilities};
    let (owner, device) = (secret(home, owner), secret(home, device));
    let owner_addr = plexus_types::Address::from_public_key(&owner.public_key());
    let statement =
        statements::device_registration("plexus-cli-test", &owner_addr, &device.public_key());
    let register = Body::RegisterDevice {
        device: device.public_key(),
        class: "wifi-indoor".into(),
        capabilities: Capabilities::default(),
        h3_cell: u64::from_str_radix("8c2a100d2c0a5ff", 16).unwrap(),
        stake: Amount::plx(50),
        device_signature: device.sign(&statement),
    };
    let client = plexus_client::NodeClient::new(&node.url).unwrap();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(plexus_client::TxSender::new(client, owner).send_ok(register))
        .unwrap();
}
