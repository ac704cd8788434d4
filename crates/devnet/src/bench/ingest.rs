//! `plexus bench ingest`: signed heartbeats accepted per second by an oracle over HTTP, next to
//! one core batch-verifying ed25519 signatures.

use plexus_ledger::{Genesis, GenesisAccount};
use plexus_types::heartbeat::{Heartbeat, SignedHeartbeat};
use plexus_types::{statements, Address, Amount, Body, Capabilities, Hash, SecretKey, UnsignedTx};
use rayon::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs the benchmark and prints its report.
pub async fn run(devices: usize, json: bool) -> anyhow::Result<()> {
    let report = bench_ingest(devices, json).await?;
    if json {
        crate::print_json(&report);
    } else {
        println!(
            "ingest: {:.0} signed heartbeats accepted/s over HTTP ({} in {:.2} s)\n\
             baseline: {:.0} ed25519 signatures batch-verified/s on one core\n\
             ratio: {:.2}x on {} cores",
            report["heartbeats_per_sec"].as_f64().unwrap_or(0.0),
            report["accepted"],
            report["seconds"].as_f64().unwrap_or(0.0),
            report["baseline_batch_verify_per_sec_one_core"]
                .as_f64()
                .unwrap_or(0.0),
            report["ratio"].as_f64().unwrap_or(0.0),
            report["cores"]
        );
    }
    Ok(())
}

/// Device owners; each registers devices / OWNERS of them.
const OWNERS: usize = 64;
const CHAIN_ID: &str = "plexus-bench-ingest";

