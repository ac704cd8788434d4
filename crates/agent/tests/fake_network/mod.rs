//! A node and an oracle small enough to read, serving only what an agent calls, on
//! 127.0.0.1 with ports the system picks. They record what the agent sent and judge it with
//! the same checks the real services use.

#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plexus_agent::AgentConfig;
use plexus_proofs::compute::{
    check_openings, is_fraud, sample_rows, ComputeChallenge, ComputeError, RowOpening, ROWS_OPENED,
};
use plexus_types::heartbeat::SignedHeartbeat;
use plexus_types::merkle::MerkleProof;
use plexus_types::{proto, statements, Body, Hash, PublicKey, Signature, SignedTx};
use prost::Message;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

pub const CHAIN_ID: &str = "plexus-fake";
pub const EPOCH_BLOCKS: u64 = 10;
pub const INTERVALS: u32 = 5;

/// One challenge the fake oracle issued, and what became of it.
pub struct IssuedChallenge {
    pub secret: [u8; 32],
    pub challenge: ComputeChallenge,
    pub root: Option<Hash>,
    pub verdicts: Vec<Result<(), ComputeError>>,
    pub frauds: usize,
    pub opened: usize,
}

#[derive(Default)]
pub struct Network {
    pub node_height: u64,
    pub nonces: HashMap<String, u64>,
    pub min_stake: u128,
    pub devices: HashMap<PublicKey, Value>,
    pub txs: Vec<SignedTx>,
    /// Overrides the result code of committed transactions (default `ok`).
    pub tx_code: Option<String>,
    pub epochs: BTreeMap<u64, Value>,
    pub oracle_epoch: u64,
    pub oracle_interval: u32,
    pub heartbeats: Vec<Vec<u8>>,
    pub challenges: BTreeMap<String, IssuedChallenge>,
    /// Answers every commitment with this code, as a late one would be.
    pub refuse_commits: Option<&'static str>,
    pub claim_proofs: HashMap<u64, Value>,
}

pub type Shared = Arc<Mutex<Network>>;

pub struct Fakes {
    pub net: Shared,
    pub node_url: String,
    pub oracle_url: String,
}

impl Fakes {
    pub async fn start() -> Fakes {
        let net: Shared = Arc::new(Mutex::new(Network {
            node_height: 1,
            min_stake: 1_000_000,
            oracle_epoch: 1,
            oracle_interval: 0,
            ..Network::default()
        }));
        let node_url = serve(node_router(net.clone())).await;
        let oracle_url = serve(oracle_router(net.clone())).await;
        Fakes {
            net,
            node_url,
            oracle_url,
        }
    }

    pub fn config(&self, data_dir: &std::path::Path, class: &str) -> AgentConfig {
        AgentConfig::parse(&format!(
            "node = \"{}\"\noracles = [\"{}\"]\ndata_dir = \"{}\"\nclass = \"{class}\"\nh3_cell = \"8c2a100d2c0a5ff\"\nstake = \"5plx\"\n",
            self.node_url,
            self.oracle_url,
            data_dir.display()
        ))
        .expect("the test config parses")
    }

    pub fn net(&self) -> std::sync::MutexGuard<'_, Network> {
        self.net
            .lock()
            .expect("no test thread panicked holding the fake network")
    }

    /// Issues a compute challenge of dimension `n` to `device`.
    pub fn issue_challenge(&self, id: &str, n: u32, secret: [u8; 32]) {
        let challenge = ComputeChallenge::from_secret(&secret, n).expect("a valid dimension");
        self.net().challenges.insert(
            id.to_string(),
            IssuedChallenge {
                secret,
                challenge,
                root: None,
                verdicts: vec![],
                frauds: 0,
                opened: 0,
            },
        );
    }
}

pub fn beacon(epoch: u64, interval: u32) -> Hash {
    Hash::of(format!("beacon {epoch}/{interval}").as_bytes())
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free local port");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .expect("the fake serves");
    });
    format!("http://{addr}")
}

fn refuse(status: StatusCode, code: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": format!("fake refuses: {code}") } })),
    )
        .into_response()
}

fn node_router(net: Shared) -> Router {
    Router::new()
        .route("/v1/status", get(node_status))
        .route("/v1/chain", get(chain))
        .route("/v1/accounts/{address}", get(account))
        .route("/v1/txs", post(submit))
        .route("/v1/txs/{hash}", get(tx_status))
        .route("/v1/devices/{key}", get(device))
        .route("/v1/epochs/{epoch}", get(epoch))
        .with_state(net)
}

async fn node_status(State(net): State<Shared>) -> Json<Value> {
    let net = net.lock().unwrap();
    Json(json!({
        "chain_id": CHAIN_ID, "height": net.node_height, "app_hash": Hash::ZERO,
        "last_block_time_ms": 0, "txs_committed": net.txs.len(), "mempool_size": 0,
        "min_fee": "10", "devices": net.devices.len(), "version": "fake",
    }))
}

