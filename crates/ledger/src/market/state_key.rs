//! The compute market's state keys.

use plexus_types::Address;

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

/// The set of orders that have not ended (an id set, see `id_set`).
pub fn market_live() -> Vec<u8> {
    b"market/live/".to_vec()
}

/// The orders a block's end looks at: those a transaction of that block touched, or that
/// something is due for at that height (a list of ids, see `id_set`).
pub fn market_due(height: u64) -> Vec<u8> {
    let mut k = b"market/due/".to_vec();
    k.extend_from_slice(&height.to_be_bytes());
    k.push(b'/');
    k
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

/// A consumer's orders, oldest first (a list of ids, see `id_set`).
pub fn market_owner_orders(owner: &Address) -> Vec<u8> {
    let mut k = b"market/owner/".to_vec();
    k.extend_from_slice(owner.as_bytes());
    k.push(b'/');
    k
}
