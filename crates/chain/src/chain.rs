//! A chain on one machine: ledger, block log and mempool, driven by the solo block producer.

use crate::blocklog::{BlockLog, BlockLogError};
use crate::mempool::{Mempool, MempoolConfig};
use parking_lot::{Mutex, RwLock};
use plexus_ledger::{
    BeaconCommitment, BlockCtx, BlockReject, CommittedTx, Genesis, GenesisError, Ledger,
    PlexusLedger, Reject, TxChecker, TxCode, TxMeta, TxResult,
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
    #[error("consensus: {0}")]
    Consensus(String),
    #[error("beacon: {0}")]
    Beacon(String),
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
    /// The block's own hash (of its header).
    pub hash: Hash,
    /// The time its proposer stamped on it, in Unix milliseconds.
    pub time_ms: u64,
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
    relay: Mutex<Option<TxRelay>>,
    committed_listeners: Mutex<Vec<CommitListener>>,
    /// How many newest blocks the block log keeps (0: all).
    retain_blocks: std::sync::atomic::AtomicU64,
    /// The app hash of the genesis state (height 0), if known: a state restored from a
    /// snapshot keeps none, and it is rebuilt only when the chain is opened with its genesis.
    genesis_app_hash: Option<Hash>,
    /// The operator's beacon hash chain, for a solo chain whose genesis commits to one.
    reveals: Mutex<Option<crate::RevealChain>>,
}

