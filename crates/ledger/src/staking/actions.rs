//! Staking's actions: create and edit a validator, stake, unstake, redelegate, withdraw
//! rewards and unjail.

use super::{
    add, add_operator, bond, bond_account, delegation_or_new, epoch_in_progress, join_candidates,
    leave_candidates_if_empty, load_delegation, load_operator, require_operator, rewards_account,
    save_delegation, save_operator, save_totals, settle, state_key, totals, unbond, worth,
    Delegation, Operator, OperatorKind, Redelegation, Unbonding, UnbondingPool,
    MAX_REDELEGATIONS_PER_EPOCH,
};
use crate::bank::BankState;
use crate::codes::{TxCode, TxFailure};
use crate::genesis::ChainInfo;
use crate::id_set::{IdList, IdSet};
use crate::overlay::StateOverlay;
use plexus_types::{Address, Amount, PublicKey};

/// Moves `amount` of the sender's balance into the staking account.
fn lock(state: &mut StateOverlay<'_>, sender: &Address, amount: Amount) -> Result<(), TxFailure> {
    let balance = state.account(sender)?.balance;
    if balance < amount || !state.move_funds(sender, &bond_account(), amount)? {
        return Err(TxFailure::new(
            TxCode::InsufficientFunds,
            format!("balance {balance} after fee, stake of {amount}"),
        ));
    }
    let mut t = totals(state)?;
    t.bonded = add(t.bonded, amount, "bonded stake")?;
    save_totals(state, &t);
    Ok(())
}

/// Saves a delegation, or forgets it once it holds neither shares nor rewards.
fn save_or_close(state: &mut StateOverlay<'_>, d: &Delegation) -> Result<(), TxFailure> {
    if d.shares > 0 || d.rewards > Amount::ZERO {
        save_delegation(state, d);
        return Ok(());
    }
    state.remove(state_key::delegation(&d.delegator, &d.operator));
    state.remove(state_key::delegation_by_id(d.id));
    IdSet(state_key::delegations_of(&d.delegator)).remove(state, d.id)?;
    Ok(())
}

fn refuse_jailed(op: &Operator) -> Result<(), TxFailure> {
    if let Some(until) = op.jailed_until {
        return Err(TxFailure::new(
            TxCode::ValidatorJailed,
            format!(
                "validator {} is jailed (it may unjail from height {until})",
                op.address
            ),
        ));
    }
    Ok(())
}

/// The sender becomes the operator of a new validator, bonding `self_stake` to it.
pub(crate) fn create_validator(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    sender: &Address,
    consensus_key: &PublicKey,
    commission_bps: u32,
    p2p_address: &str,
    self_stake: Amount,
) -> Result<(), TxFailure> {
    if load_operator(state, sender)?.is_some() {
        return Err(TxFailure::new(
            TxCode::ValidatorExists,
            format!("{sender} already operates a validator or oracle"),
        ));
    }
    if state
        .get(&state_key::consensus_key(consensus_key))?
        .is_some()
    {
        return Err(TxFailure::new(
            TxCode::ValidatorExists,
            format!("consensus key {consensus_key} already signs for a validator"),
        ));
    }
    let least = info.staking.min_validator_stake;
    if self_stake < least || self_stake == Amount::ZERO {
        return Err(TxFailure::new(
            TxCode::StakeTooLow,
            format!("self-stake {self_stake} is below the least a validator bonds, {least}"),
        ));
    }
    lock(state, sender, self_stake)?;
    let op = add_operator(
        state,
        Operator {
            id: 0,
            address: *sender,
            kind: OperatorKind::Validator,
            consensus_key: Some(*consensus_key),
            p2p_address: p2p_address.to_string(),
            commission_bps,
            commission_epoch: 0,
            tokens: Amount::ZERO,
            shares: 0,
            reward_index: 0,
            commission: Amount::ZERO,
            jailed_until: None,
            slashed: Amount::ZERO,
        },
    )?;
    bond_new(state, op, sender, self_stake)
}

/// Bonds `amount` (already in the staking account) from `delegator` to `op`.
pub(crate) fn bond_new(
    state: &mut StateOverlay<'_>,
    mut op: Operator,
    delegator: &Address,
    amount: Amount,
) -> Result<(), TxFailure> {
    let mut d = delegation_or_new(state, delegator, &op)?;
    settle(&mut d, &op)?;
    bond(&mut op, &mut d, amount)?;
    save_operator(state, &op);
    save_delegation(state, &d);
    join_candidates(state, &op)
}