async fn chain(State(net): State<Shared>) -> Json<Value> {
    let net = net.lock().unwrap();
    let mut classes: Vec<Value> = plexus_proofs::compute::COMPUTE_CLASSES
        .iter()
        .map(|c| json!({ "name": c.name, "resource": "compute", "min_stake": net.min_stake.to_string(), "capacity_units": c.capacity_units }))
        .collect();
    classes.push(json!({ "name": "storage-small", "resource": "storage", "min_stake": net.min_stake.to_string(), "capacity_units": 1 }));
    Json(json!({
        "chain_id": CHAIN_ID, "genesis_time_ms": 0,
        "params": { "min_fee": "10", "max_tx_bytes": 65536, "max_block_bytes": 1048576 },
        "rewards": {
            "epoch_blocks": EPOCH_BLOCKS, "intervals_per_epoch": INTERVALS, "claim_epochs": 2,
            "initial_epoch_emission": "1000", "halving_epochs": 100, "pool_weights": { "compute": 1 },
            "unbonding_epochs": 2, "min_uptime_percent": 50,
        },
        "oracles": { "members": [], "threshold": 1 },
        "device_classes": classes,
    }))
}

async fn account(State(net): State<Shared>, Path(address): Path<String>) -> Json<Value> {
    let net = net.lock().unwrap();
    let nonce = net.nonces.get(&address).copied().unwrap_or(0);
    Json(json!({
        "address": address, "balance": "1000000000", "nonce": nonce, "exists": true,
        "height": net.node_height, "app_hash": Hash::ZERO, "proof": "",
    }))
}

async fn submit(State(net): State<Shared>, body: Bytes) -> Response {
    let Ok(tx) = SignedTx::decode(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "malformed");
    };
    if tx.verify_signature().is_err() {
        return refuse(StatusCode::BAD_REQUEST, "invalid_signature");
    }
    let mut net = net.lock().unwrap();
    let signer = tx.signer_address.to_string();
    let expected = net.nonces.get(&signer).copied().unwrap_or(0);
    if tx.nonce != expected {
        return refuse(StatusCode::BAD_REQUEST, "nonce_too_low");
    }
    net.nonces.insert(signer, expected + 1);
    if net.tx_code.is_none() {
        if let Body::RegisterDevice { device, class, .. } = &tx.body {
            let record = json!({
                "key": device, "owner": tx.signer_address, "class": class,
                "status": "active", "registered_epoch": 1,
            });
            net.devices.insert(*device, record);
        }
    }
    let hash = tx.hash;
    net.txs.push(tx);
    (
        StatusCode::ACCEPTED,
        Json(json!({ "hash": hash, "status": "pending" })),
    )
        .into_response()
}

async fn tx_status(State(net): State<Shared>, Path(hash): Path<String>) -> Response {
    let net = net.lock().unwrap();
    let Ok(hash) = Hash::from_hex(&hash) else {
        return refuse(StatusCode::BAD_REQUEST, "bad_hash");
    };
    if !net.txs.iter().any(|t| t.hash == hash) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "hash": hash, "status": "unknown" })),
        )
            .into_response();
    }
    let code = net.tx_code.clone().unwrap_or_else(|| "ok".into());
    Json(json!({ "hash": hash, "status": "committed", "height": net.node_height, "index": 0, "code": code, "log": "", "fee": "10" }))
        .into_response()
}

async fn device(State(net): State<Shared>, Path(key): Path<String>) -> Response {
    let net = net.lock().unwrap();
    let found = key
        .parse::<PublicKey>()
        .ok()
        .and_then(|k| net.devices.get(&k).cloned());
    match found {
        Some(d) => Json(with_record_defaults(d)).into_response(),
        None => refuse(StatusCode::NOT_FOUND, "unknown_device"),
    }
}

/// A device record as the node writes it: the fields a test leaves out take defaults.
fn with_record_defaults(mut record: Value) -> Value {
    let defaults = json!({
        "capabilities": plexus_types::Capabilities::default(), "h3_cell": 0, "stake": "0",
        "registered_epoch": 1,
    });
    if let (Some(record), Value::Object(defaults)) = (record.as_object_mut(), defaults) {
        for (key, value) in defaults {
            record.entry(key).or_insert(value);
        }
    }
    record
}

async fn epoch(State(net): State<Shared>, Path(n): Path<u64>) -> Response {
    let net = net.lock().unwrap();
    match net.epochs.get(&n) {
        Some(e) => Json(e.clone()).into_response(),
        None => refuse(StatusCode::NOT_FOUND, "epoch_not_ended"),
    }
}

fn oracle_router(net: Shared) -> Router {
    Router::new()
        .route("/v1/status", get(oracle_status))
        .route("/v1/heartbeats", post(heartbeat))
        .route("/v1/challenges/{device}", get(challenges))
        .route("/v1/challenges/{id}/commit", post(commit))
        .route("/v1/challenges/{id}/open", post(open))
        .route(
            "/v1/manifests/{epoch}/{resource}/claims/{device}",
            get(claim_proof),
        )
        .with_state(net)
}

