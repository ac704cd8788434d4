//! The one way Plexus programs sign and send a transaction: the nonce from the account, the
//! fee and chain id from the node, then submit and wait for the commit.

use crate::clock::{Clock, SystemClock};
use crate::node_api::NodeApi;
use crate::views::TxStatusView;
use crate::ClientError;
use plexus_types::{Address, Amount, Body, Hash, SecretKey, SignedTx, UnsignedTx};
use std::time::Duration;

/// How long [`TxSender::send`] waits for a commit unless told otherwise.
pub const DEFAULT_COMMIT_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a pending transaction is looked up.
const POLL: Duration = Duration::from_millis(100);

/// A committed transaction's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedTx {
    pub hash: Hash,
    pub height: u64,
    /// `ok`, or why the transaction failed (`already_claimed`, `stake_too_low`, …).
    pub code: String,
    pub log: String,
    /// The node's answer, as `GET /v1/txs/{hash}` gave it.
    pub view: TxStatusView,
}

impl CommittedTx {
    pub fn succeeded(&self) -> bool {
        self.code == "ok"
    }
}

/// Why a transaction was not sent or not committed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Still pending when the time allowed for the commit (`timeout`) ran out.
    #[error("transaction {hash} is still pending after {timeout:?}")]
    Timeout { hash: Hash, timeout: Duration },
    #[error(
        "transaction {hash} is neither pending nor committed: it was dropped from the mempool"
    )]
    Dropped { hash: Hash },
    /// Committed, with a failure code.
    #[error("transaction {hash} failed: {log} ({code})")]
    Failed {
        hash: Hash,
        code: String,
        log: String,
    },
}

/// What to put in a transaction instead of what the node says.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// A nonce to use instead of the account's next one.
    pub nonce: Option<u64>,
    /// A fee to offer instead of the least fee the chain takes for the body.
    pub fee: Option<Amount>,
}

/// Signs with one key and sends through one node, one transaction at a time.
///
/// Transactions of one sender are signed, submitted and awaited one after another, so that
/// duties that run side by side never take the same nonce. Two senders of the same key (two
/// processes) can still race: the node then refuses one with `bad_nonce`.
pub struct TxSender<N, C = SystemClock> {
    node: N,
    key: SecretKey,
    address: Address,
    clock: C,
    commit_timeout: Duration,
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl<N: NodeApi> TxSender<N, SystemClock> {
    /// A sender that waits on the wall clock.
    pub fn new(node: N, key: SecretKey) -> TxSender<N, SystemClock> {
        TxSender::with_clock(node, key, SystemClock)
    }
}

impl<N: NodeApi, C: Clock> TxSender<N, C> {
    pub fn with_clock(node: N, key: SecretKey, clock: C) -> TxSender<N, C> {
        let address = Address::from_public_key(&key.public_key());
        TxSender {
            node,
            key,
            address,
            clock,
            commit_timeout: DEFAULT_COMMIT_TIMEOUT,
            one_at_a_time: tokio::sync::Mutex::new(()),
        }
    }

    /// How long [`send`](Self::send) waits for a commit.
    pub fn commit_timeout(mut self, timeout: Duration) -> Self {
        self.commit_timeout = timeout;
        self
    }

    pub fn node(&self) -> &N {
        &self.node
    }

    /// The address that signs and pays.
    pub fn address(&self) -> Address {
        self.address
    }

    /// A value only the holder of this sender's key can compute, the same every time for the
    /// same `domain` and `data`: `blake3(key seed ‖ "plexus/secret/" ‖ domain ‖ 0 ‖ data)`.
    /// A provider's seal salts are such values, so a restart recomputes them.
    pub fn derive_secret(&self, domain: &str, data: &[u8]) -> Hash {
        let mut input = self.key.to_bytes().to_vec();
        input.extend_from_slice(b"plexus/secret/");
        input.extend_from_slice(domain.as_bytes());
        input.push(0);
        input.extend_from_slice(data);
        Hash::of(&input)
    }

