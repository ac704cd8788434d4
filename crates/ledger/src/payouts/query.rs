//! Reads of the payouts' committed state: claims.

use super::state_key;
use crate::genesis::ResourceClass;
use plexus_store::{Store, StoreError};
use plexus_types::{Amount, PublicKey};

/// Whether a device's reward of an epoch and class has been claimed.
pub fn claimed(
    store: &Store,
    epoch: u64,
    resource: ResourceClass,
    device: &PublicKey,
) -> Result<bool, StoreError> {
    Ok(store
        .get(&state_key::claim(epoch, resource, device))?
        .is_some())
}

/// What a device's claim of an epoch and class paid (to its owner, or forfeited), if claimed.
pub fn claim_amount(
    store: &Store,
    epoch: u64,
    resource: ResourceClass,
    device: &PublicKey,
) -> Result<Option<Amount>, StoreError> {
    Ok(store
        .get(&state_key::claim(epoch, resource, device))?
        .and_then(|b| {
            b.try_into()
                .ok()
                .map(|a: [u8; 16]| Amount(u128::from_be_bytes(a)))
        }))
}
