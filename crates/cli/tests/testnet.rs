//! `plexus testnet`: four validator processes on loopback agree on every app hash and commit
//! transfers sent to each of them.
mod support;

use support::*;

/// A run of `n` ports that were free a moment ago.
fn free_ports(n: u16) -> u16 {
    loop {
        let base = free_port();
        if base > 60_000 {
            continue;
        }
        let all_free = (0..n).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        if all_free {
            return base;
        }
    }
}

#[test]
fn a_testnet_of_four_validators_agrees_and_commits_transfers_sent_to_each() {
    let home = tempfile::tempdir().unwrap();
    let p2p = free_ports(4).to_string();
    let api = free_ports(4).to_string();
    let out = run_json(
        home.path(),
        &[
            "testnet",
            "--validators",
            "4",
            "--for",
            "8s",
            "--p2p-port",
            &p2p,
            "--api-port",
            &api,
            "--json",
        ],
    );
    assert_eq!(out["app_hashes_agree"], true, "{out}");
    let validators = out["validators"].as_array().unwrap();
    assert_eq!(validators.len(), 4);
    let common = &validators[0]["app_hash_at_common_height"];
    for v in validators {
        assert!(v["height"].as_u64().unwrap() >= 3, "{out}");
        assert_eq!(&v["app_hash_at_common_height"], common, "{out}");
    }
    let sent = out["transfers_sent"].as_u64().unwrap();
    assert!(sent >= 8, "{out}");
    assert_eq!(out["transfers_committed"].as_u64().unwrap(), sent, "{out}");
}
