//! The Plexus state machine.
//!
//! Deterministic by construction: no clocks, randomness, async or I/O other than reading and
//! writing state through the store, and no hash-map iteration. Time and randomness come only
//! from [`BlockCtx`]. Every driver (solo, multi-validator) runs this same code through the
//! [`Ledger`] trait.
//!
//! Transactions pass three checks in order: stateless (format, size, chain id, signature),
//! against history (nonce, fee), then execution against current state. A transaction that
//! fails the first two is a no-op that charges nothing (its signer cannot be charged safely);
//! one that fails in execution pays its fee and changes nothing else. Neither rejects a block.
//!
//! Each component (`bank`, `registry`, `epochs`, `payouts`, `storage`, `training`, `market`,
//! `staking`, `data_credits`)
//! is a folder holding its actions, its end-of-block work, its state keys and its queries;
//! `state_key` and `query` re-export the components' keys and reads under one name each.

mod app;
mod bank;
pub mod beacon;
mod check;
mod codes;
pub mod data_credits;
pub mod data_market;
mod dispatch;
mod end_block;
pub mod epochs;
mod genesis;
mod id_set;
pub mod market;
mod overlay;
pub mod payouts;
pub mod query;
pub mod registry;
mod sigcache;
pub mod staking;
pub mod state_key;
pub mod storage;
mod stored;
pub mod training;

pub use app::{fee_pool_address, BlockWork, PlexusLedger};
pub use bank::{module_account, Account};
pub use beacon::BeaconCommitment;
pub use check::{TxChecker, TxMeta};
pub use codes::{CommittedTx, Reject, TxCode, TxFailure, TxResult};
pub use genesis::{
    default_device_classes, ChainInfo, DeviceClass, Genesis, GenesisAccount, GenesisError,
    GenesisValidator, LocationRule, OracleSet, Params, ResourceClass, RewardParams, StakingParams,
    WirelessParams,
};

use plexus_store::StoreError;
use plexus_types::{Address, Block, Hash};

/// Large integers (reward units) as decimal strings in JSON, like amounts, so no client loses
/// precision.
pub(crate) mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What a block may depend on besides its transactions. The only source of time and
/// randomness for the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockCtx {
    pub height: u64,
    pub time_ms: u64,
    pub proposer: Address,
    pub prev_app_hash: Hash,
}

/// The result of executing a block (or genesis): its height, the app hash after it, and one
/// result per transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub height: u64,
    pub app_hash: Hash,
    pub results: Vec<TxResult>,
}

/// Why a block cannot be executed at all. Distinct from a failing transaction, which is a
/// deterministic no-op inside a valid block.
#[derive(Debug, thiserror::Error)]
pub enum BlockReject {
    #[error("block height {got} does not follow the committed height {committed}")]
    WrongHeight { committed: u64, got: u64 },
    #[error("block carries previous app hash {got}, but the committed app hash is {committed}")]
    WrongPrevAppHash { committed: Hash, got: Hash },
    #[error("block is for chain {got:?}, this ledger runs {expected:?}")]
    WrongChain { expected: String, got: String },
    #[error("block tx root does not match its transactions")]
    BadTxRoot,
    #[error("block carries {0} bytes of transactions, over the limit")]
    TooLarge(usize),
    #[error("genesis has not been applied")]
    NoGenesis,
    #[error("block {height} carries a wrong beacon: {reason}")]
    BadBeacon { height: u64, reason: String },
    #[error(
        "the beacon hash chain committed at genesis ends at height {length}: this chain can make no more blocks (start a new chain with a new commitment)"
    )]
    BeaconExhausted { length: u64 },
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// The seam between consensus drivers and the state machine.
///
/// A driver must: call [`Ledger::init_chain`] once on an empty store; admit transactions with
/// [`Ledger::check_tx`]; build blocks with [`Ledger::select`]; accept blocks from others only if
/// [`Ledger::verify`] holds; and for each finalized block call [`Ledger::execute`] then
/// [`Ledger::commit`], in height order, never acknowledging a block before `commit` returns.
pub trait Ledger {
    /// Height and app hash of the last committed block (height 0 is genesis).
    fn last_committed(&self) -> (u64, Hash);
    /// Applies genesis to an empty store and commits it as height 0. On a store that already
    /// holds this chain it changes nothing and returns the committed genesis outcome (or the
    /// last committed height and app hash, when the genesis state is pruned or the store
    /// started from a snapshot).
    fn init_chain(&mut self, genesis: &Genesis) -> Result<Outcome, GenesisError>;
    /// Mempool admission: would this transaction be valid if it were next in line?
    fn check_tx(&self, tx: &[u8]) -> Result<TxMeta, Reject>;
    /// Picks transactions for the next block from `pool` (each sender's transactions in nonce
    /// order), up to `max_bytes`, skipping those that cannot execute.
    fn select(
        &self,
        ctx: &BlockCtx,
        pool: &mut dyn Iterator<Item = Vec<u8>>,
        max_bytes: usize,
    ) -> Vec<Vec<u8>>;
    /// Stateless checks of a proposed block: bounds and the transaction root.
    fn verify(&self, block: &Block) -> Result<(), BlockReject>;
    /// Executes a block on top of the committed state. Nothing is persisted.
    fn execute(&mut self, block: &Block) -> Result<Outcome, BlockReject>;
    /// Durably writes the executed block's state, height and app hash in one transaction.
    /// Idempotent: committing what is already committed changes nothing.
    fn commit(&mut self) -> Result<u64, StoreError>;
}
