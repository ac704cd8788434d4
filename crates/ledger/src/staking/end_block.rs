//! Staking at the end of a block: a bounded batch of matured unbondings paid back; and at
//! the end of an epoch, the epoch's rewards split over its validators and the next epoch's
//! validator set chosen.

use super::{
    add, bond_account, candidates, load_operator, mul_div, rewards_account, save_operator,
    save_totals, state_key, sub, totals, Operator, OperatorKind, SetMember, Unbonding,
    UnbondingPool, ValidatorSet, BPS, MAX_UNBONDINGS_PER_BLOCK, REWARD_INDEX_SCALE,
};
use crate::bank::{module_account, BankState};
use crate::codes::TxFailure;
use crate::genesis::ChainInfo;
use crate::id_set::{IdList, IdSet};
use crate::overlay::StateOverlay;
use plexus_store::StoreError;
use plexus_types::{Address, Amount};

/// Pays back at most [`MAX_UNBONDINGS_PER_BLOCK`] unbondings that have matured by `height`,
/// oldest first.
pub(crate) fn end_block(state: &mut StateOverlay<'_>, height: u64) -> Result<(), StoreError> {
    let queue = IdList(state_key::unbonding_queue());
    let len = queue.len(state)?;
    let mut head = state.get_u64(&state_key::unbonding_queue_head())?;
    let start = head;
    while head < len && head - start < MAX_UNBONDINGS_PER_BLOCK {
        let id = queue.at(state, head)?;
        let u: Unbonding = state
            .get_json(&state_key::unbonding(id))?
            .ok_or_else(|| StoreError::Corrupt(format!("unbonding {id} is queued but missing")))?;
        if u.matures_at > height {
            break;
        }
        queue.take(state, head)?;
        pay_back(state, &u)?;
        head += 1;
    }
    if head != start {
        state.set_u64(state_key::unbonding_queue_head(), head);
    }
    Ok(())
}

/// Pays an unbonding its share of its pool and forgets it.
fn pay_back(state: &mut StateOverlay<'_>, u: &Unbonding) -> Result<(), StoreError> {
    let pool_key = state_key::unbonding_pool(&u.operator, u.epoch);
    let mut pool: UnbondingPool = state
        .get_json(&pool_key)?
        .ok_or_else(|| StoreError::Corrupt("an unbonding without its pool".into()))?;
    let tokens = Amount(mul_div(
        pool.tokens.0,
        u.shares,
        pool.shares,
        "an unbonding",
    )?);
    pool.tokens = sub(
        pool.tokens,
        tokens,
        "an unbonding pool pays more than it holds",
    )?;
    pool.shares = pool
        .shares
        .checked_sub(u.shares)
        .ok_or_else(|| StoreError::Corrupt("an unbonding pool with too few shares".into()))?;
    if pool.shares == 0 {
        state.remove(pool_key);
    } else {
        state.set_json(pool_key, &pool);
    }
    if !state.move_funds(&bond_account(), &u.delegator, tokens)? {
        return Err(StoreError::Corrupt(
            "the staking account holds less than its unbondings".into(),
        ));
    }
    let mut t = totals(state)?;
    t.unbonded = add(t.unbonded, tokens, "unbonded stake")?;
    save_totals(state, &t);
    state.remove(state_key::unbonding(u.id));
    state.remove(state_key::unbonding_index(
        &u.delegator,
        &u.operator,
        u.epoch,
    ));
    IdSet(state_key::unbondings_of(&u.delegator)).remove(state, u.id)?;
    Ok(())
}

/// The share of the emission of the epoch that ends at `height` which goes to validators:
/// `validator_emission_bps`, or nothing when that epoch's set is empty.
pub(crate) fn emission_share_bps(
    state: &StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
) -> Result<u32, StoreError> {
    let epoch = height / info.rewards.epoch_blocks;
    let set: Option<ValidatorSet> = state.get_json(&state_key::validator_set(epoch))?;
    Ok(match set {
        Some(s) if !s.validators.is_empty() => info.staking.validator_emission_bps,
        _ => 0,
    })
}

/// The end of epoch `ended` (at `height`): its fees and the validators' `emission` (already
/// in the staking rewards account) are split over its set, then the next set is chosen.
pub(crate) fn epoch_ended(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    ended: u64,
    height: u64,
    emission: Amount,
) -> Result<(), StoreError> {
    let set: Option<ValidatorSet> = state.get_json(&state_key::validator_set(ended))?;
    let members = set.map(|s| s.validators).unwrap_or_default();
    if !members.is_empty() || emission > Amount::ZERO {
        distribute(state, &members, emission)?;
    }
    choose_set(state, info, ended + 1, height + 1)
}

