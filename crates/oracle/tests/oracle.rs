//! The oracle against a real node: ingest validity codes, a challenge answered honestly, the
//! epoch's manifest landing on chain, and hotspots' wireless records scored into the coverage
//! and PoC manifests. A device answering with a wrong product, slashed on
//! chain, is the simulation's wrong-compute scenario (`crates/sim`).

use plexus_client::OracleClient;
use plexus_ledger::{Genesis, GenesisAccount, OracleSet, RewardParams};
use plexus_node::{run_node, NodeConfig, NodeFiles};
use plexus_oracle::{run_oracle, OracleConfig};
use plexus_proofs::compute::{prove, ComputeChallenge};
use plexus_rewards::audit::ScoredResource;
use plexus_rewards::wireless::fspl::fspl_cdb;
use plexus_rewards::wireless::{
    cell_position, distance_m, Beacon, LocationReport, Position, SignedWireless, WitnessReport,
};
use plexus_types::heartbeat::{Heartbeat, SignedHeartbeat};
use plexus_types::{
    proto, statements, Address, Amount, Body, Capabilities, Hash, SecretKey, UnsignedTx,
};
use prost::Message;
use serde_json::Value;
use std::time::Duration;

const CHAIN: &str = "plexus-oracle-test";

struct Net {
    _dir: tempfile::TempDir,
    node: plexus_node::RunningNode,
    oracle: plexus_oracle::RunningOracle,
    node_url: String,
    oracle_url: String,
    http: reqwest::Client,
}

async fn start(owner: &SecretKey, oracle_key: &SecretKey) -> Net {
    let dir = tempfile::tempdir().unwrap();
    let files = NodeFiles::new(dir.path().join("node"));
    let mut genesis = Genesis::new(
        CHAIN,
        1,
        vec![
            GenesisAccount {
                address: Address::from_public_key(&owner.public_key()),
                balance: Amount::plx(100_000),
            },
            GenesisAccount {
                address: Address::from_public_key(&oracle_key.public_key()),
                balance: Amount::plx(1_000),
            },
        ],
    );
    genesis.rewards = RewardParams {
        epoch_blocks: 40,
        intervals_per_epoch: 4,
        min_uptime_percent: 25,
        ..RewardParams::default()
    };
    genesis.oracles = OracleSet {
        members: vec![Address::from_public_key(&oracle_key.public_key())],
        threshold: 1,
    };
    let config = NodeConfig {
        api: "127.0.0.1:0".parse().unwrap(),
        block_ms: 40,
        min_block_ms: 0,
        uploads: Default::default(),
        retain_versions: 0,
        oracles: Vec::new(),
    };
    files
        .write_new(&genesis, &config, &SecretKey::from_seed([9; 32]))
        .unwrap();
    let node = run_node(&files, config).await.unwrap();
    let node_url = format!("http://{}", node.api_addr);
    let oracle = run_oracle(OracleConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        node: node_url.clone(),
        data_dir: dir.path().join("oracle"),
        key: oracle_key.clone(),
        peers: Vec::new(),
    })
    .await
    .unwrap();
    let oracle_url = format!("http://{}", oracle.addr);
    Net {
        _dir: dir,
        node,
        oracle,
        node_url,
        oracle_url,
        http: reqwest::Client::new(),
    }
}

