//! An oracle killed with SIGKILL in the middle of an epoch and restarted produces the same
//! manifest as an oracle that never crashed. Real processes: a node, two oracles with the same
//! key (one is killed), and two agents reporting to both.
mod support;

use serde_json::Value;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn spawn(home: &std::path::Path, args: &[&str]) -> Child {
    plexus()
        .arg("--home")
        .arg(home)
        .arg("--keyring-backend")
        .arg("test")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("plexus starts")
}

struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn wait_port(port: u16) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "port {port} never opened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn manifest(port: u16, epoch: u64) -> Option<Value> {
    get_json(&format!(
        "http://127.0.0.1:{port}/v1/manifests/{epoch}/compute"
    ))
    .filter(|v| v.get("manifest").is_some())
}

#[test]
fn an_oracle_killed_mid_epoch_produces_the_same_manifest_as_one_that_never_crashed() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("net");
    let oracle_addr = add_key(&home, "oracle");
    let providers = [add_key(&home, "provider-a"), add_key(&home, "provider-b")];
    let mut init = vec![
        "--chain-id",
        "plexus-oracle-crash",
        "--oracle",
        "oracle",
        "--block-ms",
        "100",
        "--min-block-ms",
        "100",
        "--epoch-blocks",
        "120",
        "--intervals-per-epoch",
        "4",
    ];
    let mut accounts: Vec<String> = providers.iter().map(|p| format!("{p}=10000plx")).collect();
    accounts.push(format!("{oracle_addr}=1000plx"));
    for a in &accounts {
        init.push("--account");
        init.push(a);
    }
    init_node(&home, &init);
    let (node_port, a_port, b_port) = (free_port(), free_port(), free_port());
    let node_url = format!("http://127.0.0.1:{node_port}");
    let mut procs = Procs(vec![spawn(
        &home,
        &["node", "start", "--api", &format!("127.0.0.1:{node_port}")],
    )]);
    wait_port(node_port);
    let oracle = |port: u16, dir: &str| {
        spawn(
            &home,
            &[
                "--node",
                &node_url,
                "oracle",
                "start",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--key",
                "oracle",
                "--data-dir",
                home.join(dir).to_str().unwrap(),
            ],
        )
    };
    procs.0.push(oracle(a_port, "oracle-a"));
    procs.0.push(oracle(b_port, "oracle-b"));
    wait_port(a_port);
    wait_port(b_port);
    for (i, name) in ["provider-a", "provider-b"].iter().enumerate() {
        let config = home.join(format!("agent-{i}.toml"));
        std::fs::write(
            &config,
            format!(
                "node = \"{node_url}\"\noracles = [\"http://127.0.0.1:{a_port}\", \"http://127.0.0.1:{b_port}\"]\n\
                 data_dir = \"agent-{i}\"\nclass = \"cpu-small\"\nh3_cell = \"8c2a100d2c0a5ff\"\nstake = \"100plx\"\n"
            ),
        )
        .unwrap();
        procs.0.push(spawn(
            &home,
            &[
                "agent",
                "start",
                "--config",
                config.to_str().unwrap(),
                "--owner",
                name,
            ],
        ));
    }

    // Let epoch 1 end, then kill oracle A in the middle of epoch 2 and restart it.
    let started = Instant::now();
    let height = || {
        get_json(&format!("{node_url}/v1/status"))
            .and_then(|s| s["height"].as_u64())
            .unwrap_or(0)
    };
    while height() < 180 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the chain is too slow"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut a = procs.0.remove(1);
    a.kill().unwrap(); // SIGKILL: no chance to flush or clean up
    a.wait().unwrap();
    procs.0.push(oracle(a_port, "oracle-a"));
    wait_port(a_port);

    // Epoch 2's manifests from both oracles.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (from_a, from_b) = loop {
        assert!(
            Instant::now() < deadline,
            "epoch 2 was not closed by both oracles"
        );
        if let (Some(a), Some(b)) = (manifest(a_port, 2), manifest(b_port, 2)) {
            break (a, b);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let key_of = |m: &Value| {
        (
            m["manifest"]["root"].clone(),
            m["manifest"]["total_units"].clone(),
            m["manifest"]["evidence_root"].clone(),
        )
    };
    assert_eq!(
        key_of(&from_a),
        key_of(&from_b),
        "the crashed oracle disagrees"
    );
    assert_eq!(
        from_a["manifest"]["leaves"].as_array().unwrap().len(),
        2,
        "both devices earned in epoch 2: {from_a}"
    );
}
