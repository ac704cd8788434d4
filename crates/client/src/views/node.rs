//! The node's own answers: its status, accounts, transactions and blocks.

use plexus_types::{Address, Amount, Hash};
use serde::{Deserialize, Serialize};

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusView {
    pub chain_id: String,
    pub height: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub app_hash: Hash,
    pub last_block_time_ms: u64,
    pub txs_committed: u64,
    pub mempool_size: usize,
    /// Smallest fee a transaction may offer, in uplx.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub min_fee: Amount,
    /// Devices ever registered.
    pub devices: u64,
    pub version: String,
}

/// `POST /v1/txs`: the mempool took the transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmittedView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub hash: Hash,
    /// Always `pending`.
    pub status: String,
}

/// `GET /v1/txs/{hash}`: a transaction's place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TxStatusView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub hash: Hash,
    /// `committed`, `pending` or `unknown`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// `ok`, or why the committed transaction failed (`already_claimed`, `stake_too_low`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::AmountSchema>))]
    pub fee: Option<Amount>,
}

impl TxStatusView {
    pub fn is_committed(&self) -> bool {
        self.status == "committed"
    }

    /// Committed and succeeded.
    pub fn succeeded(&self) -> bool {
        self.is_committed() && self.code.as_deref().is_none_or(|c| c == "ok")
    }
}

/// `GET /v1/accounts/{address}`: an account with the proof of its state.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub address: Address,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub balance: Amount,
    /// The nonce the account's next transaction must carry, by the state at `height`.
    pub nonce: u64,
    /// The nonce to sign the account's next transaction with: `nonce`, moved past the
    /// account's transactions this node holds in its mempool (at the latest height only).
    #[serde(default)]
    pub pending_nonce: u64,
    /// Whether the account exists in state (the proof is then of inclusion, else of absence).
    pub exists: bool,
    pub height: u64,
    /// App hash (state root) at `height`, against which `proof` verifies.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub app_hash: Hash,
    /// Hex of the Merkle proof.
    pub proof: String,
}

/// `GET /v1/blocks/{height}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockView {
    pub height: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub hash: Hash,
    pub chain_id: String,
    pub time_ms: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub proposer: Address,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub prev_app_hash: Hash,
    /// App hash after executing this block.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::HashSchema>))]
    pub app_hash: Option<Hash>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub tx_root: Hash,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::views::schema::HashSchema>))]
    pub txs: Vec<Hash>,
    /// The header's beacon field, hex: a hash-chain reveal or a threshold VRF seed (empty when
    /// the genesis commits to no beacon).
    #[serde(default)]
    pub beacon: String,
}

/// `GET /v1/beacon`: the beacon of a block, which the ledger's random draws at that height
/// read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BeaconView {
    pub height: u64,
    /// What genesis commits the beacon to: `hash_chain` (solo driver), `threshold_vrf`
    /// (validators), or `header_hash` (no commitment: the proposer could grind it).
    pub source: String,
    /// The header's beacon field, hex: the reveal or the seed the value is hashed from.
    pub field: String,
    /// `blake3("plexus/beacon/v1" ‖ field)` (of the block hash for `header_hash`).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub value: Hash,
}
