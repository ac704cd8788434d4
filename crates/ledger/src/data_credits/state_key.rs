//! Data credits' state keys.
//!
//! Per-epoch lists (hotspots, carriers, settled sessions) keep one entry per member under
//! `…/n` (the count) and `…/at/slot`, so a list grows at constant cost and reads page.

use plexus_types::{Address, PublicKey};

fn epoch_key(what: &[u8], epoch: u64) -> Vec<u8> {
    let mut k = b"data_credits/".to_vec();
    k.extend_from_slice(what);
    k.push(b'/');
    k.extend_from_slice(&epoch.to_be_bytes());
    k.push(b'/');
    k
}

fn slot(mut prefix: Vec<u8>, slot: u64) -> Vec<u8> {
    prefix.extend_from_slice(b"at");
    prefix.extend_from_slice(&slot.to_be_bytes());
    prefix
}

fn count(mut prefix: Vec<u8>) -> Vec<u8> {
    prefix.push(b'n');
    prefix
}

/// An account's data-credit balance.
pub fn data_credit_balance(holder: &Address) -> Vec<u8> {
    let mut k = b"data_credits/balance/".to_vec();
    k.extend_from_slice(holder.as_bytes());
    k
}

/// The epoch of the receipt that settled a subscriber's session, while it is remembered.
pub fn settled_session(subscriber: &PublicKey, session: u64) -> Vec<u8> {
    let mut k = b"data_credits/session/".to_vec();
    k.extend_from_slice(subscriber.as_bytes());
    k.extend_from_slice(&session.to_be_bytes());
    k
}

/// How many sessions whose receipts name `epoch` were settled.
pub fn settled_count(epoch: u64) -> Vec<u8> {
    count(epoch_key(b"settled", epoch))
}

/// The `n`-th session settled with a receipt of `epoch`: subscriber key ‖ session number.
pub fn settled_at(epoch: u64, n: u64) -> Vec<u8> {
    slot(epoch_key(b"settled", epoch), n)
}

/// What a hotspot carried in an epoch.
pub fn hotspot_data(epoch: u64, device: &PublicKey) -> Vec<u8> {
    let mut k = epoch_key(b"hotspot", epoch);
    k.extend_from_slice(device.as_bytes());
    k
}

/// How many hotspots carried data in an epoch.
pub fn hotspot_count(epoch: u64) -> Vec<u8> {
    count(epoch_key(b"hotspots", epoch))
}

/// The `n`-th hotspot that carried data in an epoch (its device key).
pub fn hotspot_at(epoch: u64, n: u64) -> Vec<u8> {
    slot(epoch_key(b"hotspots", epoch), n)
}

/// A carrier's usage report for an epoch.
pub fn carrier_usage(epoch: u64, carrier: &Address) -> Vec<u8> {
    let mut k = epoch_key(b"carrier", epoch);
    k.extend_from_slice(carrier.as_bytes());
    k
}

/// How many carriers report for an epoch.
pub fn carrier_count(epoch: u64) -> Vec<u8> {
    count(epoch_key(b"carriers", epoch))
}

/// The `n`-th carrier reporting for an epoch (its address).
pub fn carrier_at(epoch: u64, n: u64) -> Vec<u8> {
    slot(epoch_key(b"carriers", epoch), n)
}

/// An epoch's data traffic, summed.
pub fn epoch_data_summary(epoch: u64) -> Vec<u8> {
    epoch_key(b"summary", epoch)
}

/// An epoch's data pool.
pub fn data_pool(epoch: u64) -> Vec<u8> {
    epoch_key(b"pool", epoch)
}

/// What a hotspot's data claim of an epoch paid, once claimed.
pub fn data_claim(epoch: u64, device: &PublicKey) -> Vec<u8> {
    let mut k = epoch_key(b"claimed", epoch);
    k.extend_from_slice(device.as_bytes());
    k
}

/// Data credits since genesis.
pub fn data_credit_totals() -> Vec<u8> {
    b"data_credits/totals".to_vec()
}
