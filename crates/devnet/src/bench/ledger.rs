//! `plexus bench ledger`: signed transfers executed and committed per second through the solo
//! driver, next to the same signatures verified one by one on one core, and in batches on one
//! core and on every core. Each run commits every transfer on a fresh chain and measures its
//! baselines afresh; the report gives medians and spreads, ratios taken run by run.

use super::stats::{cores, Spread};
use super::transfers::{bench_transfers, start_solo, BenchTransfers};
use plexus_chain::{Chain, MempoolConfig};
use plexus_ledger::Params;
use plexus_types::keys::{self, PublicKey, Signature};
use plexus_types::SignedTx;
use rayon::prelude::*;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Serialize)]
struct LedgerReport {
    scenario: &'static str,
    txs: usize,
    accounts: usize,
    runs: usize,
    /// Blocks of the median run (by transfers per second).
    blocks: u64,
    /// Seconds of the median run.
    seconds: f64,
    /// Signed transfers admitted, executed and committed per second (state commits included):
    /// the median of the runs.
    transfers_per_sec: f64,
    /// Baseline: ed25519 signatures verified one by one per second on one core (median).
    baseline_verify_per_sec_one_core: f64,
    /// Baseline: the same signatures batch-verified per second on one core (median).
    baseline_batch_verify_per_sec_one_core: f64,
    /// Baseline: the same signatures batch-verified per second on every core (median), the
    /// most that anything checking every signature can reach here.
    baseline_batch_verify_per_sec_all_cores: f64,
    /// transfers_per_sec / baseline_verify_per_sec_one_core, run by run (median).
    ratio: f64,
    /// transfers_per_sec / baseline_batch_verify_per_sec_all_cores, run by run (median): the
    /// goal figure.
    ratio_to_all_cores: f64,
    /// Whether ratio_to_all_cores reaches GOAL.
    goal_met: bool,
    transfers_per_sec_spread: Spread,
    baseline_verify_per_sec_one_core_spread: Spread,
    baseline_batch_verify_per_sec_one_core_spread: Spread,
    baseline_batch_verify_per_sec_all_cores_spread: Spread,
    ratio_spread: Spread,
    ratio_to_all_cores_spread: Spread,
    cores: usize,
}

/// The goal: committed transfers per second at least this share of the rate at which every
/// core batch-verifies their signatures.
const GOAL: f64 = 0.8;

/// Signatures in one batch of the baselines, as [`SignedTx::verify_many`] batches them.
const BATCH: usize = 64;

/// One run: a fresh chain committing every transfer, and the baselines measured next to it.
struct Run {
    blocks: u64,
    seconds: f64,
    transfers_per_sec: f64,
    one_by_one: f64,
    batch_one_core: f64,
    batch_all_cores: f64,
}

/// Runs the benchmark and prints its report.
pub async fn run(txs: usize, accounts: usize, runs: u16, json: bool) -> anyhow::Result<()> {
    let report =
        tokio::task::spawn_blocking(move || bench_ledger(txs, accounts, runs as usize, json))
            .await??;
    if json {
        crate::print_json(&report);
    } else {
        println!(
            "ledger: {} transfers/s executed and committed ({} txs, {} accounts, median of {} runs; median run {} blocks in {:.2} s)\n\
             baseline: {} ed25519 verifications/s one by one on one core\n\
             baseline: {} batch verifications/s on one core\n\
             baseline: {} batch verifications/s on all {} cores\n\
             ratio: {}x one-core one by one; {}x all-core batch verification (goal {GOAL}x: {})",
            report.transfers_per_sec_spread.show(0),
            report.txs,
            report.accounts,
            report.runs,
            report.blocks,
            report.seconds,
            report.baseline_verify_per_sec_one_core_spread.show(0),
            report.baseline_batch_verify_per_sec_one_core_spread.show(0),
            report.baseline_batch_verify_per_sec_all_cores_spread.show(0),
            report.cores,
            report.ratio_spread.show(2),
            report.ratio_to_all_cores_spread.show(2),
            if report.goal_met { "met" } else { "not met" },
        );
    }
    Ok(())
}

