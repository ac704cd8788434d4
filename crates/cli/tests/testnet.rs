//! `plexus testnet`: four validator processes on loopback agree on every app hash and commit
//! transfers sent to each of them.
mod support;

use support::*;

#[test]
fn a_testnet_of_four_validators_agrees_and_commits_transfers_sent_to_each() {
    let home = tempfile::tempdir().unwrap();
    let p2p = free_port_range(4).to_string();
    let api = free_port_range(4).to_string();
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

/// The height and app hash a validator reports, or None while it is down.
fn status(url: &str) -> Option<(u64, String)> {
    let s = get_json(&format!("{url}/v1/status"))?;
    Some((s["height"].as_u64()?, s["app_hash"].as_str()?.to_string()))
}

fn app_hash_at(url: &str, height: u64) -> String {
    let block = get_json(&format!("{url}/v1/blocks/{height}")).expect("the block is served");
    block["app_hash"].as_str().unwrap().to_string()
}

/// Waits until `cond` holds for the validator at `url`, for at most 60 s (three validators of
/// four, each needed for a quorum, go on slowly on a loaded machine).
fn wait_for(url: &str, what: &str, cond: impl Fn(u64) -> bool) -> u64 {
    let started = std::time::Instant::now();
    loop {
        if let Some((h, _)) = status(url) {
            if cond(h) {
                return h;
            }
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{url}: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn validators_killed_one_then_two_of_four_stop_progress_without_a_fork_and_catch_up() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let net = FourValidators::init(home);
    let vhome = |i: u16| net.vhome(i);
    let url = |i: u16| net.url(i);
    let transfer_via = |i: u16| net.transfer_via(i);
    let api = net.api;
    let mut nodes: Vec<Option<NodeProcess>> = (0..4)
        .map(|i| Some(NodeProcess::start(&vhome(i), api + i)))
        .collect();
    wait_for(&url(0), "the chain did not start", |h| h >= 3);

    // One of four killed: the other three go on and commit transfers.
    nodes[3].as_mut().unwrap().kill();
    let before = status(&url(0)).unwrap().0;
    wait_for(&url(0), "no progress with three of four", |h| {
        h >= before + 5
    });
    transfer_via(1);

    // Two of four killed: progress stops, and the two left agree on every height they have.
    nodes[2].as_mut().unwrap().kill();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let stalled = status(&url(0)).unwrap().0;
    std::thread::sleep(std::time::Duration::from_secs(3));
    let (h0, _) = status(&url(0)).unwrap();
    let (h1, _) = status(&url(1)).unwrap();
    assert!(
        h0 <= stalled + 1,
        "progressed from {stalled} to {h0} with two of four down"
    );
    let common = h0.min(h1);
    assert_eq!(app_hash_at(&url(0), common), app_hash_at(&url(1), common));

    // One comes back: progress resumes; the other comes back and catches up.
    nodes[2] = Some(NodeProcess::start(&vhome(2), api + 2));
    wait_for(&url(0), "no progress after a validator came back", |h| {
        h >= common + 5
    });
    transfer_via(2);
    nodes[3] = Some(NodeProcess::start(&vhome(3), api + 3));
    let target = status(&url(0)).unwrap().0;
    wait_for(&url(3), "the restarted validator did not catch up", |h| {
        h >= target
    });
    for h in [common, target] {
        let expected = app_hash_at(&url(0), h);
        for i in 1..4 {
            assert_eq!(app_hash_at(&url(i), h), expected, "validator {i} at {h}");
        }
    }
}

/// A validator's machine is lost: a new home holding only its genesis, config and keys is
/// filled from a snapshot of its last height, checked against the app hash its peers report
/// for that height; it fetches the blocks it missed from them, agrees on every app hash, goes
/// on after a restart, and votes again (the chain goes on with it as one of the three of four
/// needed).
#[test]
fn a_validator_restored_from_a_snapshot_catches_up_and_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let net = FourValidators::init(home);
    let vhome = |i: u16| net.vhome(i);
    let url = |i: u16| net.url(i);
    let transfer_via = |i: u16| net.transfer_via(i);
    let api = net.api;
    let mut nodes: Vec<Option<NodeProcess>> = (0..4)
        .map(|i| Some(NodeProcess::start(&vhome(i), api + i)))
        .collect();
    wait_for(&url(0), "the chain did not start", |h| h >= 3);
    transfer_via(3);

    // Validator 3 stops; its state at its last height goes into a file.
    nodes[3].as_mut().unwrap().kill();
    let file = home.join("validator-3.snapshot");
    let exported = run_json(
        &vhome(3),
        &[
            "--json",
            "node",
            "snapshot",
            "export",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    let height = exported["height"].as_u64().unwrap();
    let root = app_hash_at(&url(0), height);
    assert_eq!(exported["app_hash"], root.as_str(), "{exported}");

    // The others go on without it, committing a transfer it has to fetch.
    transfer_via(0);
    wait_for(&url(0), "no progress with three of four", |h| {
        h >= height + 3
    });

    // A new home with only the validator's genesis, config and keys; the old one is gone.
    let restored = home.join("validator-3-restored");
    std::fs::create_dir_all(&restored).unwrap();
    for name in [
        "genesis.json",
        "config.toml",
        "node_key.json",
        "consensus_key",
        "consensus_share",
    ] {
        std::fs::copy(vhome(3).join(name), restored.join(name)).unwrap();
    }
    std::fs::remove_dir_all(vhome(3)).unwrap();
    let restore = |target: &std::path::Path| {
        run(
            target,
            &[
                "--json",
                "node",
                "snapshot",
                "restore",
                file.to_str().unwrap(),
                "--root",
                &root,
            ],
        )
    };
    // A home that still holds a consensus journal is not restored into.
    let journaled = home.join("journaled");
    std::fs::create_dir_all(journaled.join("data/consensus/plexus-consensus")).unwrap();
    for name in [
        "genesis.json",
        "config.toml",
        "node_key.json",
        "consensus_key",
        "consensus_share",
    ] {
        std::fs::copy(restored.join(name), journaled.join(name)).unwrap();
    }
    let refused = restore(&journaled);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("consensus journal"), "{err}");
    assert!(
        !journaled.join("data/state.redb").exists(),
        "nothing imported"
    );

    let out = restore(&restored);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    nodes[3] = Some(NodeProcess::start(&restored, api + 3));
    let target = status(&url(0)).unwrap().0;
    wait_for(&url(3), "the restored validator did not catch up", |h| {
        h >= target
    });
    let expected = app_hash_at(&url(0), target);
    for i in 1..4 {
        assert_eq!(
            app_hash_at(&url(i), target),
            expected,
            "validator {i} at {target}"
        );
    }
    let next = get_json(&format!("{}/v1/blocks/{}", url(3), height + 1)).unwrap();
    assert_eq!(
        next["prev_app_hash"],
        root.as_str(),
        "it goes on from the snapshot"
    );

    // Restarted, it goes on from the blocks it has committed since.
    nodes[3].as_mut().unwrap().kill();
    nodes[3] = Some(NodeProcess::start(&restored, api + 3));
    let target = status(&url(0)).unwrap().0;
    wait_for(&url(3), "the restored validator did not restart", |h| {
        h >= target
    });

    // With validator 2 stopped, the chain needs the restored validator's votes to go on.
    nodes[2].as_mut().unwrap().kill();
    let now = status(&url(0)).unwrap().0;
    wait_for(
        &url(0),
        "no progress with the restored validator voting",
        |h| h >= now + 5,
    );
    transfer_via(3);
    let common = status(&url(1)).unwrap().0.min(status(&url(3)).unwrap().0);
    assert_eq!(app_hash_at(&url(1), common), app_hash_at(&url(3), common));
}

/// An operator restores a validator from the snapshot of another chain that happens to share
/// the chain id, vouching for it with that snapshot's own root: the validator executes no
/// further than the first block whose checkpoint shows the difference, and stops with an error
/// naming the snapshot, while the chain goes on without it.
#[test]
fn a_validator_restored_from_a_snapshot_of_another_chain_refuses_to_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("testnet");
    let net = FourValidators::init(&home);
    let vhome = |i: u16| net.vhome(i);
    let url = |i: u16| net.url(i);
    let api = net.api;
    let _nodes: Vec<NodeProcess> = (0..3)
        .map(|i| NodeProcess::start(&vhome(i), api + i))
        .collect();

    // Another chain of the same id, run alone for a few blocks.
    let other = dir.path().join("other");
    init_node(&other, &["--block-ms", "200"]);
    let mut node = NodeProcess::start(&other, free_port());
    wait_for(&node.url, "the other chain did not start", |h| h >= 2);
    node.kill();
    let file = dir.path().join("other.snapshot");
    let exported = run_json(
        &other,
        &[
            "--json",
            "node",
            "snapshot",
            "export",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    let root = exported["app_hash"].as_str().unwrap();
    let restored = run(
        &vhome(3),
        &[
            "node",
            "snapshot",
            "restore",
            file.to_str().unwrap(),
            "--root",
            root,
        ],
    );
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    wait_for(&url(0), "three of four make no progress", |h| {
        h >= exported["height"].as_u64().unwrap() + 3
    });

    let stderr_path = dir.path().join("validator-3.stderr");
    let mut child = plexus()
        .env("PLEXUS_LOG", "error")
        .arg("--home")
        .arg(vhome(3))
        .args(["node", "start", "--api", &format!("127.0.0.1:{}", api + 3)])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    // Its exit is awaited on a thread of its own, for at most 60 s.
    let pid = child.id();
    let (exited, exit) = std::sync::mpsc::channel();
    std::thread::spawn(move || exited.send(child.wait()));
    let Ok(exit) = exit.recv_timeout(std::time::Duration::from_secs(60)) else {
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
        panic!("a validator started from another chain's snapshot kept running");
    };
    let exit = exit.unwrap();
    assert!(!exit.success());
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(stderr.contains("is not of this chain"), "{stderr}");
    let now = status_height(&url(0));
    wait_for(&url(0), "the chain stopped", |h| h > now);
}

/// Four validators initialised under one home (each in `validator-I`, API on `api + I`), and
/// a `user` key to send transfers to.
struct FourValidators {
    home: std::path::PathBuf,
    api: u16,
    user: String,
}

impl FourValidators {
    fn init(home: &std::path::Path) -> FourValidators {
        let p2p = free_port_range(4);
        let api = free_port_range(4);
        init_node(
            home,
            &[
                "--validators",
                "4",
                "--p2p-port",
                &p2p.to_string(),
                "--api-port",
                &api.to_string(),
            ],
        );
        let user = add_key(home, "user");
        FourValidators {
            home: home.to_path_buf(),
            api,
            user,
        }
    }

    fn vhome(&self, i: u16) -> std::path::PathBuf {
        self.home.join(format!("validator-{i}"))
    }

    fn url(&self, i: u16) -> String {
        format!("http://127.0.0.1:{}", self.api + i)
    }

    /// Sends 1 uplx from the faucet to `user` through validator `i` and waits for its commit.
    fn transfer_via(&self, i: u16) {
        let out = run_json(
            &self.home,
            &[
                "--keyring-backend",
                "test",
                "--node",
                &self.url(i),
                "--json",
                "tx",
                "transfer",
                "--from",
                "faucet",
                "--to",
                &self.user,
                "--amount",
                "1uplx",
                "--wait",
            ],
        );
        assert_eq!(out["code"], "ok", "{out}");
    }
}

fn status_height(url: &str) -> u64 {
    status(url).expect("the validator answers").0
}