/// A key derived from a tag and an index, the same in every run.
fn seeded(tag: u8, i: usize) -> SecretKey {
    let mut seed = [tag; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    SecretKey::from_seed(seed)
}

/// A node whose genesis funds the owners and names the oracle, in a temporary home.
async fn start_node(
    dir: &std::path::Path,
    owners: &[SecretKey],
    devices: usize,
    oracle_key: &SecretKey,
) -> anyhow::Result<plexus_node::RunningNode> {
    let per_owner = devices.div_ceil(OWNERS) as u64;
    let mut accounts: Vec<GenesisAccount> = owners
        .iter()
        .map(|o| GenesisAccount {
            address: Address::from_public_key(&o.public_key()),
            balance: Amount::plx(101 * per_owner + 10),
        })
        .collect();
    accounts.push(GenesisAccount {
        address: Address::from_public_key(&oracle_key.public_key()),
        balance: Amount::plx(1_000),
    });
    let mut genesis = Genesis::new(CHAIN_ID, 0, accounts);
    genesis.rewards.epoch_blocks = 1_000_000;
    genesis.rewards.intervals_per_epoch = 10;
    genesis.oracles = plexus_ledger::OracleSet {
        members: vec![Address::from_public_key(&oracle_key.public_key())],
        threshold: 1,
    };
    let files = plexus_node::NodeFiles::new(dir.join("node"));
    let config = plexus_node::NodeConfig {
        api: "127.0.0.1:0".parse()?,
        block_ms: 100,
        min_block_ms: 0,
        uploads: Default::default(),
        retain_versions: 0,
        oracles: Vec::new(),
    };
    files.write_new(&genesis, &config, &seeded(4, 0))?;
    plexus_node::run_node(&files, config).await
}

/// Registers every device (owners in turn) and waits until all registrations committed;
/// returns when it started waiting (the setup's deadlines count from there).
async fn register(
    chain: &Arc<plexus_chain::Chain>,
    owners: &[SecretKey],
    device_keys: &[SecretKey],
) -> anyhow::Result<Instant> {
    let txs: Vec<Vec<u8>> = (0..device_keys.len())
        .into_par_iter()
        .map(|i| {
            let owner = &owners[i % OWNERS];
            let owner_addr = Address::from_public_key(&owner.public_key());
            let device = &device_keys[i];
            let statement =
                statements::device_registration(CHAIN_ID, &owner_addr, &device.public_key());
            UnsignedTx {
                chain_id: CHAIN_ID.into(),
                nonce: (i / OWNERS) as u64,
                fee: Amount(1_000),
                body: Body::RegisterDevice {
                    device: device.public_key(),
                    class: "cpu-small".into(),
                    capabilities: Capabilities::default(),
                    h3_cell: 0x8c2a100d2c0a5ff,
                    stake: Amount::plx(100),
                    device_signature: device.sign(&statement),
                },
            }
            .sign(owner)
            .bytes
        })
        .collect();
    {
        let chain = chain.clone();
        tokio::task::spawn_blocking(move || {
            for chunk in txs.chunks(1_024) {
                for r in chain.submit_many(chunk.to_vec()) {
                    if let Err(e) = r {
                        tracing::warn!(error = %e, "registration refused");
                    }
                }
            }
        })
        .await?;
    }
    let started = Instant::now();
    while plexus_ledger::query::device_count(chain.store())? < device_keys.len() as u64 {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "registrations did not commit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(started)
}

/// Waits until the oracle has read the registry and the chain's current beacon: until it
/// accepts a heartbeat from the first device. Returns that heartbeat.
async fn wait_ready(
    http: &reqwest::Client,
    base: &str,
    first: &SecretKey,
    started: Instant,
) -> anyhow::Result<Heartbeat> {
    loop {
        let s: serde_json::Value = http
            .get(format!("{base}/v1/status"))
            .send()
            .await?
            .json()
            .await?;
        if s["beacon"].is_string() {
            let hb = Heartbeat {
                chain_id: CHAIN_ID.into(),
                device: first.public_key(),
                epoch: s["epoch"].as_u64().unwrap_or(1),
                interval: s["interval"].as_u64().unwrap_or(0) as u32,
                beacon: Hash::from_hex(s["beacon"].as_str().unwrap_or(""))?,
            };
            let r = http
                .post(format!("{base}/v1/heartbeats"))
                .body(hb.sign(first).bytes)
                .send()
                .await?;
            if r.status().is_success() {
                return Ok(hb);
            }
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "the oracle never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Baseline: one core batch-verifying the same signatures, 64 at a time; signatures per second.
fn baseline_batch_verify(beats: &[SignedHeartbeat]) -> anyhow::Result<f64> {
    let started = Instant::now();
    for chunk in beats.chunks(64) {
        let items: Vec<(&[u8], plexus_types::Signature, plexus_types::PublicKey)> = chunk
            .iter()
            .map(|h| (h.payload.as_slice(), h.signature, h.heartbeat.device))
            .collect();
        anyhow::ensure!(
            plexus_types::keys::verify_batch(&items),
            "baseline batch failed"
        );
    }
    Ok(beats.len() as f64 / started.elapsed().as_secs_f64())
}

/// Posts the batches from four connections; returns how many heartbeats the oracle accepted.
async fn send_batches(
    http: &reqwest::Client,
    base: &str,
    bodies: Vec<Vec<u8>>,
) -> anyhow::Result<usize> {
    let mut tasks = Vec::new();
    let queue = Arc::new(parking_lot::Mutex::new(bodies));
    for _ in 0..4 {
        let (http, base, queue) = (http.clone(), base.to_string(), queue.clone());
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0usize;
            loop {
                let Some(body) = queue.lock().pop() else {
                    return Ok::<usize, anyhow::Error>(accepted);
                };
                let v: serde_json::Value = http
                    .post(format!("{base}/v1/heartbeats/batch"))
                    .body(body)
                    .send()
                    .await?
                    .json()
                    .await?;
                accepted += v["results"]
                    .as_array()
                    .map_or(0, |r| r.iter().filter(|x| x["accepted"] == true).count());
            }
        }));
    }
    let mut accepted = 0usize;
    for t in tasks {
        accepted += t.await??;
    }
    Ok(accepted)
}

async fn bench_ingest(devices: usize, quiet: bool) -> anyhow::Result<serde_json::Value> {
    anyhow::ensure!(devices >= 1, "--devices must be at least 1");
    let mut steps = crate::progress::Steps::new(quiet, quiet);
    let mut say = |msg: String| steps.step(msg);
    let owners: Vec<SecretKey> = (0..OWNERS).map(|i| seeded(1, i)).collect();
    let device_keys: Vec<SecretKey> = (0..devices).into_par_iter().map(|i| seeded(2, i)).collect();
    let oracle_key = seeded(3, 0);
    let dir = tempfile::tempdir()?;
    let node = start_node(dir.path(), &owners, devices, &oracle_key).await?;
    let chain = node.chain.clone();

    say(format!("registering {devices} devices…"));
    let started = register(&chain, &owners, &device_keys).await?;

    let oracle = plexus_oracle::run_oracle(plexus_oracle::OracleConfig {
        listen: "127.0.0.1:0".parse()?,
        node: format!("http://{}", node.api_addr),
        data_dir: dir.path().join("oracle"),
        key: oracle_key,
        peers: Vec::new(),
    })
    .await?;
    let base = format!("http://{}", oracle.addr);
    let http = reqwest::Client::new();
    let probe = wait_ready(&http, &base, &device_keys[0], started).await?;
    say(format!("signing {} heartbeats…", devices - 1));
    let beats: Vec<SignedHeartbeat> = device_keys[1..]
        .par_iter()
        .map(|k| {
            Heartbeat {
                device: k.public_key(),
                ..probe.clone()
            }
            .sign(k)
        })
        .collect();
    let baseline = baseline_batch_verify(&beats)?;

    say("sending them over HTTP…".to_string());
    let bodies: Vec<Vec<u8>> = beats
        .chunks(2_048)
        .map(SignedHeartbeat::encode_batch)
        .collect();
    let started = Instant::now();
    let accepted = send_batches(&http, &base, bodies).await?;
    let seconds = started.elapsed().as_secs_f64();
    oracle.shutdown().await;
    node.shutdown().await?;
    anyhow::ensure!(
        accepted == beats.len(),
        "only {accepted} of {} heartbeats were accepted",
        beats.len()
    );
    let rate = accepted as f64 / seconds;
    Ok(serde_json::json!({
        "scenario": "ingest",
        "devices": devices,
        "accepted": accepted,
        "seconds": seconds,
        "heartbeats_per_sec": rate,
        "baseline_batch_verify_per_sec_one_core": baseline,
        "ratio": rate / baseline,
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
    }))
}
