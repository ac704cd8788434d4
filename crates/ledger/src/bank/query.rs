//! Reads of the bank's committed state.

use super::{decode_supply, state_key, Account};
use plexus_store::{Snapshot, StateProof, Store, StoreError};
use plexus_types::{Address, Amount};

/// An account in committed state (a never-seen address is an empty account).
pub fn account(store: &Store, address: &Address) -> Result<Account, StoreError> {
    Ok(store
        .get(&state_key::account(address))?
        .and_then(|b| Account::decode(&b))
        .unwrap_or_default())
}

/// An account in one snapshot of committed state, for many reads in a row without a read
/// transaction each.
pub fn account_in(snapshot: &Snapshot, address: &Address) -> Result<Account, StoreError> {
    Ok(snapshot
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
    Ok(decode_supply(store.get(&state_key::supply())?))
}
