//! Epochs, emission and reward pools.
//!
//! An epoch is `epoch_blocks` blocks; epoch `e` ends with block `e × epoch_blocks`. At its end
//! the ledger mints the epoch's emission (halving every `halving_epochs` epochs) into the
//! rewards account; while the epoch's validator set is not empty, `validator_emission_bps` of
//! it goes to the staking rewards account, and the rest splits into one pool per resource
//! class by the genesis weights; the rounding remainder of the split goes to the dust account. Nothing is minted anywhere else.
//! `claim_epochs` epochs later the epoch's pools are settled: what was not claimed moves to
//! the unclaimed account, and the rounding remainder of the payouts to the dust account.

mod end_block;
pub mod query;
pub mod state_key;

pub(crate) use end_block::{end_block, ends_epoch, settle_expired};

use crate::genesis::{ResourceClass, RewardParams};
use crate::overlay::StateOverlay;
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
    /// Of the emission, what went to the validators' staking rewards.
    #[serde(default)]
    pub to_validators: Amount,
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
/// `paid + forfeited + dust + expired + to_validators + claimable` where `claimable` is the
/// rewards account.
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
    /// Emission moved to the validators' staking rewards.
    #[serde(default)]
    pub to_validators: Amount,
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

/// Validators' share rule: floor(emission × min(bps, 10 000) / 10 000) of an epoch's emission
/// goes to the staking rewards account before the pools are split.
pub fn validators_share(emission: Amount, validator_bps: u32) -> Amount {
    Amount(mul_div(
        emission.0,
        validator_bps.min(10_000) as u128,
        10_000,
    ))
}

/// Why a pool cannot be settled: its claims say more than it holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    #[error("pool paid more than it held")]
    Overpaid,
    #[error("claimed more units than the manifest holds")]
    Overclaimed,
    #[error("negative settlement dust")]
    NegativeDust,
}

/// Settlement rule: for a pool with a manifest, unclaimed = floor(pool × unclaimed units /
/// total units) and dust = what remains after payouts, forfeits and unclaimed; without a
/// manifest (or with zero units) the whole remainder is unclaimed.
pub fn settlement(pool: &RewardPool) -> Result<Settlement, SettlementError> {
    let units = pool
        .manifest
        .as_ref()
        .map(|m| (m.total_units, pool.claimed_units));
    settle_claims(pool.amount, pool.paid, pool.forfeited, units)
}

/// The settlement rule for any pool claimed by units: `amount` of which `paid` and `forfeited`
/// went out, and `units` (total, claimed) when claims were open (see [`settlement`]).
pub fn settle_claims(
    amount: Amount,
    paid: Amount,
    forfeited: Amount,
    units: Option<(u128, u128)>,
) -> Result<Settlement, SettlementError> {
    let remaining = paid
        .checked_add(forfeited)
        .and_then(|spent| amount.checked_sub(spent))
        .ok_or(SettlementError::Overpaid)?;
    let unclaimed = match units {
        Some((total_units, claimed_units)) if total_units > 0 => {
            let left_units = total_units
                .checked_sub(claimed_units)
                .ok_or(SettlementError::Overclaimed)?;
            Amount(mul_div(amount.0, left_units, total_units))
        }
        _ => remaining,
    };
    let dust = remaining
        .checked_sub(unclaimed)
        .ok_or(SettlementError::NegativeDust)?;
    Ok(Settlement { unclaimed, dust })
}

/// Claim window rule: epoch `epoch`'s pools take manifests and claims while fewer than
/// `claim_epochs` epochs have ended after it; the end of epoch `epoch + claim_epochs` settles
/// them.
pub fn claim_window_open(params: &RewardParams, epoch: u64, last_ended: u64) -> bool {
    epoch
        .checked_add(params.claim_epochs)
        .is_none_or(|closes| last_ended < closes)
}

/// Whether epoch `epoch`'s rewards can be claimed now: it has ended and its claim window is
/// open. Refused with `no_manifest` or `claim_window_closed`; every pool's claims check this.
pub(crate) fn check_claimable(
    state: &StateOverlay<'_>,
    params: &RewardParams,
    epoch: u64,
) -> Result<(), crate::codes::TxFailure> {
    use crate::codes::{TxCode, TxFailure};
    let last = last_epoch(state)?;
    if epoch == 0 || epoch > last {
        return Err(TxFailure::new(
            TxCode::NoManifest,
            format!("epoch {epoch} has not ended (last ended: {last})"),
        ));
    }
    if !claim_window_open(params, epoch, last) {
        return Err(TxFailure::new(
            TxCode::ClaimWindowClosed,
            format!("claims for epoch {epoch} closed"),
        ));
    }
    Ok(())
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