/// Moves the fee pool into the staking rewards account and splits it, with `emission`, over
/// the unjailed `members` by bonded stake: each operator's commission is kept for it, and the
/// rest raises its reward per share. What rounding leaves is counted as reward dust.
fn distribute(
    state: &mut StateOverlay<'_>,
    members: &[SetMember],
    emission: Amount,
) -> Result<(), StoreError> {
    let fee_pool = module_account::fee_pool();
    let fees = state.account(&fee_pool)?.balance;
    if !state.move_funds(&fee_pool, &rewards_account(), fees)? {
        return Err(StoreError::Corrupt(
            "the staking rewards account overflows".into(),
        ));
    }
    let reward = add(fees, emission, "an epoch's staking rewards")?;
    let mut t = totals(state)?;
    t.rewards_in = add(t.rewards_in, reward, "staking rewards in")?;
    let mut ops: Vec<Operator> = Vec::with_capacity(members.len());
    for m in members {
        if let Some(op) = load_operator(state, &m.operator)? {
            if op.jailed_until.is_none() && op.tokens > Amount::ZERO {
                ops.push(op);
            }
        }
    }
    let total: u128 = ops
        .iter()
        .map(|o| o.tokens.0)
        .try_fold(0u128, u128::checked_add)
        .ok_or_else(|| StoreError::Corrupt("bonded stake overflows".into()))?;
    let mut credited = Amount::ZERO;
    if total > 0 {
        for mut op in ops {
            let share = Amount(mul_div(
                reward.0,
                op.tokens.0,
                total,
                "a validator's reward",
            )?);
            credited = add(credited, credit(&mut op, share)?, "credited rewards")?;
            save_operator(state, &op);
        }
    }
    let dust = sub(reward, credited, "credited more rewards than came in")?;
    t.reward_dust = add(t.reward_dust, dust, "reward dust")?;
    save_totals(state, &t);
    Ok(())
}

/// Credits `share` to `op`: its commission, then the rest per share. Returns what delegators
/// and the operator can withdraw of it (the rest is rounding).
fn credit(op: &mut Operator, share: Amount) -> Result<Amount, TxFailure> {
    let commission = Amount(mul_div(
        share.0,
        op.commission_bps as u128,
        BPS,
        "commission",
    )?);
    let rest = sub(share, commission, "commission above the reward")?;
    op.commission = add(op.commission, commission, "commission")?;
    // A reward per share past 128 bits, or an index that cannot grow further, pays the
    // delegators nothing more: the rest is counted as dust, and the block goes on.
    let growth = plexus_rewards::mul_div_floor(rest.0, REWARD_INDEX_SCALE, op.shares);
    let Some((growth, index)) = growth.and_then(|g| op.reward_index.checked_add(g).map(|i| (g, i)))
    else {
        return Ok(commission);
    };
    op.reward_index = index;
    let payable = mul_div(growth, op.shares, REWARD_INDEX_SCALE, "rewards payable")?;
    add(commission, Amount(payable), "credited rewards")
}

/// Chooses the set that serves `epoch` from `from_height`: the top `max_validators`
/// candidates that are not jailed and hold at least `min_validator_stake`, by bonded stake,
/// ties broken by address bytes.
pub(crate) fn choose_set(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    epoch: u64,
    from_height: u64,
) -> Result<(), StoreError> {
    let set = candidates();
    let n = set.len(state)?;
    let mut members: Vec<(Amount, Address, SetMember)> = Vec::with_capacity(n as usize);
    for slot in 0..n {
        let id = set.at(state, slot)?;
        let address = state
            .get(&state_key::operator_by_id(id))?
            .and_then(|b| Address::from_slice(&b).ok())
            .ok_or_else(|| StoreError::Corrupt(format!("operator {id} has no address")))?;
        let Some(op) = load_operator(state, &address)? else {
            return Err(StoreError::Corrupt(format!(
                "operator {address} is missing"
            )));
        };
        let eligible = op.kind == OperatorKind::Validator
            && op.jailed_until.is_none()
            && op.tokens >= info.staking.min_validator_stake
            && op.tokens > Amount::ZERO;
        if let (true, Some(key)) = (eligible, op.consensus_key) {
            members.push((
                op.tokens,
                address,
                SetMember {
                    operator: address,
                    consensus_key: key,
                    power: op.tokens,
                },
            ));
        }
    }
    members.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    members.truncate(info.staking.max_validators as usize);
    state.set_json(
        state_key::validator_set(epoch),
        &ValidatorSet {
            epoch,
            from_height,
            validators: members.into_iter().map(|m| m.2).collect(),
        },
    );
    state.set_u64(state_key::latest_set_epoch(), epoch);
    Ok(())
}
