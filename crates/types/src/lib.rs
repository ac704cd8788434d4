//! Core Plexus types: keys (ed25519), addresses (bech32 `plx1…`), amounts (u128 base units),
//! hashes (blake3) and the signed transaction envelope with its wire format from `proto/`.
//!
//! Nothing in this crate does I/O.

pub mod address;
pub mod amount;
pub mod blob_size;
pub mod block;
pub mod epoch_clock;
pub mod hash;
pub mod heartbeat;
pub mod keys;
pub mod merkle;
pub mod readings;
pub mod speed_test;
pub mod statements;
pub mod tx;

/// Messages generated from `proto/plexus/v1/*.proto`.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/plexus.v1.rs"));
}

pub use address::{Address, AddressError};
pub use amount::{Amount, AmountError};
pub use block::{Block, BlockError, BlockHeader};
pub use epoch_clock::{ClockError, EpochClock, IntervalId};
pub use hash::Hash;
pub use keys::{KeyError, PublicKey, SecretKey, Signature};
pub use merkle::{merkle_root, MerkleProof, MerkleTree};
pub use tx::{
    job_seal, validation_commitment, Antenna, Body, Capabilities, ComputeFraud, ConsensusVote,
    DataSession, DataSessionReceipt, DoubleSignEvidence, JobResult, JobRuntime, OrderTerms,
    ReceiptSignatureError, RewardClaim, SignedTx, StorageDealTerms, StorageFailure, TrainingRound,
    TrainingScore, TrainingTaskTerms, TxError, TxHash, UnsignedTx, FRAUD_CELLS_PER_MIN_FEE,
    MAX_TX_BYTES,
};
