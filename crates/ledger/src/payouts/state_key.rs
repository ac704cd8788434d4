//! The payouts' state keys.

use crate::genesis::ResourceClass;
use plexus_types::{Address, PublicKey};

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