fn bench_ledger(
    txs: usize,
    accounts: usize,
    runs: usize,
    quiet: bool,
) -> anyhow::Result<LedgerReport> {
    let mut steps = crate::progress::Steps::new(quiet, quiet);
    let chain_id = "plexus-bench";
    steps.step(format!(
        "preparing {accounts} accounts and {txs} signed transfers…"
    ));
    let BenchTransfers { addrs, signed } = bench_transfers(chain_id, 0xbe, txs, accounts)?;
    let params = Params::default();
    let raw: Vec<Vec<u8>> = signed.iter().map(|t| t.bytes.clone()).collect();
    let mut done = Vec::with_capacity(runs);
    for n in 1..=runs {
        if crate::progress::drawn(quiet) {
            steps.step(format!(
                "run {n} of {runs}: baselines, then {txs} transfers through the solo driver"
            ));
        }
        let (one_by_one, batch_one_core, batch_all_cores) = baselines(&signed)?;
        let dir = tempfile::tempdir()?;
        let chain = open_chain(dir.path(), chain_id, &params, &addrs, txs)?;
        let bar = steps.count_bar(txs as u64, "committed");
        let (seconds, refused) = commit_all(&chain, raw.clone(), &bar)?;
        bar.finish_and_clear();
        let status = chain.status();
        anyhow::ensure!(
            refused == 0,
            "{refused} transfers were refused by the mempool"
        );
        anyhow::ensure!(
            status.txs_committed == txs as u64,
            "only {} of {txs} transfers committed",
            status.txs_committed
        );
        done.push(Run {
            blocks: status.height,
            seconds,
            transfers_per_sec: txs as f64 / seconds,
            one_by_one,
            batch_one_core,
            batch_all_cores,
        });
    }
    steps.finish();
    let of = |f: fn(&Run) -> f64| Spread::of(done.iter().map(f).collect());
    let tps = of(|r| r.transfers_per_sec);
    let one_by_one = of(|r| r.one_by_one);
    let batch_one_core = of(|r| r.batch_one_core);
    let batch_all_cores = of(|r| r.batch_all_cores);
    let ratio = Spread::pairwise(&tps, &one_by_one, |a, b| a / b);
    let ratio_all = Spread::pairwise(&tps, &batch_all_cores, |a, b| a / b);
    // The run whose rate is nearest the median names the blocks and seconds.
    let median_run = done
        .iter()
        .min_by(|a, b| {
            let d = |r: &Run| (r.transfers_per_sec - tps.median).abs();
            d(a).total_cmp(&d(b))
        })
        .expect("at least one run");
    Ok(LedgerReport {
        scenario: "ledger",
        txs,
        accounts,
        runs,
        blocks: median_run.blocks,
        seconds: median_run.seconds,
        transfers_per_sec: tps.median,
        baseline_verify_per_sec_one_core: one_by_one.median,
        baseline_batch_verify_per_sec_one_core: batch_one_core.median,
        baseline_batch_verify_per_sec_all_cores: batch_all_cores.median,
        ratio: ratio.median,
        ratio_to_all_cores: ratio_all.median,
        goal_met: ratio_all.median >= GOAL,
        transfers_per_sec_spread: tps,
        baseline_verify_per_sec_one_core_spread: one_by_one,
        baseline_batch_verify_per_sec_one_core_spread: batch_one_core,
        baseline_batch_verify_per_sec_all_cores_spread: batch_all_cores,
        ratio_spread: ratio,
        ratio_to_all_cores_spread: ratio_all,
        cores: cores(),
    })
}

/// The baselines of one run, in signatures per second: one core verifying one by one (the
/// first 20 000 transfers), one core verifying batches of [`BATCH`], and every core verifying
/// such batches (rayon over the chunks), both over every transfer.
fn baselines(signed: &[SignedTx]) -> anyhow::Result<(f64, f64, f64)> {
    let sample = &signed[..signed.len().min(20_000)];
    let started = Instant::now();
    for tx in sample {
        tx.verify_signature()
            .map_err(|e| anyhow::anyhow!("baseline signature failed: {e}"))?;
    }
    let one_by_one = sample.len() as f64 / started.elapsed().as_secs_f64();

    let batch = |chunk: &[SignedTx]| {
        let items: Vec<(&[u8], Signature, PublicKey)> = chunk
            .iter()
            .map(|t| (t.payload.as_slice(), t.signature, t.signer))
            .collect();
        keys::verify_batch(&items)
    };
    let started = Instant::now();
    let all_valid = signed.chunks(BATCH).all(batch);
    let one_core = signed.len() as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(all_valid, "baseline batch verification failed");

    let started = Instant::now();
    let all_valid = signed.par_chunks(BATCH).all(batch);
    let all_cores = signed.len() as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(all_valid, "baseline batch verification failed");
    Ok((one_by_one, one_core, all_cores))
}

/// A fresh chain in `dir` whose genesis funds `addrs`, with a mempool that holds every transfer.
fn open_chain(
    dir: &std::path::Path,
    chain_id: &str,
    params: &Params,
    addrs: &[plexus_types::Address],
    txs: usize,
) -> anyhow::Result<Arc<Chain>> {
    let genesis = super::transfers::bench_genesis(chain_id, params.clone(), addrs);
    let chain = Arc::new(Chain::open(
        dir,
        Some(&genesis),
        MempoolConfig {
            max_txs: txs.max(200_000),
            max_bytes: usize::MAX / 2,
            ..MempoolConfig::default()
        },
    )?);
    Ok(chain)
}

/// Submits the transfers from one thread while the solo driver commits them; returns the
/// seconds until all committed (or the driver stopped) and how many the mempool refused.
fn commit_all(
    chain: &Arc<Chain>,
    raw: Vec<Vec<u8>>,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<(f64, usize)> {
    let txs = raw.len();
    let stop = Arc::new(AtomicBool::new(false));
    let producer = start_solo(chain, &stop);
    let started = Instant::now();
    let submitter = {
        let chain = chain.clone();
        std::thread::spawn(move || {
            let mut refused = 0usize;
            let mut raw = raw.into_iter().peekable();
            while raw.peek().is_some() {
                let chunk: Vec<Vec<u8>> = raw.by_ref().take(2_048).collect();
                for r in chain.submit_many(chunk) {
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
        progress.set_position(st.txs_committed);
        if st.txs_committed >= target {
            break;
        }
        if producer.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let seconds = started.elapsed().as_secs_f64();
    let refused = submitter
        .join()
        .map_err(|_| anyhow::anyhow!("submitter panicked"))?;
    stop.store(true, Ordering::SeqCst);
    chain.wake();
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("block producer panicked"))??;
    Ok((seconds, refused))
}
