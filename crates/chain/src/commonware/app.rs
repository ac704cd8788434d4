//! The Plexus ledger as a Commonware application: `propose` selects transactions from the
//! mempool, `verify` checks a proposal against its parent and the validator's own state, and
//! each finalized block is executed and committed before marshal is told it was processed.

use super::block::ConsensusBlock;
use super::epochs::EpochSchemes;
use super::seeds::Seeds;
use super::validator_address;
use crate::chain::Chain;
use commonware_consensus::{
    marshal::{
        ancestry::{AncestorStream, BlockProvider},
        Update,
    },
    simplex::scheme::bls12381_threshold::vrf::Seed,
    simplex::types::Context,
    types::{Round, View},
    Reporter,
};
use commonware_cryptography::{ed25519, sha256::Digest, Digestible, Hasher, Sha256};
use commonware_runtime::{Clock, Metrics, Spawner};
use commonware_utils::{Acknowledgement, SystemTimeExt};
use futures::StreamExt;
use parking_lot::Mutex;
use plexus_ledger::BlockCtx;
use plexus_store::StoreError;
use plexus_types::{Hash, TxHash};
use rand::Rng;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use super::threshold::Scheme;

/// How far ahead of a validator's clock a proposal's time may be.
const SYNCHRONY_BOUND_MS: u64 = 500;
/// How long a proposer waits for its parent to be committed locally before building on a
/// parent it has not executed (transactions of the unexecuted ancestors are then left out).
const PARENT_COMMIT_WAIT: Duration = Duration::from_millis(200);
const PARENT_COMMIT_POLL: Duration = Duration::from_millis(2);
/// How many blocks below its parent a proposal's checkpoint is taken (if the proposer has
/// committed that far), so that validators voting on it have executed it already.
const CHECKPOINT_LAG: u64 = 2;
/// How long a validator waits, when voting, to execute the checkpoint height of a proposal
/// itself. A proposal whose checkpoint it cannot check by then gets no vote (the proposer
/// loses its view); kept well below the leader and certification timeouts.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(500);

/// How long a proposer waits for the seed of its parent's view to be reported, once it has
/// everything else; with the waits above, kept below the leader timeout.
const SEED_WAIT: Duration = Duration::from_millis(250);

/// Polls `ready` every [`PARENT_COMMIT_POLL`] of `runtime`'s clock until it gives a value, or
/// `limit` has passed (then `None`).
async fn wait_for<T, E: Clock>(
    runtime: &E,
    limit: Duration,
    mut ready: impl FnMut() -> Option<T>,
) -> Option<T> {
    let from = runtime.current();
    loop {
        if let Some(v) = ready() {
            return Some(v);
        }
        if runtime.current().duration_since(from).unwrap_or_default() >= limit {
            return None;
        }
        runtime.sleep(PARENT_COMMIT_POLL).await;
    }
}

/// Why a validator stopped executing blocks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Halt {
    #[error(
        "state diverged: block {block} says the app hash at height {height} is {expected}, \
         this validator has {found}"
    )]
    Diverged {
        block: u64,
        height: u64,
        expected: Hash,
        found: Hash,
    },
    #[error(
        "the snapshot this validator started from (height {snapshot}) is not of this chain: \
         block {block} says the app hash at height {height} is {expected}, this validator has \
         {found} (remove its data directory and restore it from a snapshot of this chain)"
    )]
    NotThisChain {
        snapshot: u64,
        block: u64,
        height: u64,
        expected: Hash,
        found: Hash,
    },
    #[error(
        "the snapshot this validator started from (height {snapshot}) is not of this chain: \
         finalized block {block} does not execute on it ({reason}; remove its data directory \
         and restore it from a snapshot of this chain)"
    )]
    SnapshotRefusesBlock {
        snapshot: u64,
        block: u64,
        reason: String,
    },
    #[error("finalized block {got} does not follow the committed height {committed}")]
    Gap { committed: u64, got: u64 },
    #[error("executing finalized block {height}: {reason}")]
    Execute { height: u64, reason: String },
    #[error("cannot enter consensus epoch {epoch}: {reason}")]
    Epoch { epoch: u64, reason: String },
}

/// State shared between the application and whoever watches the validator.
#[derive(Default)]
pub struct Progress {
    /// Highest finalized height consensus has reported (blocks up to it may still be in
    /// flight to this validator).
    pub finalized_tip: AtomicU64,
    /// Set when the validator refused to go on; it then acknowledges nothing more.
    pub halted: Mutex<Option<Halt>>,
}

