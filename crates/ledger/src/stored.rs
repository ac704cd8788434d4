//! Committed values as queries read them: JSON records and big-endian counters.

use plexus_store::{Store, StoreError};

/// A JSON record in committed state.
pub(crate) fn get_json<T: serde::de::DeserializeOwned>(
    store: &Store,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    match store.get(key)? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("state value: {e}"))),
    }
}

/// A big-endian counter in committed state (zero when absent or not 8 bytes).
pub(crate) fn get_u64(store: &Store, key: &[u8]) -> Result<u64, StoreError> {
    Ok(store
        .get(key)?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0))
}
