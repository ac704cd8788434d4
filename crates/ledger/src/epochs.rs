//! Epochs, emission and reward pools.
//!
//! An epoch is `epoch_blocks` blocks; epoch `e` ends with block `e × epoch_blocks`. At its end
//! the ledger mints the epoch's emission (halving every `halving_epochs` epochs) into the
//! rewards account and splits it into one pool per resource class by the genesis weights; the
//! rounding remainder of the split goes to the dust account. Nothing is minted anywhere else.
//! `claim_epochs` epochs later the epoch's pools are settled: what was not claimed moves to
//! the unclaimed account, and the rounding remainder of the payouts to the dust account.

use crate::bank::module_account;
use crate::genesis::{ChainInfo, ResourceClass, RewardParams};
use crate::overlay::StateOverlay;
use crate::state_key;
use plexus_store::StoreError;
use plexus_types::{Address, Amount, Hash};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an ended epoch minted and how it split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: u64,
    pub start_height: u64,
    pub end_height: u64,
    pub emission: Amount,
    pub pools: BTreeMap<ResourceClass, Amount>,
    /// Remainder of splitting the emission into pools.
    pub split_dust: Amount,
}

/// A manifest that enough oracles agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalManifest {
    pub root: Hash,
    #[serde(with = "crate::u128_string")]
    pub total_units: u128,
    pub evidence_root: Hash,
    pub finalized_height: u64,
    pub oracles: Vec<Address>,
}

/// How a pool ended when its claim window closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub unclaimed: Amount,
    pub dust: Amount,
}

/// One epoch's reward pool for one resource class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardPool {
    pub epoch: u64,
    pub resource: ResourceClass,
    pub amount: Amount,
    pub manifest: Option<FinalManifest>,
    /// Paid to owners.
    pub paid: Amount,
    /// Claimed for slashed devices and moved to the slashed account.
    pub forfeited: Amount,
    #[serde(with = "crate::u128_string")]
    pub claimed_units: u128,
    pub settlement: Option<Settlement>,
}

/// Running totals of every reward token, in uplx. `minted` always equals
/// `paid + forfeited + dust + expired + claimable` where `claimable` is the rewards account.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RewardTotals {
    pub minted: Amount,
    pub paid: Amount,
    /// Rewards of slashed devices.
    pub forfeited: Amount,
    pub dust: Amount,
    /// Rewards whose claim window closed.
    pub expired: Amount,
    /// Stake taken from devices caught in a fraud.
    pub slashed_stake: Amount,
}

/// Emission rule: `initial_epoch_emission` halved once per `halving_epochs` epochs elapsed.
pub fn emission(params: &RewardParams, epoch: u64) -> Amount {
    if epoch == 0 {
        return Amount::ZERO;
    }
    let halvings = (epoch - 1) / params.halving_epochs;
    if halvings >= 128 {
        return Amount::ZERO;
    }
    Amount(params.initial_epoch_emission.0 >> halvings)
}

/// Pool split rule: pool(c) = floor(emission × weight(c) / Σ weights); returns the pools and the
/// remainder.
pub fn split_emission(
    params: &RewardParams,
    emission: Amount,
) -> (BTreeMap<ResourceClass, Amount>, Amount) {
    let total: u128 = params.pool_weights.values().map(|w| *w as u128).sum();
    let mut pools = BTreeMap::new();
    let mut used = 0u128;
    for (class, w) in &params.pool_weights {
        let share = mul_div(emission.0, *w as u128, total);
        used += share;
        pools.insert(*class, Amount(share));
    }
    (pools, Amount(emission.0 - used))
}

/// floor(a × b / c) exactly, for c > 0 and b ≤ c (zero otherwise, which no caller passes).
pub(crate) fn mul_div(a: u128, b: u128, c: u128) -> u128 {
    plexus_rewards::payout(a, b, c).unwrap_or(0)
}

