//! `plexus bench …`: performance figures, each next to a baseline measured in the same run.

use crate::{print_json, Globals};
use clap::Subcommand;
use plexus_chain::{Chain, MempoolConfig, SoloConfig};
use plexus_ledger::{Genesis, GenesisAccount, Params};
use plexus_types::{Address, Amount, Body, SecretKey, SignedTx, UnsignedTx};
use rayon::prelude::*;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Signed transfers executed and committed per second through the solo driver, next to
    /// the rate at which one core verifies ed25519 signatures one by one.
    Ledger {
        /// Number of transfers.
        #[arg(long, default_value_t = 100_000)]
        txs: usize,
        /// Number of sending accounts.
        #[arg(long, default_value_t = 4_096)]
        accounts: usize,
    },
    /// Signed heartbeats accepted per second by an oracle over HTTP, next to the rate at which
    /// one core batch-verifies ed25519 signatures.
    Ingest {
        /// Number of registered devices (one heartbeat each).
        #[arg(long, default_value_t = 20_000)]
        devices: usize,
    },
    /// Seconds to score an epoch and build its manifest for many devices, next to the time to
    /// blake3-hash the same leaves.
    Rewards {
        /// Number of devices.
        #[arg(long, default_value_t = 1_000_000)]
        devices: usize,
        /// Times to score the same evidence; the median is reported.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=100))]
        runs: u16,
    },
    /// Transfers per second and finality latency of validators under Commonware consensus on
    /// loopback, next to the solo driver given the same transfers in the same run.
    Consensus {
        /// Validators, each with its own store and runtime, talking over loopback p2p.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Transfers for the throughput phase.
        #[arg(long, default_value_t = 20_000)]
        txs: usize,
        /// Sending accounts for the throughput phase.
        #[arg(long, default_value_t = 1_024)]
        accounts: usize,
        /// Transfers sent one at a time to time their finality.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// Federated rounds on the digits (honest participants, FedAvg, MLP 64-32-10): seconds per
    /// round and held-out accuracy, next to one process training the same model on all the
    /// participants' data for the same epochs. `bench/flower_vs_plexus.py` runs Flower beside it.
    Learn {
        /// Participants, each on a label-skewed part of the digits.
        #[arg(long, default_value_t = 8)]
        participants: usize,
        /// Rounds.
        #[arg(long, default_value_t = 30)]
        rounds: usize,
    },
    /// Compute marketplace: winning bids chosen per second for orders with many bids, next to
    /// a bare sort of the same bids; the demo WASM job and an inference job through their
    /// sandboxes, next to the same work done directly in-process. (Job dispatch latency on a
    /// devnet is in `plexus devnet --agents N --json`'s `jobs` section.)
    Jobs {
        /// Orders to match.
        #[arg(long, default_value_t = 10_000)]
        orders: usize,
        /// Providers bidding for each order.
        #[arg(long, default_value_t = 64)]
        providers: usize,
        /// Runs of each job; medians are reported.
        #[arg(long, default_value_t = 9)]
        runs: usize,
    },
    /// Blob put and get throughput over loopback HTTP, next to one core's blake3 throughput
    /// over the same file; and the verifier's cost of retrievability challenges.
    Storage {
        /// Size of the blob in MiB.
        #[arg(long, default_value_t = 1024)]
        mib: u64,
        /// Directory for the benchmark's files (default: the system's temporary directory).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
}

#[derive(Serialize)]
struct LedgerReport {
    scenario: &'static str,
    txs: usize,
    accounts: usize,
    blocks: u64,
    seconds: f64,
    /// Signed transfers admitted, executed and committed per second (state commits included).
    transfers_per_sec: f64,
    /// Baseline: ed25519 signatures verified one by one per second on one core.
    baseline_verify_per_sec_one_core: f64,
    /// transfers_per_sec / baseline.
    ratio: f64,
    cores: usize,
}

pub async fn run(g: &Globals, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Jobs {
            orders,
            providers,
            runs,
        } => {
            anyhow::ensure!(
                orders >= 1 && providers >= 1,
                "--orders and --providers must be at least 1"
            );
            anyhow::ensure!(runs >= 1, "--runs must be at least 1");
            let report =
                tokio::task::spawn_blocking(move || bench_jobs(orders, providers, runs)).await??;
            if g.json {
                print_json(&report);
            } else {
                let f = |k: &str| report[k].as_f64().unwrap_or_default();
                println!(
                    "matching {orders} orders × {providers} bids: {:.0} orders/s ({:.2} M bids/s)\n\
                     baseline, sorting the same bids by price: {:.0} orders/s (matching takes {:.2}x a sort)\n\
                     WASM demo job: {:.2} ms in the sandbox, {:.2} ms natively in-process ({:.2}x)\n\
                     inference ({}): {:.2} ms through the job runtime, {:.2} ms calling the model in-process ({:.2}x)",
                    f("orders_per_sec"),
                    f("bids_per_sec") / 1e6,
                    f("baseline_sort_orders_per_sec"),
                    f("baseline_sort_orders_per_sec") / f("orders_per_sec"),
                    f("wasm_job_ms"),
                    f("wasm_native_ms"),
                    f("wasm_job_ms") / f("wasm_native_ms"),
                    report["inference_workload"].as_str().unwrap_or(""),
                    f("inference_job_ms"),
                    f("inference_native_ms"),
                    f("inference_job_ms") / f("inference_native_ms"),
                );
            }
            Ok(())
        }
        BenchCommand::Learn {
            participants,
            rounds,
        } => {
            anyhow::ensure!(participants >= 1, "--participants must be at least 1");
            anyhow::ensure!(rounds >= 1, "--rounds must be at least 1");
            let report =
                tokio::task::spawn_blocking(move || bench_learn(participants, rounds)).await??;
            if g.json {
                print_json(&report);
            } else {
                let f = |k: &str| report[k].as_f64().unwrap_or_default();
                println!(
                    "{participants} participants, {rounds} rounds: {:.4} s per round (median), held-out accuracy {:.3}\n\
                     baseline, one process training on all their data for the same epochs: {:.4} s ({:.2}x), accuracy after {rounds} such passes {:.3}",
                    f("round_secs_median"),
                    f("accuracy"),
                    f("baseline_centralized_secs"),
                    f("round_secs_median") / f("baseline_centralized_secs"),
                    f("baseline_accuracy"),
                );
            }
            Ok(())
        }
        BenchCommand::Storage { mib, dir } => {
            anyhow::ensure!(mib > 0, "--mib must be at least 1");
            let report = crate::bench_storage::bench_storage(mib, dir.as_deref()).await?;
            if g.json {
                print_json(&report);
            } else {
                let f = |k: &str| report[k].as_f64().unwrap_or_default();
                println!(
                    "put {:.0} MiB/s ({:.2}x), get {:.0} MiB/s ({:.2}x) of blake3 on one core {:.0} MiB/s\n\
                     blake3 on all cores: {:.0} MiB/s (put {:.2}x, get {:.2}x of that)\n\
                     copying the file and syncing it: {:.0} MiB/s (put {:.2}x, get {:.2}x of that)\n\
                     verifying a challenge: {:.1} us",
                    f("put_mib_per_sec"),
                    f("put_ratio"),
                    f("get_mib_per_sec"),
                    f("get_ratio"),
                    f("blake3_one_core_mib_per_sec"),
                    f("blake3_all_cores_mib_per_sec"),
                    f("put_ratio_to_all_cores"),
                    f("get_ratio_to_all_cores"),
                    f("copy_and_sync_mib_per_sec"),
                    f("put_ratio_to_copy"),
                    f("get_ratio_to_copy"),
                    report["challenge"]["verify_us_per_challenge"].as_f64().unwrap_or_default(),
                );
            }
            Ok(())
        }
        BenchCommand::Consensus {
            validators,
            txs,
            accounts,
            samples,
        } => {
            let args = crate::bench_consensus::ConsensusArgs {
                validators,
                txs,
                accounts,
                samples,
                quiet: g.json,
            };
            let r =
                tokio::task::spawn_blocking(move || crate::bench_consensus::bench_consensus(args))
                    .await??;
            if g.json {
                print_json(&r);
            } else {
                for d in [&r.consensus, &r.baseline_solo] {
                    println!(
                        "{:<28} {:>9.0} transfers/s ({} in {:.2} s, {} blocks) · finality median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
                        d.driver,
                        d.transfers_per_sec,
                        d.txs,
                        d.seconds,
                        d.blocks,
                        d.latency_ms_median,
                        d.latency_ms_p90,
                        d.latency_ms_max
                    );
                }
                println!(
                    "ratio: {:.2}x of the solo driver's throughput on {} cores; app hashes agree at every height",
                    r.throughput_ratio, r.cores
                );
            }
            Ok(())
        }
        BenchCommand::Ingest { devices } => {
            let report = bench_ingest(devices, g.json).await?;
            if g.json {
                print_json(&report);
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
        BenchCommand::Rewards { devices, runs } => {
            if !g.json {
                eprintln!("scoring an epoch of {devices} devices (synthetic evidence)…");
            }
            let r = tokio::task::spawn_blocking(move || {
                plexus_rewards::bench_scoring(devices, usize::from(runs))
            })
            .await??;
            let report = serde_json::json!({
                "scenario": "rewards",
                "devices": r.devices,
                "records": r.records,
                "leaves": r.leaves,
                "threads": r.threads,
                "scoring_and_manifest_secs": r.scoring_and_manifest_secs,
                "runs_secs": r.runs_secs,
                "baseline_blake3_leaves_secs": r.blake3_leaves_secs,
                "ratio_to_baseline": r.scoring_and_manifest_secs / r.blake3_leaves_secs,
                "goal_secs": 2.0,
            });
            if g.json {
                print_json(&report);
            } else {
                println!(
                    "rewards: {} devices ({} records) scored with manifest in {:.2} s on {} threads \
                     (median of {} runs)\n\
                     baseline: blake3 of the same {} leaves in {:.2} s (ratio {:.1}x); goal under 2 s",
                    r.devices,
                    r.records,
                    r.scoring_and_manifest_secs,
                    r.threads,
                    r.runs_secs.len(),
                    r.leaves,
                    r.blake3_leaves_secs,
                    r.scoring_and_manifest_secs / r.blake3_leaves_secs
                );
            }
            Ok(())
        }
        BenchCommand::Ledger { txs, accounts } => {
            let json = g.json;
            let report =
                tokio::task::spawn_blocking(move || bench_ledger(txs, accounts, json)).await??;
            if g.json {
                print_json(&report);
            } else {
                println!(
                    "ledger: {:.0} transfers/s executed and committed ({} txs in {} blocks, {:.2} s)\n\
                     baseline: {:.0} ed25519 verifications/s one by one on one core\n\
                     ratio: {:.2}x on {} cores",
                    report.transfers_per_sec,
                    report.txs,
                    report.blocks,
                    report.seconds,
                    report.baseline_verify_per_sec_one_core,
                    report.ratio,
                    report.cores
                );
            }
            Ok(())
        }
    }
}

/// Runs the solo block producer on its own thread until `stop` is set: a block as soon as
/// transactions wait, as benchmarks want.
pub fn start_solo(
    chain: &Arc<Chain>,
    stop: &Arc<AtomicBool>,
) -> std::thread::JoinHandle<Result<(), plexus_chain::ChainError>> {
    let (chain, stop) = (chain.clone(), stop.clone());
    std::thread::spawn(move || {
        chain.run_solo(
            &SoloConfig {
                block_ms: 1_000,
                min_block_ms: 0,
                proposer: Address([0; 20]),
            },
            &stop,
        )
    })
}

/// Funded accounts and the signed transfers they send.
pub struct BenchTransfers {
    pub addrs: Vec<Address>,
    pub signed: Vec<SignedTx>,
}

/// `txs` signed transfers of 1 uplx from `accounts` accounts in turn (keys derived from `tag`
/// and the account's index), each to another of them, with consecutive nonces per sender.
pub fn bench_transfers(
    chain_id: &str,
    tag: u8,
    txs: usize,
    accounts: usize,
) -> anyhow::Result<BenchTransfers> {
    anyhow::ensure!(accounts >= 2, "--accounts must be at least 2");
    anyhow::ensure!(txs >= 1, "--txs must be at least 1");
    let keys: Vec<SecretKey> = (0..accounts)
        .into_par_iter()
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            seed[8] = tag;
            SecretKey::from_seed(seed)
        })
        .collect();
    let addrs: Vec<Address> = keys
        .iter()
        .map(|k| Address::from_public_key(&k.public_key()))
        .collect();
    let fee = Params::default().min_fee;
    let signed: Vec<SignedTx> = (0..txs)
        .into_par_iter()
        .map(|n| {
            let from = n % accounts;
            let round = (n / accounts) as u64;
            UnsignedTx {
                chain_id: chain_id.into(),
                nonce: round,
                fee,
                body: Body::Transfer {
                    to: addrs[(from + 1 + round as usize) % accounts],
                    amount: Amount(1),
                },
            }
            .sign(&keys[from])
        })
        .collect();
    Ok(BenchTransfers { addrs, signed })
}

