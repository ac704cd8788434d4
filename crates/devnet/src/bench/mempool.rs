//! `plexus bench mempool`: how long honest transfers wait for a block while 20 accounts flood
//! the mempool with transactions behind a missing nonce and 20 more with valid transactions at
//! the minimum fee, next to the same honest transfers without the flood, in the same run.
//!
//! Blocks are made one after another on a chain whose blocks hold about 400 transfers (a
//! congested chain, so that the flood outnumbers a block many times over); each honest user
//! sends one transfer a block, at the minimum fee like the flood. What is measured is the
//! number of blocks from a transfer's admission to its commit.

use plexus_chain::{Chain, MempoolConfig};
use plexus_ledger::Params;
use plexus_types::{Address, Amount, Body, SecretKey, SignedTx, UnsignedTx};
use rayon::prelude::*;
use std::sync::Arc;

const CHAIN_ID: &str = "plexus-bench-mempool";
/// A block's byte limit in this benchmark: about 400 transfers.
const BLOCK_BYTES: u32 = 64 * 1024;
/// Accounts flooding transactions behind a missing nonce, and accounts flooding valid ones.
const FLOODERS: usize = 20;
/// Transactions each flooding account sends.
const FLOOD_PER_ACCOUNT: u64 = 1_024;
/// Blocks the honest users send in, after a few blocks of flood alone.
const FIRST_HONEST_BLOCK: u64 = 3;

fn key(role: u8, i: usize) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    seed[8] = role;
    SecretKey::from_seed(seed)
}

fn transfer(key: &SecretKey, nonce: u64, to: Address) -> SignedTx {
    UnsignedTx {
        chain_id: CHAIN_ID.into(),
        nonce,
        fee: Params::default().min_fee,
        body: Body::Transfer {
            to,
            amount: Amount(1),
        },
    }
    .sign(key)
}

/// Every account's key: honest users, gap flooders, valid flooders.
struct Keys {
    honest: Vec<SecretKey>,
    gapped: Vec<SecretKey>,
    valid: Vec<SecretKey>,
}

impl Keys {
    fn new(users: usize) -> Keys {
        Keys {
            honest: (0..users).map(|i| key(1, i)).collect(),
            gapped: (0..FLOODERS).map(|i| key(2, i)).collect(),
            valid: (0..FLOODERS).map(|i| key(3, i)).collect(),
        }
    }

    fn all(&self) -> impl Iterator<Item = &SecretKey> {
        self.honest.iter().chain(&self.gapped).chain(&self.valid)
    }
}

fn open_chain(dir: &std::path::Path, keys: &Keys) -> anyhow::Result<Arc<Chain>> {
    let params = Params {
        max_block_bytes: BLOCK_BYTES,
        max_tx_bytes: Params::default().max_tx_bytes.min(BLOCK_BYTES),
        ..Params::default()
    };
    let addrs: Vec<Address> = keys
        .all()
        .map(|k| Address::from_public_key(&k.public_key()))
        .collect();
    let genesis = super::transfers::bench_genesis(CHAIN_ID, params, &addrs);
    Ok(Arc::new(Chain::open(
        dir,
        Some(&genesis),
        MempoolConfig::default(),
    )?))
}

/// What one phase measured.
struct Phase {
    /// Blocks from admission to commit of each honest transfer.
    waits: Vec<u64>,
    /// Honest transfers not committed when the phase ended.
    uncommitted: usize,
    flood_sent: usize,
    flood_refused: usize,
    flood_committed: u64,
}

