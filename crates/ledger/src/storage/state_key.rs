//! The storage market's state keys.

use plexus_types::Hash;

/// Number of storage deals ever made; the next deal's id.
pub fn storage_deal_count() -> Vec<u8> {
    b"storage/deal_count".to_vec()
}

/// A storage deal, by id.
pub fn storage_deal(id: u64) -> Vec<u8> {
    let mut k = b"storage/deal/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Ids of the deals not yet ended, in the order they were made.
pub fn storage_open_deals() -> Vec<u8> {
    b"storage/open".to_vec()
}

/// Ids of every deal ever made for a blob.
pub fn storage_blob_deals(blob: &Hash) -> Vec<u8> {
    let mut k = b"storage/blob/".to_vec();
    k.extend_from_slice(&blob.0);
    k
}

/// Keys of every device registered under a storage class, in registration order.
pub fn storage_providers() -> Vec<u8> {
    b"storage/providers".to_vec()
}

/// Replicas of a deal reported failing in an epoch, with the oracles that reported each.
pub fn storage_audit(epoch: u64, deal: u64) -> Vec<u8> {
    let mut k = b"storage/audit/".to_vec();
    k.extend_from_slice(&epoch.to_be_bytes());
    k.extend_from_slice(&deal.to_be_bytes());
    k
}

/// Running totals of storage escrow deposited, paid and refunded.
pub fn storage_totals() -> Vec<u8> {
    b"storage/totals".to_vec()
}
