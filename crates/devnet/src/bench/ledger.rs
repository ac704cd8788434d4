//! `plexus bench ledger`: signed transfers executed and committed per second through the solo
//! driver, next to one core verifying ed25519 signatures one by one.

use super::transfers::{bench_transfers, start_solo, BenchTransfers};
use plexus_chain::{Chain, MempoolConfig};
use plexus_ledger::Params;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// Runs the benchmark and prints its report.
pub async fn run(txs: usize, accounts: usize, json: bool) -> anyhow::Result<()> {
    let report = tokio::task::spawn_blocking(move || bench_ledger(txs, accounts, json)).await??;
    if json {
        crate::print_json(&report);
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

fn bench_ledger(txs: usize, accounts: usize, quiet: bool) -> anyhow::Result<LedgerReport> {
    let mut steps = crate::progress::Steps::new(quiet, quiet);
    let chain_id = "plexus-bench";
    steps.step(format!(
        "preparing {accounts} accounts and {txs} signed transfers…"
    ));
    let BenchTransfers { addrs, signed } = bench_transfers(chain_id, 0xbe, txs, accounts)?;
    let params = Params::default();

    // Baseline: one core, one signature at a time.
    if crate::progress::drawn(quiet) {
        steps.step("baseline: verifying signatures one by one on one core");
    }
    let sample = txs.min(20_000);
    let started = Instant::now();
    for tx in &signed[..sample] {
        tx.verify_signature()
            .map_err(|e| anyhow::anyhow!("baseline signature failed: {e}"))?;
    }
    let baseline = sample as f64 / started.elapsed().as_secs_f64();

    let dir = tempfile::tempdir()?;
    let chain = open_chain(dir.path(), chain_id, &params, &addrs, txs)?;
    let raw: Vec<Vec<u8>> = signed.into_iter().map(|t| t.bytes).collect();
    if crate::progress::drawn(quiet) {
        steps.step(format!(
            "committing {txs} transfers through the solo driver"
        ));
    }
    let bar = steps.count_bar(txs as u64, "committed");
    let (seconds, refused) = commit_all(&chain, raw, &bar)?;
    bar.finish_and_clear();
    steps.finish();
    let target = txs as u64;
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