#[derive(Clone)]
pub struct PlexusApp {
    chain: Arc<Chain>,
    /// Each epoch's scheme, to verify the seeds blocks carry against its group key.
    schemes: EpochSchemes,
    /// Seeds of recent views, for the proposer.
    seeds: Seeds,
    genesis: Arc<ConsensusBlock>,
    progress: Arc<Progress>,
    min_block: Duration,
    /// The height of the snapshot this validator started from, in the run that starts it,
    /// until a finalized block's checkpoint at or above it has matched this validator's state.
    started_from: Arc<Mutex<Option<u64>>>,
}

impl PlexusApp {
    pub fn new(
        chain: Arc<Chain>,
        progress: Arc<Progress>,
        schemes: EpochSchemes,
        seeds: Seeds,
    ) -> Result<PlexusApp, Halt> {
        let genesis_hash = chain.genesis_app_hash().ok_or_else(|| Halt::Execute {
            height: 0,
            reason: "the store holds no genesis, and the chain was opened without its file".into(),
        })?;
        let genesis = genesis_block(
            chain.checker().chain_id(),
            chain.genesis_time_ms(),
            genesis_hash,
        );
        Ok(PlexusApp {
            chain,
            schemes,
            seeds,
            genesis: Arc::new(genesis),
            progress,
            min_block: Duration::ZERO,
            started_from: Arc::new(Mutex::new(None)),
        })
    }

    /// Proposes no block sooner than `gap` after its parent's time.
    pub fn with_min_block(mut self, gap: Duration) -> PlexusApp {
        self.min_block = gap;
        self
    }

    /// Marks the committed state as restored from a snapshot of `height` (if any): until a
    /// finalized block's checkpoint at or above it matches, a checkpoint that disagrees halts
    /// the validator as started from a snapshot not of this chain.
    pub fn started_from_snapshot(self, height: Option<u64>) -> PlexusApp {
        *self.started_from.lock() = height;
        self
    }

    fn halt(&self, why: Halt) {
        tracing::error!(%why, "validator halted");
        *self.progress.halted.lock() = Some(why);
    }

    /// Executes and commits a finalized block. Already committed blocks (marshal delivers at
    /// least once) change nothing.
    fn apply(&self, block: &ConsensusBlock) -> Result<(), Halt> {
        let (committed, app_hash) = self.chain.committed();
        if block.height <= committed {
            return Ok(());
        }
        if block.height != committed + 1 {
            return Err(Halt::Gap {
                committed,
                got: block.height,
            });
        }
        self.check_checkpoint(block)?;
        let plexus = block.to_plexus(self.chain.checker().chain_id(), app_hash);
        // A block every honest validator executed that does not execute here, before the
        // chain has confirmed the snapshot this validator started from, is the snapshot's
        // fault: it is of another chain (with other genesis rules, another beacon).
        self.chain
            .commit_agreed(plexus)
            .map_err(|e| match *self.started_from.lock() {
                Some(snapshot) => Halt::SnapshotRefusesBlock {
                    snapshot,
                    block: block.height,
                    reason: e.to_string(),
                },
                None => Halt::Execute {
                    height: block.height,
                    reason: e.to_string(),
                },
            })?;
        Ok(())
    }

