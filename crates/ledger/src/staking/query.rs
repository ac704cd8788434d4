//! Reads of staking's committed state: operators, the validator set, a delegator's
//! delegations and unbondings, and staking's books.

use super::{
    state_key, Delegation, Operator, StakingTotals, Unbonding, UnbondingPool, ValidatorSet,
    REWARD_INDEX_SCALE,
};
use crate::bank::query::account;
use crate::id_set;
use crate::stored::{get_json, get_u64};
use plexus_store::{Snapshot, Store, StoreError};
use plexus_types::{Address, Amount};
use serde::Serialize;

/// A JSON record of one snapshot.
fn read<T: serde::de::DeserializeOwned>(
    snapshot: &Snapshot,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    snapshot
        .get(key)?
        .map(|b| serde_json::from_slice(&b))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("staking record: {e}")))
}

/// The operator (validator or oracle) at `address`.
pub fn operator(store: &Store, address: &Address) -> Result<Option<Operator>, StoreError> {
    get_json(store, &state_key::operator(address))
}

/// Operators in creation order from the `from`-th, at most `limit`, and where the next page
/// starts (`None` after the last).
pub fn operators_page(
    store: &Store,
    from: u64,
    limit: usize,
) -> Result<(Vec<Operator>, Option<u64>), StoreError> {
    let snapshot = store.snapshot()?;
    let (ids, next) = id_set::page_of(&snapshot, &state_key::operators(), from, limit)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let address = snapshot
            .get(&state_key::operator_by_id(id))?
            .and_then(|b| Address::from_slice(&b).ok())
            .ok_or_else(|| StoreError::Corrupt(format!("operator {id} has no address")))?;
        out.push(
            read(&snapshot, &state_key::operator(&address))?
                .ok_or_else(|| StoreError::Corrupt(format!("operator {address} is missing")))?,
        );
    }
    Ok((out, next))
}

/// The validator set that serves `epoch`, or the latest one chosen when `epoch` is `None`.
pub fn validator_set(
    store: &Store,
    epoch: Option<u64>,
) -> Result<Option<ValidatorSet>, StoreError> {
    let epoch = match epoch {
        Some(e) => e,
        None => get_u64(store, &state_key::latest_set_epoch())?,
    };
    get_json(store, &state_key::validator_set(epoch))
}

/// A delegation as a delegator sees it: what its shares are worth now and the rewards it can
/// withdraw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DelegationView {
    #[serde(flatten)]
    pub delegation: Delegation,
    pub stake: Amount,
    pub withdrawable_rewards: Amount,
}

fn view(d: Delegation, op: &Operator) -> Result<DelegationView, StoreError> {
    let mul = |a, b, c| {
        plexus_rewards::mul_div_floor(a, b, c)
            .ok_or_else(|| StoreError::Corrupt("a delegation's worth overflows".into()))
    };
    let stake = if op.shares == 0 {
        0
    } else {
        mul(op.tokens.0, d.shares, op.shares)?
    };
    let growth = op.reward_index.saturating_sub(d.reward_index);
    let earned = mul(d.shares, growth, REWARD_INDEX_SCALE)?;
    Ok(DelegationView {
        withdrawable_rewards: Amount(d.rewards.0.saturating_add(earned)),
        stake: Amount(stake),
        delegation: d,
    })
}

/// `delegator`'s delegation to `operator`.
pub fn delegation(
    store: &Store,
    delegator: &Address,
    operator_address: &Address,
) -> Result<Option<DelegationView>, StoreError> {
    let Some(d) =
        get_json::<Delegation>(store, &state_key::delegation(delegator, operator_address))?
    else {
        return Ok(None);
    };
    let op = operator(store, operator_address)?
        .ok_or_else(|| StoreError::Corrupt("a delegation without its operator".into()))?;
    view(d, &op).map(Some)
}

/// A page of `delegator`'s delegations, and where the next page starts.
pub fn delegations_page(
    store: &Store,
    delegator: &Address,
    from: u64,
    limit: usize,
) -> Result<(Vec<DelegationView>, Option<u64>), StoreError> {
    let snapshot = store.snapshot()?;
    let (ids, next) = id_set::page_of(
        &snapshot,
        &state_key::delegations_of(delegator),
        from,
        limit,
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let pair = snapshot
            .get(&state_key::delegation_by_id(id))?
            .filter(|b| b.len() == 40)
            .ok_or_else(|| StoreError::Corrupt(format!("delegation {id} is missing")))?;
        let operator_address = Address::from_slice(&pair[20..])
            .map_err(|e| StoreError::Corrupt(format!("delegation {id}: {e}")))?;
        let d = read::<Delegation>(
            &snapshot,
            &state_key::delegation(delegator, &operator_address),
        )?
        .ok_or_else(|| StoreError::Corrupt(format!("delegation {id} is missing")))?;
        let op = read::<Operator>(&snapshot, &state_key::operator(&operator_address))?
            .ok_or_else(|| StoreError::Corrupt("a delegation without its operator".into()))?;
        out.push(view(d, &op)?);
    }
    Ok((out, next))
}

/// An unbonding as a delegator sees it: what it is worth now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnbondingView {
    #[serde(flatten)]
    pub unbonding: Unbonding,
    pub amount: Amount,
}

/// A page of `delegator`'s unbondings not yet paid, and where the next page starts.
pub fn unbondings_page(
    store: &Store,
    delegator: &Address,
    from: u64,
    limit: usize,
) -> Result<(Vec<UnbondingView>, Option<u64>), StoreError> {
    let snapshot = store.snapshot()?;
    let (ids, next) =
        id_set::page_of(&snapshot, &state_key::unbondings_of(delegator), from, limit)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(u) = read::<Unbonding>(&snapshot, &state_key::unbonding(id))? else {
            return Err(StoreError::Corrupt(format!("unbonding {id} is missing")));
        };
        let pool_key = state_key::unbonding_pool(&u.operator, u.epoch);
        let amount = read::<UnbondingPool>(&snapshot, &pool_key)?
            .and_then(|pool| plexus_rewards::mul_div_floor(pool.tokens.0, u.shares, pool.shares))
            .ok_or_else(|| StoreError::Corrupt(format!("unbonding {id} has no pool")))?;
        out.push(UnbondingView {
            unbonding: u,
            amount: Amount(amount),
        });
    }
    Ok((out, next))
}

/// Staking's totals and what its two accounts hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StakingAccounting {
    #[serde(flatten)]
    pub totals: StakingTotals,
    /// Bonded and unbonding stake in the staking account.
    pub bonded_held: Amount,
    /// Rewards and commissions not yet withdrawn, in the staking rewards account.
    pub rewards_held: Amount,
}

impl StakingAccounting {
    /// Whether every unit is accounted for: `bonded = unbonded + slashed + bonded_held` and
    /// `rewards_in = rewards_paid + rewards_held`.
    pub fn balances(&self) -> bool {
        let t = &self.totals;
        let out = [t.unbonded, t.slashed, self.bonded_held]
            .iter()
            .try_fold(0u128, |acc, a| acc.checked_add(a.0));
        out == Some(t.bonded.0)
            && t.rewards_paid.0.checked_add(self.rewards_held.0) == Some(t.rewards_in.0)
    }
}

/// Staking's books.
pub fn staking_totals(store: &Store) -> Result<StakingAccounting, StoreError> {
    Ok(StakingAccounting {
        totals: get_json(store, &state_key::staking_totals())?.unwrap_or_default(),
        bonded_held: account(store, &crate::bank::module_account::staking())?.balance,
        rewards_held: account(store, &crate::bank::module_account::staking_rewards())?.balance,
    })
}
