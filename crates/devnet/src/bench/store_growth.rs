//! `plexus bench store-growth`: the size of a chain's state file as blocks of transfers are
//! committed with pruning on (keeping the newest `keep` heights), next to the same blocks
//! with every height kept. Both runs must end at the same app hash.

use super::transfers::bench_transfers;
use plexus_chain::{Chain, MempoolConfig};
use plexus_ledger::{Genesis, Params};
use plexus_types::{Address, Hash};
use serde::Serialize;
use std::num::NonZeroU64;
use std::path::Path;
use std::time::Instant;

/// What to run.
pub struct GrowthArgs {
    pub blocks: u64,
    pub txs_per_block: usize,
    pub accounts: usize,
    pub keep: u64,
    pub every: u64,
}

#[derive(Serialize)]
struct Point {
    height: u64,
    /// Bytes of `state.redb`.
    state_bytes: u64,
    /// Entries in each part of the store.
    entries: plexus_store::StoreStats,
}

#[derive(Serialize)]
struct Run {
    /// Heights kept (0: all).
    keep: u64,
    seconds: f64,
    curve: Vec<Point>,
    /// Bytes of the block log at the end (blocks are not pruned).
    block_log_bytes: u64,
    app_hash: Hash,
}

#[derive(Serialize)]
struct GrowthReport {
    scenario: &'static str,
    blocks: u64,
    txs_per_block: usize,
    accounts: usize,
    pruned: Run,
    /// Baseline: the same blocks, every height kept.
    unpruned: Run,
    /// Final state file size, unpruned / pruned.
    ratio: f64,
}

/// Runs the benchmark and prints its report.
pub async fn run(args: GrowthArgs, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!(args.keep >= 1, "--keep must be at least 1");
    anyhow::ensure!(args.every >= 1, "--every must be at least 1");
    let report = tokio::task::spawn_blocking(move || bench(&args, json)).await??;
    if json {
        crate::print_json(&report);
        return Ok(());
    }
    println!(
        "store growth over {} blocks of {} transfers among {} accounts",
        report.blocks, report.txs_per_block, report.accounts
    );
    let keep = format!("keep {}", report.pruned.keep);
    println!(
        "{:>8}  {:>10} {:>10}  {:>10} {:>10}  {:>10} {:>10}  {:>10} {:>10}",
        "height", "MiB", "", "tree nodes", "", "value rows", "", "tx results", ""
    );
    println!(
        "{:>8}  {:>10} {:>10}  {:>10} {:>10}  {:>10} {:>10}  {:>10} {:>10}",
        "", keep, "keep all", keep, "keep all", keep, "keep all", keep, "keep all"
    );
    for (p, u) in report.pruned.curve.iter().zip(&report.unpruned.curve) {
        println!(
            "{:>8}  {:>10.1} {:>10.1}  {:>10} {:>10}  {:>10} {:>10}  {:>10} {:>10}",
            p.height,
            mib(p.state_bytes),
            mib(u.state_bytes),
            p.entries.tree_nodes,
            u.entries.tree_nodes,
            p.entries.value_rows,
            u.entries.value_rows,
            p.entries.side_index,
            u.entries.side_index
        );
    }
    println!(
        "ratio: the unpruned state file is {:.1}x the pruned one ({:.1} s pruned, {:.1} s unpruned; \
         block log {:.1} MiB, not pruned)",
        report.ratio,
        report.pruned.seconds,
        report.unpruned.seconds,
        mib(report.pruned.block_log_bytes)
    );
    Ok(())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn bench(args: &GrowthArgs, quiet: bool) -> anyhow::Result<GrowthReport> {
    let chain_id = "plexus-bench-growth";
    let txs = usize::try_from(args.blocks)?
        .checked_mul(args.txs_per_block)
        .ok_or_else(|| anyhow::anyhow!("too many transfers"))?;
    if !quiet {
        eprintln!("signing {txs} transfers…");
    }
    let transfers = bench_transfers(chain_id, 0x5e, txs.max(1), args.accounts)?;
    let raw: Vec<Vec<u8>> = transfers.signed.into_iter().map(|t| t.bytes).collect();
    let genesis = super::transfers::bench_genesis(chain_id, Params::default(), &transfers.addrs);
    let pruned = one_run(args, &genesis, &raw, args.keep, quiet)?;
    let unpruned = one_run(args, &genesis, &raw, 0, quiet)?;
    anyhow::ensure!(
        pruned.app_hash == unpruned.app_hash,
        "pruning changed the state: app hash {} with pruning, {} without",
        pruned.app_hash,
        unpruned.app_hash
    );
    let last = |r: &Run| r.curve.last().map_or(1, |p| p.state_bytes.max(1));
    Ok(GrowthReport {
        scenario: "store-growth",
        blocks: args.blocks,
        txs_per_block: args.txs_per_block,
        accounts: args.accounts,
        ratio: last(&unpruned) as f64 / last(&pruned) as f64,
        pruned,
        unpruned,
    })
}

fn file_len(path: &Path) -> anyhow::Result<u64> {
    Ok(std::fs::metadata(path)?.len())
}

/// Commits `args.blocks` blocks of the transfers, one second apart on the blocks' clock,
/// measuring the state file every `args.every` blocks.
fn one_run(
    args: &GrowthArgs,
    genesis: &Genesis,
    raw: &[Vec<u8>],
    keep: u64,
    quiet: bool,
) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let chain = Chain::open(dir.path(), Some(genesis), MempoolConfig::default())?;
    chain.store().set_retain_versions(NonZeroU64::new(keep));
    let state = dir.path().join("state.redb");
    let started = Instant::now();
    let mut curve = Vec::new();
    let chunk = args.txs_per_block.max(1);
    for (i, block_txs) in raw.chunks(chunk).enumerate().take(args.blocks as usize) {
        let refused = chain
            .submit_many(block_txs.to_vec())
            .into_iter()
            .filter(Result::is_err)
            .count();
        anyhow::ensure!(refused == 0, "the mempool refused {refused} transfers");
        let height = i as u64 + 1;
        let summary = chain.produce_block_at(Address([0; 20]), height * 1_000)?;
        anyhow::ensure!(
            summary.txs == block_txs.len(),
            "block {height} took {} of {} transfers",
            summary.txs,
            block_txs.len()
        );
        if height.is_multiple_of(args.every) || height == args.blocks {
            let point = Point {
                height,
                state_bytes: file_len(&state)?,
                entries: chain.store().stats()?,
            };
            if !quiet {
                eprintln!(
                    "keep {}: height {height}, state {:.1} MiB",
                    if keep == 0 {
                        "all".into()
                    } else {
                        keep.to_string()
                    },
                    mib(point.state_bytes)
                );
            }
            curve.push(point);
        }
    }
    Ok(Run {
        keep,
        seconds: started.elapsed().as_secs_f64(),
        curve,
        block_log_bytes: file_len(&dir.path().join("blocks.log"))?,
        app_hash: chain.status().app_hash,
    })
}
