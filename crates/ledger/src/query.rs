//! Reads of committed state for APIs and clients, straight from the store: no ledger lock, no
//! waiting for the block producer. The chain's own reads are here; each component's reads
//! (kept in its `query` module) are re-exported.

use crate::codes::CommittedTx;
use crate::state_key;
use crate::stored::{get_json, get_u64};
use plexus_store::{Store, StoreError};
use plexus_types::Hash;

pub use crate::bank::query::*;
pub use crate::data_credits::query::*;
pub use crate::data_market::query::*;
pub use crate::epochs::query::*;
pub use crate::market::query::*;
pub use crate::payouts::query::*;
pub use crate::registry::query::*;
pub use crate::staking::query::*;
pub use crate::storage::query::*;
pub use crate::training::query::*;

/// Transactions committed since genesis.
pub fn txs_committed(store: &Store) -> Result<u64, StoreError> {
    get_u64(store, &state_key::txs_committed())
}

/// The result of a committed transaction.
pub fn committed_tx(store: &Store, hash: &Hash) -> Result<Option<CommittedTx>, StoreError> {
    Ok(store
        .get_aux(&state_key::tx_result(hash))?
        .and_then(|b| CommittedTx::decode(hash, &b)))
}

/// The chain id and genesis parameters.
pub fn chain_info(store: &Store) -> Result<Option<crate::ChainInfo>, StoreError> {
    get_json(store, &state_key::chain_info())
}

/// The last reveal of the solo driver's beacon hash chain (the genesis commitment before block
/// 1), if the chain commits to one: the next block's reveal must hash to it.
pub fn beacon_reveal(store: &Store) -> Result<Option<Hash>, StoreError> {
    match store.get(&state_key::beacon_reveal())? {
        None => Ok(None),
        Some(bytes) => Hash::from_slice(&bytes)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt("the beacon reveal is not 32 bytes".into())),
    }
}