type TxRelay = Box<dyn Fn(Vec<Vec<u8>>) + Send + Sync>;
type CommitListener = Box<dyn Fn(&BlockSummary) + Send + Sync>;

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
        let genesis_app_hash = genesis_app_hash(dir, &store, genesis)?;
        let mut blocks = BlockLog::open(&dir.join("blocks.log"))?;
        let (committed, _) = ledger.last_committed();
        // A state restored from the snapshot of its committed height keeps nothing older: the
        // log starts after it.
        if blocks.is_empty() && committed > 0 && store.oldest_version()? == committed {
            blocks.start_after(committed)?;
        }
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
            relay: Mutex::new(None),
            committed_listeners: Mutex::new(Vec::new()),
            retain_blocks: std::sync::atomic::AtomicU64::new(0),
            genesis_app_hash,
            reveals: Mutex::new(None),
        })
    }

    /// Gives the solo producer the operator's hash chain, once it is checked against the
    /// commitment the chain's genesis records.
    pub fn set_reveal_chain(&self, reveals: crate::RevealChain) -> Result<(), ChainError> {
        let recorded = self
            .ledger
            .lock()
            .chain_info()
            .and_then(|i| i.beacon.clone());
        if recorded != Some(reveals.genesis_commitment()) {
            return Err(ChainError::Beacon(format!(
                "the hash chain commits to {} ({} reveals), but the genesis records {recorded:?}",
                reveals.commitment(),
                reveals.length()
            )));
        }
        *self.reveals.lock() = Some(reveals);
        Ok(())
    }

    /// The beacon field of the block the solo producer makes at `height`: the next reveal of
    /// the hash chain genesis commits to, or nothing when it commits to none.
    fn next_beacon(&self, ledger: &PlexusLedger, height: u64) -> Result<Vec<u8>, ChainError> {
        match ledger.chain_info().and_then(|i| i.beacon.as_ref()) {
            None => Ok(Vec::new()),
            Some(BeaconCommitment::ThresholdVrf { .. }) => Err(ChainError::Beacon(
                "this chain's beacon is its validators' threshold VRF: it makes blocks under consensus only".into(),
            )),
            Some(BeaconCommitment::HashChain { length, .. }) => {
                let left = length.saturating_sub(height);
                if left < length / 16 && left % 1_000 == 0 {
                    tracing::warn!(
                        height,
                        left,
                        "the beacon hash chain is running out: past its end the chain stops"
                    );
                }
                let reveals = self.reveals.lock();
                let reveals = reveals.as_ref().ok_or_else(|| {
                    ChainError::Beacon(
                        "the genesis commits to a beacon hash chain, but this node holds none (the beacon_chain file of its home)".into(),
                    )
                })?;
                let reveal = reveals.reveal(height).map_err(|e| match e {
                    crate::RevealError::OutOfRange { length, .. } => {
                        ChainError::Block(BlockReject::BeaconExhausted { length })
                    }
                    e => ChainError::Beacon(e.to_string()),
                })?;
                Ok(reveal.0.to_vec())
            }
        }
    }

    /// The nonce `sender`'s next transaction should carry, counting its transactions in this
    /// node's mempool (`None` when the mempool holds none of them).
    pub fn pending_nonce(&self, sender: &Address) -> Option<u64> {
        self.mempool.next_pending_nonce(sender)
    }

    /// Admits one transaction to the mempool and hands it to the relay, if one is set.
    pub fn submit(&self, bytes: Vec<u8>) -> Result<TxMeta, Reject> {
        let result = self.submit_from_peer(bytes.clone());
        if result.is_ok() {
            self.relay(vec![bytes]);
        }
        result
    }

    /// Admits one transaction relayed by another validator: like [`Chain::submit`], but not
    /// relayed again.
    pub fn submit_from_peer(&self, bytes: Vec<u8>) -> Result<TxMeta, Reject> {
        let result = self
            .checker
            .check(&bytes)
            .and_then(|meta| self.admit(bytes, meta));
        count_admission(&result);
        result
    }

    /// Sends transactions admitted here to the other validators (multi-validator drivers set
    /// this, so that a transaction sent to any validator reaches the proposer).
    pub fn set_relay(&self, relay: Box<dyn Fn(Vec<Vec<u8>>) + Send + Sync>) {
        *self.relay.lock() = Some(relay);
    }

    /// Keeps only the newest `keep` blocks in the block log (`None`: every block). Once as
    /// many more have piled up below them, they are dropped in one copy, so each committed
    /// block costs at most one block copied.
    pub fn set_retain_blocks(&self, keep: Option<std::num::NonZeroU64>) {
        self.retain_blocks.store(
            keep.map_or(0, |k| k.get()),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    fn prune_blocks(&self, height: u64) -> Result<(), ChainError> {
        let keep = self
            .retain_blocks
            .load(std::sync::atomic::Ordering::Relaxed);
        if keep == 0 || height < keep {
            return Ok(());
        }
        let keep_from = height - keep + 1;
        let mut blocks = self.blocks.write();
        if keep_from.saturating_sub(blocks.first_height()) >= keep {
            let dropped = blocks.prune_below(keep_from)?;
            tracing::info!(dropped, keep_from, "pruned the block log");
        }
        Ok(())
    }

    /// Calls `listener` after every committed block.
    pub fn on_commit(&self, listener: Box<dyn Fn(&BlockSummary) + Send + Sync>) {
        self.committed_listeners.lock().push(listener);
    }

    fn relay(&self, txs: Vec<Vec<u8>>) {
        if txs.is_empty() {
            return;
        }
        if let Some(relay) = self.relay.lock().as_ref() {
            relay(txs);
        }
    }

    /// Admits many transactions, verifying their signatures in batches on every core.
    pub fn submit_many(&self, txs: Vec<Vec<u8>>) -> Vec<Result<TxMeta, Reject>> {
        let checked = self.checker.check_stateless_many(&txs);
        let snapshot = self.checker.snapshot();
        let mut admitted = Vec::new();
        let relaying = self.relay.lock().is_some();
        let results = txs
            .into_iter()
            .zip(checked)
            .map(|(bytes, checked)| {
                let kept = relaying.then(|| bytes.clone());
                let result = checked
                    .and_then(|tx: SignedTx| match &snapshot {
                        Ok(snap) => self.checker.check_history_in(snap, &tx),
                        Err(e) => Err(e.clone()),
                    })
                    .and_then(|meta| self.admit(bytes, meta));
                count_admission(&result);
                if let (Ok(_), Some(bytes)) = (&result, kept) {
                    admitted.push(bytes);
                }
                result
            })
            .collect();
        self.relay(admitted);
        results
    }

    fn admit(&self, bytes: Vec<u8>, meta: TxMeta) -> Result<TxMeta, Reject> {
        let height = self.status.read().height;
        // What was evicted to make room may be sent again.
        for hash in self.mempool.add(bytes, &meta, height)? {
            self.checker.forget(&hash);
        }
        Ok(meta)
    }

    /// Builds, logs, executes and commits one block from the mempool, stamped with the wall
    /// clock.
    pub fn produce_block(&self, proposer: Address) -> Result<BlockSummary, ChainError> {
        self.produce_block_at(proposer, now_ms())
    }

    /// Builds, logs, executes and commits one block from the mempool, stamped `time_ms` (or
    /// one millisecond after the previous block, if that is later): the producer's clock is
    /// the caller's, so a simulation can run the chain on simulated time.
    pub fn produce_block_at(
        &self,
        proposer: Address,
        time_ms: u64,
    ) -> Result<BlockSummary, ChainError> {
        let started = Instant::now();
        let ledger = self.ledger.lock();
        let (height, prev_app_hash) = ledger.last_committed();
        let prev_time = self.status.read().last_block_time_ms;
        let ctx = BlockCtx {
            height: height + 1,
            time_ms: time_ms.max(prev_time + 1),
            proposer,
            prev_app_hash,
        };
        let max_bytes = self.checker.params().max_block_bytes as usize;
        let mut candidates = self.mempool.candidates(max_bytes).into_iter();
        let txs = ledger.select(&ctx, &mut candidates, max_bytes);
        let beacon = self.next_beacon(&ledger, ctx.height)?;
        let block = Block {
            header: BlockHeader {
                chain_id: self.checker.chain_id().to_string(),
                height: ctx.height,
                time_ms: ctx.time_ms,
                proposer,
                prev_app_hash,
                tx_root: Block::tx_root(&txs),
                beacon,
            },
            txs,
        };
        self.commit_block(ledger, block, started)
    }

    /// Transactions for a block at `ctx.height` from the mempool, leaving out those in
    /// `pending` (transactions of blocks proposed above the committed height but not yet
    /// committed here). Used by multi-validator drivers, whose proposer may build on a parent
    /// it has not executed yet.
    pub fn select_txs(
        &self,
        ctx: &BlockCtx,
        pending: &std::collections::BTreeSet<TxHash>,
    ) -> Vec<Vec<u8>> {
        let max_bytes = self.checker.params().max_block_bytes as usize;
        let ledger = self.ledger.lock();
        let mut candidates = self
            .mempool
            .candidates(max_bytes)
            .into_iter()
            .filter(|tx| !pending.contains(&Hash::of(tx)));
        ledger.select(ctx, &mut candidates, max_bytes)
    }

    /// Logs, executes and commits a block agreed elsewhere (by consensus). Its height must
    /// follow the committed height and its previous app hash must be the committed one.
    pub fn commit_agreed(&self, block: Block) -> Result<BlockSummary, ChainError> {
        let started = Instant::now();
        let ledger = self.ledger.lock();
        ledger.verify(&block)?;
        let (height, prev_app_hash) = ledger.last_committed();
        if block.header.height != height + 1 {
            return Err(BlockReject::WrongHeight {
                committed: height,
                got: block.header.height,
            }
            .into());
        }
        if block.header.prev_app_hash != prev_app_hash {
            return Err(BlockReject::WrongPrevAppHash {
                committed: prev_app_hash,
                got: block.header.prev_app_hash,
            }
            .into());
        }
        self.commit_block(ledger, block, started)
    }

    fn commit_block(
        &self,
        mut ledger: parking_lot::MutexGuard<'_, PlexusLedger>,
        block: Block,
        started: Instant,
    ) -> Result<BlockSummary, ChainError> {
        let selected_at = started.elapsed();
        self.blocks.write().append(&block)?;
        let logged_at = started.elapsed();
        let outcome = ledger.execute(&block)?;
        let executed_at = started.elapsed();
        ledger.commit()?;
        let committed_at = started.elapsed();
        let height = block.header.height;
        self.prune_blocks(height)?;

        let txs_committed = ledger.txs_committed()?;
        // Drop what the block used from the mempool: by hash, and for each sender in the block
        // every pending transaction below its committed next nonce (a validator may not have
        // seen the block's transactions itself). The committed nonce, not the block's: a
        // refused transaction (a forged copy, say) uses no nonce, so the pending one it copies
        // stays.
        // One read transaction for every sender, not one each.
        let committed_state = self.store.snapshot()?;
        let mut next_nonces: std::collections::BTreeMap<Address, u64> = Default::default();
        for sender in ledger.last_block_senders() {
            let nonce = plexus_ledger::query::account_in(&committed_state, sender)?.nonce;
            next_nonces.insert(*sender, nonce);
        }
        drop(committed_state);
        drop(ledger);
        let included: Vec<TxHash> = outcome.results.iter().map(|r| r.hash).collect();
        let mut dropped = self.mempool.prune_included(&included, height);
        dropped.extend(self.mempool.prune(&next_nonces, height));
        self.checker.forget_many(&dropped);
        {
            let mut status = self.status.write();
            status.height = height;
            status.app_hash = outcome.app_hash;
            status.last_block_time_ms = block.header.time_ms;
            status.txs_committed = txs_committed;
        }
        let committed_ok = outcome
            .results
            .iter()
            .filter(|r| r.code == TxCode::Ok)
            .count();
        tracing::debug!(
            height,
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
        metrics::gauge!("plexus_height").set(height as f64);
        metrics::gauge!("plexus_mempool_size").set(self.mempool.len() as f64);
        metrics::histogram!("plexus_block_seconds").record(started.elapsed().as_secs_f64());
        let summary = BlockSummary {
            height,
            hash: block.hash(),
            time_ms: block.header.time_ms,
            app_hash: outcome.app_hash,
            txs: block.txs.len(),
            results: outcome.results,
        };
        for listener in self.committed_listeners.lock().iter() {
            listener(&summary);
        }
        Ok(summary)
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

    /// The first height whose block this node keeps: 1, or the one after the snapshot it
    /// started from.
    pub fn first_block_height(&self) -> u64 {
        self.blocks.read().first_height()
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

    /// Height and app hash of the last committed block.
    pub fn committed(&self) -> (u64, Hash) {
        let s = self.status.read();
        (s.height, s.app_hash)
    }

    /// The app hash after block `height` (0: genesis), if committed.
    pub fn app_hash_at(&self, height: u64) -> Result<Option<Hash>, StoreError> {
        self.store.root_at(height)
    }

    /// The app hash of the genesis state, also on a node started from a snapshot (which
    /// keeps no state that old) if it was opened with its genesis.
    pub fn genesis_app_hash(&self) -> Option<Hash> {
        self.genesis_app_hash
    }

    /// Time of the genesis, milliseconds since the Unix epoch.
    pub fn genesis_time_ms(&self) -> u64 {
        self.ledger.lock().genesis_time_ms().unwrap_or(0)
    }
}

/// The root of the genesis state: kept in `store`, or, for a state restored from a snapshot
/// (which starts above height 0), rebuilt from `genesis` in a scratch store next to it (`None`
/// when no genesis is given then).
fn genesis_app_hash(
    dir: &Path,
    store: &Store,
    genesis: Option<&Genesis>,
) -> Result<Option<Hash>, ChainError> {
    match store.root_at(0) {
        Ok(root) => Ok(root),
        Err(StoreError::Pruned { .. }) => {
            let Some(genesis) = genesis else {
                return Ok(None);
            };
            let scratch = dir.join("genesis-root.redb");
            let _ = std::fs::remove_file(&scratch);
            let root = PlexusLedger::open(Store::open(&scratch)?)
                .and_then(|mut ledger| ledger.init_chain(genesis))
                .map(|outcome| outcome.app_hash);
            if let Err(e) = std::fs::remove_file(&scratch) {
                tracing::warn!(file = %scratch.display(), error = %e, "cannot remove the scratch genesis store");
            }
            Ok(Some(root?))
        }
        Err(e) => Err(e.into()),
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
