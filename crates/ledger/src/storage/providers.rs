//! Who may keep a blob: the set of storage-class devices, the bounded sample of it that one
//! blob's assignment looks at, and which devices already hold the blob for an open deal.
//!
//! Assignment reads at most [`SAMPLE_PER_REPLICA`] candidates per replica asked, however many
//! storage devices there are, so a deal's creation and a replacement cost the same on a
//! chain of ten devices and of a million.

use super::{corrupt, state_key};
use crate::codes::TxFailure;
use crate::genesis::ChainInfo;
use crate::id_set::IdSet;
use crate::overlay::StateOverlay;
use crate::registry::{self, DeviceStatus};
use plexus_store::StoreError;
use plexus_types::{Address, Hash, PublicKey};

/// Candidates drawn per replica asked. Above `SAMPLE_PER_REPLICA × replicas` providers, a
/// blob's assignment ranks only that many slots of the provider set, drawn from the blob.
pub const SAMPLE_PER_REPLICA: u64 = 8;

fn provider_set() -> IdSet {
    IdSet(state_key::storage_providers())
}

/// The registry's hook, right after a device of `class` registered: records it, by its
/// registry index (the last), if the class keeps blobs.
pub(crate) fn device_registered(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    class: &str,
) -> Result<(), TxFailure> {
    if !super::is_storage_class(info, class) {
        return Ok(());
    }
    let index = state
        .get_u64(&registry::state_key::device_count())?
        .checked_sub(1)
        .ok_or_else(|| corrupt("a device registered without an index"))?;
    Ok(provider_set().insert(state, index)?)
}

/// The rank of a device for a blob (assignment rule): lower is better.
pub fn rank(blob: &Hash, device: &PublicKey) -> Hash {
    let mut input = b"plexus/storage-rank".to_vec();
    input.extend_from_slice(&blob.0);
    input.extend_from_slice(device.as_bytes());
    Hash::of(&input)
}

/// The slots of a provider set of `members` that the assignment of `blob` for `replicas`
/// replicas looks at (assignment rule): every slot while there are at most
/// `SAMPLE_PER_REPLICA × replicas`, otherwise that many drawn by
/// blake3("plexus/storage-sample" ‖ blob id ‖ draw) mod `members`, repeats dropped.
pub fn sample_slots(blob: &Hash, replicas: u32, members: u64) -> Vec<u64> {
    let draws = SAMPLE_PER_REPLICA.saturating_mul(replicas.max(1) as u64);
    if members <= draws {
        return (0..members).collect();
    }
    let mut slots: Vec<u64> = (0..draws)
        .map(|draw| {
            let mut input = b"plexus/storage-sample".to_vec();
            input.extend_from_slice(&blob.0);
            input.extend_from_slice(&draw.to_be_bytes());
            let h = Hash::of(&input);
            let mut head = [0u8; 8];
            head.copy_from_slice(&h.0[..8]);
            u64::from_be_bytes(head) % members
        })
        .collect();
    slots.sort_unstable();
    slots.dedup();
    slots
}

/// A storage device as the assignment rule sees it: its key, its owner and the endpoint it
/// declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub key: PublicKey,
    pub owner: Address,
    pub endpoint: String,
}

impl Candidate {
    /// The endpoint compared for the spread rule: ASCII-lowercased, without a trailing `/`;
    /// `None` for a device that declares none (it fails every audit anyway).
    fn place(&self) -> Option<String> {
        let e = self
            .endpoint
            .trim()
            .trim_end_matches('/')
            .to_ascii_lowercase();
        (!e.is_empty()).then_some(e)
    }
}

/// Spread rule: of `ranked` (best first), those that share neither an owner nor a declared
/// endpoint with a device of `beside` (the deal's replicas that stay) or with a better one
/// kept, so that one owner or one server keeps at most one replica of a deal and is paid as
/// one.
pub fn spread(ranked: Vec<Candidate>, beside: &[Candidate]) -> Vec<PublicKey> {
    let mut owners: Vec<Address> = beside.iter().map(|c| c.owner).collect();
    let mut places: Vec<String> = beside.iter().filter_map(Candidate::place).collect();
    let mut out = Vec::new();
    for c in ranked {
        let place = c.place();
        if owners.contains(&c.owner) || place.as_ref().is_some_and(|p| places.contains(p)) {
            continue;
        }
        owners.push(c.owner);
        places.extend(place);
        out.push(c.key);
    }
    out
}

