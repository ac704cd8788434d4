//! `plexus bench ingest`: signed heartbeats accepted per second by an oracle over HTTP, next to
//! batch verification of the same heartbeats' ed25519 signatures on one core and on all cores.
//! The node, the registrations and the oracle are set up once; each run then sends a fresh
//! heartbeat from every device (for a new interval, so none is a replay) and measures both
//! baselines over that run's heartbeats.

use super::stats::{cores, Spread};
use plexus_ledger::{Genesis, GenesisAccount};
use plexus_types::heartbeat::{Heartbeat, SignedHeartbeat, MAX_HEARTBEAT_BATCH};
use plexus_types::{statements, Address, Amount, Body, Capabilities, Hash, SecretKey, UnsignedTx};
use rayon::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The oracle accepts at least as many heartbeats a second as one core batch-verifies.
const GOAL_RATIO: f64 = 1.0;

/// Runs the benchmark and prints its report.
pub async fn run(devices: usize, runs: u16, json: bool) -> anyhow::Result<()> {
    let r = bench_ingest(devices, runs, json).await?;
    if json {
        crate::print_json(&r.json());
    } else {
        println!(
            "ingest: {} signed heartbeats accepted/s over HTTP ({} a run in {} s; \
             median (min–max) of {} runs)\n\
             baseline: {} signatures batch-verified/s on one core (ratio {}x; goal {GOAL_RATIO}x: {})\n\
             baseline: {} signatures batch-verified/s on all {} cores (ratio {}x)",
            r.rate.show(0),
            r.heartbeats,
            r.seconds.show(2),
            r.rate.runs.len(),
            r.one_core.show(0),
            r.ratio.show(2),
            if r.goal_met() { "met" } else { "not met" },
            r.all_cores.show(0),
            cores(),
            r.ratio_all.show(2),
        );
    }
    Ok(())
}

/// What the runs measured.
struct IngestReport {
    devices: usize,
    /// Heartbeats sent (and accepted) in each run.
    heartbeats: usize,
    seconds: Spread,
    rate: Spread,
    one_core: Spread,
    all_cores: Spread,
    ratio: Spread,
    ratio_all: Spread,
}

impl IngestReport {
    fn goal_met(&self) -> bool {
        self.ratio.median >= GOAL_RATIO
    }

    fn json(&self) -> serde_json::Value {
        let runs = self.rate.runs.len();
        serde_json::json!({
            "scenario": "ingest",
            "devices": self.devices,
            "runs": runs,
            "cores": cores(),
            "heartbeats_per_run": self.heartbeats,
            "accepted": self.heartbeats,
            "accepted_all_runs": self.heartbeats * runs,
            "batch_size": MAX_HEARTBEAT_BATCH,
            "seconds": self.seconds.median,
            "seconds_spread": self.seconds,
            "heartbeats_per_sec": self.rate.median,
            "heartbeats_per_sec_spread": self.rate,
            "baseline_batch_verify_per_sec_one_core": self.one_core.median,
            "baseline_batch_verify_per_sec_one_core_spread": self.one_core,
            "baseline_batch_verify_per_sec_all_cores": self.all_cores.median,
            "baseline_batch_verify_per_sec_all_cores_spread": self.all_cores,
            "ratio": self.ratio.median,
            "ratio_spread": self.ratio,
            "ratio_to_all_cores": self.ratio_all.median,
            "ratio_to_all_cores_spread": self.ratio_all,
            "goal_ratio": GOAL_RATIO,
            "goal_met": self.goal_met(),
        })
    }
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
    // One long epoch (no epoch closes while the benchmark runs) of short intervals: 40 blocks,
    // 4 s at 100 ms a block, so that each run soon finds an interval of its own.
    genesis.rewards.epoch_blocks = 1_000_000;
    genesis.rewards.intervals_per_epoch = 25_000;
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

/// The oracle's `/v1/status` answer.
async fn oracle_status(http: &reqwest::Client, base: &str) -> anyhow::Result<serde_json::Value> {
    Ok(http
        .get(format!("{base}/v1/status"))
        .send()
        .await?
        .json()
        .await?)
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
        let s = oracle_status(http, base).await?;
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

/// Batch-verifies `beats`, 64 signatures a batch as the oracle does, on the calling thread.
fn verify_chunks(beats: &[SignedHeartbeat]) -> bool {
    beats.chunks(64).all(|chunk| {
        let items: Vec<(&[u8], plexus_types::Signature, plexus_types::PublicKey)> = chunk
            .iter()
            .map(|h| (h.payload.as_slice(), h.signature, h.heartbeat.device))
            .collect();
        plexus_types::keys::verify_batch(&items)
    })
}

/// Baselines: signatures per second batch-verified on one core, then on all of rayon's.
fn baselines(beats: &[SignedHeartbeat]) -> anyhow::Result<(f64, f64)> {
    let started = Instant::now();
    anyhow::ensure!(verify_chunks(beats), "baseline batch failed");
    let one_core = beats.len() as f64 / started.elapsed().as_secs_f64();
    let per_thread = beats
        .len()
        .div_ceil(rayon::current_num_threads() * 8)
        .max(64);
    let started = Instant::now();
    anyhow::ensure!(
        beats.par_chunks(per_thread).all(verify_chunks),
        "baseline batch failed"
    );
    let all_cores = beats.len() as f64 / started.elapsed().as_secs_f64();
    Ok((one_core, all_cores))
}

/// The oracle's answer to a batch, as far as the benchmark reads it.
#[derive(serde::Deserialize)]
struct BatchAnswer {
    results: Vec<HeartbeatAnswer>,
}

#[derive(serde::Deserialize)]
struct HeartbeatAnswer {
    #[serde(default)]
    accepted: bool,
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
                let answer: BatchAnswer = http
                    .post(format!("{base}/v1/heartbeats/batch"))
                    .body(body)
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                accepted += answer.results.iter().filter(|a| a.accepted).count();
            }
        }));
    }
    let mut accepted = 0usize;
    for t in tasks {
        accepted += t.await??;
    }
    Ok(accepted)
}

