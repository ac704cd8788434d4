//! The storage market's state keys.

use plexus_types::{Hash, PublicKey};

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

/// The id set of the deals not yet ended.
pub fn storage_open_deals() -> Vec<u8> {
    b"storage/open/".to_vec()
}

/// The id list of every deal ever made for a blob, oldest first.
pub fn storage_blob_deals(blob: &Hash) -> Vec<u8> {
    let mut k = b"storage/blob/".to_vec();
    k.extend_from_slice(&blob.0);
    k.push(b'/');
    k
}

/// How many open deals of `blob` assign `device` (absent when none).
pub fn storage_holds(blob: &Hash, device: &PublicKey) -> Vec<u8> {
    let mut k = b"storage/holds/".to_vec();
    k.extend_from_slice(&blob.0);
    k.extend_from_slice(device.as_bytes());
    k
}

/// The id set of the open deals that assign `device`.
pub fn storage_device_deals(device: &PublicKey) -> Vec<u8> {
    let mut k = b"storage/device/".to_vec();
    k.extend_from_slice(device.as_bytes());
    k.push(b'/');
    k
}

/// The id set of storage-class devices that may be assigned, by registry index
/// ([`crate::registry::state_key::device_by_index`]).
pub fn storage_providers() -> Vec<u8> {
    b"storage/providers/".to_vec()
}

/// The id list of the deals to settle when `epoch` ends (each covers it).
pub fn storage_due(epoch: u64) -> Vec<u8> {
    let mut k = b"storage/due/".to_vec();
    k.extend_from_slice(&epoch.to_be_bytes());
    k.push(b'/');
    k
}

/// How far the settlement of ended epochs has come.
pub fn storage_settlement() -> Vec<u8> {
    b"storage/settlement".to_vec()
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
