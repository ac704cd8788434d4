//! The epochs' state keys.

use crate::genesis::ResourceClass;

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

/// Running totals of minted, paid, forfeited, dust and unclaimed rewards.
pub fn reward_totals() -> Vec<u8> {
    b"rewards/totals".to_vec()
}