/// The assignment rule off chain: the devices a new deal for `blob` takes, given the
/// provider set's members in slot order, all active and none holding the blob yet.
pub fn assignment(blob: &Hash, replicas: u32, members: &[Candidate]) -> Vec<PublicKey> {
    let mut sampled: Vec<(Hash, Candidate)> = sample_slots(blob, replicas, members.len() as u64)
        .into_iter()
        .map(|slot| members[slot as usize].clone())
        .map(|c| (rank(blob, &c.key), c))
        .collect();
    sampled.sort_by_key(|s| s.0);
    let ranked = sampled.into_iter().map(|(_, c)| c).collect();
    let mut taken = spread(ranked, &[]);
    taken.truncate(replicas as usize);
    taken
}

/// Whether `device` keeps `blob` for an open deal.
fn holds(state: &StateOverlay<'_>, blob: &Hash, device: &PublicKey) -> Result<bool, StoreError> {
    Ok(state.get_u64(&state_key::storage_holds(blob, device))? > 0)
}

/// Records `devices` as assigned to (`joined`) or released from open deal `deal` of `blob`:
/// the count of open deals of the blob each holds, and each device's set of open deals.
pub(super) fn record_assignment(
    state: &mut StateOverlay<'_>,
    deal: u64,
    blob: &Hash,
    devices: &[PublicKey],
    joined: bool,
) -> Result<(), TxFailure> {
    for device in devices {
        let key = state_key::storage_holds(blob, device);
        let n = state.get_u64(&key)?;
        let n = if joined {
            n.checked_add(1)
                .ok_or_else(|| corrupt("a holder count overflows"))?
        } else {
            n.checked_sub(1)
                .ok_or_else(|| corrupt("a holder count below zero"))?
        };
        if n == 0 {
            state.remove(key);
        } else {
            state.set_u64(key, n);
        }
        let deals = IdSet(state_key::storage_device_deals(device));
        if joined {
            deals.insert(state, deal)?;
        } else {
            deals.remove(state, deal)?;
        }
    }
    Ok(())
}

/// The eligible providers of `blob` among its sample for `replicas` replicas, best first
/// (assignment rule): active, not holding the blob for an open deal, not in `exclude`, and
/// spread (see [`spread`]) from each other and from `beside`, the deal's replicas that stay.
/// Sampled devices that are no longer active (none comes back) leave the provider set.
pub(super) fn rank_providers(
    state: &mut StateOverlay<'_>,
    blob: &Hash,
    replicas: u32,
    exclude: &[PublicKey],
    beside: &[PublicKey],
) -> Result<Vec<PublicKey>, TxFailure> {
    let set = provider_set();
    let mut ranked = Vec::new();
    let mut gone = Vec::new();
    for slot in sample_slots(blob, replicas, set.len(state)?) {
        let index = set.at(state, slot)?;
        let key = state
            .get(&registry::state_key::device_by_index(index))?
            .and_then(|b| PublicKey::from_slice(&b).ok())
            .ok_or_else(|| corrupt("a provider without its registry index"))?;
        let Some(device) = registry::load(state, &key)? else {
            return Err(corrupt("a provider not registered"));
        };
        // No device becomes active again once it is not.
        if device.status != DeviceStatus::Active {
            gone.push(index);
            continue;
        }
        if exclude.contains(&key) || holds(state, blob, &key)? {
            continue;
        }
        ranked.push((rank(blob, &key), candidate(key, &device)));
    }
    for index in gone {
        set.remove(state, index)?;
    }
    ranked.sort_by_key(|r| r.0);
    let mut staying = Vec::with_capacity(beside.len());
    for key in beside {
        let device =
            registry::load(state, key)?.ok_or_else(|| corrupt("a replica not registered"))?;
        staying.push(candidate(*key, &device));
    }
    Ok(spread(
        ranked.into_iter().map(|(_, c)| c).collect(),
        &staying,
    ))
}

fn candidate(key: PublicKey, device: &registry::Device) -> Candidate {
    Candidate {
        key,
        owner: device.owner,
        endpoint: device.capabilities.endpoint.clone(),
    }
}
