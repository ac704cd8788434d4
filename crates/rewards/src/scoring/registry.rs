//! The device registry as scoring sees it: devices in key order, each known by its position
//! in that order (its slot), and a directory that finds a key's slot.
//!
//! Every evidence record is resolved to a slot, tens of millions per epoch, so lookups are
//! built for that. Keys are ed25519 encodings, as good as random, so their leading bits spread
//! them evenly: a directory indexed by those bits points at a run of about one key, and a
//! lookup is a read of the directory and a read of the key. Keys ground to share leading bits
//! only lengthen their own run, which is binary-searched, so no input makes a lookup cost
//! more than O(log n). Nothing here is hashed or seeded: lookups are deterministic throughout.

use crate::error::RewardsError;
use crate::scoring::DeviceInfo;
use plexus_types::PublicKey;
use rayon::prelude::*;

pub(super) struct Registry {
    /// (device key, index into the caller's slice), sorted by key: slot s is `by_key[s]`.
    pub by_key: Vec<(PublicKey, u32)>,
    /// The keys alone, in slot order, for lookups.
    keys: Vec<[u8; 32]>,
    /// `directory[b]` is the first slot whose key's top `bits` bits are at least `b`, so the
    /// keys of bucket b are in slots `directory[b]..directory[b + 1]`.
    directory: Vec<u32>,
    /// About log₂ of the number of devices, so that a bucket holds about one key.
    bits: u32,
}

impl Registry {
    /// Fails when a device is registered twice or there are `u32::MAX` devices or more.
    pub fn new(devices: &[DeviceInfo]) -> Result<Registry, RewardsError> {
        if u32::try_from(devices.len()).is_err() || devices.len() == u32::MAX as usize {
            return Err(RewardsError::TooManyDevices {
                found: devices.len(),
            });
        }
        let mut by_key: Vec<(PublicKey, u32)> = devices
            .iter()
            .enumerate()
            .map(|(i, d)| (d.device, i as u32))
            .collect();
        by_key.par_sort_unstable();
        if let Some(pair) = by_key.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(RewardsError::DuplicateDevice(pair[0].0));
        }
        let keys: Vec<[u8; 32]> = by_key.iter().map(|(k, _)| *k.as_bytes()).collect();
        let bits = (usize::BITS - by_key.len().leading_zeros()).min(MAX_DIRECTORY_BITS);
        let mut directory = vec![0u32; (1usize << bits) + 1];
        let mut slot = 0usize;
        for (b, first) in directory.iter_mut().enumerate() {
            while slot < keys.len() && bucket(&keys[slot], bits) < b {
                slot += 1;
            }
            *first = slot as u32;
        }
        Ok(Registry {
            by_key,
            keys,
            directory,
            bits,
        })
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// The slots of many keys at once: `slots[i]` for `keys[i]`, at most [`LOOKUP_BATCH`].
    ///
    /// Nearly every lookup misses the cache. Reading a batch's directory entries before
    /// comparing any key gives the processor a run of independent loads to overlap, instead of
    /// one miss at a time.
    pub fn slots<'k>(
        &self,
        keys: impl Iterator<Item = &'k PublicKey> + Clone,
        slots: &mut [Option<u32>],
    ) {
        debug_assert!(slots.len() <= LOOKUP_BATCH);
        let mut ranges = [(0u32, 0u32); LOOKUP_BATCH];
        for (range, key) in ranges.iter_mut().zip(keys.clone()) {
            let b = bucket(key.as_bytes(), self.bits);
            *range = (self.directory[b], self.directory[b + 1]);
        }
        for ((slot, key), (lo, hi)) in slots.iter_mut().zip(keys).zip(ranges) {
            *slot = self.find(key, lo as usize, hi as usize);
        }
    }

    /// The slot of `key` among slots `lo..hi`, which hold every key of its bucket.
    fn find(&self, key: &PublicKey, lo: usize, hi: usize) -> Option<u32> {
        let candidates = &self.keys[lo..hi];
        // Runs are about one key long; a scan beats a search until one grows.
        if candidates.len() <= 4 {
            candidates
                .iter()
                .position(|k| k == key.as_bytes())
                .map(|i| (lo + i) as u32)
        } else {
            candidates
                .binary_search(key.as_bytes())
                .ok()
                .map(|i| (lo + i) as u32)
        }
    }

    /// The slot of `key`, if it is registered.
    #[cfg(test)]
    pub fn slot(&self, key: &PublicKey) -> Option<u32> {
        let b = bucket(key.as_bytes(), self.bits);
        self.find(
            key,
            self.directory[b] as usize,
            self.directory[b + 1] as usize,
        )
    }
}

