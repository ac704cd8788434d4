//! Reads of the data market's committed state.

use super::{state_key, DataMarketTotals, DataSale, DataSetRecord};
use crate::stored::{get_json, get_u64};
use plexus_store::{Store, StoreError};
use plexus_types::{Address, PublicKey};

/// A final data set of an epoch.
pub fn data_set(
    store: &Store,
    epoch: u64,
    name: &str,
) -> Result<Option<DataSetRecord>, StoreError> {
    get_json(store, &state_key::set(epoch, name))
}

/// Every final data set of an epoch, in the order they became final.
pub fn data_sets(store: &Store, epoch: u64) -> Result<Vec<DataSetRecord>, StoreError> {
    let count = get_u64(store, &state_key::set_count(epoch))?;
    let mut sets = Vec::new();
    for n in 0..count {
        let Some(name) = store.get(&state_key::set_at(epoch, n))? else {
            continue;
        };
        let name = String::from_utf8(name)
            .map_err(|_| StoreError::Corrupt("a data set name is not UTF-8".into()))?;
        if let Some(set) = data_set(store, epoch, &name)? {
            sets.push(set);
        }
    }
    Ok(sets)
}

/// A buyer's purchase of a data set, if it bought it.
pub fn data_sale(
    store: &Store,
    epoch: u64,
    name: &str,
    buyer: &Address,
) -> Result<Option<DataSale>, StoreError> {
    get_json(store, &state_key::sale(epoch, name, buyer))
}

/// What a device has been paid of a data set's revenue, in uplx.
pub fn data_paid(
    store: &Store,
    epoch: u64,
    name: &str,
    device: &PublicKey,
) -> Result<u128, StoreError> {
    Ok(store
        .get(&state_key::paid(epoch, name, device))?
        .and_then(|b| b.try_into().ok().map(u128::from_be_bytes))
        .unwrap_or(0))
}

/// The market's totals.
pub fn data_market_totals(store: &Store) -> Result<DataMarketTotals, StoreError> {
    Ok(get_json(store, &state_key::totals())?.unwrap_or_default())
}
