//! Reads of data credits' committed state.

use super::{
    state_key, CarrierUsage, DataCreditBalance, DataCreditTotals, DataPool, EpochDataSummary,
    HotspotData,
};
use crate::stored::{get_json, get_u64};
use plexus_store::{Store, StoreError};
use plexus_types::{Address, Amount, PublicKey};

/// An account's data credits and who paid for them (`None`: it holds none).
pub fn data_credit_balance(
    store: &Store,
    holder: &Address,
) -> Result<Option<DataCreditBalance>, StoreError> {
    get_json(store, &state_key::data_credit_balance(holder))
}

/// Data credits burned for, issued and spent since genesis.
pub fn data_credit_totals(store: &Store) -> Result<DataCreditTotals, StoreError> {
    Ok(get_json(store, &state_key::data_credit_totals())?.unwrap_or_default())
}

/// One page of an epoch's data traffic: its summary, the hotspots and the carriers in list
/// slots `from..from + limit` (hotspots and carriers are two lists paged by the same slots),
/// and the slot the next page starts at (`None` after the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochDataPage {
    pub summary: EpochDataSummary,
    /// The epoch's data pool, once the epoch has ended.
    pub pool: Option<DataPool>,
    pub hotspots: Vec<HotspotData>,
    pub carriers: Vec<CarrierUsage>,
    pub next: Option<u64>,
}

/// A page of epoch `epoch`'s data traffic (see [`EpochDataPage`]).
pub fn epoch_data_page(
    store: &Store,
    epoch: u64,
    from: u64,
    limit: usize,
) -> Result<EpochDataPage, StoreError> {
    let snapshot = store.snapshot()?;
    let read = |key: &[u8]| -> Result<Option<Vec<u8>>, StoreError> { snapshot.get(key) };
    let count = |key: &[u8]| -> Result<u64, StoreError> {
        Ok(read(key)?
            .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
            .unwrap_or(0))
    };
    let record = |key: &[u8], what: &str| -> Result<Vec<u8>, StoreError> {
        read(key)?.ok_or_else(|| StoreError::Corrupt(format!("{what} listed but missing")))
    };
    let hotspot_n = count(&state_key::hotspot_count(epoch))?;
    let carrier_n = count(&state_key::carrier_count(epoch))?;
    let end = from.saturating_add(limit as u64);
    let mut hotspots = Vec::new();
    for slot in from..end.min(hotspot_n) {
        let key = record(&state_key::hotspot_at(epoch, slot), "a hotspot")?;
        let device = PublicKey::from_slice(&key)
            .map_err(|e| StoreError::Corrupt(format!("a listed hotspot: {e}")))?;
        let bytes = record(&state_key::hotspot_data(epoch, &device), "a hotspot's data")?;
        hotspots.push(decode(&bytes)?);
    }
    let mut carriers = Vec::new();
    for slot in from..end.min(carrier_n) {
        let key = record(&state_key::carrier_at(epoch, slot), "a carrier")?;
        let carrier = Address::from_slice(&key)
            .map_err(|e| StoreError::Corrupt(format!("a listed carrier: {e}")))?;
        let bytes = record(
            &state_key::carrier_usage(epoch, &carrier),
            "a carrier's usage",
        )?;
        carriers.push(decode(&bytes)?);
    }
    let summary = match read(&state_key::epoch_data_summary(epoch))? {
        Some(b) => decode(&b)?,
        None => EpochDataSummary::default(),
    };
    let pool = match read(&state_key::data_pool(epoch))? {
        Some(b) => Some(decode(&b)?),
        None => None,
    };
    Ok(EpochDataPage {
        summary,
        pool,
        hotspots,
        carriers,
        next: (end < hotspot_n.max(carrier_n)).then_some(end),
    })
}

/// An epoch's data pool, once the epoch has ended.
pub fn data_pool(store: &Store, epoch: u64) -> Result<Option<DataPool>, StoreError> {
    get_json(store, &state_key::data_pool(epoch))
}

/// What a hotspot's data claim of an epoch paid, once claimed.
pub fn data_claim(
    store: &Store,
    epoch: u64,
    device: &PublicKey,
) -> Result<Option<Amount>, StoreError> {
    Ok(store
        .get(&state_key::data_claim(epoch, device))?
        .and_then(|b| {
            b.try_into()
                .ok()
                .map(|a: [u8; 16]| Amount(u128::from_be_bytes(a)))
        }))
}

/// What hotspot `device` carried in `epoch`, if it carried data.
pub fn hotspot_data(
    store: &Store,
    epoch: u64,
    device: &PublicKey,
) -> Result<Option<HotspotData>, StoreError> {
    get_json(store, &state_key::hotspot_data(epoch, device))
}

/// Whether the session `session` of `subscriber` is remembered as settled (the chain forgets
/// settled sessions once their receipts are too old to settle).
pub fn session_settled(
    store: &Store,
    subscriber: &PublicKey,
    session: u64,
) -> Result<bool, StoreError> {
    Ok(store
        .get(&state_key::settled_session(subscriber, session))?
        .is_some())
}

/// How many settled sessions of receipts naming `epoch` the chain remembers.
pub fn settled_sessions_remembered(store: &Store, epoch: u64) -> Result<u64, StoreError> {
    get_u64(store, &state_key::settled_count(epoch))
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("state value: {e}")))
}
