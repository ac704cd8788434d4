//! Reads of committed state for APIs and clients, straight from the store: no ledger lock, no
//! waiting for the block producer.

use crate::bank::Account;
use crate::codes::CommittedTx;
use crate::state_key;
use plexus_store::{StateProof, Store, StoreError};
use plexus_types::{Address, Amount, Hash};

/// An account in committed state (a never-seen address is an empty account).
pub fn account(store: &Store, address: &Address) -> Result<Account, StoreError> {
    Ok(store
        .get(&state_key::account(address))?
        .and_then(|b| Account::decode(&b))
        .unwrap_or_default())
}

/// An account at `height` with a proof against that height's app hash. `None` with a proof
/// of absence for an address the chain has never seen.
pub fn account_with_proof(
    store: &Store,
    address: &Address,
    height: u64,
) -> Result<(Option<Account>, StateProof), StoreError> {
    let (value, proof) = store.get_with_proof(&state_key::account(address), height)?;
    Ok((value.and_then(|v| Account::decode(&v)), proof))
}

/// Total tokens in existence.
pub fn supply(store: &Store) -> Result<Amount, StoreError> {
    Ok(store
        .get(&state_key::supply())?
        .and_then(|b| {
            b.try_into()
                .ok()
                .map(|a: [u8; 16]| Amount(u128::from_be_bytes(a)))
        })
        .unwrap_or_default())
}

/// Transactions committed since genesis.
pub fn txs_committed(store: &Store) -> Result<u64, StoreError> {
    Ok(store
        .get(&state_key::txs_committed())?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0))
}

/// The result of a committed transaction.
pub fn committed_tx(store: &Store, hash: &Hash) -> Result<Option<CommittedTx>, StoreError> {
    Ok(store
        .get_aux(&state_key::tx_result(hash))?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}
