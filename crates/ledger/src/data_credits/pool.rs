//! The data pool: carved out of an epoch's Coverage pool at its end, claimed per hotspot, and
//! settled when the claim window closes. Each step costs constant work.

use super::{state_key, DataPool, EpochDataSummary, HotspotData};
use crate::bank::{module_account, BankState};
use crate::codes::{TxCode, TxFailure};
use crate::epochs::{self, RewardTotals};
use crate::genesis::{ChainInfo, ResourceClass};
use crate::overlay::StateOverlay;
use crate::registry;
use plexus_rewards::wireless::{credits_value, data_pool_split, data_share};
use plexus_store::StoreError;
use plexus_types::{Amount, RewardClaim};

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("data pool: {what}"))
}

/// Epoch `ended` has ended and its pools are minted: its Coverage pool pays data first. The
/// data pool holds `min(coverage pool, Σ value)` of it, by the data rule's split, and the
/// Coverage pool that manifests pay keeps the rest. The funds stay in the rewards account
/// until claimed or settled, so the reward totals do not change.
pub(crate) fn fund_data_pool(state: &mut StateOverlay<'_>, ended: u64) -> Result<(), StoreError> {
    let summary: EpochDataSummary = state
        .get_json(&state_key::epoch_data_summary(ended))?
        .unwrap_or_default();
    let mut coverage = epochs::load_pool(state, ended, ResourceClass::Coverage)?;
    let coverage_pool = coverage.as_ref().map_or(Amount::ZERO, |p| p.amount);
    let split = data_pool_split(summary.value, coverage_pool.0);
    if let Some(pool) = coverage.as_mut() {
        pool.amount = Amount(split.to_coverage);
        epochs::save_pool(state, pool);
    }
    state.set_json(
        state_key::data_pool(ended),
        &DataPool {
            epoch: ended,
            coverage_pool,
            total_value: summary.value,
            held: Amount(split.held),
            to_coverage: Amount(split.to_coverage),
            paid: Amount::ZERO,
            forfeited: Amount::ZERO,
            claimed_value: 0,
            settlement: None,
        },
    );
    Ok(())
}