/// The directory has at most 2²⁴ + 1 entries (64 MiB): past 2²⁴ devices, runs grow instead.
const MAX_DIRECTORY_BITS: u32 = 24;

/// Keys resolved together by [`Registry::slots`]: enough independent loads to keep the
/// processor's outstanding-miss slots busy.
pub(super) const LOOKUP_BATCH: usize = 32;

/// The top `bits` bits of `key` in byte order, which is the order of slots.
fn bucket(key: &[u8; 32], bits: u32) -> usize {
    (u64::from(u32::from_be_bytes([key[0], key[1], key[2], key[3]])) >> (32 - bits)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::Address;

    fn device(key: [u8; 32]) -> DeviceInfo {
        DeviceInfo {
            device: PublicKey::from_slice(&key).unwrap(),
            owner: Address([0; 20]),
            class: "cpu-small".into(),
            capacity_units: 1,
            site: None,
            sensor: None,
        }
    }

    #[test]
    fn keys_that_share_their_leading_bytes_still_resolve_to_their_own_slots() {
        // All share their leading bytes, so they share one directory bucket.
        let shared = |last: u8| {
            let mut key = [7u8; 32];
            key[31] = last;
            PublicKey::from_slice(&key).unwrap()
        };
        let devices: Vec<DeviceInfo> = (0..100u8).map(|i| device(*shared(i).as_bytes())).collect();
        let registry = Registry::new(&devices).unwrap();
        let mut asked: Vec<PublicKey> = (90..130u8).rev().map(shared).collect();
        asked.push(PublicKey::from_slice(&[9; 32]).unwrap());
        for batch in asked.chunks(LOOKUP_BATCH) {
            let mut slots = [None; LOOKUP_BATCH];
            registry.slots(batch.iter(), &mut slots[..batch.len()]);
            for (key, slot) in batch.iter().zip(slots) {
                assert_eq!(slot, registry.slot(key));
                match slot {
                    Some(s) => assert_eq!(registry.by_key[s as usize].0, *key),
                    None => assert!(!devices.iter().any(|d| d.device == *key)),
                }
            }
        }
        for (slot, (key, _)) in registry.by_key.iter().enumerate() {
            assert_eq!(registry.slot(key), Some(slot as u32));
        }
    }

    #[test]
    fn every_registered_key_resolves_and_no_other_does_in_registries_of_any_size() {
        let key =
            |n: u64| PublicKey::from_slice(blake3::hash(&n.to_le_bytes()).as_bytes()).unwrap();
        for size in [0u64, 1, 2, 3, 17, 1_000] {
            let devices: Vec<DeviceInfo> = (0..size).map(|n| device(*key(n).as_bytes())).collect();
            let registry = Registry::new(&devices).unwrap();
            let asked: Vec<PublicKey> = (0..size + 40).map(key).collect();
            for batch in asked.chunks(LOOKUP_BATCH) {
                let mut slots = [None; LOOKUP_BATCH];
                registry.slots(batch.iter(), &mut slots[..batch.len()]);
                for (key, slot) in batch.iter().zip(slots) {
                    let registered = devices.iter().any(|d| d.device == *key);
                    assert_eq!(slot.is_some(), registered);
                    if let Some(s) = slot {
                        assert_eq!(registry.by_key[s as usize].0, *key);
                    }
                }
            }
        }
    }

    #[test]
    fn a_device_registered_twice_is_refused() {
        let devices = [device([1; 32]), device([2; 32]), device([1; 32])];
        assert!(matches!(
            Registry::new(&devices),
            Err(RewardsError::DuplicateDevice(_))
        ));
    }
}
