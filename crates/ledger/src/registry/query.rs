//! Reads of the registry's committed state.

use super::{state_key, Device};
use crate::stored::{get_json, get_u64};
use plexus_store::{Store, StoreError};
use plexus_types::PublicKey;

/// A registered device.
pub fn device(store: &Store, key: &PublicKey) -> Result<Option<Device>, StoreError> {
    get_json(store, &state_key::device(key))
}

/// Number of devices ever registered.
pub fn device_count(store: &Store) -> Result<u64, StoreError> {
    get_u64(store, &state_key::device_count())
}

/// Every device ever registered, in registration order.
pub fn devices(store: &Store) -> Result<Vec<Device>, StoreError> {
    let snapshot = store.snapshot()?;
    let count = snapshot
        .get(&state_key::device_count())?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0);
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let Some(key) = snapshot.get(&state_key::device_by_index(i))? else {
            return Err(StoreError::Corrupt(format!("device index {i} missing")));
        };
        let key = PublicKey::from_slice(&key)
            .map_err(|e| StoreError::Corrupt(format!("device index {i}: {e}")))?;
        let Some(bytes) = snapshot.get(&state_key::device(&key))? else {
            return Err(StoreError::Corrupt(format!("device {key} missing")));
        };
        out.push(
            serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::Corrupt(format!("device record: {e}")))?,
        );
    }
    Ok(out)
}
