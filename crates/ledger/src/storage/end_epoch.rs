//! The end of an epoch for storage: providers paid, failed replicas reassigned, ended deals
//! refunded.

use super::{
    corrupt, escrow_account, holders, id_list, load_deal, rank_providers, save_deal, state_key,
    totals, AuditMark, DealStatus, FailedReplica, Handover, StorageDeal,
};
use crate::genesis::ChainInfo;
use crate::overlay::StateOverlay;
use crate::registry::{self, DeviceStatus};
use plexus_store::StoreError;
use plexus_types::PublicKey;

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
    let escrow = escrow_account();
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
