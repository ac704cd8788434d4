//! Every key the ledger writes, named in one place: the chain's own keys here, and each
//! component's keys (kept in its `state_key` module) re-exported. Nothing else builds state
//! keys.

use plexus_types::Hash;

pub use crate::bank::state_key::*;
pub use crate::data_credits::state_key::*;
pub use crate::epochs::state_key::*;
pub use crate::market::state_key::*;
pub use crate::payouts::state_key::*;
pub use crate::registry::state_key::*;
pub use crate::staking::state_key::*;
pub use crate::storage::state_key::*;
pub use crate::training::state_key::*;

/// The chain id and parameters fixed at genesis.
pub fn chain_info() -> Vec<u8> {
    b"chain/info".to_vec()
}

/// Height and time of the last executed block.
pub fn last_block() -> Vec<u8> {
    b"chain/last_block".to_vec()
}

/// The last beacon reveal of the solo driver's hash chain (the genesis commitment before
/// block 1): the next block's reveal must hash to it.
pub fn beacon_reveal() -> Vec<u8> {
    b"chain/beacon_reveal".to_vec()
}

/// Number of transactions committed since genesis (successful or failed with a fee).
pub fn txs_committed() -> Vec<u8> {
    b"chain/txs_committed".to_vec()
}

/// Side index (not part of the app hash): the result of a committed transaction.
pub fn tx_result(hash: &Hash) -> Vec<u8> {
    let mut k = b"tx/".to_vec();
    k.extend_from_slice(&hash.0);
    k
}