impl Net {
    async fn get(&self, url: String) -> (u16, Value) {
        let r = self.http.get(url).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, url: String, body: Vec<u8>) -> (u16, Value) {
        let r = self.http.post(url).body(body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn send(&self, key: &SecretKey, body: Body) -> Value {
        let addr = Address::from_public_key(&key.public_key());
        let (_, acct) = self
            .get(format!("{}/v1/accounts/{addr}", self.node_url))
            .await;
        let tx = UnsignedTx {
            chain_id: CHAIN.into(),
            nonce: acct["nonce"].as_u64().unwrap(),
            fee: Amount(1_000),
            body,
        }
        .sign(key);
        let (status, v) = self
            .post(format!("{}/v1/txs", self.node_url), tx.bytes)
            .await;
        assert_eq!(status, 202, "{v}");
        for _ in 0..200 {
            let (_, v) = self
                .get(format!("{}/v1/txs/{}", self.node_url, tx.hash))
                .await;
            if v["status"] == "committed" {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("transaction not committed");
    }

    /// Waits for the chain's next block (the node's `/v1/events` stream), so that a loop
    /// waiting on the oracle moves with the chain, not with the clock.
    async fn next_block(&self) {
        let url = format!("{}/v1/events", self.node_url);
        let mut events = self.http.get(url).send().await.unwrap();
        while let Some(chunk) = events.chunk().await.unwrap() {
            if String::from_utf8_lossy(&chunk).contains("event: block") {
                return;
            }
        }
        panic!("the node's event stream ended");
    }

    /// The node's record of `device`.
    async fn device(&self, device: &SecretKey) -> Value {
        let url = format!("{}/v1/devices/{}", self.node_url, device.public_key());
        self.get(url).await.1
    }

    /// The oracle's published evidence of `epoch`, as text.
    async fn evidence(&self, epoch: u64) -> String {
        let url = format!("{}/v1/evidence/{epoch}", self.oracle_url);
        let answer = self.http.get(url).send().await.unwrap();
        answer.text().await.unwrap()
    }

    async fn status(&self) -> Value {
        for _ in 0..200 {
            let (code, v) = self.get(format!("{}/v1/status", self.oracle_url)).await;
            if code == 200 && !v["beacon"].is_null() {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("oracle never ready");
    }

    async fn heartbeat(&self, device: &SecretKey, chain: &str) -> SignedHeartbeat {
        let s = self.status().await;
        Heartbeat {
            chain_id: chain.into(),
            device: device.public_key(),
            epoch: s["epoch"].as_u64().unwrap(),
            interval: s["interval"].as_u64().unwrap() as u32,
            beacon: Hash::from_hex(s["beacon"].as_str().unwrap()).unwrap(),
        }
        .sign(device)
    }
}

async fn register(net: &Net, owner: &SecretKey, device: &SecretKey) {
    let owner_addr = Address::from_public_key(&owner.public_key());
    let statement = statements::device_registration(CHAIN, &owner_addr, &device.public_key());
    let v = net
        .send(
            owner,
            Body::RegisterDevice {
                device: device.public_key(),
                class: "cpu-small".into(),
                capabilities: Capabilities::default(),
                h3_cell: 0x8c2a100d2c0a5ff,
                stake: Amount::plx(100),
                device_signature: device.sign(&statement),
            },
        )
        .await;
    assert_eq!(v["code"], "ok", "{v}");
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The device's own request for its challenges, signed at `at_ms`.
fn fetch_url(net: &Net, device: &SecretKey, at_ms: u64) -> String {
    let statement = statements::challenge_fetch(CHAIN, &device.public_key(), at_ms);
    format!(
        "{}/v1/challenges/{}?at_ms={at_ms}&signature={}",
        net.oracle_url,
        device.public_key(),
        hex::encode(device.sign(&statement).to_bytes())
    )
}

/// Answers the device's open challenges honestly. (A device answering wrongly is slashed in
/// the simulation's wrong-compute scenario, `crates/sim`.)
async fn answer(net: &Net, device: &SecretKey) -> Vec<String> {
    let (code, v) = net.get(fetch_url(net, device, now_ms())).await;
    assert_eq!(code, 200, "{v}");
    let mut outcomes = Vec::new();
    for c in v["challenges"].as_array().unwrap() {
        let seed: [u8; 32] = hex::decode(c["seed"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let n = c["n"].as_u64().unwrap() as u32;
        let challenge = ComputeChallenge::new(seed, n).unwrap();
        let proof = prove(&challenge);
        let statement = statements::compute_commitment(CHAIN, &seed, n, &proof.root());
        let commit = proto::ChallengeCommit {
            device: device.public_key().as_bytes().to_vec(),
            seed: seed.to_vec(),
            n,
            root: proof.root().0.to_vec(),
            signature: device.sign(&statement).to_bytes().to_vec(),
        };
        let id = c["id"].as_str().unwrap();
        let (code, rows) = net
            .post(
                format!("{}/v1/challenges/{id}/commit", net.oracle_url),
                commit.encode_to_vec(),
            )
            .await;
        assert_eq!(code, 200, "{rows}");
        let openings = rows["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let o = proof.open(r.as_u64().unwrap() as u32).unwrap();
                proto::RowOpening {
                    index: o.index,
                    row: o.row,
                    leaf_count: o.proof.leaf_count,
                    siblings: o.proof.siblings.iter().map(|h| h.0.to_vec()).collect(),
                }
            })
            .collect();
        let msg = proto::ChallengeOpenings {
            device: device.public_key().as_bytes().to_vec(),
            seed: seed.to_vec(),
            openings,
        };
        let (code, out) = net
            .post(
                format!("{}/v1/challenges/{id}/open", net.oracle_url),
                msg.encode_to_vec(),
            )
            .await;
        assert_eq!(code, 200, "{out}");
        outcomes.push(out["outcome"].as_str().unwrap().to_string());
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_evidence_is_refused_with_a_code_and_never_counted() {
    let owner = SecretKey::from_seed([1; 32]);
    let oracle_key = SecretKey::from_seed([2; 32]);
    let device = SecretKey::from_seed([3; 32]);
    let stranger = SecretKey::from_seed([4; 32]);
    let net = start(&owner, &oracle_key).await;
    register(&net, &owner, &device).await;
    // Let the oracle see the device.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let url = format!("{}/v1/heartbeats", net.oracle_url);

    let good = net.heartbeat(&device, CHAIN).await;
    let (code, v) = net.post(url.clone(), good.bytes.clone()).await;
    assert_eq!(code, 202, "{v}");
    let (code, v) = net.post(url.clone(), good.bytes.clone()).await;
    assert_eq!((code, v["duplicate"].as_bool()), (200, Some(true)));

    let mut forged = net.heartbeat(&device, CHAIN).await;
    forged.signature = stranger.sign(&forged.payload);
    let forged = SignedHeartbeat::encode_batch(&[forged]);
    let (code, v) = net.post(format!("{url}/batch"), forged).await;
    assert_eq!(code, 200);
    assert_eq!(v["results"][0]["error"]["code"], "bad_signature", "{v}");

    let unknown = net.heartbeat(&stranger, CHAIN).await;
    let (code, v) = net.post(url.clone(), unknown.bytes).await;
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (403, Some("unknown_device"))
    );

    let other_chain = net.heartbeat(&device, "another-chain").await;
    let (code, v) = net.post(url.clone(), other_chain.bytes).await;
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (400, Some("wrong_chain"))
    );

    let mut old = good.heartbeat.clone();
    old.epoch += 5;
    let (code, v) = net.post(url.clone(), old.sign(&device).bytes).await;
    assert_eq!((code, v["error"]["code"].as_str()), (409, Some("stale")));

    let (code, v) = net.post(url.clone(), b"\xff\xfe garbage".to_vec()).await;
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (400, Some("malformed"))
    );

    let many: Vec<SignedHeartbeat> = (0..5000).map(|_| good.clone()).collect();
    let (code, v) = net
        .post(format!("{url}/batch"), SignedHeartbeat::encode_batch(&many))
        .await;
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (413, Some("batch_too_large"))
    );

    // Only the one good heartbeat is in the published evidence.
    let epoch = good.heartbeat.epoch;
    let text = net.evidence(epoch).await;
    let heartbeats = text.lines().filter(|l| l.contains("\"heartbeat\"")).count();
    assert_eq!(heartbeats, 1, "{text}");
    net.oracle.shutdown().await;
    net.node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_start_a_devices_challenge_clock_nor_replay_its_request() {
    let owner = SecretKey::from_seed([1; 32]);
    let oracle_key = SecretKey::from_seed([2; 32]);
    let device = SecretKey::from_seed([3; 32]);
    let stranger = SecretKey::from_seed([7; 32]);
    let net = start(&owner, &oracle_key).await;
    register(&net, &owner, &device).await;
    let code_of = |v: &Value| v["error"]["code"].as_str().map(str::to_string);

    // Asking by the device's key alone, as anyone can, is refused before any deadline starts.
    let (code, v) = net
        .get(format!(
            "{}/v1/challenges/{}",
            net.oracle_url,
            device.public_key()
        ))
        .await;
    assert_eq!((code, code_of(&v).as_deref()), (401, Some("unsigned")));
    // So is a request signed by another key.
    let at = now_ms();
    let forged = fetch_url(&net, &stranger, at).replace(
        &stranger.public_key().to_string(),
        &device.public_key().to_string(),
    );
    let (code, v) = net.get(forged).await;
    assert_eq!((code, code_of(&v).as_deref()), (401, Some("bad_signature")));
    // The device's own request is answered once; the same request seen and sent again is not.
    let own = fetch_url(&net, &device, at);
    let (code, v) = net.get(own.clone()).await;
    assert_eq!(code, 200, "{v}");
    let (code, v) = net.get(own).await;
    assert_eq!((code, code_of(&v).as_deref()), (409, Some("replayed")));
    // Nor can a request signed long ago be kept for later.
    let (code, v) = net.get(fetch_url(&net, &device, at - 10 * 60 * 1000)).await;
    assert_eq!((code, code_of(&v).as_deref()), (400, Some("stale")));
    net.oracle.shutdown().await;
    net.node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_epoch_is_scored_submitted_and_claimable_by_its_honest_device() {
    let owner = SecretKey::from_seed([1; 32]);
    let oracle_key = SecretKey::from_seed([2; 32]);
    let honest = SecretKey::from_seed([3; 32]);
    let idle = SecretKey::from_seed([6; 32]);
    let net = start(&owner, &oracle_key).await;
    register(&net, &owner, &honest).await;
    register(&net, &owner, &idle).await;
    let hb_url = format!("{}/v1/heartbeats", net.oracle_url);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let (closed, epoch) = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no epoch closed in time"
        );
        let hb = net.heartbeat(&honest, CHAIN).await;
        net.post(hb_url.clone(), hb.bytes).await;
        answer(&net, &honest).await;
        let d = net.device(&honest).await;
        let registered = d["registered_epoch"].as_u64().unwrap_or(1);
        // The first full epoch after registration is the one to score.
        let (code, v) = net
            .get(format!(
                "{}/v1/manifests/{}/compute",
                net.oracle_url,
                registered + 1
            ))
            .await;
        if code == 200 {
            break (v, registered + 1);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let leaves = closed["manifest"]["leaves"].as_array().unwrap().clone();
    assert_eq!(leaves.len(), 1, "only the honest device earns: {closed}");
    assert_eq!(leaves[0]["device"], honest.public_key().to_string());

    // The manifest is final on chain and the device's reward can be claimed with the proof.
    let (_, e) = net.get(format!("{}/v1/epochs/{epoch}", net.node_url)).await;
    let pool = e["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["resource"] == "compute")
        .unwrap()
        .clone();
    assert_eq!(
        pool["manifest"]["root"], closed["manifest"]["root"],
        "{pool}"
    );
    let (code, claim) = net
        .get(format!(
            "{}/v1/manifests/{epoch}/compute/claims/{}",
            net.oracle_url,
            honest.public_key()
        ))
        .await;
    assert_eq!(code, 200, "{claim}");
    let proof: plexus_types::MerkleProof = serde_json::from_value(claim["proof"].clone()).unwrap();
    let body = Body::ClaimReward(plexus_types::RewardClaim {
        epoch,
        resource: "compute".into(),
        device: honest.public_key(),
        owner: Address::from_public_key(&owner.public_key()),
        units: claim["leaf"]["units"].as_str().unwrap().parse().unwrap(),
        proof,
    });
    let v = net.send(&owner, body).await;
    assert_eq!(v["code"], "ok", "{v}");
    let (code, _) = net
        .get(format!(
            "{}/v1/manifests/{epoch}/compute/claims/{}",
            net.oracle_url,
            idle.public_key()
        ))
        .await;
    assert_eq!(code, 404, "an idle device has nothing to claim");

    // Anyone can recompute the manifest from the published evidence; a changed record shows.
    let evidence = net.evidence(epoch).await;
    let (_, info) = net.get(format!("{}/v1/chain", net.node_url)).await;
    let info: plexus_client::views::ChainView = serde_json::from_value(info).unwrap();
    let (_, devices) = net.get(format!("{}/v1/devices", net.node_url)).await;
    let devices: Vec<plexus_client::views::DeviceView> =
        serde_json::from_value(devices["devices"].clone()).unwrap();
    let audited = info
        .recompute_manifest(&devices, epoch, &evidence, ScoredResource::Compute)
        .unwrap();
    assert_eq!(
        Value::String(audited.root().to_hex()),
        pool["manifest"]["root"]
    );
    assert_eq!(
        Value::String(audited.evidence_root().to_hex()),
        pool["manifest"]["evidence_root"]
    );
    let mut lines: Vec<&str> = evidence.lines().collect();
    let dropped = lines
        .iter()
        .position(|l| l.contains("\"heartbeat\""))
        .unwrap();
    lines.remove(dropped);
    let tampered = info
        .recompute_manifest(&devices, epoch, &lines.join("\n"), ScoredResource::Compute)
        .unwrap();
    assert_ne!(
        (tampered.root(), tampered.evidence_root()),
        (audited.root(), audited.evidence_root()),
        "removing a heartbeat went unnoticed"
    );

    // The node re-runs the same audit for its console, against the oracles its operator named.
    node_audits_the_epoch(&net, epoch, &pool, lines.join("\n")).await;
    net.oracle.shutdown().await;
    net.node.shutdown().await.unwrap();
}

/// Serves `evidence` as an oracle's evidence of every epoch; returns its base URL.
async fn fake_oracle(evidence: String) -> String {
    let app = axum::Router::new().route(
        "/v1/evidence/{epoch}",
        axum::routing::get(move || std::future::ready(evidence.clone())),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// `GET /v1/epochs/{epoch}/audit/{resource}` on the node: refused without oracles, a match with
/// the honest oracle's evidence, a mismatch with `tampered`, and bounded evidence.
async fn node_audits_the_epoch(net: &Net, epoch: u64, pool: &Value, tampered: String) {
    let audit = |epoch: u64, resource: &str| {
        net.get(format!(
            "{}/v1/epochs/{epoch}/audit/{resource}",
            net.node_url
        ))
    };
    let (code, v) = audit(epoch, "compute").await;
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (503, Some("no_oracle")),
        "{v}"
    );
    // An unreachable oracle first: the audit reads the first that answers.
    net.node.console.set_oracles(vec![
        "http://127.0.0.1:1".to_string(),
        net.oracle_url.clone(),
    ]);
    let (code, v) = audit(epoch, "storage").await;
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (400, Some("bad_resource")),
        "{v}"
    );
    let (code, v) = audit(epoch + 1000, "compute").await;
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (404, Some("epoch_not_ended")),
        "{v}"
    );
    let (code, honest) = audit(epoch, "compute").await;
    assert_eq!(code, 200, "{honest}");
    assert_eq!(honest["match"], true, "{honest}");
    assert_eq!(honest["oracle"], net.oracle_url.as_str(), "{honest}");
    assert_eq!(honest["recomputed"]["root"], pool["manifest"]["root"]);
    assert_eq!(honest["on_chain"]["root"], pool["manifest"]["root"]);
    assert_eq!(honest["devices_rewarded"], 1, "{honest}");
    assert_eq!(honest["mismatch"], serde_json::json!([]), "{honest}");
    assert!(honest["records"].as_u64().unwrap() > 0, "{honest}");

    // Other oracles: the result kept for the first no longer holds; a changed record shows.
    let forger = fake_oracle(tampered).await;
    net.node.console.set_oracles(vec![forger.clone()]);
    let (code, forged) = audit(epoch, "compute").await;
    assert_eq!(code, 200, "{forged}");
    assert_eq!(forged["match"], false, "{forged}");
    assert_eq!(forged["oracle"], forger.as_str(), "{forged}");
    assert_eq!(forged["on_chain"]["root"], pool["manifest"]["root"]);
    assert_ne!(forged["recomputed"], honest["recomputed"], "{forged}");
    assert!(
        !forged["mismatch"].as_array().unwrap().is_empty(),
        "{forged}"
    );

    // Evidence past the bound is not read.
    let huge = "x".repeat(plexus_client::audit::MAX_EVIDENCE_BYTES + 1);
    net.node.console.set_oracles(vec![fake_oracle(huge).await]);
    let (code, v) = audit(epoch, "compute").await;
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (502, Some("evidence_too_large")),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_any_origin_may_read_the_oracle_but_not_write_to_it() {
    let owner = SecretKey::from_seed([1; 32]);
    let oracle_key = SecretKey::from_seed([2; 32]);
    let net = start(&owner, &oracle_key).await;
    let allowed = |r: &reqwest::Response| {
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string())
    };
    for path in ["/v1/status", "/v1/evidence/1"] {
        let r = net
            .http
            .get(format!("{}{path}", net.oracle_url))
            .header("origin", "http://console.example")
            .send()
            .await
            .unwrap();
        assert_eq!(allowed(&r).as_deref(), Some("*"), "GET {path}");
    }
    let write = net
        .http
        .post(format!("{}/v1/heartbeats", net.oracle_url))
        .header("origin", "http://console.example")
        .body(b"\xff not a heartbeat".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(write.status().as_u16(), 400);
    assert_eq!(allowed(&write), None, "a write opened to other origins");
    net.oracle.shutdown().await;
    net.node.shutdown().await.unwrap();
}

/// The res-12 cell at a coordinate (test fixture: h3o's float conversion).
fn cell_at(lat: f64, lng: f64) -> u64 {
    u64::from(
        h3o::LatLng::new(lat, lng)
            .unwrap()
            .to_cell(h3o::Resolution::Twelve),
    )
}

/// Serves `device`'s answers to the oracle's speed tests, as a Wi-Fi hotspot's firmware does;
/// the endpoint it declares.
async fn serve_speed_tests(device: &SecretKey) -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let signer = plexus_agent::bandwidth::SpeedSigner {
        key: device.clone(),
        chain_id: CHAIN.into(),
    };
    let app = plexus_agent::bandwidth::router(None, signer);
    tokio::spawn(async move { axum::serve(listener, app).await });
    endpoint
}

async fn register_hotspot(
    net: &Net,
    owner: &SecretKey,
    device: &SecretKey,
    class: &str,
    cell: u64,
) {
    // A Wi-Fi hotspot declares where the oracle speed-tests it.
    let endpoint = if class.starts_with("wifi") {
        serve_speed_tests(device).await
    } else {
        String::new()
    };
    let owner_addr = Address::from_public_key(&owner.public_key());
    let statement = statements::device_registration(CHAIN, &owner_addr, &device.public_key());
    let v = net
        .send(
            owner,
            Body::RegisterDevice {
                device: device.public_key(),
                class: class.into(),
                capabilities: Capabilities {
                    endpoint,
                    ..Capabilities::default()
                },
                h3_cell: cell,
                stake: Amount::plx(100),
                device_signature: device.sign(&statement),
            },
        )
        .await;
    assert_eq!(v["code"], "ok", "{v}");
}

fn located(device: &SecretKey, at: Position) -> SignedWireless {
    SignedWireless::Location(
        LocationReport {
            radio: device.public_key(),
            at_ms: now_ms(),
            position: at,
        }
        .sign(device),
    )
}

/// The devices with a leaf in the oracle's `resource` manifest of `epoch`.
async fn manifest_devices(net: &Net, epoch: u64, resource: &str) -> Vec<String> {
    let (code, v) = net
        .get(format!(
            "{}/v1/manifests/{epoch}/{resource}",
            net.oracle_url
        ))
        .await;
    assert_eq!(code, 200, "{v}");
    v["manifest"]["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["device"].as_str().unwrap().to_string())
        .collect()
}

/// The oracle's answer codes to `records`, or the whole request's refusal code.
async fn send_wireless(
    oracle: &OracleClient,
    epoch: u64,
    records: &[SignedWireless],
) -> Vec<String> {
    match oracle.send_wireless(CHAIN, epoch, records).await {
        Ok(answers) => answers
            .into_iter()
            .map(|a| match (a.accepted, a.duplicate, a.error) {
                (true, _, _) => "accepted".to_string(),
                (_, true, _) => "duplicate".to_string(),
                (_, _, Some(e)) => e.code,
                _ => "none".to_string(),
            })
            .collect(),
        Err(e) => vec![e.code().unwrap_or("unreachable").to_string()],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotspots_reports_are_scored_into_coverage_and_poc_manifests_that_an_audit_recomputes() {
    let owner = SecretKey::from_seed([1; 32]);
    let oracle_key = SecretKey::from_seed([2; 32]);
    let honest = SecretKey::from_seed([11; 32]);
    let spoofer = SecretKey::from_seed([12; 32]);
    let beaconer = SecretKey::from_seed([13; 32]);
    let witness = SecretKey::from_seed([14; 32]);
    let computer = SecretKey::from_seed([15; 32]);
    let net = start(&owner, &oracle_key).await;
    // The honest Wi-Fi hotspot and two LoRa hotspots 1 km apart in Lisbon; the spoofer
    // asserts Porto but its positioning puts it in Lisbon.
    let lisbon = cell_at(38.7223, -9.1393);
    let porto = cell_at(41.1579, -8.6291);
    let north = cell_at(38.7313, -9.1393);
    register_hotspot(&net, &owner, &honest, "wifi-indoor", lisbon).await;
    register_hotspot(&net, &owner, &spoofer, "wifi-indoor", porto).await;
    register_hotspot(&net, &owner, &beaconer, "lora", lisbon).await;
    register_hotspot(&net, &owner, &witness, "lora", north).await;
    register(&net, &owner, &computer).await;
    let at = |cell| cell_position(cell).unwrap();
    let oracle = OracleClient::new(&net.oracle_url).unwrap();

    // Bad input is refused with a code, whole requests and single records alike.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let epoch = loop {
        let epoch = net.status().await["epoch"].as_u64().unwrap();
        let codes = send_wireless(&oracle, epoch, &[located(&honest, at(lisbon))]).await;
        if codes == ["accepted"] {
            break epoch;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never accepted: {codes:?}"
        );
        net.next_block().await;
    };
    let good = located(&spoofer, at(lisbon));
    let mut forged = good;
    if let SignedWireless::Location(r) = &mut forged {
        r.report.position = at(porto);
    }
    let stranger = SecretKey::from_seed([16; 32]);
    let beacon_by_wifi = SignedWireless::Beacon(
        Beacon {
            id: Hash::of(b"wifi beacon"),
            beaconer: honest.public_key(),
            frequency_hz: 868_100_000,
            tx_power_cdbm: 2_700,
            sent_at_ms: now_ms(),
        }
        .sign(&honest),
    );
    let mut old = good;
    if let SignedWireless::Location(r) = &mut old {
        r.report.at_ms -= 3_600_000;
        *r = r.report.sign(&spoofer);
    }
    let batch = [
        forged,
        located(&stranger, at(lisbon)),
        located(&computer, at(lisbon)),
        beacon_by_wifi,
        old,
        good,
        good,
    ];
    let codes = loop {
        // Sent again if the epoch ended meanwhile (epochs last 1.6 s here).
        let epoch = net.status().await["epoch"].as_u64().unwrap();
        let codes = send_wireless(&oracle, epoch, &batch).await;
        if codes != ["stale"] {
            break codes;
        }
    };
    assert_eq!(
        codes,
        [
            "bad_signature",
            "unknown_device",
            "not_wireless",
            "not_lora",
            "stale",
            "accepted",
            "duplicate"
        ]
    );
    for (chain, e, count, code) in [
        ("another-chain", epoch, 1, "wrong_chain"),
        (CHAIN, epoch + 3, 1, "stale"),
        (CHAIN, epoch, 257, "too_many_records"),
    ] {
        let records = vec![good; count];
        let refused = oracle.send_wireless(chain, e, &records).await.unwrap_err();
        assert_eq!(refused.code(), Some(code), "{refused}");
    }

    // Every epoch the hotspots report where they are; the LoRa pair beacons and witnesses.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let mut beaconed = std::collections::BTreeSet::new();
    let target = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no epoch closed in time"
        );
        let epoch = net.status().await["epoch"].as_u64().unwrap();
        let mut records = vec![
            located(&honest, at(lisbon).offset_m(30, -20)),
            located(&spoofer, at(lisbon)),
            located(&beaconer, at(lisbon)),
            located(&witness, at(north)),
        ];
        if beaconed.insert(epoch) {
            let beacon = Beacon {
                id: Hash::of(format!("beacon of epoch {epoch}").as_bytes()),
                beaconer: beaconer.public_key(),
                frequency_hz: 868_100_000,
                tx_power_cdbm: 2_700,
                sent_at_ms: now_ms(),
            };
            let d = distance_m(at(lisbon), at(north));
            let heard = WitnessReport {
                witness: witness.public_key(),
                beacon: beacon.id,
                received_at_ms: beacon.sent_at_ms + 150,
                frequency_hz: beacon.frequency_hz,
                rssi_cdbm: (2_700 - fspl_cdb(d, beacon.frequency_hz) - 1_000) as i32,
                snr_cdb: 800,
                reported: at(north),
            };
            records.push(SignedWireless::Beacon(beacon.sign(&beaconer)));
            records.push(SignedWireless::Witness(heard.sign(&witness)));
        }
        let codes = send_wireless(&oracle, epoch, &records).await;
        assert!(
            codes
                .iter()
                .all(|c| c == "accepted" || c == "duplicate" || c == "stale"),
            "{codes:?}"
        );
        // The first epoch the hotspots spent whole in is the one to score; the compute
        // manifest is written last when an epoch closes.
        let target = beaconed.iter().next().copied().unwrap_or(epoch) + 1;
        let (code, _) = net
            .get(format!("{}/v1/manifests/{target}/compute", net.oracle_url))
            .await;
        if code == 200 {
            break target;
        }
        net.next_block().await;
    };

    let (_, e) = net
        .get(format!("{}/v1/epochs/{target}", net.node_url))
        .await;
    let pool = |resource: &str| {
        e["pools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["resource"] == resource)
            .unwrap_or_else(|| panic!("no {resource} pool: {e}"))
            .clone()
    };
    let key = |k: &SecretKey| k.public_key().to_string();
    assert_eq!(
        manifest_devices(&net, target, "coverage").await,
        [key(&honest)],
        "the spoofer earns nothing"
    );
    let mut lora = vec![key(&beaconer), key(&witness)];
    lora.sort();
    assert_eq!(manifest_devices(&net, target, "poc").await, lora);

    // The chain's manifests are what the published evidence gives; a changed record shows.
    let evidence = net.evidence(target).await;
    // The closed epoch's records have left the oracle's memory; its own log, which peers
    // merge, is read back from its sealed file with every record.
    let own = net
        .http
        .get(format!("{}/v1/evidence/{target}/own", net.oracle_url))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status().as_u16(), 200);
    let own = own.text().await.unwrap();
    for line in evidence.lines() {
        assert!(own.contains(line), "{line} is missing from {own}");
    }
    let (_, info) = net.get(format!("{}/v1/chain", net.node_url)).await;
    let info: plexus_client::views::ChainView = serde_json::from_value(info).unwrap();
    let (_, devices) = net.get(format!("{}/v1/devices", net.node_url)).await;
    let devices: Vec<plexus_client::views::DeviceView> =
        serde_json::from_value(devices["devices"].clone()).unwrap();
    // The oracle speed-tested the Wi-Fi hotspots; their tests are evidence of the coverage
    // manifest (its multiplier) like their location reports.
    assert!(
        evidence
            .lines()
            .filter(|l| l.contains("\"speed_test\"") && l.contains(&key(&honest)))
            .count()
            >= 2,
        "{evidence}"
    );
    for (resource, kind) in [
        (ScoredResource::Coverage, "location_report"),
        (ScoredResource::Coverage, "speed_test"),
        (ScoredResource::Poc, "witness_report"),
    ] {
        let on_chain = pool(resource.as_str());
        let audited = info
            .recompute_manifest(&devices, target, &evidence, resource)
            .unwrap();
        assert_eq!(
            Value::String(audited.root().to_hex()),
            on_chain["manifest"]["root"],
            "{resource}: {on_chain}"
        );
        assert_eq!(
            Value::String(audited.evidence_root().to_hex()),
            on_chain["manifest"]["evidence_root"]
        );
        // Without the honest hotspots' records of this kind, the audit disagrees.
        let dropped: Vec<&str> = evidence
            .lines()
            .filter(|l| {
                !(l.contains(&format!("\"{kind}\""))
                    && (l.contains(&key(&honest)) || l.contains(&key(&witness))))
            })
            .collect();
        let tampered = info
            .recompute_manifest(&devices, target, &dropped.join("\n"), resource)
            .unwrap();
        assert_ne!(
            (tampered.root(), tampered.evidence_root()),
            (audited.root(), audited.evidence_root()),
            "{resource}: dropping records went unnoticed"
        );
    }
    // A record whose signed bytes were changed is refused by the audit, by line.
    let mut lines: Vec<String> = evidence.lines().map(String::from).collect();
    let i = lines
        .iter()
        .position(|l| l.contains("\"location_report\""))
        .unwrap();
    let record: Value = serde_json::from_str(&lines[i]).unwrap();
    let signed = record["signed"].as_str().unwrap();
    // A hex digit of the reported latitude.
    let digit = if &signed[136..137] == "0" { "1" } else { "0" };
    let changed = format!("{}{digit}{}", &signed[..136], &signed[137..]);
    lines[i] = lines[i].replace(signed, &changed);
    let refused = info
        .recompute_manifest(
            &devices,
            target,
            &lines.join("\n"),
            ScoredResource::Coverage,
        )
        .unwrap_err();
    assert!(
        refused.to_string().contains(&format!("line {}", i + 1)),
        "{refused}"
    );
    net.oracle.shutdown().await;
    net.node.shutdown().await.unwrap();
}

/// A weather station's signed batch of `readings` for `epoch`.
fn weather_batch(
    station: &SecretKey,
    epoch: u64,
    seq: u64,
    times: impl Iterator<Item = u64>,
) -> plexus_types::readings::SignedReadingBatch {
    use plexus_types::readings::{ReadingBatch, Readings};
    ReadingBatch {
        chain_id: CHAIN.into(),
        device: station.public_key(),
        epoch,
        seq,
        readings: Readings::Weather(
            times
                .map(|at_s| proto::WeatherReading {
                    at_s,
                    temperature_cc: Some(1_500 + (at_s % 7) as i32),
                    humidity_dpct: Some(600),
                    ..Default::default()
                })
                .collect(),
        ),
    }
    .sign(station)
}

/// The oracle's answer to a batch: `accepted`, `duplicate`, or its refusal code.
async fn send_batch(
    oracle: &OracleClient,
    batch: &plexus_types::readings::SignedReadingBatch,
) -> String {
    match oracle.send_readings(batch).await {
        Ok(true) => "accepted".into(),
        Ok(false) => "duplicate".into(),
        Err(e) => e.code().unwrap_or("unreachable").to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sensor_readings_are_recorded_once_within_their_day_and_their_bounds() {
    let owner = SecretKey::from_seed([1; 32]);
    let oracle_key = SecretKey::from_seed([2; 32]);
    let station = SecretKey::from_seed([21; 32]);
    let computer = SecretKey::from_seed([22; 32]);
    let net = start(&owner, &oracle_key).await;
    register_hotspot(&net, &owner, &station, "weather", cell_at(38.7223, -9.1393)).await;
    register(&net, &owner, &computer).await;
    let oracle = OracleClient::new(&net.oracle_url).unwrap();
    // The test chain's genesis is at time 0, so epoch e's sensor day starts e days in.
    let day = |e: u64| e * 86_400;

    // Accepted once, then a duplicate, in the epoch the chain is in.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let epoch = loop {
        let epoch = net.status().await["epoch"].as_u64().unwrap();
        let batch = weather_batch(&station, epoch, 1, (0..100).map(|i| day(epoch) + 16 * i));
        let first = send_batch(&oracle, &batch).await;
        let again = send_batch(&oracle, &batch).await;
        if (first.as_str(), again.as_str()) == ("accepted", "duplicate") {
            break epoch;
        }
        assert!(std::time::Instant::now() < deadline, "{first}, {again}");
    };
    // Refused with a code, and nothing recorded: a reading past the day, a day of a later
    // epoch, another class's readings, a device of no sensor class, more readings than a
    // device may send in an epoch.
    let late = weather_batch(&station, epoch, 2, [day(epoch + 1)].into_iter());
    let ahead = weather_batch(&station, epoch + 1, 3, [day(epoch + 1)].into_iter());
    let meter = plexus_types::readings::ReadingBatch {
        chain_id: CHAIN.into(),
        device: station.public_key(),
        epoch,
        seq: 4,
        readings: plexus_types::readings::Readings::Meter(vec![proto::MeterReading {
            hour_start_s: day(epoch),
            produced_wh: 10,
            consumed_wh: 1,
        }]),
    }
    .sign(&station);
    let stranger = weather_batch(&computer, epoch, 1, [day(epoch)].into_iter());
    let flood = weather_batch(&station, epoch, 5, (0..8_100).map(|i| day(epoch) + 10 * i));
    let mut forged = weather_batch(&station, epoch, 6, [day(epoch) + 1].into_iter());
    let last = forged.bytes.len() - 1;
    forged.bytes[last] ^= 1;
    for (batch, code) in [
        (&late, "out_of_day"),
        (&ahead, "stale"),
        (&meter, "wrong_kind"),
        (&stranger, "not_sensor"),
        (&flood, "quota"),
        (&forged, "bad_signature"),
    ] {
        let answer = send_batch(&oracle, batch).await;
        if answer == "stale" && code != "stale" {
            // The chain moved to the next epoch meanwhile: the rest no longer apply.
            return;
        }
        assert_eq!(answer, code);
    }
    // What the station sent, as anyone reads it back.
    let (status, v) = net
        .get(format!(
            "{}/v1/readings/{epoch}/{}",
            net.oracle_url,
            station.public_key()
        ))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["class"], "weather");
    assert_eq!(v["batches"].as_array().unwrap().len(), 1);
    assert_eq!(v["weather"].as_array().unwrap().len(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_set_opens_only_to_a_fresh_request_signed_by_a_key_that_bought_it() {
    let owner = SecretKey::from_seed([1; 32]);
    let oracle_key = SecretKey::from_seed([2; 32]);
    let net = start(&owner, &oracle_key).await;
    net.status().await;
    let region = plexus_rewards::sensors::data_sets::region_of(cell_at(38.7223, -9.1393)).unwrap();
    let name = plexus_rewards::sensors::data_sets::data_set_name("weather", region);
    let url = format!("{}/v1/data/1/{name}", net.oracle_url);
    let request = |key: &SecretKey, at_ms: u64, signer: &SecretKey| {
        let statement = statements::data_request(CHAIN, 1, &name, &key.public_key(), at_ms);
        net.http
            .get(&url)
            .header("x-plexus-buyer", key.public_key().to_string())
            .header("x-plexus-at-ms", at_ms.to_string())
            .header(
                "x-plexus-signature",
                hex::encode(signer.sign(&statement).to_bytes()),
            )
    };
    let code = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        (
            status,
            v["error"]["code"].as_str().unwrap_or("").to_string(),
        )
    };
    let (status, v) = net.get(url.clone()).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("unsigned"))
    );
    let stranger = SecretKey::from_seed([9; 32]);
    let forged = request(&owner, now_ms(), &stranger).send().await.unwrap();
    assert_eq!(code(forged).await, (401, "bad_signature".to_string()));
    let stale = request(&owner, now_ms() - 3_600_000, &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(code(stale).await, (400, "stale".to_string()));
    // Signed, fresh, but the chain records no purchase by the owner.
    let unpaid = request(&owner, now_ms(), &owner).send().await.unwrap();
    assert_eq!(code(unpaid).await, (402, "not_bought".to_string()));
    let (status, _) = net
        .get(format!("{}/v1/data/1/weather/zz", net.oracle_url))
        .await;
    assert_eq!(status, 400);
}
