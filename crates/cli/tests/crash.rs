//! A node killed with SIGKILL while it commits blocks under load restarts at the height it
//! last committed, with the same app hash, and keeps every transaction it reported committed.
mod support;

use plexus_types::{Address, Amount, Body, SecretKey, UnsignedTx};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::*;

const CHAIN: &str = "plexus-crash-test";

fn faucet_key(home: &std::path::Path) -> SecretKey {
    let text = std::fs::read_to_string(home.join("keyring-test/faucet.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    SecretKey::from_slice(&hex::decode(v["secret_key"].as_str().unwrap()).unwrap()).unwrap()
}

/// Floods the node with batches of transfers from the faucet until `stop`.
fn load(url: String, key: SecretKey, stop: Arc<AtomicBool>) {
    let addr = Address::from_public_key(&key.public_key());
    let mut nonce = get_json(&format!("{url}/v1/accounts/{addr}"))
        .and_then(|v| v["nonce"].as_u64())
        .unwrap_or(0);
    while !stop.load(Ordering::SeqCst) {
        let txs: Vec<String> = (0..200)
            .map(|i| {
                hex::encode(
                    UnsignedTx {
                        chain_id: CHAIN.into(),
                        nonce: nonce + i,
                        fee: Amount(1_000),
                        body: Body::Transfer {
                            to: Address([7; 20]),
                            amount: Amount(1),
                        },
                    }
                    .sign(&key)
                    .bytes,
                )
            })
            .collect();
        let body = serde_json::json!({ "txs": txs }).to_string();
        match post_json(&format!("{url}/v1/txs/batch"), &body) {
            Some(_) => nonce += 200,
            None => return, // the node is gone
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_node_killed_while_committing_restarts_with_everything_it_committed() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let user_addr = add_key(&home, "user");
    init_node(
        &home,
        &[
            "--chain-id",
            CHAIN,
            "--account",
            &format!("{user_addr}=1000plx"),
            "--block-ms",
            "50",
        ],
    );
    let faucet = faucet_key(&home);
    let port = free_port();
    // Transactions that `tx transfer --wait` reported committed, with their heights.
    let mut reported: Vec<(String, u64)> = Vec::new();
    let rounds = 10;
    for round in 0..rounds {
        let mut node = NodeProcess::start(&home, port);
        let stop = Arc::new(AtomicBool::new(false));
        let loader = {
            let (url, key, stop) = (node.url.clone(), faucet.clone(), stop.clone());
            std::thread::spawn(move || load(url, key, stop))
        };
        // A few user-visible transfers, each waited for.
        for _ in 0..2 {
            let v = node.cli_json(&[
                "--json", "tx", "transfer", "--from", "user", "--to", &user_addr, "--amount",
                "1uplx", "--wait",
            ]);
            assert_eq!(v["code"], "ok", "{v}");
            reported.push((
                v["hash"].as_str().unwrap().to_string(),
                v["height"].as_u64().unwrap(),
            ));
        }
        // Watch commits under load, then kill at a moment that varies by round.
        let mut last_seen: Option<(u64, String)> = None;
        let deadline = std::time::Instant::now() + Duration::from_millis(150 + 97 * round);
        while std::time::Instant::now() < deadline {
            if let Some(s) = get_json(&format!("{}/v1/status", node.url)) {
                last_seen = Some((
                    s["height"].as_u64().unwrap(),
                    s["app_hash"].as_str().unwrap().to_string(),
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        node.kill();
        stop.store(true, Ordering::SeqCst);
        loader.join().unwrap();
        let (seen_height, seen_hash) = last_seen.expect("saw the node's status");

        let node = NodeProcess::start(&home, port);
        let status = get_json(&format!("{}/v1/status", node.url)).unwrap();
        assert!(
            status["height"].as_u64().unwrap() >= seen_height,
            "round {round}: restarted at {} below the committed {seen_height}",
            status["height"]
        );
        let block = get_json(&format!("{}/v1/blocks/{seen_height}", node.url)).unwrap();
        assert_eq!(
            block["app_hash"].as_str().unwrap(),
            seen_hash,
            "round {round}: app hash at {seen_height} changed across the crash"
        );
        for (hash, height) in &reported {
            let tx = get_json(&format!("{}/v1/txs/{hash}", node.url)).unwrap();
            assert_eq!(tx["status"], "committed", "round {round}: lost {hash}");
            assert_eq!(tx["height"].as_u64().unwrap(), *height);
        }
        drop(node);
    }
    assert_eq!(reported.len(), 2 * rounds as usize);
}

#[test]
fn a_node_stopped_with_sigterm_exits_cleanly_and_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init_node(&home, &["--chain-id", CHAIN, "--block-ms", "50"]);
    let port = free_port();
    let mut node = NodeProcess::start(&home, port);
    std::thread::sleep(Duration::from_millis(500));
    let before = get_json(&format!("{}/v1/status", node.url)).unwrap();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &node.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let started = std::time::Instant::now();
    let exit = loop {
        if let Some(status) = node.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "node ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "node exited with {exit}");
    let node = NodeProcess::start(&home, port);
    let after = get_json(&format!("{}/v1/status", node.url)).unwrap();
    assert!(after["height"].as_u64().unwrap() >= before["height"].as_u64().unwrap());
    let block = get_json(&format!("{}/v1/blocks/{}", node.url, before["height"])).unwrap();
    assert_eq!(block["app_hash"], before["app_hash"]);
}
