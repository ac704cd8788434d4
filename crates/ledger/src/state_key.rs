//! Every key the ledger writes, named in one place. Nothing else builds state keys.

use crate::genesis::ResourceClass;
use plexus_types::{Address, Hash, PublicKey};

/// An account: balance and next nonce.
pub fn account(address: &Address) -> Vec<u8> {
    let mut k = b"bank/account/".to_vec();
    k.extend_from_slice(address.as_bytes());
    k
}

/// Total tokens in existence.
pub fn supply() -> Vec<u8> {
    b"bank/supply".to_vec()
}

/// The chain id and parameters fixed at genesis.
pub fn chain_info() -> Vec<u8> {
    b"chain/info".to_vec()
}

/// Height and time of the last executed block.
pub fn last_block() -> Vec<u8> {
    b"chain/last_block".to_vec()
}

/// Number of transactions committed since genesis (successful or failed with a fee).
pub fn txs_committed() -> Vec<u8> {
    b"chain/txs_committed".to_vec()
}

/// Side index (not part of the app hash): the result of a committed transaction.
pub fn tx_result(hash: &Hash) -> Vec<u8> {
    let mut k = b"tx/".to_vec();
    k.extend_from_slice(&hash.0);
    k
}

/// A registered device, by its public key.
pub fn device(device: &PublicKey) -> Vec<u8> {
    let mut k = b"registry/device/".to_vec();
    k.extend_from_slice(device.as_bytes());
    k
}

/// Number of devices ever registered.
pub fn device_count() -> Vec<u8> {
    b"registry/count".to_vec()
}

/// The `index`-th device registered (for listing without iterating the tree).
pub fn device_by_index(index: u64) -> Vec<u8> {
    let mut k = b"registry/index/".to_vec();
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// The last epoch that has ended (0 before the first).
pub fn last_epoch() -> Vec<u8> {
    b"epochs/last".to_vec()
}

/// What an ended epoch minted and how it split.
pub fn epoch(epoch: u64) -> Vec<u8> {
    let mut k = b"epochs/record/".to_vec();
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}

/// The reward pool of one epoch and resource class, with its manifest and claims so far.
pub fn pool(epoch: u64, resource: ResourceClass) -> Vec<u8> {
    let mut k = b"rewards/pool/".to_vec();
    k.extend_from_slice(&epoch.to_be_bytes());
    k.extend_from_slice(resource.as_str().as_bytes());
    k
}

/// One oracle's manifest submission for an epoch and class.
pub fn manifest_vote(epoch: u64, resource: ResourceClass, oracle: &Address) -> Vec<u8> {
    let mut k = b"rewards/vote/".to_vec();
    k.extend_from_slice(&epoch.to_be_bytes());
    k.extend_from_slice(resource.as_str().as_bytes());
    k.push(b'/');
    k.extend_from_slice(oracle.as_bytes());
    k
}

/// Whether a device's reward of an epoch and class has been claimed.
pub fn claim(epoch: u64, resource: ResourceClass, device: &PublicKey) -> Vec<u8> {
    let mut k = b"rewards/claimed/".to_vec();
    k.extend_from_slice(&epoch.to_be_bytes());
    k.extend_from_slice(resource.as_str().as_bytes());
    k.push(b'/');
    k.extend_from_slice(device.as_bytes());
    k
}

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

/// Running totals of minted, paid, forfeited, dust and unclaimed rewards.
pub fn reward_totals() -> Vec<u8> {
    b"rewards/totals".to_vec()
}

/// Number of training tasks ever made; the next task's id.
pub fn training_task_count() -> Vec<u8> {
    b"training/task_count".to_vec()
}

/// A training task, by id.
pub fn training_task(id: u64) -> Vec<u8> {
    let mut k = b"training/task/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Running totals of training escrow deposited, paid and refunded.
pub fn training_totals() -> Vec<u8> {
    b"training/totals".to_vec()
}

/// Number of compute orders, bids and leases ever made; the next id of each.
pub fn market_count(kind: &str) -> Vec<u8> {
    format!("market/count/{kind}").into_bytes()
}

/// A compute order, by id.
pub fn market_order(id: u64) -> Vec<u8> {
    let mut k = b"market/order/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// A bid, by id.
pub fn market_bid(id: u64) -> Vec<u8> {
    let mut k = b"market/bid/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// A lease, by id.
pub fn market_lease(id: u64) -> Vec<u8> {
    let mut k = b"market/lease/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The ids of orders that have not ended, ascending: the orders each block's end looks at.
pub fn market_live_orders() -> Vec<u8> {
    b"market/live".to_vec()
}

/// A provider's record of checked results.
pub fn market_provider(provider: &Address) -> Vec<u8> {
    let mut k = b"market/provider/".to_vec();
    k.extend_from_slice(provider.as_bytes());
    k
}

/// Running totals of market escrow and bonds.
pub fn market_totals() -> Vec<u8> {
    b"market/totals".to_vec()
}

/// The ids of a consumer's orders, oldest first.
pub fn market_owner_orders(owner: &Address) -> Vec<u8> {
    let mut k = b"market/owner/".to_vec();
    k.extend_from_slice(owner.as_bytes());
    k
}
