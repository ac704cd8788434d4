//! What the world gives an agent's duties: a clock, the node's API and the oracles' APIs.
//!
//! Duties reach time and other services only through these traits, so the same duty code runs
//! against real HTTP services on the system clock (`plexus agent start`, devnets) and against
//! in-process fakes on a clock a test moves by hand.

use crate::http::ClientError;
use crate::views::learn::TaskView;
use crate::views::market::{LeaseView, OrderView};
use crate::views::node::{
    AccountState, ChainParams, CommittedTx, DeviceState, EpochState, NodeStatus,
};
use crate::views::oracle::{
    ChallengeId, ChallengeOutcome, ClaimProof, HeartbeatReceipt, OpenChallenge, OracleStatus,
};
use plexus_blobs::BlobId;
use plexus_types::heartbeat::SignedHeartbeat;
use plexus_types::{proto, Address, Hash, PublicKey, SignedTx};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A future a port returns; boxed so that the ports can be trait objects.
pub type PortFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The time as a duty sees it.
///
/// `now` never goes backwards. `sleep` completes once `now` has moved at least `duration`
/// past the moment it was called; a caller must not rely on it completing any sooner or
/// later than that.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
    fn sleep(&self, duration: Duration) -> PortFuture<'static, ()>;
}

/// The machine's monotonic clock and tokio's timers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> PortFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that moves only when [`ManualClock::advance`] is called: sleepers wake once the
/// clock has been advanced past their deadline. For simulations and tests that step duties
/// by hand.
#[derive(Debug, Clone)]
pub struct ManualClock {
    start: Instant,
    elapsed: Arc<tokio::sync::watch::Sender<Duration>>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl ManualClock {
    pub fn new() -> ManualClock {
        ManualClock {
            start: Instant::now(),
            elapsed: Arc::new(tokio::sync::watch::Sender::new(Duration::ZERO)),
        }
    }

    /// Moves the clock forward by `by`, waking every sleeper whose deadline it reaches.
    pub fn advance(&self, by: Duration) {
        self.elapsed.send_modify(|e| *e += by);
    }

    /// How far the clock has been advanced since it was made.
    pub fn elapsed(&self) -> Duration {
        *self.elapsed.borrow()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }

    fn sleep(&self, duration: Duration) -> PortFuture<'static, ()> {
        let mut elapsed = self.elapsed.subscribe();
        let deadline = *elapsed.borrow() + duration;
        Box::pin(async move {
            // The sender lives as long as any clone of the clock; once all are gone nothing
            // can move time, so the sleeper never wakes.
            if elapsed.wait_for(|e| *e >= deadline).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

/// Where a submitted transaction stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxStatus {
    /// In the mempool, not yet in a block.
    Pending,
    /// In a block, succeeded or failed.
    Committed(CommittedTx),
    /// The node does not know it: never received, or dropped from the mempool.
    Unknown,
}

/// The node's API, as far as a provider's duties use it.
///
/// Every call is one request: a failure is the node's answer or its absence, never retried
/// here (duties retry on their own period).
pub trait NodeApi: Send + Sync {
    /// Names the node in logs.
    fn name(&self) -> &str;
    fn status(&self) -> PortFuture<'_, Result<NodeStatus, ClientError>>;
    /// The chain's parameters; fixed at genesis, so a caller may keep them.
    fn chain_params(&self) -> PortFuture<'_, Result<ChainParams, ClientError>>;
    fn account(&self, address: Address) -> PortFuture<'_, Result<AccountState, ClientError>>;
    /// The device, or `None` if the chain has never registered it.
    fn device(&self, key: PublicKey) -> PortFuture<'_, Result<Option<DeviceState>, ClientError>>;
    /// An ended epoch, or `None` if it has not ended.
    fn epoch(&self, epoch: u64) -> PortFuture<'_, Result<Option<EpochState>, ClientError>>;
    /// Every training task on chain, oldest first.
    fn training_tasks(&self) -> PortFuture<'_, Result<Vec<TaskView>, ClientError>>;
    /// The compute orders that have not ended, with their bids and leases.
    fn live_orders(&self) -> PortFuture<'_, Result<Vec<OrderView>, ClientError>>;
    /// A lease, or `None` if the chain has none by that id.
    fn lease(&self, id: u64) -> PortFuture<'_, Result<Option<LeaseView>, ClientError>>;
    /// The distinct blobs that open storage deals assign to `device`.
    fn assigned_blobs(&self, device: PublicKey)
        -> PortFuture<'_, Result<Vec<BlobId>, ClientError>>;
    /// Hands a signed transaction to the mempool; returns its hash.
    fn submit(&self, tx: SignedTx) -> PortFuture<'_, Result<Hash, ClientError>>;
    fn tx_status(&self, hash: Hash) -> PortFuture<'_, Result<TxStatus, ClientError>>;
}

/// One oracle's API (docs/oracle-api.md), as far as a provider's duties use it.
pub trait OracleApi: Send + Sync {
    /// Names the oracle in logs and errors.
    fn name(&self) -> &str;
    /// The interval heartbeats must name now.
    fn status(&self) -> PortFuture<'_, Result<OracleStatus, ClientError>>;
    fn send_heartbeat(
        &self,
        heartbeat: SignedHeartbeat,
    ) -> PortFuture<'_, Result<HeartbeatReceipt, ClientError>>;
    /// The device's challenges that the oracle has no answer to yet.
    fn challenges(
        &self,
        device: PublicKey,
    ) -> PortFuture<'_, Result<Vec<OpenChallenge>, ClientError>>;
    /// Sends the signed commitment; returns the rows the oracle wants opened.
    fn commit(
        &self,
        id: ChallengeId,
        commit: proto::ChallengeCommit,
    ) -> PortFuture<'_, Result<Vec<u32>, ClientError>>;
    fn open(
        &self,
        id: ChallengeId,
        openings: proto::ChallengeOpenings,
    ) -> PortFuture<'_, Result<ChallengeOutcome, ClientError>>;
    /// The device's leaf and proof in the epoch's manifest, or `None` when the oracle has no
    /// leaf for the device.
    fn claim_proof(
        &self,
        epoch: u64,
        resource: String,
        device: PublicKey,
    ) -> PortFuture<'_, Result<Option<ClaimProof>, ClientError>>;
}

/// Everything outside the agent that its duties talk to.
#[derive(Clone)]
pub struct Ports {
    pub node: Arc<dyn NodeApi>,
    pub oracles: Vec<Arc<dyn OracleApi>>,
    pub clock: Arc<dyn Clock>,
}