async fn oracle_status(State(net): State<Shared>) -> Json<Value> {
    let net = net.lock().unwrap();
    let (epoch, interval) = (net.oracle_epoch, net.oracle_interval);
    // The first height of the interval, so that the status is consistent with itself.
    let height =
        (epoch - 1) * EPOCH_BLOCKS + u64::from(interval) * EPOCH_BLOCKS / u64::from(INTERVALS) + 1;
    Json(json!({
        "chain_id": CHAIN_ID, "oracle": "fake", "height": height, "epoch": epoch,
        "interval": interval, "beacon": beacon(epoch, interval),
        "epoch_blocks": EPOCH_BLOCKS, "intervals_per_epoch": INTERVALS,
    }))
}

async fn heartbeat(State(net): State<Shared>, body: Bytes) -> Response {
    let Ok(hb) = SignedHeartbeat::decode(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "malformed");
    };
    if hb.verify().is_err() {
        return refuse(StatusCode::BAD_REQUEST, "bad_signature");
    }
    let mut net = net.lock().unwrap();
    let duplicate = net.heartbeats.iter().any(|b| b[..] == body[..]);
    net.heartbeats.push(body.to_vec());
    if duplicate {
        (StatusCode::OK, Json(json!({ "duplicate": true }))).into_response()
    } else {
        (StatusCode::ACCEPTED, Json(json!({ "accepted": true }))).into_response()
    }
}

async fn challenges(State(net): State<Shared>, Path(_device): Path<String>) -> Json<Value> {
    let net = net.lock().unwrap();
    let open: Vec<Value> = net
        .challenges
        .iter()
        .filter(|(_, c)| c.root.is_none())
        .map(|(id, c)| {
            json!({
                "id": id, "seed": Hash(*c.challenge.seed()), "n": c.challenge.n(),
                "class": "cpu-small", "deadline_ms": 50, "issued_height": 1,
            })
        })
        .collect();
    Json(json!({ "challenges": open }))
}

async fn commit(State(net): State<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    let mut net = net.lock().unwrap();
    if let Some(code) = net.refuse_commits {
        return refuse(StatusCode::BAD_REQUEST, code);
    }
    let Some(issued) = net.challenges.get_mut(&id) else {
        return refuse(StatusCode::NOT_FOUND, "unknown_challenge");
    };
    let Ok(c) = proto::ChallengeCommit::decode(&body[..]) else {
        return refuse(StatusCode::BAD_REQUEST, "malformed");
    };
    let (Ok(device), Ok(signature), Some(root)) = (
        PublicKey::from_slice(&c.device),
        Signature::from_slice(&c.signature),
        Hash::from_slice(&c.root),
    ) else {
        return refuse(StatusCode::BAD_REQUEST, "malformed");
    };
    let statement = statements::compute_commitment(CHAIN_ID, issued.challenge.seed(), c.n, &root);
    if c.n != issued.challenge.n()
        || c.seed != issued.challenge.seed()
        || device.verify(&statement, &signature).is_err()
    {
        return refuse(StatusCode::BAD_REQUEST, "bad_signature");
    }
    issued.root = Some(root);
    let rows = sample_rows(&issued.challenge, &root, &issued.secret, ROWS_OPENED)
        .expect("the fake's own secret matches its seed");
    Json(json!({ "rows": rows })).into_response()
}

async fn open(State(net): State<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    let mut net = net.lock().unwrap();
    let Some(issued) = net.challenges.get_mut(&id) else {
        return refuse(StatusCode::NOT_FOUND, "unknown_challenge");
    };
    let Some(root) = issued.root else {
        return refuse(StatusCode::BAD_REQUEST, "wrong_rows");
    };
    let Ok(o) = proto::ChallengeOpenings::decode(&body[..]) else {
        return refuse(StatusCode::BAD_REQUEST, "malformed");
    };
    let openings: Vec<RowOpening> = o
        .openings
        .into_iter()
        .map(|r| RowOpening {
            index: r.index,
            row: r.row,
            proof: MerkleProof {
                index: u64::from(r.index),
                leaf_count: r.leaf_count,
                siblings: r
                    .siblings
                    .iter()
                    .map(|s| Hash::from_slice(s).unwrap_or_default())
                    .collect(),
            },
        })
        .collect();
    issued.verdicts = check_openings(&issued.challenge, &root, &openings);
    issued.frauds = openings
        .iter()
        .filter(|o| is_fraud(&issued.challenge, &root, o))
        .count();
    issued.opened = openings.len();
    let passed = !issued.verdicts.is_empty() && issued.verdicts.iter().all(|v| v.is_ok());
    Json(json!({ "outcome": if passed { "passed" } else { "wrong" } })).into_response()
}

async fn claim_proof(
    State(net): State<Shared>,
    Path((epoch, _resource, _device)): Path<(u64, String, String)>,
) -> Response {
    let net = net.lock().unwrap();
    match net.claim_proofs.get(&epoch) {
        Some(p) => Json(p.clone()).into_response(),
        None => refuse(StatusCode::NOT_FOUND, "not_in_manifest"),
    }
}