/// A hotspot's data claim: a `ClaimReward` of resource `data` for `epoch` naming the hotspot,
/// its owner of record for the epoch (who signed its first settled session's count) and, as
/// units, the credits its sessions burned, with an empty proof. It pays the hotspot's share
/// of the data pool, [`data_share`], once, while the epoch's claim window is open, to that
/// owner, or to the slashed account if the hotspot has been slashed. Anyone may submit it: the
/// pay goes to the owner alone.
pub(crate) fn claim_data(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    c: &RewardClaim,
) -> Result<(), TxFailure> {
    let refuse = |code: TxCode, log: String| Err(TxFailure::new(code, log));
    epochs::check_claimable(state, &info.rewards, c.epoch)?;
    let Some(mut pool) = state.get_json::<DataPool>(&state_key::data_pool(c.epoch))? else {
        return refuse(
            TxCode::NoManifest,
            format!("epoch {} has no data pool", c.epoch),
        );
    };
    let claim_key = state_key::data_claim(c.epoch, &c.device);
    if state.get(&claim_key)?.is_some() {
        return refuse(
            TxCode::AlreadyClaimed,
            format!(
                "{}'s data of epoch {} is already claimed",
                c.device, c.epoch
            ),
        );
    }
    if !c.proof.siblings.is_empty() || c.proof.index != 0 || c.proof.leaf_count != 0 {
        return refuse(
            TxCode::BadProof,
            "a data claim carries no proof: the chain holds the hotspot's record".into(),
        );
    }
    let data: Option<HotspotData> = state.get_json(&state_key::hotspot_data(c.epoch, &c.device))?;
    let Some(data) = data else {
        return refuse(
            TxCode::BadProof,
            format!("{} carried no data in epoch {}", c.device, c.epoch),
        );
    };
    if data.owner != c.owner || data.credits != c.units {
        return refuse(
            TxCode::BadProof,
            format!(
                "the chain's record of {} in epoch {} is owner {} with {} credits; the claim says \
                 owner {} with {}",
                c.device, c.epoch, data.owner, data.credits, c.owner, c.units
            ),
        );
    }
    let value = credits_value(data.credits, info.data_credits.dc_per_plx)
        .map_err(|e| TxFailure::new(TxCode::Internal, e.to_string()))?;
    let pay = data_share(pool.held.0, value, pool.total_value)
        .map(Amount)
        .ok_or_else(|| TxFailure::new(TxCode::Internal, "a hotspot worth more than its epoch"))?;
    let overflow = || TxFailure::overflow("the data pool");
    let claimed_value = pool
        .claimed_value
        .checked_add(value)
        .filter(|v| *v <= pool.total_value)
        .ok_or_else(overflow)?;
    let spent = pool
        .paid
        .checked_add(pool.forfeited)
        .and_then(|s| s.checked_add(pay));
    if spent.is_none_or(|s| s > pool.held) {
        return refuse(
            TxCode::Internal,
            format!("epoch {}'s data pool holds less than it owes", c.epoch),
        );
    }
    let (to, slashed) = registry::payee(state, &c.device, data.owner)?;
    if !state.move_funds(&module_account::rewards(), &to, pay)? {
        return refuse(
            TxCode::Internal,
            "the rewards account holds less than the data pool owes".into(),
        );
    }
    let mut totals = epochs::totals(state)?;
    if slashed {
        pool.forfeited = pool.forfeited.checked_add(pay).ok_or_else(overflow)?;
        totals.forfeited = totals.forfeited.checked_add(pay).ok_or_else(overflow)?;
    } else {
        pool.paid = pool.paid.checked_add(pay).ok_or_else(overflow)?;
        totals.paid = totals.paid.checked_add(pay).ok_or_else(overflow)?;
    }
    pool.claimed_value = claimed_value;
    state.set_json(state_key::data_pool(c.epoch), &pool);
    epochs::save_totals(state, &totals);
    state.set(claim_key, pay.0.to_be_bytes().to_vec());
    Ok(())
}

/// Settles the data pool whose claim window closes with `ended`, as the other pools of its
/// epoch settle (`epochs::settle_expired`), in the same block.
pub(crate) fn settle_expired(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    ended: u64,
) -> Result<(), StoreError> {
    if ended <= info.rewards.claim_epochs {
        return Ok(());
    }
    let mut totals = epochs::totals(state)?;
    settle_data_pool(state, ended - info.rewards.claim_epochs, &mut totals)?;
    epochs::save_totals(state, &totals);
    Ok(())
}

/// Settles epoch `epoch`'s data pool as its claim window closes, by the settlement rule of
/// every pool ([`epochs::settle_claims`], claimed by value): the unclaimed hotspots' shares
/// move to the unclaimed account and the rounding dust of a pro-rata split to the dust
/// account, both counted in `totals`.
fn settle_data_pool(
    state: &mut StateOverlay<'_>,
    epoch: u64,
    totals: &mut RewardTotals,
) -> Result<(), StoreError> {
    let key = state_key::data_pool(epoch);
    let Some(mut pool) = state.get_json::<DataPool>(&key)? else {
        return Ok(());
    };
    if pool.settlement.is_some() {
        return Ok(());
    }
    let settled = epochs::settle_claims(
        pool.held,
        pool.paid,
        pool.forfeited,
        Some((pool.total_value, pool.claimed_value)),
    )
    .map_err(|e| corrupt(&e.to_string()))?;
    let rewards = module_account::rewards();
    if !state.move_funds(&rewards, &module_account::unclaimed(), settled.unclaimed)?
        || !state.move_funds(&rewards, &module_account::dust(), settled.dust)?
    {
        return Err(corrupt("the rewards account holds less than the data pool"));
    }
    totals.expired = totals
        .expired
        .checked_add(settled.unclaimed)
        .ok_or_else(|| corrupt("overflow"))?;
    totals.dust = totals
        .dust
        .checked_add(settled.dust)
        .ok_or_else(|| corrupt("overflow"))?;
    pool.settlement = Some(settled);
    state.set_json(key, &pool);
    Ok(())
}
