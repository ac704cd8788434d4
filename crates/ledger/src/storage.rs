//! Storage deals: a client pays, from escrow, for `replicas` copies of a blob kept for
//! `epochs` epochs by storage-class devices that the ledger assigns.
//!
//! Rules (each is implemented by the function named beside it):
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

use crate::bank::module_account;
use crate::codes::{TxCode, TxFailure};
use crate::genesis::{ChainInfo, ResourceClass};
use crate::overlay::StateOverlay;
use crate::registry::{self, DeviceStatus};
use crate::state_key;
use plexus_store::StoreError;
use plexus_types::{Address, Amount, Hash, PublicKey, StorageDealTerms, StorageFailure};
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
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StorageTotals {
    pub escrowed: Amount,
    pub paid: Amount,
    pub refunded: Amount,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("storage accounting: {what}"))
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
pub(crate) fn is_storage_class(info: &ChainInfo, class: &str) -> bool {
    info.device_class(class)
        .is_some_and(|c| c.resource == ResourceClass::Storage)
}

/// Records a newly registered storage device, so assignment never scans other devices.
pub(crate) fn add_provider(
    state: &mut StateOverlay<'_>,
    key: &PublicKey,
) -> Result<(), StoreError> {
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
fn holders(state: &StateOverlay<'_>, blob: &Hash) -> Result<Vec<PublicKey>, StoreError> {
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

/// Escrow rule, assignment rule and term rule: makes a deal for `client`.
pub(crate) fn create_deal(
    state: &mut StateOverlay<'_>,
    current_epoch: u64,
    height: u64,
    client: &Address,
    terms: &StorageDealTerms,
) -> Result<(), TxFailure> {
    let fail = |code, log: String| Err(TxFailure::new(code, log));
    let escrow = terms
        .price_per_replica_epoch
        .0
        .checked_mul(terms.replicas as u128)
        .and_then(|p| p.checked_mul(terms.epochs as u128))
        .map(Amount);
    let Some(escrow) = escrow else {
        return fail(
            TxCode::Overflow,
            "price × replicas × epochs exceeds the largest amount".into(),
        );
    };
    let exclude = holders(state, &terms.blob)?;
    let ranked = rank_providers(state, &terms.blob, &exclude)?;
    if ranked.len() < terms.replicas as usize {
        return fail(
            TxCode::NotEnoughProviders,
            format!(
                "{} replicas asked, {} active storage devices can take blob {}",
                terms.replicas,
                ranked.len(),
                terms.blob
            ),
        );
    }
    if !state.move_funds(client, &module_account::storage_escrow(), escrow)? {
        return fail(
            TxCode::InsufficientFunds,
            format!("client cannot deposit an escrow of {escrow} uplx"),
        );
    }
    let id = state.get_u64(&state_key::storage_deal_count())?;
    let deal = StorageDeal {
        id,
        client: *client,
        blob: terms.blob,
        size: terms.size,
        replicas: terms.replicas,
        price_per_replica_epoch: terms.price_per_replica_epoch,
        first_epoch: current_epoch + 2,
        last_epoch: current_epoch + 1 + terms.epochs,
        escrow,
        paid: Amount::ZERO,
        refunded: Amount::ZERO,
        providers: ranked[..terms.replicas as usize].to_vec(),
        failed: Vec::new(),
        handovers: Vec::new(),
        status: DealStatus::Open,
        created_height: height,
    };
    save_deal(state, &deal);
    state.set_u64(state_key::storage_deal_count(), id + 1);
    let mut by_blob = id_list(state, &state_key::storage_blob_deals(&terms.blob))?;
    by_blob.push(id);
    state.set_json(state_key::storage_blob_deals(&terms.blob), &by_blob);
    let mut open = id_list(state, &state_key::storage_open_deals())?;
    open.push(id);
    state.set_json(state_key::storage_open_deals(), &open);
    let mut t = totals(state)?;
    t.escrowed = t
        .escrowed
        .checked_add(escrow)
        .ok_or_else(|| corrupt("escrowed overflows"))?;
    state.set_json(state_key::storage_totals(), &t);
    Ok(())
}

/// Audit rule: records `oracle`'s report of the replicas that failed in `audited`, which
/// must be the epoch in progress. Every listed replica must be assigned by an open deal that
/// covers the epoch; otherwise nothing is recorded.
pub(crate) fn audit(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    current_epoch: u64,
    oracle: &Address,
    audited: u64,
    failures: &[StorageFailure],
) -> Result<(), TxFailure> {
    if !info.is_oracle(oracle) {
        return Err(TxFailure::new(
            TxCode::Unauthorized,
            format!("{oracle} is not an oracle of this chain"),
        ));
    }
    if audited != current_epoch {
        return Err(TxFailure::new(
            TxCode::WrongEpoch,
            format!("audits are for the epoch in progress, {current_epoch}, not {audited}"),
        ));
    }
    for f in failures {
        let deal = load_deal(state, f.deal)?.ok_or_else(|| {
            TxFailure::new(TxCode::NotAssigned, format!("no storage deal {}", f.deal))
        })?;
        let covers = deal.status == DealStatus::Open
            && deal.first_epoch <= audited
            && audited <= deal.last_epoch;
        if !covers || !deal.serves_in(&f.device, audited) {
            return Err(TxFailure::new(
                TxCode::NotAssigned,
                format!(
                    "device {} keeps no replica of deal {} in epoch {audited}",
                    f.device, f.deal
                ),
            ));
        }
    }
    for f in failures {
        let key = state_key::storage_audit(audited, f.deal);
        let mut marks: Vec<AuditMark> = state.get_json(&key)?.unwrap_or_default();
        match marks.iter_mut().find(|m| m.device == f.device) {
            Some(mark) => {
                if !mark.reporters.contains(oracle) {
                    mark.reporters.push(*oracle);
                }
            }
            None => marks.push(AuditMark {
                device: f.device,
                reporters: vec![*oracle],
            }),
        }
        state.set_json(key, &marks);
    }
    Ok(())
}

/// The replicas of `deal` that failed `epoch` (reported by at least `threshold` oracles).
fn failed_in(
    state: &StateOverlay<'_>,
    epoch: u64,
    deal: u64,
    threshold: u32,
) -> Result<Vec<PublicKey>, StoreError> {
    let marks: Vec<AuditMark> = state
        .get_json(&state_key::storage_audit(epoch, deal))?
        .unwrap_or_default();
    Ok(marks
        .into_iter()
        .filter(|m| m.reporters.len() >= threshold.max(1) as usize)
        .map(|m| m.device)
        .collect())
}

/// Payment rule and expiry rule for every open deal, when `epoch` ends.
pub(crate) fn end_epoch(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    epoch: u64,
) -> Result<(), StoreError> {
    let escrow_account = module_account::storage_escrow();
    let mut t = totals(state)?;
    let mut still_open = Vec::new();
    for id in id_list(state, &state_key::storage_open_deals())? {
        let mut deal = load_deal(state, id)?.ok_or_else(|| corrupt("open deal missing"))?;
        if epoch < deal.first_epoch {
            still_open.push(id);
            continue;
        }
        let failed = failed_in(state, epoch, id, info.oracles.threshold)?;
        for device in &failed {
            if deal.providers.contains(device) {
                deal.failed.push(FailedReplica {
                    epoch,
                    device: *device,
                });
            }
        }
        for provider in deal.providers.clone() {
            let Some(device) = registry::load(state, &provider)? else {
                return Err(corrupt("assigned device missing"));
            };
            if device.status != DeviceStatus::Active
                || failed.contains(&provider)
                || !deal.serves_in(&provider, epoch)
            {
                continue;
            }
            if !state.move_funds(&escrow_account, &device.owner, deal.price_per_replica_epoch)? {
                return Err(corrupt("escrow account holds less than a deal's payment"));
            }
            deal.paid = deal
                .paid
                .checked_add(deal.price_per_replica_epoch)
                .ok_or_else(|| corrupt("deal paid overflows"))?;
            t.paid = t
                .paid
                .checked_add(deal.price_per_replica_epoch)
                .ok_or_else(|| corrupt("paid overflows"))?;
        }
        if epoch >= deal.last_epoch {
            let rest = deal
                .held()
                .ok_or_else(|| corrupt("a deal paid more than its escrow"))?;
            if !state.move_funds(&escrow_account, &deal.client, rest)? {
                return Err(corrupt("escrow account holds less than a deal's refund"));
            }
            deal.refunded = rest;
            t.refunded = t
                .refunded
                .checked_add(rest)
                .ok_or_else(|| corrupt("refunded overflows"))?;
            deal.status = DealStatus::Ended { at_epoch: epoch };
        } else {
            // Replacements are paid from the next epoch on: they had none of this one.
            replace_departed(state, &mut deal, epoch, &failed)?;
            still_open.push(id);
        }
        save_deal(state, &deal);
    }
    state.set_json(state_key::storage_open_deals(), &still_open);
    state.set_json(state_key::storage_totals(), &t);
    Ok(())
}

/// Replaces each assigned provider that is no longer active or whose replica just `failed`
/// by the best-ranked eligible device not yet holding the blob and that never failed this
/// deal, which serves from `ended + 2` on (handover rule); drops it when there is none.
fn replace_departed(
    state: &StateOverlay<'_>,
    deal: &mut StorageDeal,
    ended: u64,
    failed: &[PublicKey],
) -> Result<(), StoreError> {
    // Handovers that are over need no record: their devices serve like any other.
    let providers = deal.providers.clone();
    deal.handovers
        .retain(|h| providers.contains(&h.device) && h.first_epoch > ended + 1);
    let mut kept = Vec::with_capacity(deal.providers.len());
    let mut departed = 0usize;
    for p in &deal.providers {
        let active = registry::load(state, p)?.is_some_and(|d| d.status == DeviceStatus::Active);
        if active && !failed.contains(p) {
            kept.push(*p);
        } else {
            departed += 1;
        }
    }
    if departed == 0 {
        return Ok(());
    }
    let mut exclude = holders(state, &deal.blob)?;
    exclude.extend(deal.providers.iter().copied());
    exclude.extend(deal.failed.iter().map(|f| f.device));
    let candidates = rank_providers(state, &deal.blob, &exclude)?;
    let joining: Vec<PublicKey> = candidates.into_iter().take(departed).collect();
    deal.handovers.retain(|h| kept.contains(&h.device));
    deal.handovers.extend(joining.iter().map(|device| Handover {
        device: *device,
        first_epoch: ended + 2,
    }));
    kept.extend(joining);
    deal.providers = kept;
    Ok(())
}