fn bench_ledger(txs: usize, accounts: usize, quiet: bool) -> anyhow::Result<LedgerReport> {
    let say = |msg: &str| {
        if !quiet {
            eprintln!("{msg}");
        }
    };
    let chain_id = "plexus-bench";
    say(&format!(
        "preparing {accounts} accounts and {txs} signed transfers…"
    ));
    let BenchTransfers { addrs, signed } = bench_transfers(chain_id, 0xbe, txs, accounts)?;
    let params = Params::default();

    // Baseline: one core, one signature at a time.
    let sample = txs.min(20_000);
    let started = Instant::now();
    for tx in &signed[..sample] {
        tx.verify_signature()
            .map_err(|e| anyhow::anyhow!("baseline signature failed: {e}"))?;
    }
    let baseline = sample as f64 / started.elapsed().as_secs_f64();

    let dir = tempfile::tempdir()?;
    let genesis = Genesis {
        chain_id: chain_id.into(),
        genesis_time_ms: 0,
        params: params.clone(),
        rewards: Default::default(),
        oracles: Default::default(),
        device_classes: plexus_ledger::default_device_classes(),
        validators: Vec::new(),
        accounts: addrs
            .iter()
            .map(|a| GenesisAccount {
                address: *a,
                balance: Amount::plx(1_000_000),
            })
            .collect(),
    };
    let chain = Arc::new(Chain::open(
        dir.path(),
        Some(&genesis),
        MempoolConfig {
            max_txs: txs.max(200_000),
            max_bytes: usize::MAX / 2,
            ..MempoolConfig::default()
        },
    )?);
    let raw: Vec<Vec<u8>> = signed.into_iter().map(|t| t.bytes).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let producer = start_solo(&chain, &stop);
    let progress = (!quiet).then(|| {
        let bar = indicatif::ProgressBar::new(txs as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} committed {per_sec}")
                .expect("template parses"),
        );
        bar
    });
    let started = Instant::now();
    let submitter = {
        let chain = chain.clone();
        std::thread::spawn(move || {
            let mut refused = 0usize;
            for chunk in raw.chunks(2_048) {
                for r in chain.submit_many(chunk.to_vec()) {
                    if r.is_err() {
                        refused += 1;
                    }
                }
            }
            refused
        })
    };
    let target = txs as u64;
    loop {
        let st = chain.status();
        if let Some(bar) = &progress {
            bar.set_position(st.txs_committed);
        }
        if st.txs_committed >= target {
            break;
        }
        if producer.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let seconds = started.elapsed().as_secs_f64();
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let refused = submitter
        .join()
        .map_err(|_| anyhow::anyhow!("submitter panicked"))?;
    stop.store(true, Ordering::SeqCst);
    chain.wake();
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("block producer panicked"))??;
    let status = chain.status();
    anyhow::ensure!(
        refused == 0,
        "{refused} transfers were refused by the mempool"
    );
    anyhow::ensure!(
        status.txs_committed == target,
        "only {} of {target} transfers committed",
        status.txs_committed
    );
    let tps = txs as f64 / seconds;
    Ok(LedgerReport {
        scenario: "ledger",
        txs,
        accounts,
        blocks: status.height,
        seconds,
        transfers_per_sec: tps,
        baseline_verify_per_sec_one_core: baseline,
        ratio: tps / baseline,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}

async fn bench_ingest(devices: usize, quiet: bool) -> anyhow::Result<serde_json::Value> {
    use plexus_types::heartbeat::{Heartbeat, SignedHeartbeat};
    use plexus_types::{statements, Capabilities, Hash};
    anyhow::ensure!(devices >= 1, "--devices must be at least 1");
    let say = |msg: String| {
        if !quiet {
            eprintln!("{msg}");
        }
    };
    const OWNERS: usize = 64;
    let chain_id = "plexus-bench-ingest";
    let seeded = |tag: u8, i: usize| {
        let mut seed = [tag; 32];
        seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
        SecretKey::from_seed(seed)
    };
    let owners: Vec<SecretKey> = (0..OWNERS).map(|i| seeded(1, i)).collect();
    let device_keys: Vec<SecretKey> = (0..devices).into_par_iter().map(|i| seeded(2, i)).collect();
    let oracle_key = seeded(3, 0);
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
    let mut genesis = Genesis::new(chain_id, 0, accounts);
    genesis.rewards.epoch_blocks = 1_000_000;
    genesis.rewards.intervals_per_epoch = 10;
    genesis.oracles = plexus_ledger::OracleSet {
        members: vec![Address::from_public_key(&oracle_key.public_key())],
        threshold: 1,
    };
    let dir = tempfile::tempdir()?;
    let files = plexus_node::NodeFiles::new(dir.path().join("node"));
    let config = plexus_node::NodeConfig {
        api: "127.0.0.1:0".parse()?,
        block_ms: 100,
        min_block_ms: 0,
    };
    files.write_new(&genesis, &config, &seeded(4, 0))?;
    let node = plexus_node::run_node(&files, config).await?;
    let chain = node.chain.clone();

    say(format!("registering {devices} devices…"));
    let txs: Vec<Vec<u8>> = (0..devices)
        .into_par_iter()
        .map(|i| {
            let owner = &owners[i % OWNERS];
            let owner_addr = Address::from_public_key(&owner.public_key());
            let device = &device_keys[i];
            let statement =
                statements::device_registration(chain_id, &owner_addr, &device.public_key());
            UnsignedTx {
                chain_id: chain_id.into(),
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
    while plexus_ledger::query::device_count(chain.store())? < devices as u64 {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "registrations did not commit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let oracle = plexus_oracle::run_oracle(plexus_oracle::OracleConfig {
        listen: "127.0.0.1:0".parse()?,
        node: format!("http://{}", node.api_addr),
        data_dir: dir.path().join("oracle"),
        key: oracle_key,
    })
    .await?;
    let base = format!("http://{}", oracle.addr);
    let http = reqwest::Client::new();
    // Wait until the oracle has read the registry and the chain's current beacon.
    let probe = loop {
        let s: serde_json::Value = http
            .get(format!("{base}/v1/status"))
            .send()
            .await?
            .json()
            .await?;
        if s["beacon"].is_string() {
            let hb = Heartbeat {
                chain_id: chain_id.into(),
                device: device_keys[0].public_key(),
                epoch: s["epoch"].as_u64().unwrap_or(1),
                interval: s["interval"].as_u64().unwrap_or(0) as u32,
                beacon: Hash::from_hex(s["beacon"].as_str().unwrap_or(""))?,
            };
            let r = http
                .post(format!("{base}/v1/heartbeats"))
                .body(hb.sign(&device_keys[0]).bytes)
                .send()
                .await?;
            if r.status().is_success() {
                break hb;
            }
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "the oracle never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
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

    // Baseline: one core batch-verifying the same signatures, 64 at a time.
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
    let baseline = beats.len() as f64 / started.elapsed().as_secs_f64();

    say("sending them over HTTP…".to_string());
    let bodies: Vec<Vec<u8>> = beats
        .chunks(2_048)
        .map(SignedHeartbeat::encode_batch)
        .collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    let queue = Arc::new(parking_lot::Mutex::new(bodies));
    for _ in 0..4 {
        let (http, base, queue) = (http.clone(), base.clone(), queue.clone());
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

fn bench_learn(participants: usize, rounds: usize) -> anyhow::Result<serde_json::Value> {
    use plexus_learn::data::Dataset;
    use plexus_learn::model::Model;
    use plexus_learn::simulate::{digits_split, run, Simulation};
    let sim = Simulation::honest(participants, rounds);
    let report = run(&sim)?;
    let mut secs = report.round_secs.clone();
    secs.sort_by(f64::total_cmp);
    let median = secs[secs.len() / 2];
    let mut coordinate = report.coordinate_secs.clone();
    coordinate.sort_by(f64::total_cmp);
    let coordinate_median = coordinate[coordinate.len() / 2];
    // Baseline: the same model trained in one process on all the participants' data, one
    // round's worth of epochs at a time.
    let (parts, _, held_out) = digits_split(participants);
    let mut all = parts[0].clone();
    for p in &parts[1..] {
        all.features.extend_from_slice(&p.features);
        all.labels.extend_from_slice(&p.labels);
    }
    let all: Dataset = all;
    let model = Model::new(sim.arch, 64, 10, sim.seed)?;
    let mut passes = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        model.train(&all, &sim.train)?;
        passes.push(started.elapsed().as_secs_f64());
    }
    passes.sort_by(f64::total_cmp);
    let (_, baseline_accuracy) = model.evaluate(&held_out)?;
    Ok(serde_json::json!({
        "scenario": "learn",
        "participants": participants,
        "rounds": rounds,
        "model": sim.arch,
        "train": sim.train,
        "round_secs_median": median,
        "round_secs": report.round_secs,
        "coordinate_secs_median": coordinate_median,
        "accuracy": report.accuracy.last().copied().unwrap_or_default(),
        "accuracy_by_round": report.accuracy,
        "baseline_centralized_secs": passes[passes.len() / 2],
        "baseline_accuracy": baseline_accuracy,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    }))
}

/// Matching throughput and job run times, each next to its baseline.
fn bench_jobs(orders: usize, providers: usize, runs: usize) -> anyhow::Result<serde_json::Value> {
    use plexus_ledger::market::winners;
    // Every order gets one bid per provider at a pseudo-random price; ids ascend.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let addresses: Vec<Address> = (0..providers)
        .map(|i| {
            let mut a = [0u8; plexus_types::address::ADDRESS_LEN];
            a[..8].copy_from_slice(&(i as u64).to_be_bytes());
            Address(a)
        })
        .collect();
    let books: Vec<Vec<(u64, Address, Amount)>> = (0..orders)
        .map(|o| {
            (0..providers)
                .map(|p| {
                    (
                        (o * providers + p) as u64,
                        addresses[p],
                        Amount(1_000 + u128::from(next() % 9_000)),
                    )
                })
                .collect()
        })
        .collect();
    let cap = Amount(9_000);
    let t = Instant::now();
    let mut chosen = 0usize;
    for book in &books {
        chosen += winners(book, cap, 1).len();
    }
    let matching = t.elapsed().as_secs_f64();
    anyhow::ensure!(chosen > 0, "no order was matched");
    let t = Instant::now();
    let mut cheapest = 0u128;
    for book in &books {
        let mut sorted = book.clone();
        sorted.sort_unstable_by_key(|b| (b.2, b.0));
        cheapest = cheapest.wrapping_add(sorted[0].2 .0);
    }
    let sorting = t.elapsed().as_secs_f64();
    std::hint::black_box(cheapest);
    let wasm = plexus_runtime::bench::bench_wasm(runs)?;
    let inference = plexus_runtime::bench::bench_inference(runs, 64)?;
    Ok(serde_json::json!({
        "orders": orders,
        "providers": providers,
        "orders_per_sec": orders as f64 / matching,
        "bids_per_sec": (orders * providers) as f64 / matching,
        "baseline_sort_orders_per_sec": orders as f64 / sorting,
        "wasm_workload": wasm.workload,
        "wasm_job_ms": wasm.job.as_secs_f64() * 1e3,
        "wasm_native_ms": wasm.native.as_secs_f64() * 1e3,
        "inference_workload": inference.workload,
        "inference_job_ms": inference.job.as_secs_f64() * 1e3,
        "inference_native_ms": inference.native.as_secs_f64() * 1e3,
        "runs": runs,
    }))
}
