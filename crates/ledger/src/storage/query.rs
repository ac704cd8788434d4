//! Reads of the storage market's committed state: deals and escrow accounting.

use super::{state_key, StorageDeal, StorageTotals};
use crate::bank::module_account;
use crate::bank::query::account;
use crate::id_set;
use crate::stored::get_json;
use plexus_store::{Snapshot, Store, StoreError};
use plexus_types::{Hash, PublicKey};

/// A storage deal, by id.
pub fn storage_deal(store: &Store, id: u64) -> Result<Option<StorageDeal>, StoreError> {
    get_json(store, &state_key::storage_deal(id))
}

/// Every deal ever made for a blob, oldest first: for a reader in the same process; the API
/// serves them a page at a time ([`storage_deals_of_blob_page`]), since anyone may make deals
/// for any blob.
pub fn storage_deals_of_blob(store: &Store, blob: &Hash) -> Result<Vec<StorageDeal>, StoreError> {
    Ok(storage_deals_of_blob_page(store, blob, 0, usize::MAX)?.0)
}

/// A page of the deals made for a blob, oldest first: at most `limit` from the `from`th, and
/// where the next page starts.
pub fn storage_deals_of_blob_page(
    store: &Store,
    blob: &Hash,
    from: u64,
    limit: usize,
) -> Result<(Vec<StorageDeal>, Option<u64>), StoreError> {
    let snapshot = store.snapshot()?;
    deals_by_ids(&snapshot, &state_key::storage_blob_deals(blob), from, limit)
}

/// A page of the deals not yet ended (in no set order: a deal that ends gives its place to
/// the last one): at most `limit` from position `from`, and where the next page starts.
pub fn open_storage_deals_page(
    store: &Store,
    from: u64,
    limit: usize,
) -> Result<(Vec<StorageDeal>, Option<u64>), StoreError> {
    let snapshot = store.snapshot()?;
    deals_by_ids(&snapshot, &state_key::storage_open_deals(), from, limit)
}

/// A page of the open deals that assign `device` (in no set order), and where the next page
/// starts.
pub fn open_storage_deals_of_page(
    store: &Store,
    device: &PublicKey,
    from: u64,
    limit: usize,
) -> Result<(Vec<StorageDeal>, Option<u64>), StoreError> {
    let snapshot = store.snapshot()?;
    deals_by_ids(
        &snapshot,
        &state_key::storage_device_deals(device),
        from,
        limit,
    )
}

/// The deals not yet ended, oldest first.
pub fn open_storage_deals(store: &Store) -> Result<Vec<StorageDeal>, StoreError> {
    let mut deals = open_storage_deals_page(store, 0, usize::MAX)?.0;
    deals.sort_by_key(|d| d.id);
    Ok(deals)
}

/// The open deals that assign `device`, oldest first.
pub fn open_storage_deals_of(
    store: &Store,
    device: &PublicKey,
) -> Result<Vec<StorageDeal>, StoreError> {
    let mut deals = open_storage_deals_of_page(store, device, 0, usize::MAX)?.0;
    deals.sort_by_key(|d| d.id);
    Ok(deals)
}

fn deals_by_ids(
    snapshot: &Snapshot,
    list_key: &[u8],
    from: u64,
    limit: usize,
) -> Result<(Vec<StorageDeal>, Option<u64>), StoreError> {
    fn decode<T: serde::de::DeserializeOwned>(what: &str, b: Vec<u8>) -> Result<T, StoreError> {
        serde_json::from_slice(&b).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
    }
    let (ids, next) = id_set::page_of(snapshot, list_key, from, limit)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(b) = snapshot.get(&state_key::storage_deal(id))? else {
            return Err(StoreError::Corrupt(format!("storage deal {id} missing")));
        };
        out.push(decode("storage deal", b)?);
    }
    Ok((out, next))
}

/// Storage escrow accounting: running totals plus what the escrow account holds.
pub fn storage_totals(store: &Store) -> Result<StorageAccounting, StoreError> {
    let totals: StorageTotals = get_json(store, &state_key::storage_totals())?.unwrap_or_default();
    let held = account(store, &module_account::storage_escrow())?.balance;
    Ok(StorageAccounting { totals, held })
}

/// Storage totals and the escrow balance: `escrowed = paid + refunded + held`, exactly.
pub type StorageAccounting = crate::bank::EscrowAccounting;

/// How many deals are not yet ended.
pub fn open_storage_deal_count(store: &Store) -> Result<u64, StoreError> {
    id_set::len(store, &state_key::storage_open_deals())
}
