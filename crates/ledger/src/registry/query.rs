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

/// Devices in registration order from the `from`-th, at most `limit`, read from one
/// snapshot, and where the next page starts (`None` after the last).
pub fn devices_page(
    store: &Store,
    from: u64,
    limit: usize,
) -> Result<(Vec<Device>, Option<u64>), StoreError> {
    let snapshot = store.snapshot()?;
    let count = snapshot
        .get(&state_key::device_count())?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0);
    let end = count.min(from.saturating_add(limit as u64));
    let mut out = Vec::with_capacity(end.saturating_sub(from) as usize);
    for i in from..end {
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
    Ok((out, (end < count).then_some(end)))
}

/// Every device ever registered, in registration order.
pub fn devices(store: &Store) -> Result<Vec<Device>, StoreError> {
    Ok(devices_page(store, 0, usize::MAX)?.0)
}