/// The operator changes its validator's commission: by at most `max_commission_step_bps`,
/// once per epoch.
pub(crate) fn edit_validator(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    sender: &Address,
    commission_bps: u32,
) -> Result<(), TxFailure> {
    let mut op = require_operator(state, sender)?;
    if op.kind != OperatorKind::Validator {
        return Err(TxFailure::new(
            TxCode::Unauthorized,
            "an oracle operator takes no commission",
        ));
    }
    let epoch = epoch_in_progress(state)?;
    if op.commission_epoch == epoch {
        return Err(TxFailure::new(
            TxCode::CommissionTooFast,
            format!("the commission already changed in epoch {epoch}"),
        ));
    }
    let step = info.staking.max_commission_step_bps;
    if commission_bps.abs_diff(op.commission_bps) > step {
        return Err(TxFailure::new(
            TxCode::CommissionTooFast,
            format!(
                "a change from {} to {commission_bps} bps is more than the step of {step} bps",
                op.commission_bps
            ),
        ));
    }
    op.commission_bps = commission_bps;
    op.commission_epoch = epoch;
    save_operator(state, &op);
    Ok(())
}

/// The sender bonds `amount` to an operator that is not jailed.
pub(crate) fn stake(
    state: &mut StateOverlay<'_>,
    sender: &Address,
    validator: &Address,
    amount: Amount,
) -> Result<(), TxFailure> {
    let op = require_operator(state, validator)?;
    refuse_jailed(&op)?;
    if amount == Amount::ZERO {
        return Err(TxFailure::new(TxCode::StakeTooLow, "a stake of zero"));
    }
    lock(state, sender, amount)?;
    bond_new(state, op, sender, amount)
}

/// The sender starts unbonding `amount` from `validator`: the tokens join the operator's
/// unbonding pool of this epoch, slashable with it, and are paid back from the height that
/// is `unbonding_blocks` after this epoch's end.
pub(crate) fn unstake(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    sender: &Address,
    validator: &Address,
    amount: Amount,
) -> Result<(), TxFailure> {
    let mut op = require_operator(state, validator)?;
    let mut d = load_delegation(state, sender, validator)?.ok_or_else(|| {
        TxFailure::new(
            TxCode::InsufficientStake,
            format!("{sender} has no stake with {validator}"),
        )
    })?;
    settle(&mut d, &op)?;
    let spendable = d.shares;
    let (_, tokens) = unbond(&mut op, &mut d, amount, spendable)?;
    let epoch = epoch_in_progress(state)?;
    let matures_at = epoch
        .checked_mul(info.rewards.epoch_blocks)
        .and_then(|end| end.checked_add(info.staking.unbonding_blocks))
        .ok_or_else(|| TxFailure::overflow("the unbonding's maturity"))?;
    let pool_key = state_key::unbonding_pool(validator, epoch);
    let mut pool: UnbondingPool = state.get_json(&pool_key)?.unwrap_or_default();
    let shares = if pool.shares == 0 {
        tokens.0
    } else if pool.tokens == Amount::ZERO {
        return Err(TxFailure::broken(
            "an unbonding pool slashed to nothing still bonds",
        ));
    } else {
        super::mul_div(tokens.0, pool.shares, pool.tokens.0, "unbonding shares")?
    };
    pool.tokens = add(pool.tokens, tokens, "an unbonding pool")?;
    pool.shares = pool
        .shares
        .checked_add(shares)
        .ok_or_else(|| TxFailure::overflow("an unbonding pool's shares"))?;
    state.set_json(pool_key, &pool);
    add_unbonding(state, sender, validator, epoch, shares, matures_at)?;
    leave_candidates_if_empty(state, &op)?;
    save_operator(state, &op);
    save_or_close(state, &d)
}

/// Adds `shares` of an unbonding pool to the sender's unbonding of that epoch, opening it
/// (at the end of the queue, which stays in maturity order) if it has none.
fn add_unbonding(
    state: &mut StateOverlay<'_>,
    delegator: &Address,
    operator: &Address,
    epoch: u64,
    shares: u128,
    matures_at: u64,
) -> Result<(), TxFailure> {
    let index = state_key::unbonding_index(delegator, operator, epoch);
    let existing = state
        .get(&index)?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes));
    let mut u = match existing {
        Some(id) => state
            .get_json::<Unbonding>(&state_key::unbonding(id))?
            .ok_or_else(|| TxFailure::broken("an indexed unbonding is missing"))?,
        None => {
            let id = state.get_u64(&state_key::unbonding_count())?;
            state.set_u64(state_key::unbonding_count(), id + 1);
            state.set_u64(index, id);
            IdList(state_key::unbonding_queue()).push(state, id)?;
            IdSet(state_key::unbondings_of(delegator)).insert(state, id)?;
            Unbonding {
                id,
                delegator: *delegator,
                operator: *operator,
                epoch,
                shares: 0,
                matures_at,
            }
        }
    };
    u.shares = u
        .shares
        .checked_add(shares)
        .ok_or_else(|| TxFailure::overflow("an unbonding's shares"))?;
    state.set_json(state_key::unbonding(u.id), &u);
    Ok(())
}

