//! Every key the ledger writes, named in one place. Nothing else builds state keys.

use plexus_types::{Address, Hash};

/// An account: balance and next nonce.
pub fn account(address: &Address) -> Vec<u8> {
    let mut k = b"bank/account/".to_vec();
    k.extend_from_slice(address.as_bytes());
    k
}

/// Total tokens in existence.
pub fn supply() -> Vec<u8> {
    b"bank/supply".to_vec()
}

/// The chain id and parameters fixed at genesis.
pub fn chain_info() -> Vec<u8> {
    b"chain/info".to_vec()
}

/// Height and time of the last executed block.
pub fn last_block() -> Vec<u8> {
    b"chain/last_block".to_vec()
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
