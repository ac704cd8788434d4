//! Reads of the registry's committed state.

use super::{state_key, Device};
use crate::id_set::key_page;
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
    devices_matching(store, from, limit, limit as u64, |_| true)
}

/// The devices that `keep` accepts among at most `max_scan` devices in registration order from
/// the `from`-th, at most `limit` of them, read from one snapshot; and where the next page
/// starts: after the last device looked at (`None` once the last registered one was). A page
/// may hold fewer than `limit` devices, none even, and still have a next one: the work of one
/// call is bounded by `max_scan`, not by how rare the matches are.
pub fn devices_matching(
    store: &Store,
    from: u64,
    limit: usize,
    max_scan: u64,
    keep: impl Fn(&Device) -> bool,
) -> Result<(Vec<Device>, Option<u64>), StoreError> {
    let snapshot = store.snapshot()?;
    let count = snapshot
        .get(&state_key::device_count())?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0);
    let end = count.min(from.saturating_add(max_scan.max(1)));
    let mut out = Vec::with_capacity(limit.min(end.saturating_sub(from) as usize));
    let mut i = from;
    while i < end && out.len() < limit {
        let Some(key) = snapshot.get(&state_key::device_by_index(i))? else {
            return Err(StoreError::Corrupt(format!("device index {i} missing")));
        };
        let key = PublicKey::from_slice(&key)
            .map_err(|e| StoreError::Corrupt(format!("device index {i}: {e}")))?;
        let Some(bytes) = snapshot.get(&state_key::device(&key))? else {
            return Err(StoreError::Corrupt(format!("device {key} missing")));
        };
        let device: Device = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("device record: {e}")))?;
        if keep(&device) {
            out.push(device);
        }
        i += 1;
    }
    Ok((out, (i < count).then_some(i)))
}

/// Every device ever registered, in registration order.
pub fn devices(store: &Store) -> Result<Vec<Device>, StoreError> {
    Ok(devices_page(store, 0, usize::MAX)?.0)
}

/// What a follower of the registry reads instead of every device: the devices that blocks
/// `after + 1 ..= to` registered or changed, each once and as it is now, oldest change first.
/// At most `max_heights` blocks are read, and no block is begun once `max_devices` devices are
/// collected; returns the devices and the last height read (`after` when none was).
pub fn devices_changed(
    store: &Store,
    after: u64,
    to: u64,
    max_heights: u64,
    max_devices: usize,
) -> Result<(Vec<Device>, u64), StoreError> {
    let last = to.min(after.saturating_add(max_heights));
    let mut keys: Vec<PublicKey> = Vec::new();
    let mut through = after;
    for height in after.saturating_add(1)..=last {
        if keys.len() >= max_devices {
            break;
        }
        let changed: Vec<PublicKey> =
            get_json(store, &state_key::devices_changed_at(height))?.unwrap_or_default();
        for key in changed {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        through = height;
    }
    let devices = keys
        .iter()
        .map(|k| {
            device(store, k)?.ok_or_else(|| StoreError::Corrupt(format!("device {k} missing")))
        })
        .collect::<Result<_, _>>()?;
    Ok((devices, through))
}

/// The active wireless devices asserted within the H3 hex `hex` (a cell of any resolution up
/// to 12; one that holds none has none), from the `from`-th, at most `limit`, read from one
/// snapshot; and where the next page starts (`None` after the last). The order is the index's,
/// which a removal changes: a device may move between pages read at different heights.
pub fn coverage_page(
    store: &Store,
    hex: u64,
    from: u64,
    limit: usize,
) -> Result<(Vec<Device>, Option<u64>), StoreError> {
    let snapshot = store.snapshot()?;
    let (keys, next) = key_page(&snapshot, &state_key::coverage_hex(hex), from, limit)?;
    let devices = keys
        .iter()
        .map(|key| {
            let bytes = snapshot
                .get(&state_key::device(key))?
                .ok_or_else(|| StoreError::Corrupt(format!("device {key} missing")))?;
            serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::Corrupt(format!("device record: {e}")))
        })
        .collect::<Result<_, _>>()?;
    Ok((devices, next))
}
