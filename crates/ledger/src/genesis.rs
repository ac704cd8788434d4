//! Genesis: the chain id, parameters and opening balances.

use plexus_types::{Address, Amount};
use serde::{Deserialize, Serialize};

/// Parameters fixed at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// Smallest fee a transaction may offer, in uplx.
    pub min_fee: Amount,
    /// Largest encoded transaction, in bytes (at most `plexus_types::MAX_TX_BYTES`).
    pub max_tx_bytes: u32,
    /// Largest total size of a block's transactions, in bytes.
    pub max_block_bytes: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_fee: Amount(1_000),
            max_tx_bytes: plexus_types::MAX_TX_BYTES as u32,
            max_block_bytes: 4 * 1024 * 1024,
        }
    }
}

/// One opening balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisAccount {
    pub address: Address,
    pub balance: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    pub chain_id: String,
    /// Time of the genesis, milliseconds since the Unix epoch.
    pub genesis_time_ms: u64,
    #[serde(default)]
    pub params: Params,
    pub accounts: Vec<GenesisAccount>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error(
        "chain id must be 1 to 64 characters of letters, digits, '-', '_' or '.', found {0:?}"
    )]
    BadChainId(String),
    #[error("account {0} appears twice in genesis")]
    DuplicateAccount(Address),
    #[error("genesis balances add up to more than the largest amount")]
    SupplyOverflow,
    #[error("max_tx_bytes must be between 256 and {max}", max = plexus_types::MAX_TX_BYTES)]
    BadMaxTxBytes,
    #[error("max_block_bytes must be at least max_tx_bytes")]
    BadMaxBlockBytes,
    #[error("this store already holds chain {stored:?}, not {requested:?}")]
    OtherChain { stored: String, requested: String },
    #[error("store: {0}")]
    Store(#[from] plexus_store::StoreError),
    #[error("stored chain info is corrupt: {0}")]
    Corrupt(String),
}

impl Genesis {
    /// Checks genesis before anything is written. Returns the total supply.
    pub fn validate(&self) -> Result<Amount, GenesisError> {
        let id_ok = !self.chain_id.is_empty()
            && self.chain_id.len() <= plexus_types::tx::MAX_CHAIN_ID_LEN
            && self
                .chain_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !id_ok {
            return Err(GenesisError::BadChainId(self.chain_id.clone()));
        }
        let max_tx = self.params.max_tx_bytes as usize;
        if !(256..=plexus_types::MAX_TX_BYTES).contains(&max_tx) {
            return Err(GenesisError::BadMaxTxBytes);
        }
        if self.params.max_block_bytes < self.params.max_tx_bytes {
            return Err(GenesisError::BadMaxBlockBytes);
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut supply = Amount::ZERO;
        for acct in &self.accounts {
            if !seen.insert(acct.address) {
                return Err(GenesisError::DuplicateAccount(acct.address));
            }
            supply = supply
                .checked_add(acct.balance)
                .ok_or(GenesisError::SupplyOverflow)?;
        }
        Ok(supply)
    }
}

/// What the ledger keeps of genesis in its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChainInfo {
    pub chain_id: String,
    pub genesis_time_ms: u64,
    pub params: Params,
}