/// The sender moves `amount` of its stake from one operator to another at once. The shares it
/// buys at `to` may not be redelegated again before `unbonding_blocks` pass, and a fault of
/// `from` in this epoch or before, reported in time, still slashes them.
pub(crate) fn redelegate(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    sender: &Address,
    (from, to): (&Address, &Address),
    amount: Amount,
) -> Result<(), TxFailure> {
    if from == to {
        return Err(TxFailure::new(
            TxCode::Unauthorized,
            "a redelegation moves stake between two different operators",
        ));
    }
    let mut from_op = require_operator(state, from)?;
    let mut to_op = require_operator(state, to)?;
    refuse_jailed(&to_op)?;
    let mut d = load_delegation(state, sender, from)?.ok_or_else(|| {
        TxFailure::new(
            TxCode::InsufficientStake,
            format!("{sender} has no stake with {from}"),
        )
    })?;
    let epoch = epoch_in_progress(state)?;
    let moves = IdList(state_key::redelegations_out(from, epoch));
    if moves.len(state)? >= MAX_REDELEGATIONS_PER_EPOCH {
        return Err(TxFailure::new(
            TxCode::TooManyRedelegations,
            format!("{MAX_REDELEGATIONS_PER_EPOCH} redelegations left {from} this epoch"),
        ));
    }
    let locked = if height < d.locked_until {
        d.locked_shares
    } else {
        0
    };
    let spendable = d.shares - locked.min(d.shares);
    if locked > 0 && amount > worth(&from_op, spendable)? && amount <= worth(&from_op, d.shares)? {
        return Err(TxFailure::new(
            TxCode::RedelegationLocked,
            format!(
                "stake redelegated to {from} may not move again before height {}",
                d.locked_until
            ),
        ));
    }
    settle(&mut d, &from_op)?;
    let (_, tokens) = unbond(&mut from_op, &mut d, amount, spendable)?;
    let mut d_to = delegation_or_new(state, sender, &to_op)?;
    settle(&mut d_to, &to_op)?;
    let shares = bond(&mut to_op, &mut d_to, tokens)?;
    d_to.locked_shares = d_to
        .locked_shares
        .checked_add(shares)
        .ok_or_else(|| TxFailure::overflow("locked shares"))?;
    d_to.locked_until = height
        .checked_add(info.staking.unbonding_blocks)
        .ok_or_else(|| TxFailure::overflow("the lock's end"))?;
    let id = state.get_u64(&state_key::redelegation_count())?;
    state.set_u64(state_key::redelegation_count(), id + 1);
    state.set_json(
        state_key::redelegation(id),
        &Redelegation {
            id,
            delegator: *sender,
            from: *from,
            to: *to,
            height,
            shares,
        },
    );
    moves.push(state, id)?;
    save_operator(state, &from_op);
    save_operator(state, &to_op);
    save_or_close(state, &d)?;
    save_delegation(state, &d_to);
    leave_candidates_if_empty(state, &from_op)?;
    join_candidates(state, &to_op)
}

/// The sender takes the rewards its delegation to `validator` earned, and, if it operates
/// `validator`, the commission.
pub(crate) fn withdraw_rewards(
    state: &mut StateOverlay<'_>,
    sender: &Address,
    validator: &Address,
) -> Result<(), TxFailure> {
    let mut op = require_operator(state, validator)?;
    let mut amount = Amount::ZERO;
    let delegation = load_delegation(state, sender, validator)?;
    if let Some(mut d) = delegation {
        settle(&mut d, &op)?;
        amount = d.rewards;
        d.rewards = Amount::ZERO;
        save_or_close(state, &d)?;
    }
    if op.address == *sender {
        amount = add(amount, op.commission, "rewards and commission")?;
        op.commission = Amount::ZERO;
        save_operator(state, &op);
    }
    if amount == Amount::ZERO {
        return Err(TxFailure::new(
            TxCode::NothingToWithdraw,
            format!("{sender} has no staking rewards with {validator}"),
        ));
    }
    if !state.move_funds(&rewards_account(), sender, amount)? {
        return Err(TxFailure::broken(
            "the staking rewards account holds less than it owes",
        ));
    }
    let mut t = totals(state)?;
    t.rewards_paid = add(t.rewards_paid, amount, "rewards paid")?;
    save_totals(state, &t);
    Ok(())
}

/// The sender's jailed validator rejoins the candidates once its jail period has passed.
pub(crate) fn unjail(
    state: &mut StateOverlay<'_>,
    height: u64,
    sender: &Address,
) -> Result<(), TxFailure> {
    let mut op = require_operator(state, sender)?;
    let Some(until) = op.jailed_until else {
        return Err(TxFailure::new(
            TxCode::NotJailed,
            format!("validator {sender} is not jailed"),
        ));
    };
    if height < until {
        return Err(TxFailure::new(
            TxCode::StillJailed,
            format!("validator {sender} may unjail from height {until}"),
        ));
    }
    op.jailed_until = None;
    save_operator(state, &op);
    Ok(())
}
