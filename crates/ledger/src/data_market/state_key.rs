//! The data market's state keys.

use plexus_types::{Address, PublicKey};

fn key(kind: &str, epoch: u64, name: &str) -> Vec<u8> {
    let mut k = format!("data_market/{kind}/").into_bytes();
    k.extend_from_slice(&epoch.to_be_bytes());
    k.extend_from_slice(&(name.len() as u32).to_be_bytes());
    k.extend_from_slice(name.as_bytes());
    k
}

/// One oracle's submission of a data set's manifest.
pub fn vote(epoch: u64, name: &str, oracle: &Address) -> Vec<u8> {
    let mut k = key("vote", epoch, name);
    k.extend_from_slice(oracle.as_bytes());
    k
}

/// A final data set.
pub fn set(epoch: u64, name: &str) -> Vec<u8> {
    key("set", epoch, name)
}

/// How many data sets of an epoch are final.
pub fn set_count(epoch: u64) -> Vec<u8> {
    let mut k = b"data_market/count/".to_vec();
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}

/// The name of an epoch's `n`th final data set.
pub fn set_at(epoch: u64, n: u64) -> Vec<u8> {
    let mut k = b"data_market/at/".to_vec();
    k.extend_from_slice(&epoch.to_be_bytes());
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// What a device has been paid of a data set's revenue.
pub fn paid(epoch: u64, name: &str, device: &PublicKey) -> Vec<u8> {
    let mut k = key("paid", epoch, name);
    k.extend_from_slice(device.as_bytes());
    k
}

/// A buyer's purchase of a data set.
pub fn sale(epoch: u64, name: &str, buyer: &Address) -> Vec<u8> {
    let mut k = key("sale", epoch, name);
    k.extend_from_slice(buyer.as_bytes());
    k
}

/// The market's totals.
pub fn totals() -> Vec<u8> {
    b"data_market/totals".to_vec()
}
