//! Storage deals: a client pays, from escrow, for `replicas` copies of a blob kept for
//! `epochs` epochs by storage-class devices that the ledger assigns.
//!
//! Rules (each is implemented by the function named beside it):
//! - Size rule (`create_deal`): the deal carries a proof that the blob is `size` bytes long
//!   (its last chunk and the hashes left of it, see `plexus_types::blob_size`); a deal whose
//!   proof does not recompute the blob id fails with `bad_proof` and changes nothing, so no
//!   replica is ever audited against a size that is not the blob's.
//! - Escrow rule (`create_deal`): the client deposits `price_per_replica_epoch × replicas ×
//!   epochs` into the storage escrow account when the deal is made; the deal is refused
//!   whole if that product overflows or the client cannot pay it.
//! - Assignment rule (`rank_providers`): the eligible providers of a blob are the active
//!   devices of a storage class that do not already hold the blob for another open deal,
//!   ranked by blake3("plexus/storage-rank" ‖ blob id ‖ device key), lowest first; a deal
//!   takes the first `replicas`. Anyone can recompute the assignment from the chain.
//! - Term rule: a deal made during epoch `e` covers epochs `e + 2 ..= e + 1 + epochs`, so
//!   the providers have at least the whole of epoch `e + 1` to fetch the blob before their
//!   first challenge.
//! - Audit rule (`audit`): during an epoch, oracles challenge every assigned replica of the
//!   deals it covers and report the ones that did not answer with a verified slice in time.
//!   A replica reported for the epoch in progress by the oracle set's threshold of distinct
//!   oracles has failed that epoch.
//! - Payment rule (`end_epoch`): when a covered epoch ends, each assigned provider whose
//!   device is still active and whose replica did not fail that epoch is paid
//!   `price_per_replica_epoch`, to its owner, from escrow. Then each provider that is no
//!   longer active or whose replica failed is replaced by the next eligible device in rank
//!   order that has not failed this deal before, if there is one; what an unpaid replica
//!   would have cost stays in escrow until the refund.
//! - Handover rule (`replace_departed`): a replacement assigned when epoch `e` ends has epoch
//!   `e + 1` to fetch the blob from the other replicas, unpaid and unchallenged, and serves
//!   (is challenged and paid) from epoch `e + 2` on. So a replica lost in epoch `k` is found
//!   by the audit of epoch `k` (or `k + 1`, if it was lost after that audit), reassigned when
//!   that epoch ends, and a verified copy is back by the audit two epochs later: within
//!   three epochs of the loss.
//! - Expiry rule (`end_epoch`): when the last covered epoch ends, what the deal left in
//!   escrow is refunded to the client, so that `escrow = paid + refunded` for every ended
//!   deal, exactly.

mod actions;
mod end_epoch;
pub mod query;
pub mod state_key;

pub(crate) use actions::{audit, create_deal};
pub(crate) use end_epoch::end_epoch;

use crate::bank::{module_account, Escrow, EscrowTotals};
use crate::codes::TxFailure;
use crate::genesis::{ChainInfo, ResourceClass};
use crate::overlay::StateOverlay;
use crate::registry::{self, DeviceStatus};
use plexus_store::StoreError;
use plexus_types::{Address, Amount, Hash, PublicKey};
use serde::{Deserialize, Serialize};

/// Where a deal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    /// Inside its term, or waiting for its first covered epoch.
    Open,
    /// Its last covered epoch has ended and the rest of its escrow was refunded.
    Ended { at_epoch: u64 },
}

/// A storage deal as the chain keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageDeal {
    pub id: u64,
    /// Who pays, and who gets the refund.
    pub client: Address,
    /// The blob's id: the blake3 hash of its bytes.
    pub blob: Hash,
    pub size: u64,
    pub replicas: u32,
    pub price_per_replica_epoch: Amount,
    /// First and last epochs the deal pays for.
    pub first_epoch: u64,
    pub last_epoch: u64,
    /// Deposited when the deal was made.
    pub escrow: Amount,
    /// Paid to providers so far.
    pub paid: Amount,
    /// Returned to the client when the deal ended.
    pub refunded: Amount,
    /// The devices assigned to keep a replica, best ranked first. A replica whose provider
    /// left and could not be replaced is dropped from the list.
    pub providers: Vec<PublicKey>,
    /// Replicas that failed an audit, in the order they failed; a device that failed a deal
    /// is never assigned to it again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<FailedReplica>,
    /// Replacements still in their handover: each serves from `first_epoch` on. A provider
    /// not listed has served since the deal's first epoch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handovers: Vec<Handover>,
    pub status: DealStatus,
    pub created_height: u64,
}

