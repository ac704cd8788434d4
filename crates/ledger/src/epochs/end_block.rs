//! The end of an epoch: emission minted into pools, and pools settled when their claim window
//! closes.

use super::{
    emission, load_pool, save_pool, save_totals, settlement, split_emission, state_key, totals,
    validators_share, EpochRecord, RewardPool,
};
use crate::bank::{module_account, BankState};
use crate::genesis::{ChainInfo, ResourceClass};
use crate::overlay::StateOverlay;
use plexus_store::StoreError;
use plexus_types::Amount;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("reward accounting: {what}"))
}

/// Whether `height` ends an epoch.
pub(crate) fn ends_epoch(info: &ChainInfo, height: u64) -> bool {
    height > 0 && height.is_multiple_of(info.rewards.epoch_blocks)
}

/// The end-of-block hook: ends an epoch when `height` closes one, minting its emission; of it,
/// `validator_bps` goes to the staking rewards account and the rest into pools. Returns the
/// epoch that ended, if one did, and what went to validators.
pub(crate) fn end_block(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    validator_bps: u32,
) -> Result<Option<(u64, Amount)>, StoreError> {
    let params = &info.rewards;
    if !ends_epoch(info, height) {
        return Ok(None);
    }
    let epoch = height / params.epoch_blocks;
    let minted = emission(params, epoch);
    let to_validators = validators_share(minted, validator_bps);
    let pooled = minted
        .checked_sub(to_validators)
        .ok_or_else(|| corrupt("validators' share above the emission"))?;
    let (pools, split_dust) = split_emission(params, pooled);
    let rewards = module_account::rewards();
    state.mint(&rewards, minted)?;
    if !state.move_funds(&rewards, &module_account::staking_rewards(), to_validators)? {
        return Err(corrupt("cannot move the validators' share"));
    }
    if !state.move_funds(&rewards, &module_account::dust(), split_dust)? {
        return Err(corrupt("cannot move split dust"));
    }
    for (resource, amount) in &pools {
        save_pool(
            state,
            &RewardPool {
                epoch,
                resource: *resource,
                amount: *amount,
                manifest: None,
                paid: Amount::ZERO,
                forfeited: Amount::ZERO,
                claimed_units: 0,
                settlement: None,
            },
        );
    }
    state.set_json(
        state_key::epoch(epoch),
        &EpochRecord {
            epoch,
            start_height: height - params.epoch_blocks + 1,
            end_height: height,
            emission: minted,
            to_validators,
            pools,
            split_dust,
        },
    );
    state.set_u64(state_key::last_epoch(), epoch);
    let mut t = totals(state)?;
    t.minted = t
        .minted
        .checked_add(minted)
        .ok_or_else(|| corrupt("minted overflows"))?;
    t.dust = t
        .dust
        .checked_add(split_dust)
        .ok_or_else(|| corrupt("dust overflows"))?;
    t.to_validators = t
        .to_validators
        .checked_add(to_validators)
        .ok_or_else(|| corrupt("validators' share overflows"))?;
    save_totals(state, &t);
    state.keep();
    Ok(Some((epoch, to_validators)))
}

/// Settles the pools whose claim window closes with `ended`.
pub(crate) fn settle_expired(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    ended: u64,
) -> Result<(), StoreError> {
    if ended > info.rewards.claim_epochs {
        settle(state, ended - info.rewards.claim_epochs)?;
    }
    state.keep();
    Ok(())
}

/// Settles every pool of `epoch` by the settlement rule ([`settlement`]).
fn settle(state: &mut StateOverlay<'_>, epoch: u64) -> Result<(), StoreError> {
    let rewards = module_account::rewards();
    let mut t = totals(state)?;
    for resource in ResourceClass::ALL {
        let Some(mut pool) = load_pool(state, epoch, resource)? else {
            continue;
        };
        if pool.settlement.is_some() {
            continue;
        }
        let settled = settlement(&pool).map_err(|e| corrupt(&e.to_string()))?;
        let (unclaimed, dust) = (settled.unclaimed, settled.dust);
        if !state.move_funds(&rewards, &module_account::unclaimed(), unclaimed)?
            || !state.move_funds(&rewards, &module_account::dust(), dust)?
        {
            return Err(corrupt("rewards account holds less than its pools"));
        }
        t.expired = t
            .expired
            .checked_add(unclaimed)
            .ok_or_else(|| corrupt("overflow"))?;
        t.dust = t
            .dust
            .checked_add(dust)
            .ok_or_else(|| corrupt("overflow"))?;
        pool.settlement = Some(settled);
        save_pool(state, &pool);
    }
    save_totals(state, &t);
    Ok(())
}