    /// `body` signed for the node's chain, at the account's next nonce and the least fee the
    /// chain takes for it ([`Body::min_fee`]) unless `overrides` says otherwise.
    pub async fn sign(&self, body: Body, overrides: &Overrides) -> Result<SignedTx, SendError> {
        let status = self.node.chain_status().await?;
        let nonce = match overrides.nonce {
            Some(n) => n,
            None => {
                // Past this key's transactions the node already holds, so two commands in a
                // row (or two programs) do not sign the same nonce.
                let account = self.node.account_of(&self.address).await?;
                account.nonce.max(account.pending_nonce)
            }
        };
        let fee = overrides.fee.unwrap_or(body.min_fee(status.min_fee));
        Ok(UnsignedTx {
            chain_id: status.chain_id,
            nonce,
            fee,
            body,
        }
        .sign(&self.key))
    }

    /// Signs and submits `body` without waiting; answers its hash.
    pub async fn submit(&self, body: Body, overrides: &Overrides) -> Result<Hash, SendError> {
        let _one = self.one_at_a_time.lock().await;
        let tx = self.sign(body, overrides).await?;
        Ok(self.node.submit_tx(&tx).await?)
    }

    /// Signs, submits and waits until `body` is committed. A committed transaction that
    /// failed is an answer, not an error: see [`send_ok`](Self::send_ok).
    pub async fn send(&self, body: Body) -> Result<CommittedTx, SendError> {
        self.send_with(body, &Overrides::default()).await
    }

    /// [`send`](Self::send) with a nonce or fee of the caller's.
    pub async fn send_with(
        &self,
        body: Body,
        overrides: &Overrides,
    ) -> Result<CommittedTx, SendError> {
        let _one = self.one_at_a_time.lock().await;
        let tx = self.sign(body, overrides).await?;
        let hash = self.node.submit_tx(&tx).await?;
        self.wait_committed(&hash, self.commit_timeout).await
    }

    /// Signs and submits `bodies` in order, one nonce after the other, then waits until each
    /// is committed: what [`send`](Self::send) does for one, in about one block for all. An
    /// answer per body, in order; one that could not be submitted is an error, and so are
    /// the ones after it, which were not sent.
    pub async fn send_all(&self, bodies: Vec<Body>) -> Vec<Result<CommittedTx, SendError>> {
        let mut hashes = Vec::with_capacity(bodies.len());
        {
            let _one = self.one_at_a_time.lock().await;
            for body in bodies {
                let submitted = match self.sign(body, &Overrides::default()).await {
                    Ok(tx) => self.node.submit_tx(&tx).await.map_err(SendError::from),
                    Err(e) => Err(e),
                };
                let failed = submitted.is_err();
                hashes.push(submitted);
                if failed {
                    break;
                }
            }
        }
        let mut out = Vec::with_capacity(hashes.len());
        for hash in hashes {
            out.push(match hash {
                Ok(hash) => self.wait_committed(&hash, self.commit_timeout).await,
                Err(e) => Err(e),
            });
        }
        out
    }

    /// [`send`](Self::send), where a transaction committed with a failure code is
    /// [`SendError::Failed`].
    pub async fn send_ok(&self, body: Body) -> Result<CommittedTx, SendError> {
        let committed = self.send(body).await?;
        if !committed.succeeded() {
            return Err(SendError::Failed {
                hash: committed.hash,
                code: committed.code,
                log: committed.log,
            });
        }
        Ok(committed)
    }

    /// Looks the transaction up until it is committed, dropped, or `timeout` passes on this
    /// sender's clock.
    pub async fn wait_committed(
        &self,
        hash: &Hash,
        timeout: Duration,
    ) -> Result<CommittedTx, SendError> {
        wait_committed(&self.node, &self.clock, hash, timeout).await
    }
}

/// Looks a transaction up on `node` until it is committed, dropped, or `timeout` passes on
/// `clock`.
pub async fn wait_committed<N: NodeApi, C: Clock>(
    node: &N,
    clock: &C,
    hash: &Hash,
    timeout: Duration,
) -> Result<CommittedTx, SendError> {
    let started = clock.now();
    loop {
        let view = node.tx_status(hash).await?;
        match view.status.as_str() {
            "committed" => {
                return Ok(CommittedTx {
                    hash: *hash,
                    height: view.height.unwrap_or(0),
                    code: view.code.clone().unwrap_or_else(|| "ok".into()),
                    log: view.log.clone().unwrap_or_default(),
                    view,
                })
            }
            "pending" => {}
            _ => return Err(SendError::Dropped { hash: *hash }),
        }
        if clock.now().saturating_sub(started) >= timeout {
            return Err(SendError::Timeout {
                hash: *hash,
                timeout,
            });
        }
        clock.sleep(POLL).await;
    }
}
