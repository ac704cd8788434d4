//! What the oracle draws from the chain's beacon, so that every oracle of the set draws the
//! same thing and scores the same evidence: when each device is challenged, each challenge's
//! secret, and the groups a storage replica must prove.
//!
//! The beacon of a block is known to everyone once the block is committed, and to nobody
//! before (crates/ledger/src/beacon.rs). So an epoch's schedule comes from the beacon of the
//! epoch's first block, and each challenge's secret from the beacon of the block it opens at:
//! a device learns its seed no earlier than the oracles do. What a device could grind against
//! (which rows of its commitment are opened) stays drawn from each oracle's own key
//! (`sample_rows_keyed`), and scoring never depends on which rows an oracle drew.

use crate::clock::EpochClock;
use plexus_types::{Hash, PublicKey};

/// The height whose beacon draws `epoch`'s challenge schedule: the epoch's first block.
pub(crate) fn schedule_height(clock: &EpochClock, epoch: u64) -> u64 {
    (epoch - 1) * clock.epoch_blocks() + 1
}

/// The height whose beacon draws the groups `epoch`'s storage audit challenges: the first block
/// of the epoch's second interval, after which the audit runs.
pub(crate) fn storage_height(clock: &EpochClock, epoch: u64) -> u64 {
    schedule_height(clock, epoch) + clock.epoch_blocks() / u64::from(clock.intervals_per_epoch())
}

fn draw(context: &str, chain_id: &str, beacon: &Hash, parts: &[&[u8]]) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key(context);
    h.update(&(chain_id.len() as u64).to_le_bytes());
    h.update(chain_id.as_bytes());
    h.update(beacon.as_bytes());
    for part in parts {
        h.update(part);
    }
    *h.finalize().as_bytes()
}

/// The word that places challenge `k` of `device` in `epoch` within its part of the epoch,
/// from the beacon of the epoch's first block.
pub(crate) fn schedule_word(
    chain_id: &str,
    schedule_beacon: &Hash,
    device: &PublicKey,
    epoch: u64,
    k: u32,
) -> u64 {
    let bytes = draw(
        "plexus oracle challenge schedule v2",
        chain_id,
        schedule_beacon,
        &[device.as_bytes(), &epoch.to_le_bytes(), &k.to_le_bytes()],
    );
    u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"))
}

/// The secret of challenge `k` of `device` in `epoch`, from the beacon of the block the
/// challenge opens at.
pub(crate) fn challenge_secret(
    chain_id: &str,
    open_beacon: &Hash,
    device: &PublicKey,
    epoch: u64,
    k: u32,
) -> [u8; 32] {
    draw(
        "plexus oracle challenge secret v2",
        chain_id,
        open_beacon,
        &[device.as_bytes(), &epoch.to_le_bytes(), &k.to_le_bytes()],
    )
}

/// The secret a storage replica's challenge groups are drawn from in `epoch`, from the beacon
/// of [`storage_height`]: known to the device no earlier than to the oracles.
pub(crate) fn storage_seed(
    chain_id: &str,
    storage_beacon: &Hash,
    deal: u64,
    device: &PublicKey,
    epoch: u64,
) -> [u8; 32] {
    draw(
        "plexus oracle storage challenge v2",
        chain_id,
        storage_beacon,
        &[&deal.to_le_bytes(), device.as_bytes(), &epoch.to_le_bytes()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> PublicKey {
        plexus_types::SecretKey::from_seed([n; 32]).public_key()
    }

    #[test]
    fn draws_depend_on_the_beacon_and_on_nothing_an_oracle_holds() {
        let (a, b) = (Hash::of(b"block 1"), Hash::of(b"block 2"));
        assert_eq!(
            challenge_secret("c", &a, &key(1), 1, 0),
            challenge_secret("c", &a, &key(1), 1, 0)
        );
        assert_ne!(
            challenge_secret("c", &a, &key(1), 1, 0),
            challenge_secret("c", &b, &key(1), 1, 0)
        );
        assert_ne!(
            challenge_secret("c", &a, &key(1), 1, 0),
            challenge_secret("c", &a, &key(1), 1, 1)
        );
        assert_ne!(
            schedule_word("c", &a, &key(1), 1, 0),
            schedule_word("c", &a, &key(2), 1, 0)
        );
    }
}