/// A replica that failed its audit in `epoch`, and was unpaid for it and reassigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedReplica {
    pub epoch: u64,
    pub device: PublicKey,
}

/// The oracles that reported one replica of a deal failing in one epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AuditMark {
    device: PublicKey,
    reporters: Vec<Address>,
}

/// A replacement provider and the first epoch it serves (is challenged and paid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    pub device: PublicKey,
    pub first_epoch: u64,
}

impl StorageDeal {
    /// Whether `device` keeps a replica for this deal in `epoch`: assigned, and past its
    /// handover if it is a replacement. Only such replicas are challenged and paid.
    pub fn serves_in(&self, device: &PublicKey, epoch: u64) -> bool {
        self.providers.contains(device)
            && self
                .handovers
                .iter()
                .find(|h| h.device == *device)
                .is_none_or(|h| h.first_epoch <= epoch)
    }

    /// Escrow not yet paid out or refunded.
    pub fn held(&self) -> Option<Amount> {
        self.escrow
            .checked_sub(self.paid.checked_add(self.refunded)?)
    }
}

/// Running totals of storage escrow: `escrowed = paid + refunded + held`, where `held` is
/// the storage escrow account's balance.
pub type StorageTotals = EscrowTotals;

/// Where deals' escrow is held.
fn escrow_account() -> Escrow {
    Escrow::new(module_account::storage_escrow(), "storage")
}

/// A storage invariant that does not hold: a transaction that would break it fails.
fn corrupt(what: &str) -> TxFailure {
    TxFailure::broken(format_args!("storage accounting: {what}"))
}

pub(crate) fn load_deal(
    state: &StateOverlay<'_>,
    id: u64,
) -> Result<Option<StorageDeal>, StoreError> {
    state.get_json(&state_key::storage_deal(id))
}

fn save_deal(state: &mut StateOverlay<'_>, deal: &StorageDeal) {
    state.set_json(state_key::storage_deal(deal.id), deal);
}

fn id_list(state: &StateOverlay<'_>, key: &[u8]) -> Result<Vec<u64>, StoreError> {
    Ok(state.get_json(key)?.unwrap_or_default())
}

fn totals(state: &StateOverlay<'_>) -> Result<StorageTotals, StoreError> {
    Ok(state
        .get_json(&state_key::storage_totals())?
        .unwrap_or_default())
}

/// Whether a device class keeps blobs.
fn is_storage_class(info: &ChainInfo, class: &str) -> bool {
    info.device_class(class)
        .is_some_and(|c| c.resource == ResourceClass::Storage)
}

/// The registry's hook: records a newly registered device of a storage class, so assignment
/// never scans other devices.
pub(crate) fn device_registered(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    key: &PublicKey,
    class: &str,
) -> Result<(), StoreError> {
    if !is_storage_class(info, class) {
        return Ok(());
    }
    let mut all: Vec<PublicKey> = state
        .get_json(&state_key::storage_providers())?
        .unwrap_or_default();
    all.push(*key);
    state.set_json(state_key::storage_providers(), &all);
    Ok(())
}

/// The rank of a device for a blob (assignment rule): lower is better.
pub fn rank(blob: &Hash, device: &PublicKey) -> Hash {
    let mut input = b"plexus/storage-rank".to_vec();
    input.extend_from_slice(&blob.0);
    input.extend_from_slice(device.as_bytes());
    Hash::of(&input)
}

/// Devices that already hold `blob` for an open deal.
fn holders(state: &StateOverlay<'_>, blob: &Hash) -> Result<Vec<PublicKey>, TxFailure> {
    let mut out = Vec::new();
    for id in id_list(state, &state_key::storage_blob_deals(blob))? {
        let deal = load_deal(state, id)?.ok_or_else(|| corrupt("indexed deal missing"))?;
        if deal.status == DealStatus::Open {
            out.extend(deal.providers);
        }
    }
    Ok(out)
}

/// The eligible providers of `blob`, best first (assignment rule), leaving out `exclude`.
fn rank_providers(
    state: &StateOverlay<'_>,
    blob: &Hash,
    exclude: &[PublicKey],
) -> Result<Vec<PublicKey>, StoreError> {
    let all: Vec<PublicKey> = state
        .get_json(&state_key::storage_providers())?
        .unwrap_or_default();
    let mut ranked = Vec::new();
    for key in all {
        if exclude.contains(&key) {
            continue;
        }
        let active = registry::load(state, &key)?.is_some_and(|d| d.status == DeviceStatus::Active);
        if active {
            ranked.push((rank(blob, &key), key));
        }
    }
    ranked.sort();
    Ok(ranked.into_iter().map(|(_, k)| k).collect())
}
