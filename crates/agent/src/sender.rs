//! The one way the agent's duties send transactions: signed by the owner's key with the
//! nonce and fee the node reports just before, one at a time, and waited for until committed.

use crate::http::ClientError;
use crate::ports::{Clock, NodeApi, TxStatus};
use crate::views::node::CommittedTx;
use plexus_types::{Address, Body, Hash, SecretKey, UnsignedTx};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// How often a sender asks whether its transaction is committed.
const POLL: Duration = Duration::from_millis(100);

/// The longest a sender waits for a transaction unless told otherwise.
pub const DEFAULT_COMMIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why sending a transaction ended without it being committed.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("transaction {hash} is still pending after {waited:?}")]
    Timeout { hash: Hash, waited: Duration },
    #[error("transaction {hash} was dropped from the mempool without being committed")]
    Dropped { hash: Hash },
}

/// Signs and sends the owner's transactions.
///
/// Clones share one lock, so duties that run side by side never race for a nonce.
#[derive(Clone)]
pub struct TxSender {
    key: SecretKey,
    address: Address,
    node: Arc<dyn NodeApi>,
    clock: Arc<dyn Clock>,
    lock: Arc<Mutex<()>>,
    commit_timeout: Duration,
}

impl TxSender {
    pub fn new(
        key: SecretKey,
        node: Arc<dyn NodeApi>,
        clock: Arc<dyn Clock>,
        lock: Arc<Mutex<()>>,
    ) -> TxSender {
        TxSender {
            address: Address::from_public_key(&key.public_key()),
            key,
            node,
            clock,
            lock,
            commit_timeout: DEFAULT_COMMIT_TIMEOUT,
        }
    }

    pub fn with_commit_timeout(mut self, timeout: Duration) -> TxSender {
        self.commit_timeout = timeout;
        self
    }

    /// The owner's address: the sender of every transaction.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs `body` with the owner's key and next nonce at the chain's minimum fee, submits it
    /// and waits until it is committed. Returns the committed transaction whether it
    /// succeeded or failed.
    pub async fn send(&self, body: Body) -> Result<CommittedTx, WaitError> {
        let _one_at_a_time = self.lock.lock().await;
        let status = self.node.status().await?;
        let account = self.node.account(self.address).await?;
        let tx = UnsignedTx {
            chain_id: status.chain_id,
            nonce: account.nonce,
            fee: status.min_fee,
            body,
        }
        .sign(&self.key);
        let hash = self.node.submit(tx).await?;
        self.wait_committed(hash).await
    }

    async fn wait_committed(&self, hash: Hash) -> Result<CommittedTx, WaitError> {
        let started = self.clock.now();
        loop {
            match self.node.tx_status(hash).await? {
                TxStatus::Committed(committed) => return Ok(committed),
                TxStatus::Pending => {}
                TxStatus::Unknown => return Err(WaitError::Dropped { hash }),
            }
            let waited = self.clock.now().saturating_duration_since(started);
            if waited >= self.commit_timeout {
                return Err(WaitError::Timeout { hash, waited });
            }
            self.clock.sleep(POLL).await;
        }
    }
}
