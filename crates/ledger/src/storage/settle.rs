//! The settlement of ended epochs for storage: providers paid, failed replicas reassigned,
//! ended deals refunded, a bounded number of deals at each block's end.
//!
//! The deals that cover epoch `e` are scheduled in the id list `storage_due(e)`. Once `e` has
//! ended, a cursor walks that list, `SETTLE_PER_BLOCK` deals per block, then the next epoch's
//! once that one has ended too. A deal that goes on after `e` is pushed onto the list of
//! `e + 1`, which the cursor has not reached, so every deal is settled for every epoch it
//! covers, in order.

use super::providers::{rank_providers, record_assignment};
use super::{
    corrupt, escrow_account, load_deal, save_deal, state_key, totals, AuditMark, DealStatus,
    FailedReplica, Handover, StorageDeal, StorageTotals,
};
use crate::genesis::ChainInfo;
use crate::id_set::{IdList, IdSet};
use crate::overlay::StateOverlay;
use crate::registry::{self, DeviceStatus};
use plexus_store::StoreError;
use plexus_types::PublicKey;
use serde::{Deserialize, Serialize};

/// Most deals (or empty epochs) one block's end settles.
pub const SETTLE_PER_BLOCK: u64 = 64;

/// The deals to settle when `epoch` ends.
pub(super) fn due(epoch: u64) -> IdList {
    IdList(state_key::storage_due(epoch))
}

/// Where settlement stands: the last epoch that ended, and the next deal to settle (slot
/// `slot` of the list of epoch `epoch`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    ended: Option<u64>,
    epoch: u64,
    slot: u64,
}

fn cursor(state: &StateOverlay<'_>) -> Result<Cursor, StoreError> {
    Ok(state
        .get_json(&state_key::storage_settlement())?
        .unwrap_or_default())
}

/// Records that `epoch` has ended: its deals may be settled from this block's end on.
pub(crate) fn epoch_ended(state: &mut StateOverlay<'_>, epoch: u64) -> Result<(), StoreError> {
    let mut c = cursor(state)?;
    if c.ended.is_none() {
        // Nothing was scheduled before the first epoch to end.
        c.epoch = epoch;
    }
    c.ended = Some(epoch);
    state.set_json(state_key::storage_settlement(), &c);
    Ok(())
}

/// Settles at most `SETTLE_PER_BLOCK` deals of the ended epochs, oldest epoch first.
pub(crate) fn settle(state: &mut StateOverlay<'_>, info: &ChainInfo) -> Result<(), StoreError> {
    let mut c = cursor(state)?;
    let Some(ended) = c.ended else {
        return Ok(());
    };
    let start = c;
    let mut t = totals(state)?;
    let mut budget = SETTLE_PER_BLOCK;
    while budget > 0 && c.epoch <= ended {
        let list = due(c.epoch);
        if c.slot < list.len(state)? {
            let id = list.take(state, c.slot)?;
            settle_deal(state, info, c.epoch, id, &mut t)?;
            c.slot += 1;
        } else {
            list.forget(state);
            c.epoch += 1;
            c.slot = 0;
        }
        budget -= 1;
    }
    if c != start {
        state.set_json(state_key::storage_settlement(), &c);
        state.set_json(state_key::storage_totals(), &t);
    }
    Ok(())
}

/// The replicas of `deal` that failed `epoch` (reported by at least `threshold` oracles);
/// the reports are dropped, as nothing reads them once the epoch is settled.
fn failed_in(
    state: &mut StateOverlay<'_>,
    epoch: u64,
    deal: u64,
    threshold: u32,
) -> Result<Vec<PublicKey>, StoreError> {
    let key = state_key::storage_audit(epoch, deal);
    let marks: Vec<AuditMark> = state.get_json(&key)?.unwrap_or_default();
    state.remove(key);
    Ok(marks
        .into_iter()
        .filter(|m| m.reporters.len() >= threshold.max(1) as usize)
        .map(|m| m.device)
        .collect())
}

/// Payment rule and expiry rule for deal `id`, which covers `epoch`.
fn settle_deal(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    epoch: u64,
    id: u64,
    t: &mut StorageTotals,
) -> Result<(), StoreError> {
    let escrow = escrow_account();
    let mut deal = load_deal(state, id)?.ok_or_else(|| corrupt("scheduled deal missing"))?;
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
            return Err(corrupt("assigned device missing").into());
        };
        if device.status != DeviceStatus::Active
            || failed.contains(&provider)
            || !deal.serves_in(&provider, epoch)
        {
            continue;
        }
        escrow.pay_out(
            state,
            &device.owner,
            deal.price_per_replica_epoch,
            "escrow account holds less than a deal's payment",
        )?;
        deal.paid = deal
            .paid
            .checked_add(deal.price_per_replica_epoch)
            .ok_or_else(|| corrupt("deal paid overflows"))?;
        t.released(deal.price_per_replica_epoch)
            .ok_or_else(|| corrupt("paid overflows"))?;
    }
    if epoch >= deal.last_epoch {
        let rest = deal
            .held()
            .ok_or_else(|| corrupt("a deal paid more than its escrow"))?;
        escrow.pay_out(
            state,
            &deal.client,
            rest,
            "escrow account holds less than a deal's refund",
        )?;
        deal.refunded = rest;
        t.refunded(rest)
            .ok_or_else(|| corrupt("refunded overflows"))?;
        deal.status = DealStatus::Ended { at_epoch: epoch };
        record_assignment(state, id, &deal.blob, &deal.providers, false)?;
        IdSet(state_key::storage_open_deals()).remove(state, id)?;
    } else {
        // Replacements are paid from the next epoch on: they had none of this one.
        replace_departed(state, &mut deal, epoch, &failed)?;
        due(epoch + 1).push(state, id)?;
    }
    save_deal(state, &deal);
    Ok(())
}

/// Replaces each assigned provider that is no longer active or whose replica just `failed`
/// by the best-ranked eligible device of the blob's sample not yet holding the blob and that
/// never failed this deal, which serves from `ended + 2` on (handover rule); drops it when
/// there is none.
fn replace_departed(
    state: &mut StateOverlay<'_>,
    deal: &mut StorageDeal,
    ended: u64,
    failed: &[PublicKey],
) -> Result<(), StoreError> {
    // Handovers that are over need no record: their devices serve like any other.
    let providers = deal.providers.clone();
    deal.handovers
        .retain(|h| providers.contains(&h.device) && h.first_epoch > ended + 1);
    let mut kept = Vec::with_capacity(deal.providers.len());
    let mut departed = Vec::new();
    for p in &deal.providers {
        let active = registry::load(state, p)?.is_some_and(|d| d.status == DeviceStatus::Active);
        if active && !failed.contains(p) {
            kept.push(*p);
        } else {
            departed.push(*p);
        }
    }
    if departed.is_empty() {
        return Ok(());
    }
    let mut exclude = deal.providers.clone();
    exclude.extend(deal.failed.iter().map(|f| f.device));
    let candidates = rank_providers(state, &deal.blob, deal.replicas, &exclude, &kept)?;
    let joining: Vec<PublicKey> = candidates.into_iter().take(departed.len()).collect();
    record_assignment(state, deal.id, &deal.blob, &departed, false)?;
    record_assignment(state, deal.id, &deal.blob, &joining, true)?;
    deal.handovers.retain(|h| kept.contains(&h.device));
    deal.handovers.extend(joining.iter().map(|device| Handover {
        device: *device,
        first_epoch: ended + 2,
    }));
    kept.extend(joining);
    deal.providers = kept;
    Ok(())
}