pub(crate) fn last_epoch(state: &StateOverlay<'_>) -> Result<u64, StoreError> {
    state.get_u64(&state_key::last_epoch())
}

pub(crate) fn load_pool(
    state: &StateOverlay<'_>,
    epoch: u64,
    resource: ResourceClass,
) -> Result<Option<RewardPool>, StoreError> {
    state.get_json(&state_key::pool(epoch, resource))
}

pub(crate) fn save_pool(state: &mut StateOverlay<'_>, pool: &RewardPool) {
    state.set_json(state_key::pool(pool.epoch, pool.resource), pool);
}

pub(crate) fn totals(state: &StateOverlay<'_>) -> Result<RewardTotals, StoreError> {
    Ok(state
        .get_json(&state_key::reward_totals())?
        .unwrap_or_default())
}

pub(crate) fn save_totals(state: &mut StateOverlay<'_>, totals: &RewardTotals) {
    state.set_json(state_key::reward_totals(), totals);
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("reward accounting: {what}"))
}

/// The end-of-block hook: ends an epoch when `height` closes one.
pub(crate) fn end_block(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
) -> Result<(), StoreError> {
    let params = &info.rewards;
    if height == 0 || !height.is_multiple_of(params.epoch_blocks) {
        return Ok(());
    }
    let epoch = height / params.epoch_blocks;
    let minted = emission(params, epoch);
    let (pools, split_dust) = split_emission(params, minted);
    let rewards = module_account::rewards();
    state.mint(&rewards, minted)?;
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
    save_totals(state, &t);
    state.keep();
    crate::storage::end_epoch(state, info, epoch)?;
    state.keep();
    if epoch > params.claim_epochs {
        settle(state, epoch - params.claim_epochs)?;
    }
    state.keep();
    Ok(())
}

/// Settlement rule: for a pool with a manifest, unclaimed = floor(pool × unclaimed units /
/// total units) and dust = what remains after payouts, forfeits and unclaimed; without a
/// manifest (or with zero units) the whole remainder is unclaimed.
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
        let spent = pool
            .paid
            .checked_add(pool.forfeited)
            .ok_or_else(|| corrupt("pool spending overflows"))?;
        let remaining = pool
            .amount
            .checked_sub(spent)
            .ok_or_else(|| corrupt("pool paid more than it held"))?;
        let unclaimed = match &pool.manifest {
            Some(m) if m.total_units > 0 => {
                let left_units = m
                    .total_units
                    .checked_sub(pool.claimed_units)
                    .ok_or_else(|| corrupt("claimed more units than the manifest holds"))?;
                Amount(mul_div(pool.amount.0, left_units, m.total_units))
            }
            _ => remaining,
        };
        let dust = remaining
            .checked_sub(unclaimed)
            .ok_or_else(|| corrupt("negative settlement dust"))?;
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
        pool.settlement = Some(Settlement { unclaimed, dust });
        save_pool(state, &pool);
    }
    save_totals(state, &t);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emission_halves_every_halving_period() {
        let params = RewardParams {
            initial_epoch_emission: Amount(1_000),
            halving_epochs: 10,
            ..RewardParams::default()
        };
        assert_eq!(emission(&params, 0), Amount(0));
        assert_eq!(emission(&params, 1), Amount(1_000));
        assert_eq!(emission(&params, 10), Amount(1_000));
        assert_eq!(emission(&params, 11), Amount(500));
        assert_eq!(emission(&params, 21), Amount(250));
        assert_eq!(emission(&params, 10 * 200), Amount(0));
    }

    #[test]
    fn the_split_accounts_for_every_unit() {
        let params = RewardParams::default();
        for e in [0u128, 1, 7, 99, 1_000_003, u64::MAX as u128] {
            let (pools, dust) = split_emission(&params, Amount(e));
            let sum: u128 = pools.values().map(|a| a.0).sum();
            assert_eq!(sum + dust.0, e);
            assert!(dust.0 < params.pool_weights.len() as u128);
        }
    }
}