/// Waits for an interval other than `used` whose beacon the oracle has read; returns the
/// heartbeat every device is to sign for it (the device filled in by the caller).
async fn fresh_interval(
    http: &reqwest::Client,
    base: &str,
    used: Option<(u64, u64)>,
    template: &Heartbeat,
) -> anyhow::Result<Heartbeat> {
    let started = Instant::now();
    loop {
        let s = oracle_status(http, base).await?;
        let at = (
            s["epoch"].as_u64().unwrap_or(0),
            s["interval"].as_u64().unwrap_or(0),
        );
        if Some(at) != used {
            if let Some(beacon) = s["beacon"].as_str() {
                return Ok(Heartbeat {
                    epoch: at.0,
                    interval: u32::try_from(at.1)?,
                    beacon: Hash::from_hex(beacon)?,
                    ..template.clone()
                });
            }
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "the chain did not reach a new interval"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What one run measured.
struct Run {
    seconds: f64,
    rate: f64,
    one_core: f64,
    all_cores: f64,
}

async fn bench_ingest(devices: usize, runs: u16, quiet: bool) -> anyhow::Result<IngestReport> {
    anyhow::ensure!(
        devices >= 2,
        "--devices must be at least 2 (the first is the oracle's readiness probe)"
    );
    anyhow::ensure!(runs >= 1, "--runs must be at least 1");
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
    let heartbeats = devices - 1;

    let mut measured = Vec::with_capacity(usize::from(runs));
    let mut used = None;
    for run in 1..=runs {
        let template = fresh_interval(&http, &base, used, &probe).await?;
        used = Some((template.epoch, u64::from(template.interval)));
        say(format!(
            "run {run} of {runs}: {heartbeats} heartbeats for interval {} over HTTP…",
            template.interval
        ));
        let beats: Vec<SignedHeartbeat> = device_keys[1..]
            .par_iter()
            .map(|k| {
                Heartbeat {
                    device: k.public_key(),
                    ..template.clone()
                }
                .sign(k)
            })
            .collect();
        let bodies: Vec<Vec<u8>> = beats
            .chunks(MAX_HEARTBEAT_BATCH)
            .map(SignedHeartbeat::encode_batch)
            .collect();
        let started = Instant::now();
        let accepted = send_batches(&http, &base, bodies).await?;
        let seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            accepted == beats.len(),
            "run {run}: only {accepted} of {} heartbeats were accepted",
            beats.len()
        );
        let (one_core, all_cores) =
            tokio::task::spawn_blocking(move || baselines(&beats)).await??;
        measured.push(Run {
            seconds,
            rate: accepted as f64 / seconds,
            one_core,
            all_cores,
        });
    }
    oracle.shutdown().await;
    node.shutdown().await?;

    let spread = |f: fn(&Run) -> f64| Spread::of(measured.iter().map(f).collect());
    let rate = spread(|r| r.rate);
    let one_core = spread(|r| r.one_core);
    let all_cores = spread(|r| r.all_cores);
    Ok(IngestReport {
        devices,
        heartbeats,
        seconds: spread(|r| r.seconds),
        ratio: Spread::pairwise(&rate, &one_core, |a, b| a / b),
        ratio_all: Spread::pairwise(&rate, &all_cores, |a, b| a / b),
        rate,
        one_core,
        all_cores,
    })
}