/// Runs `blocks` blocks; with `flood`, the flooders send everything first.
fn phase(keys: &Keys, blocks: u64, flood: bool) -> anyhow::Result<Phase> {
    let dir = tempfile::tempdir()?;
    let chain = open_chain(dir.path(), keys)?;
    let sink = Address([9; 20]);
    let mut flood_sent = 0;
    let mut flood_refused = 0;
    if flood {
        // Behind a missing nonce 0: nonces 1..=1024.
        let gapped: Vec<SignedTx> = keys
            .gapped
            .par_iter()
            .flat_map_iter(|k| (1..=FLOOD_PER_ACCOUNT).map(move |n| transfer(k, n, sink)))
            .collect();
        let valid: Vec<SignedTx> = keys
            .valid
            .par_iter()
            .flat_map_iter(|k| (0..FLOOD_PER_ACCOUNT).map(move |n| transfer(k, n, sink)))
            .collect();
        for tx in gapped.into_iter().chain(valid) {
            flood_sent += 1;
            if chain.submit(tx.bytes).is_err() {
                flood_refused += 1;
            }
        }
    }
    let honest_blocks = blocks.saturating_sub(FIRST_HONEST_BLOCK + 4);
    let mut sent: Vec<(u64, plexus_types::TxHash)> = Vec::new();
    for b in 0..blocks {
        if (FIRST_HONEST_BLOCK..FIRST_HONEST_BLOCK + honest_blocks).contains(&b) {
            let nonce = b - FIRST_HONEST_BLOCK;
            let txs: Vec<SignedTx> = keys
                .honest
                .par_iter()
                .map(|k| transfer(k, nonce, sink))
                .collect();
            let height = chain.status().height;
            for tx in txs {
                let hash = tx.hash;
                chain
                    .submit(tx.bytes)
                    .map_err(|r| anyhow::anyhow!("an honest transfer was refused: {r}"))?;
                sent.push((height, hash));
            }
        }
        chain.produce_block_at(Address([0; 20]), b + 1)?;
    }
    let mut waits = Vec::new();
    let mut uncommitted = 0;
    for (at, hash) in &sent {
        match chain.committed_tx(hash)? {
            Some(done) => waits.push(done.height - at),
            None => uncommitted += 1,
        }
    }
    let flood_committed = if flood {
        keys.valid
            .iter()
            .chain(&keys.gapped)
            .map(|k| {
                let a = Address::from_public_key(&k.public_key());
                plexus_ledger::query::account(chain.store(), &a).map(|acc| acc.nonce)
            })
            .sum::<Result<u64, _>>()?
    } else {
        0
    };
    Ok(Phase {
        waits,
        uncommitted,
        flood_sent,
        flood_refused,
        flood_committed,
    })
}

fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    (!sorted.is_empty()).then(|| sorted[(sorted.len() - 1) * p / 100])
}

fn summary(p: &mut Phase) -> serde_json::Value {
    p.waits.sort_unstable();
    serde_json::json!({
        "honest_committed": p.waits.len(),
        "honest_uncommitted": p.uncommitted,
        "median_blocks_to_commit": percentile(&p.waits, 50),
        "p90_blocks_to_commit": percentile(&p.waits, 90),
        "max_blocks_to_commit": p.waits.last(),
        "flood_sent": p.flood_sent,
        "flood_refused": p.flood_refused,
        "flood_committed": p.flood_committed,
    })
}

/// Runs the benchmark and prints its report.
pub async fn run(users: usize, blocks: u64, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!(users >= 1, "--users must be at least 1");
    anyhow::ensure!(
        blocks > FIRST_HONEST_BLOCK + 4,
        "--blocks must be more than {}",
        FIRST_HONEST_BLOCK + 4
    );
    let mut steps = crate::progress::Steps::new(json, json);
    steps.step(format!(
        "{users} honest users over {blocks} blocks, with and without {FLOODERS}+{FLOODERS} flooding accounts…"
    ));
    let (mut flooded, mut quiet) = tokio::task::spawn_blocking(move || {
        let keys = Keys::new(users);
        anyhow::Ok((phase(&keys, blocks, true)?, phase(&keys, blocks, false)?))
    })
    .await??;
    steps.finish();
    let report = serde_json::json!({
        "scenario": "mempool",
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "honest_users": users,
        "blocks": blocks,
        "block_bytes": BLOCK_BYTES,
        "flood": {
            "gapped_accounts": FLOODERS,
            "valid_low_fee_accounts": FLOODERS,
            "per_account": FLOOD_PER_ACCOUNT,
        },
        "with_flood": summary(&mut flooded),
        "baseline_without_flood": summary(&mut quiet),
        "goal_median_blocks": 2,
    });
    if json {
        crate::print_json(&report);
    } else {
        let w = &report["with_flood"];
        let b = &report["baseline_without_flood"];
        println!(
            "mempool: honest transfers commit in {} blocks at the median (p90 {}, max {}) under a flood of {} transactions ({} refused at admission), \
             next to {} blocks (p90 {}) without it; {} honest transfers left uncommitted (goal: median ≤ 2 blocks)",
            w["median_blocks_to_commit"],
            w["p90_blocks_to_commit"],
            w["max_blocks_to_commit"],
            w["flood_sent"],
            w["flood_refused"],
            b["median_blocks_to_commit"],
            b["p90_blocks_to_commit"],
            w["honest_uncommitted"],
        );
    }
    Ok(())
}