    /// Compares a finalized block's checkpoint with this validator's own state at that height.
    /// Every finalized block was voted for by a quorum, and a validator votes only for a
    /// checkpoint it has verified against its own execution, so a mismatch here means this
    /// validator's execution diverged from the honest ones: it stops rather than go on. On a
    /// validator started from a snapshot, a mismatch before any checkpoint at or above the
    /// snapshot height has matched means the snapshot was not of this chain.
    fn check_checkpoint(&self, block: &ConsensusBlock) -> Result<(), Halt> {
        let found = self
            .chain
            .app_hash_at(block.checkpoint_height)
            .ok()
            .flatten();
        let (block_height, height, expected) = (
            block.height,
            block.checkpoint_height,
            block.checkpoint_app_hash,
        );
        let mut started_from = self.started_from.lock();
        match (found, *started_from) {
            (Some(found), Some(snapshot)) if found != expected => Err(Halt::NotThisChain {
                snapshot,
                block: block_height,
                height,
                expected,
                found,
            }),
            (Some(found), None) if found != expected => Err(Halt::Diverged {
                block: block_height,
                height,
                expected,
                found,
            }),
            (Some(_), Some(snapshot)) if height >= snapshot => {
                tracing::info!(
                    snapshot,
                    block = block_height,
                    "the chain confirms the snapshot"
                );
                *started_from = None;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Whether a proposal's checkpoint matches this validator's own execution of that height,
    /// waiting (at most [`CHECKPOINT_WAIT`]) to execute it. Nothing a proposer writes is
    /// voted for before this validator has checked it, so no made-up checkpoint can be
    /// finalized and halt the honest validators.
    async fn checkpoint_verified<E: Clock>(&self, runtime: &E, block: &ConsensusBlock) -> bool {
        let waited_from = runtime.current();
        while self.chain.committed().0 < block.checkpoint_height {
            if self.progress.halted.lock().is_some() {
                return false;
            }
            let waited = runtime
                .current()
                .duration_since(waited_from)
                .unwrap_or_default();
            if waited >= CHECKPOINT_WAIT {
                tracing::debug!(
                    height = block.height,
                    checkpoint = block.checkpoint_height,
                    "checkpoint height not executed in time; no vote"
                );
                return false;
            }
            runtime.sleep(PARENT_COMMIT_POLL).await;
        }
        match self.chain.app_hash_at(block.checkpoint_height) {
            Ok(Some(own)) if own == block.checkpoint_app_hash => true,
            Ok(own) => {
                tracing::warn!(
                    height = block.height,
                    checkpoint = block.checkpoint_height,
                    claimed = %block.checkpoint_app_hash,
                    ?own,
                    "proposal's checkpoint does not match this validator's state; no vote"
                );
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "reading a committed app hash; no vote");
                false
            }
        }
    }
}

impl PlexusApp {
    /// The seed a block built on `parent` carries: the recovered seed signature of the
    /// parent's view, or, for the first block of an epoch (its parent is at view 0, which
    /// nobody signed), the digest of that parent (genesis or the previous epoch's last block).
    fn parent_seed(&self, epoch: u64, (view, digest): (View, Digest)) -> Option<Vec<u8>> {
        if view == View::zero() {
            return Some(digest.as_ref().to_vec());
        }
        self.seeds.get(epoch, view.get())
    }

    /// Whether `block` carries the seed of its parent's view: a threshold signature over
    /// that round that verifies against the group key (so only one value passes), or, on a
    /// child of genesis, the genesis digest.
    fn seed_verified(
        &self,
        context: &Context<Digest, ed25519::PublicKey>,
        block: &ConsensusBlock,
    ) -> bool {
        let (view, digest) = context.parent;
        if view == View::zero() {
            return block.seed == digest.as_ref();
        }
        let Some(signature) = super::threshold::seed_signature(&block.seed) else {
            return false;
        };
        let Some(scheme) = self.schemes.get(context.round.epoch().get()) else {
            return false;
        };
        Seed::new(Round::new(context.round.epoch(), view), signature).verify(scheme.as_ref())
    }
}

/// Height 0 of the consensus chain: the same on every validator of a chain.
pub fn genesis_block(chain_id: &str, genesis_time_ms: u64, app_hash: Hash) -> ConsensusBlock {
    let parent: Digest = Sha256::hash(chain_id.as_bytes());
    ConsensusBlock::new(
        parent,
        0,
        genesis_time_ms,
        plexus_types::Address([0; 20]),
        (0, app_hash),
        Vec::new(),
    )
}

impl<E> commonware_consensus::Application<E> for PlexusApp
where
    E: Rng + Spawner + Metrics + Clock,
{
    type SigningScheme = Scheme;
    type Context = Context<Digest, ed25519::PublicKey>;
    type Block = ConsensusBlock;

    async fn genesis(&mut self) -> ConsensusBlock {
        self.genesis.as_ref().clone()
    }

    async fn propose<A: BlockProvider<Block = ConsensusBlock>>(
        &mut self,
        (runtime, context): (E, Self::Context),
        mut ancestry: AncestorStream<A, ConsensusBlock>,
    ) -> Option<ConsensusBlock> {
        let parent = ancestry.next().await?;
        if self.progress.halted.lock().is_some() {
            return None;
        }
        // Prefer building on an executed parent: the selection then sees its nonces.
        let waited_from = runtime.current();
        while self.chain.committed().0 < parent.height {
            let waited = runtime
                .current()
                .duration_since(waited_from)
                .unwrap_or_default();
            if waited >= PARENT_COMMIT_WAIT {
                break;
            }
            runtime.sleep(PARENT_COMMIT_POLL).await;
        }
        // Pace: no block sooner than the minimum gap after its parent. A parent stamped
        // ahead of this validator's clock delays it by the gap at most.
        if !self.min_block.is_zero() {
            let not_before = parent.time_ms + self.min_block.as_millis() as u64;
            let now_ms = runtime.current().epoch_millis();
            let wait = Duration::from_millis(not_before.saturating_sub(now_ms));
            if !wait.is_zero() {
                runtime.sleep(wait.min(self.min_block)).await;
            }
        }
        let (committed, app_hash) = self.chain.committed();
        let checkpoint_height = committed.min(parent.height.saturating_sub(CHECKPOINT_LAG));
        let checkpoint_hash = match self.chain.app_hash_at(checkpoint_height) {
            Ok(Some(hash)) => hash,
            // A parent older than the snapshot this validator started from: its view of
            // consensus is stale (it is still catching up), and so would the proposal be.
            Err(StoreError::Pruned { .. }) => {
                tracing::debug!(
                    checkpoint_height,
                    "parent older than the state kept here; not proposing"
                );
                return None;
            }
            _ => {
                tracing::error!(
                    checkpoint_height,
                    "no app hash readable at a committed height; not proposing"
                );
                return None;
            }
        };
        let mut pending: BTreeSet<TxHash> = BTreeSet::new();
        if parent.height > committed {
            pending.extend(parent.txs.iter().map(|t| Hash::of(t)));
            let mut lowest = parent.height;
            while lowest > committed + 1 {
                let ancestor = ancestry.next().await?;
                pending.extend(ancestor.txs.iter().map(|t| Hash::of(t)));
                lowest = ancestor.height;
            }
        }
        let proposer = validator_address(&context.leader);
        let time_ms = runtime.current().epoch_millis().max(parent.time_ms + 1);
        let ctx = BlockCtx {
            height: parent.height + 1,
            time_ms,
            proposer,
            prev_app_hash: app_hash,
        };
        // The parent's certificate reaches consensus before its report reaches the seed tap:
        // wait for it a while rather than give up the view.
        let epoch = context.round.epoch().get();
        let Some(seed) = wait_for(&runtime, SEED_WAIT, || {
            self.parent_seed(epoch, context.parent)
        })
        .await
        else {
            tracing::debug!(
                parent_view = context.parent.0.get(),
                "no seed of the parent's view seen in time; not proposing"
            );
            return None;
        };
        let txs = self.chain.select_txs(&ctx, &pending);
        Some(
            ConsensusBlock::new(
                parent.digest(),
                parent.height + 1,
                time_ms,
                proposer,
                (checkpoint_height, checkpoint_hash),
                txs,
            )
            .with_seed(seed),
        )
    }
}

impl<E> commonware_consensus::VerifyingApplication<E> for PlexusApp
where
    E: Rng + Spawner + Metrics + Clock,
{
    async fn verify<A: BlockProvider<Block = ConsensusBlock>>(
        &mut self,
        (runtime, context): (E, Self::Context),
        mut ancestry: AncestorStream<A, ConsensusBlock>,
    ) -> bool {
        let Some(block) = ancestry.next().await else {
            return false;
        };
        let Some(parent) = ancestry.next().await else {
            return false;
        };
        // Height and parent digest are checked by marshal before this is called.
        if block.time_ms <= parent.time_ms {
            return false;
        }
        let now = runtime.current().epoch_millis().max(parent.time_ms);
        if block.time_ms > now + SYNCHRONY_BOUND_MS {
            return false;
        }
        if block.proposer != validator_address(&context.leader) {
            return false;
        }
        if block.checkpoint_height >= block.height {
            return false;
        }
        if block.tx_bytes() > self.chain.checker().params().max_block_bytes as usize {
            return false;
        }
        if !self.seed_verified(&context, &block) {
            tracing::warn!(
                height = block.height,
                parent_view = context.parent.0.get(),
                "proposal carries a wrong seed for its parent's view; no vote"
            );
            return false;
        }
        self.checkpoint_verified(&runtime, &block).await
    }
}

impl Reporter for PlexusApp {
    type Activity = Update<ConsensusBlock>;

    async fn report(&mut self, activity: Self::Activity) {
        match activity {
            Update::Tip(_, height, _) => {
                self.progress
                    .finalized_tip
                    .fetch_max(height.get(), Ordering::SeqCst);
            }
            Update::Block(block, ack) => {
                if self.progress.halted.lock().is_some() {
                    // Never acknowledge a block this validator has not committed.
                    return;
                }
                match self.apply(&block) {
                    Ok(()) => ack.acknowledge(),
                    Err(why) => self.halt(why),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_runtime::{deterministic, Runner};

    #[test]
    fn a_proposer_waits_for_a_seed_reported_late_and_gives_up_only_past_the_limit() {
        deterministic::Runner::default().start(|context| async move {
            // Reported 40 ms after the proposer asks: it waits and proposes.
            let from = context.current();
            let late = wait_for(&context, SEED_WAIT, || {
                let waited = context.current().duration_since(from).unwrap_or_default();
                (waited >= Duration::from_millis(40)).then_some("seed")
            })
            .await;
            assert_eq!(late, Some("seed"));
            // Never reported: it gives up once the limit has passed, not before.
            let from = context.current();
            let never: Option<()> = wait_for(&context, SEED_WAIT, || None).await;
            assert_eq!(never, None);
            let waited = context.current().duration_since(from).unwrap_or_default();
            assert!(waited >= SEED_WAIT && waited < SEED_WAIT + Duration::from_millis(10));
        });
    }
}
