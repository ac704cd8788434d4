//! The storage market's actions: a client's deal, and an oracle's audit report.

use super::providers::{rank_providers, record_assignment};
use super::settle::due;
use super::{
    escrow_account, load_deal, save_deal, state_key, totals, AuditMark, DealStatus, StorageDeal,
};
use crate::codes::{TxCode, TxFailure};
use crate::genesis::ChainInfo;
use crate::id_set::{IdList, IdSet};
use crate::overlay::StateOverlay;
use plexus_types::blob_size::verify_size;
use plexus_types::{Address, Amount, StorageDealTerms, StorageFailure};

/// Escrow rule, assignment rule and term rule: makes a deal for `client`.
pub(crate) fn create_deal(
    state: &mut StateOverlay<'_>,
    current_epoch: u64,
    height: u64,
    client: &Address,
    terms: &StorageDealTerms,
) -> Result<(), TxFailure> {
    let fail = |code, log: String| Err(TxFailure::new(code, log));
    // Size rule: the deal's size is what the blob id commits to, or the deal never exists.
    if let Err(e) = verify_size(&terms.blob, terms.size, &terms.size_proof) {
        return fail(
            TxCode::BadProof,
            format!("the deal's size proof fails: {e}"),
        );
    }
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
    let ranked = rank_providers(state, &terms.blob, terms.replicas, &[], &[])?;
    if ranked.len() < terms.replicas as usize {
        return fail(
            TxCode::NotEnoughProviders,
            format!(
                "{} replicas asked, {} active storage devices of the blob's sample, of distinct owners and endpoints, can take blob {}",
                terms.replicas,
                ranked.len(),
                terms.blob
            ),
        );
    }
    if !escrow_account().lock(state, client, escrow)? {
        return fail(
            TxCode::InsufficientFunds,
            format!("client cannot deposit an escrow of {escrow} uplx"),
        );
    }
    // Term rule: epochs `current + 2 ..= current + 1 + epochs`.
    let (Some(first_epoch), Some(last_epoch)) = (
        current_epoch.checked_add(2),
        current_epoch
            .checked_add(1)
            .and_then(|e| e.checked_add(terms.epochs)),
    ) else {
        return Err(TxFailure::overflow("the deal's last epoch"));
    };
    let id = state.get_u64(&state_key::storage_deal_count())?;
    let next_id = id
        .checked_add(1)
        .ok_or_else(|| TxFailure::overflow("the storage deal count"))?;
    let deal = StorageDeal {
        id,
        client: *client,
        blob: terms.blob,
        size: terms.size,
        replicas: terms.replicas,
        price_per_replica_epoch: terms.price_per_replica_epoch,
        first_epoch,
        last_epoch,
        escrow,
        paid: Amount::ZERO,
        refunded: Amount::ZERO,
        providers: ranked[..terms.replicas as usize].to_vec(),
        failed: Vec::new(),
        handovers: Vec::new(),
        status: DealStatus::Open,
        created_height: height,
    };
    record_assignment(state, id, &deal.blob, &deal.providers, true)?;
    save_deal(state, &deal);
    state.set_u64(state_key::storage_deal_count(), next_id);
    IdList(state_key::storage_blob_deals(&terms.blob)).push(state, id)?;
    IdSet(state_key::storage_open_deals()).insert(state, id)?;
    due(first_epoch).push(state, id)?;
    let mut t = totals(state)?;
    t.locked(escrow)
        .ok_or_else(|| TxFailure::overflow("the storage escrow's running total"))?;
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
