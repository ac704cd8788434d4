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
    /// Seconds to score an epoch and build its manifest for many devices, next to the time to
    /// blake3-hash the same leaves.
    Rewards {
        /// Number of devices.
        #[arg(long, default_value_t = 1_000_000)]
        devices: usize,
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
        BenchCommand::Rewards { devices } => {
            if !g.json {
                eprintln!("scoring an epoch of {devices} devices (synthetic evidence)…");
            }
            let r = tokio::task::spawn_blocking(move || plexus_rewards::bench_scoring(devices))
                .await??;
            let report = serde_json::json!({
                "scenario": "rewards",
                "devices": r.devices,
                "records": r.records,
                "leaves": r.leaves,
                "threads": r.threads,
                "scoring_and_manifest_secs": r.scoring_and_manifest_secs,
                "baseline_blake3_leaves_secs": r.blake3_leaves_secs,
                "ratio_to_baseline": r.scoring_and_manifest_secs / r.blake3_leaves_secs,
                "goal_secs": 2.0,
            });
            if g.json {
                print_json(&report);
            } else {
                println!(
                    "rewards: {} devices ({} records) scored with manifest in {:.2} s on {} threads\n\
                     baseline: blake3 of the same {} leaves in {:.2} s (ratio {:.1}x); goal under 2 s",
                    r.devices,
                    r.records,
                    r.scoring_and_manifest_secs,
                    r.threads,
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

fn bench_ledger(txs: usize, accounts: usize, quiet: bool) -> anyhow::Result<LedgerReport> {
    anyhow::ensure!(accounts >= 2, "--accounts must be at least 2");
    anyhow::ensure!(txs >= 1, "--txs must be at least 1");
    let say = |msg: &str| {
        if !quiet {
            eprintln!("{msg}");
        }
    };
    let chain_id = "plexus-bench";
    say(&format!(
        "preparing {accounts} accounts and {txs} signed transfers…"
    ));
    let keys: Vec<SecretKey> = (0..accounts)
        .into_par_iter()
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            seed[8] = 0xbe;
            SecretKey::from_seed(seed)
        })
        .collect();
    let addrs: Vec<Address> = keys
        .iter()
        .map(|k| Address::from_public_key(&k.public_key()))
        .collect();
    let params = Params::default();
    let signed: Vec<SignedTx> = (0..txs)
        .into_par_iter()
        .map(|n| {
            let from = n % accounts;
            let round = (n / accounts) as u64;
            UnsignedTx {
                chain_id: chain_id.into(),
                nonce: round,
                fee: params.min_fee,
                body: Body::Transfer {
                    to: addrs[(from + 1 + round as usize) % accounts],
                    amount: Amount(1),
                },
            }
            .sign(&keys[from])
        })
        .collect();

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
    let producer = {
        let chain = chain.clone();
        let stop = stop.clone();
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
    };
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
