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
//! - Assignment rule (`rank_providers`): the candidates for a blob are the members of the
//!   provider set (storage-class devices, by registration; a member found no longer active
//!   leaves it) in the slots that `sample_slots` draws from the blob: all of them while
//!   there are at most `SAMPLE_PER_REPLICA × replicas`, that many drawn otherwise. The
//!   eligible candidates are the active ones that do not already hold the blob for another
//!   open deal, ranked by blake3("plexus/storage-rank" ‖ blob id ‖ device key), lowest first;
//!   a deal takes the first `replicas`. Anyone can recompute the assignment from the chain.
//! - Term rule: a deal made during epoch `e` covers epochs `e + 2 ..= e + 1 + epochs`, so
//!   the providers have at least the whole of epoch `e + 1` to fetch the blob before their
//!   first challenge.
//! - Audit rule (`audit`): during an epoch, oracles challenge every assigned replica of the
//!   deals it covers and report the ones that did not answer with a verified slice in time.
//!   A replica reported for the epoch in progress by the oracle set's threshold of distinct
//!   oracles has failed that epoch.
//! - Settlement (`settle`): the deals covering an epoch are settled after it ends, in the
//!   order they were scheduled, at most `SETTLE_PER_BLOCK` deals at the end of each block
//!   (the block that ends the epoch first), so a block's end costs the same however many
//!   deals are open. Each deal is scheduled for its first covered epoch when made, and for
//!   the next epoch each time one of its epochs is settled and it goes on.
//! - Payment rule (`settle`): when a covered epoch is settled, each assigned provider whose
//!   device is still active (when the deal is settled, in the epoch's first blocks) and whose
//!   replica did not fail that epoch is paid `price_per_replica_epoch`, to its owner, from
//!   escrow. Then each provider that is no longer active or whose replica failed is replaced
//!   by the next eligible device in rank order that has not failed this deal before, if
//!   there is one; what an unpaid replica would have cost stays in escrow until the refund.
//! - Handover rule (`replace_departed`): a replacement assigned when epoch `e` is settled
//!   has epoch `e + 1` to fetch the blob from the other replicas, unpaid and unchallenged,
//!   and serves (is challenged and paid) from epoch `e + 2` on. So a replica lost in epoch
//!   `k` is found by the audit of epoch `k` (or `k + 1`, if it was lost after that audit),
//!   reassigned when that epoch is settled, and a verified copy is back by the audit two
//!   epochs later: within three epochs of the loss.
//! - Expiry rule (`settle`): when the last covered epoch is settled, what the deal left in
//!   escrow is refunded to the client, so that `escrow = paid + refunded` for every ended
//!   deal, exactly.

mod actions;
mod providers;
pub mod query;
mod settle;
pub mod state_key;

pub(crate) use actions::{audit, create_deal};
pub(crate) use providers::device_registered;
pub use providers::{assignment, rank, sample_slots, spread, Candidate, SAMPLE_PER_REPLICA};
pub use settle::SETTLE_PER_BLOCK;
pub(crate) use settle::{epoch_ended, settle};

use crate::bank::{module_account, Escrow, EscrowTotals};
use crate::codes::TxFailure;
use crate::genesis::{ChainInfo, ResourceClass};
use crate::overlay::StateOverlay;
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
