//! Everything an agent's duty can fail with.

use crate::claim_book::ClaimBookError;
use crate::identity::IdentityError;
use plexus_blobs::BlobId;
use plexus_client::{ChallengeId, ClientError, SendError};
use plexus_proofs::compute::ComputeError;
use plexus_types::epoch_clock::ClockError;
use plexus_types::{Address, Amount, Hash, PublicKey};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Wait(#[from] SendError),
    #[error(transparent)]
    ClaimBook(#[from] ClaimBookError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot serve blobs at {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("a device of class {class} keeps no replicas, or its service has not started")]
    NoReplicas { class: String },
    #[error("the chain's epoch parameters are unusable: {0}")]
    Clock(#[from] ClockError),
    #[error(
        "the oracle at {oracle} serves chain {oracle_chain:?} but the node serves {node_chain:?}"
    )]
    WrongChain {
        oracle: String,
        oracle_chain: String,
        node_chain: String,
    },
    #[error("class {class:?} is not a device class of chain {chain_id}")]
    ClassNotOnChain { class: String, chain_id: String },
    #[error("a stake of {stake} uplx is below class {class}'s minimum of {min} uplx")]
    StakeBelowMinimum {
        class: String,
        stake: Amount,
        min: Amount,
    },
    #[error("device {device} is registered to {owner}, not to this agent's owner {expected}")]
    DeviceOwnedByOther {
        device: PublicKey,
        owner: Address,
        expected: Address,
    },
    #[error("transaction {hash} failed: {log} ({code})")]
    TxFailed {
        hash: Hash,
        code: String,
        log: String,
    },
    #[error("challenge {id} from {oracle} cannot be answered: {source}")]
    BadChallenge {
        oracle: String,
        id: ChallengeId,
        source: ComputeError,
    },
    #[error("the prover stopped before finishing: {0}")]
    ProverStopped(String),
    #[error("the oracle at {oracle} offers a claim for epoch {epoch} that is not this device's: device {device}, owner {owner}")]
    ForeignClaim {
        oracle: String,
        epoch: u64,
        device: PublicKey,
        owner: Address,
    },
    #[error("over-declaring class {declared} with real class {real} declares nothing more: pick a smaller real class")]
    NotOverDeclaring { declared: String, real: String },
}

impl AgentError {
    /// Whether trying the same duty again later can succeed without a person changing
    /// anything: the network was down, a transaction is slow. The rest (a setting the chain
    /// refuses, a device that belongs to someone else) stop the agent.
    pub fn is_transient(&self) -> bool {
        match self {
            AgentError::Client(ClientError::Refused { status, code, .. }) => {
                *status >= 500 || *status == 429 || is_transient_code(code)
            }
            AgentError::Client(ClientError::Status { status, .. }) => {
                *status >= 500 || *status == 429
            }
            AgentError::Client(_) | AgentError::Wait(_) => true,
            AgentError::TxFailed { code, .. } => is_transient_code(code),
            _ => false,
        }
    }
}

/// Refusals that clear up by themselves: another transaction of the owner took the nonce,
/// the mempool is full, or the owner's account is waiting to be funded.
pub(crate) fn is_transient_code(code: &str) -> bool {
    matches!(
        code,
        "nonce_too_low" | "nonce_too_high" | "mempool_full" | "duplicate" | "insufficient_funds"
    )
}

/// Why keeping replicas failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("blob store: {0}")]
    Store(#[from] plexus_blobs::StoreError),
    #[error("fetching blob {id}: {reason}")]
    Fetch { id: BlobId, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}
