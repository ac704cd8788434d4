//! A chain on one machine: ledger, block log and mempool, driven by the solo block producer.

use crate::blocklog::{BlockLog, BlockLogError};
use crate::mempool::{Mempool, MempoolConfig};
use parking_lot::{Mutex, RwLock};
use plexus_ledger::{
    BlockCtx, BlockReject, CommittedTx, Genesis, GenesisError, Ledger, PlexusLedger, Reject,
    TxChecker, TxCode, TxMeta, TxResult,
};
use plexus_store::{Store, StoreError};
use plexus_types::{Address, Block, BlockHeader, Hash, SignedTx, TxHash};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("genesis: {0}")]
    Genesis(#[from] GenesisError),
    #[error("block log: {0}")]
    BlockLog(#[from] BlockLogError),
    #[error("block rejected: {0}")]
    Block(#[from] BlockReject),
    #[error("the store holds no chain and no genesis was given (run `plexus node init`)")]
    NoGenesis,
    #[error("replaying block {height}: {reason}")]
    Replay { height: u64, reason: String },
}

/// Settings of the solo block producer.
#[derive(Debug, Clone)]
pub struct SoloConfig {
    /// Longest time between blocks when no transactions arrive.
    pub block_ms: u64,
    /// Shortest time between blocks, even with transactions waiting (0: none). A steady
    /// cadence keeps epochs, which are counted in blocks, steady in wall time.
    pub min_block_ms: u64,
    /// Address recorded as proposer.
    pub proposer: Address,
}

/// What the chain looks like now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStatus {
    pub chain_id: String,
    pub height: u64,
    pub app_hash: Hash,
    pub last_block_time_ms: u64,
    pub txs_committed: u64,
    pub mempool_size: usize,
}

/// A block just committed.
#[derive(Debug, Clone)]
pub struct BlockSummary {
    pub height: u64,
    pub app_hash: Hash,
    pub txs: usize,
    pub results: Vec<TxResult>,
}

pub struct Chain {
    ledger: Mutex<PlexusLedger>,
    checker: TxChecker,
    mempool: Mempool,
    blocks: RwLock<BlockLog>,
    store: Store,
    status: RwLock<ChainStatus>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Chain {
    /// Opens the chain kept in `dir` (creating it from `genesis` if empty), then replays any
    /// logged block above the committed height.
    pub fn open(
        dir: &Path,
        genesis: Option<&Genesis>,
        mempool: MempoolConfig,
    ) -> Result<Chain, ChainError> {
        std::fs::create_dir_all(dir).map_err(BlockLogError::Io)?;
        let store = Store::open(&dir.join("state.redb"))?;
        let mut ledger = PlexusLedger::open(store.clone())?;
        match genesis {
            Some(g) => {
                ledger.init_chain(g)?;
            }
            None if !ledger.is_initialized() => return Err(ChainError::NoGenesis),
            None => {}
        }
        let blocks = BlockLog::open(&dir.join("blocks.log"))?;
        let (committed, _) = ledger.last_committed();
        if blocks.last_height() < committed {
            return Err(ChainError::Replay {
                height: committed,
                reason: format!(
                    "the state is at height {committed} but the block log ends at {}",
                    blocks.last_height()
                ),
            });
        }
        for height in committed + 1..=blocks.last_height() {
            let block = blocks.get(height)?.ok_or_else(|| ChainError::Replay {
                height,
                reason: "missing from the block log".into(),
            })?;
            ledger.execute(&block).map_err(|e| ChainError::Replay {
                height,
                reason: e.to_string(),
            })?;
            ledger.commit()?;
            tracing::info!(height, "replayed block from the log");
        }
        let checker = ledger.checker().ok_or(ChainError::NoGenesis)?;
        let (height, app_hash) = ledger.last_committed();
        let last_block_time_ms = match blocks.get(height)? {
            Some(b) => b.header.time_ms,
            None => ledger.genesis_time_ms().unwrap_or(0),
        };
        let status = ChainStatus {
            chain_id: checker.chain_id().to_string(),
            height,
            app_hash,
            last_block_time_ms,
            txs_committed: ledger.txs_committed()?,
            mempool_size: 0,
        };
        metrics::gauge!("plexus_height").set(height as f64);
        Ok(Chain {
            ledger: Mutex::new(ledger),
            checker,
            mempool: Mempool::new(mempool),
            blocks: RwLock::new(blocks),
            store,
            status: RwLock::new(status),
        })
    }

    /// Admits one transaction to the mempool.
    pub fn submit(&self, bytes: Vec<u8>) -> Result<TxMeta, Reject> {
        let result = self
            .checker
            .check(&bytes)
            .and_then(|meta| self.admit(bytes, meta));
        count_admission(&result);
        result
    }

    /// Admits many transactions, verifying their signatures in batches on every core.
    pub fn submit_many(&self, txs: Vec<Vec<u8>>) -> Vec<Result<TxMeta, Reject>> {
        let checked = self.checker.check_stateless_many(&txs);
        let snapshot = self.checker.snapshot();
        txs.into_iter()
            .zip(checked)
            .map(|(bytes, checked)| {
                let result = checked
                    .and_then(|tx: SignedTx| match &snapshot {
                        Ok(snap) => self.checker.check_history_in(snap, &tx),
                        Err(e) => Err(e.clone()),
                    })
                    .and_then(|meta| self.admit(bytes, meta));
                count_admission(&result);
                result
            })
            .collect()
    }

    fn admit(&self, bytes: Vec<u8>, meta: TxMeta) -> Result<TxMeta, Reject> {
        let height = self.status.read().height;
        self.mempool.add(bytes, &meta, height)?;
        Ok(meta)
    }

    /// Builds, logs, executes and commits one block from the mempool.
    pub fn produce_block(&self, proposer: Address) -> Result<BlockSummary, ChainError> {
        let started = Instant::now();
        let mut ledger = self.ledger.lock();
        let (height, prev_app_hash) = ledger.last_committed();
        let prev_time = self.status.read().last_block_time_ms;
        let ctx = BlockCtx {
            height: height + 1,
            time_ms: now_ms().max(prev_time + 1),
            proposer,
            prev_app_hash,
        };
        let max_bytes = self.checker.params().max_block_bytes as usize;
        let mut candidates = self.mempool.candidates(max_bytes).into_iter();
        let txs = ledger.select(&ctx, &mut candidates, max_bytes);
        let selected_at = started.elapsed();
        let block = Block {
            header: BlockHeader {
                chain_id: self.checker.chain_id().to_string(),
                height: ctx.height,
                time_ms: ctx.time_ms,
                proposer,
                prev_app_hash,
                tx_root: Block::tx_root(&txs),
            },
            txs,
        };
        self.blocks.write().append(&block)?;
        let logged_at = started.elapsed();
        let outcome = ledger.execute(&block)?;
        let executed_at = started.elapsed();
        ledger.commit()?;
        let committed_at = started.elapsed();

        let txs_committed = ledger.txs_committed()?;
        drop(ledger);
        // Drop what the block used from the mempool.
        let included: Vec<TxHash> = outcome.results.iter().map(|r| r.hash).collect();
        for hash in self.mempool.prune_included(&included, ctx.height) {
            self.checker.forget(&hash);
        }
        {
            let mut status = self.status.write();
            status.height = ctx.height;
            status.app_hash = outcome.app_hash;
            status.last_block_time_ms = ctx.time_ms;
            status.txs_committed = txs_committed;
        }
        let committed_ok = outcome
            .results
            .iter()
            .filter(|r| r.code == TxCode::Ok)
            .count();
        tracing::debug!(
            height = ctx.height,
            txs = block.txs.len(),
            select_ms = selected_at.as_secs_f64() * 1e3,
            log_ms = (logged_at - selected_at).as_secs_f64() * 1e3,
            execute_ms = (executed_at - logged_at).as_secs_f64() * 1e3,
            commit_ms = (committed_at - executed_at).as_secs_f64() * 1e3,
            total_ms = started.elapsed().as_secs_f64() * 1e3,
            "block committed"
        );
        metrics::counter!("plexus_blocks_committed_total").increment(1);
        metrics::counter!("plexus_txs_committed_total").increment(block.txs.len() as u64);
        metrics::counter!("plexus_txs_succeeded_total").increment(committed_ok as u64);
        metrics::gauge!("plexus_height").set(ctx.height as f64);
        metrics::gauge!("plexus_mempool_size").set(self.mempool.len() as f64);
        metrics::histogram!("plexus_block_seconds").record(started.elapsed().as_secs_f64());
        Ok(BlockSummary {
            height: ctx.height,
            app_hash: outcome.app_hash,
            txs: block.txs.len(),
            results: outcome.results,
        })
    }

    /// Runs the solo block producer on the calling thread until `stop` is set. A block is made
    /// as soon as the mempool has transactions, and at least every `block_ms`.
    pub fn run_solo(&self, config: &SoloConfig, stop: &AtomicBool) -> Result<(), ChainError> {
        let interval = Duration::from_millis(config.block_ms.max(1));
        let min_gap = Duration::from_millis(config.min_block_ms);
        let mut last = Instant::now();
        while !stop.load(Ordering::SeqCst) {
            let since = last.elapsed();
            if since < min_gap {
                std::thread::sleep(min_gap - since);
                continue;
            }
            let remaining = interval.saturating_sub(last.elapsed());
            let has_txs = self.mempool.wait_for_txs(remaining);
            if stop.load(Ordering::SeqCst) {
                break;
            }
            if has_txs || last.elapsed() >= interval {
                self.produce_block(config.proposer)?;
                last = Instant::now();
            }
        }
        Ok(())
    }

    /// Wakes a producer waiting in [`Chain::run_solo`] so it notices `stop`.
    pub fn wake(&self) {
        self.mempool.wake();
    }

    pub fn status(&self) -> ChainStatus {
        let mut s = self.status.read().clone();
        s.mempool_size = self.mempool.len();
        s
    }

    pub fn block(&self, height: u64) -> Result<Option<Block>, ChainError> {
        Ok(self.blocks.read().get(height)?)
    }

    pub fn is_pending(&self, hash: &TxHash) -> bool {
        self.mempool.contains(hash)
    }

    pub fn committed_tx(&self, hash: &TxHash) -> Result<Option<CommittedTx>, StoreError> {
        plexus_ledger::query::committed_tx(&self.store, hash)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn checker(&self) -> &TxChecker {
        &self.checker
    }
}

fn count_admission(result: &Result<TxMeta, Reject>) {
    match result {
        Ok(_) => metrics::counter!("plexus_txs_admitted_total").increment(1),
        Err(r) => {
            metrics::counter!("plexus_txs_rejected_total", "code" => r.code.as_str()).increment(1)
        }
    }
}
