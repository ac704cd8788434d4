//! Staking: operators (validators and oracles), delegations, unbonding, redelegation,
//! staking rewards, double-sign slashing and the validator set of each epoch.
//!
//! Each operator keeps its bonded tokens and the shares its delegators hold of them; a slash
//! lowers the tokens and so every delegation's worth at once. An unstake converts shares into
//! a share of the operator's unbonding pool for the epoch it began in; such a pool is slashed
//! with the operator while it unbonds, and is paid back, a bounded batch per block, from a
//! queue in maturity order. Rewards (every fee of an epoch and `validator_emission_bps` of its
//! emission) are split at the epoch's end over the validators of its set by bonded stake; the
//! operator keeps its commission and the rest raises a cumulative reward per share, which a
//! delegation settles in O(1) when its shares change or it withdraws. Rounding remainders stay
//! in the staking rewards account, counted as `reward_dust`. Nothing here walks every
//! delegator: an epoch's end reads at most [`MAX_VALIDATOR_CANDIDATES`] operators, a slash at
//! most the unbonding pools and [`MAX_REDELEGATIONS_PER_EPOCH`] redelegations of each epoch
//! of the unbonding period.
//!
//! A double signer (two votes exactly as Commonware's simplex ed25519 scheme signs them, of
//! one kind and round, for different proposals) is slashed `double_sign_slash_bps` of its
//! bonded stake, of the unbondings begun in the fault's epoch or later, and of the stake
//! redelegated away from it in that epoch or later; the reporter gets `reporter_reward_bps`
//! of the slash and the slashed account the rest. It is jailed (out of the next sets) for
//! `jail_blocks`, after which its operator may `Unjail`; it is not tombstoned. Each fault
//! (consensus key, epoch and view) is slashed once.

mod actions;
mod candidates;
mod end_block;
mod genesis;
pub mod query;
mod slash;
pub mod state_key;

pub use crate::genesis::MAX_VALIDATOR_CANDIDATES;
use actions::{
    create_validator, edit_validator, redelegate, stake, unjail, unstake, withdraw_rewards,
};
pub(crate) use candidates::{candidates, join_candidates, leave_candidates_if_empty};
pub(crate) use end_block::{choose_set, emission_share_bps, end_block, epoch_ended};
pub(crate) use genesis::init_genesis;
use slash::report_double_sign;
pub use slash::MAX_EVIDENCE_AGE_EPOCHS;

use crate::bank::module_account;
use crate::codes::{TxCode, TxFailure};
use crate::genesis::ChainInfo;
use crate::id_set::IdSet;
use crate::overlay::StateOverlay;
use plexus_store::StoreError;
use plexus_types::{Address, Amount, Body, PublicKey};
use serde::{Deserialize, Serialize};

/// Most redelegations out of one operator in one epoch.
pub const MAX_REDELEGATIONS_PER_EPOCH: u64 = 64;
/// Unbondings paid back at the end of one block, at most.
pub const MAX_UNBONDINGS_PER_BLOCK: u64 = 64;
/// The scale of the reward per share: rewards per share are counted in 10⁻¹⁸ uplx.
pub const REWARD_INDEX_SCALE: u128 = 1_000_000_000_000_000_000;
/// Basis points in a whole.
pub(crate) const BPS: u128 = 10_000;

/// What an operator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorKind {
    Validator,
    /// A genesis oracle: it takes stake and its unbonding like a validator, but is never in
    /// the validator set and earns no staking rewards.
    Oracle,
}

/// An operator and the stake bonded to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub id: u64,
    pub address: Address,
    pub kind: OperatorKind,
    /// The key that signs its consensus votes (validators only).
    pub consensus_key: Option<PublicKey>,
    pub p2p_address: String,
    pub commission_bps: u32,
    /// The epoch of its last commission change (0: never changed).
    pub commission_epoch: u64,
    /// Bonded tokens, after slashes.
    pub tokens: Amount,
    /// Delegators' shares of `tokens`.
    #[serde(with = "crate::u128_string")]
    pub shares: u128,
    /// Cumulative reward per share, scaled by [`REWARD_INDEX_SCALE`].
    #[serde(with = "crate::u128_string")]
    pub reward_index: u128,
    /// Commission earned and not yet withdrawn.
    pub commission: Amount,
    /// Jailed until this height (it may unjail from then on); `None` when not jailed.
    pub jailed_until: Option<u64>,
    /// Everything slashed from it, its delegations and unbondings.
    pub slashed: Amount,
}

/// A delegator's bonded stake with one operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegation {
    pub id: u64,
    pub delegator: Address,
    pub operator: Address,
    #[serde(with = "crate::u128_string")]
    pub shares: u128,
    /// The operator's reward index when its rewards were last settled.
    #[serde(with = "crate::u128_string")]
    pub reward_index: u128,
    /// Rewards settled and not yet withdrawn.
    pub rewards: Amount,
    /// Shares that arrived by redelegation and may not be redelegated again before
    /// `locked_until`.
    #[serde(with = "crate::u128_string")]
    pub locked_shares: u128,
    pub locked_until: u64,
}

/// What an operator's unstakes of one epoch hold while they unbond.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UnbondingPool {
    pub tokens: Amount,
    #[serde(with = "crate::u128_string")]
    pub shares: u128,
}

/// A delegator's unstakes from one operator begun in one epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unbonding {
    pub id: u64,
    pub delegator: Address,
    pub operator: Address,
    pub epoch: u64,
    /// Its share of the operator's unbonding pool for `epoch`.
    #[serde(with = "crate::u128_string")]
    pub shares: u128,
    /// The height from which it is paid back.
    pub matures_at: u64,
}

/// Stake moved from one operator to another, kept while faults of `from` before the move
/// can still be slashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redelegation {
    pub id: u64,
    pub delegator: Address,
    pub from: Address,
    pub to: Address,
    pub height: u64,
    /// The shares of `to` the move bought.
    #[serde(with = "crate::u128_string")]
    pub shares: u128,
}

/// One validator of a set, with the stake it weighs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMember {
    pub operator: Address,
    pub consensus_key: PublicKey,
    pub power: Amount,
}

/// The validators that serve one epoch, from its first height: the top `max_validators`
/// unjailed validators by bonded stake with at least `min_validator_stake`, ties broken by
/// address bytes, in that order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorSet {
    pub epoch: u64,
    pub from_height: u64,
    pub validators: Vec<SetMember>,
}

/// Running totals of staking's two module accounts: the staking account holds `bonded -
/// unbonded - slashed`; the staking rewards account holds `rewards_in - rewards_paid`, of
/// which `reward_dust` is rounding that no one can withdraw.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StakingTotals {
    pub bonded: Amount,
    pub unbonded: Amount,
    pub slashed: Amount,
    /// Of `slashed`, what was paid to reporters of the evidence.
    pub reporter_rewards: Amount,
    /// Fees and emission credited to validators.
    pub rewards_in: Amount,
    pub rewards_paid: Amount,
    pub reward_dust: Amount,
}

/// Executes one of staking's actions.
pub(crate) fn execute(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    sender: &Address,
    body: &Body,
) -> Result<(), TxFailure> {
    match body {
        Body::CreateValidator {
            consensus_key,
            commission_bps,
            p2p_address,
            self_stake,
        } => create_validator(
            state,
            info,
            sender,
            consensus_key,
            *commission_bps,
            p2p_address,
            *self_stake,
        ),
        Body::EditValidator { commission_bps } => {
            edit_validator(state, info, sender, *commission_bps)
        }
        Body::Stake { validator, amount } => stake(state, sender, validator, *amount),
        Body::Unstake { validator, amount } => unstake(state, info, sender, validator, *amount),
        Body::Redelegate { from, to, amount } => {
            redelegate(state, info, height, sender, (from, to), *amount)
        }
        Body::WithdrawStakingRewards { validator } => withdraw_rewards(state, sender, validator),
        Body::ReportDoubleSign(evidence) => {
            report_double_sign(state, info, height, sender, evidence)
        }
        Body::Unjail => unjail(state, height, sender),
        _ => Err(TxFailure::broken(
            "a body that is not staking's reached staking",
        )),
    }
}

/// floor(a × b / c), or an overflow failure naming `what`.
pub(crate) fn mul_div(a: u128, b: u128, c: u128, what: &str) -> Result<u128, TxFailure> {
    plexus_rewards::mul_div_floor(a, b, c).ok_or_else(|| TxFailure::overflow(what))
}

pub(crate) fn add(a: Amount, b: Amount, what: &str) -> Result<Amount, TxFailure> {
    a.checked_add(b).ok_or_else(|| TxFailure::overflow(what))
}

pub(crate) fn sub(a: Amount, b: Amount, what: &str) -> Result<Amount, TxFailure> {
    a.checked_sub(b)
        .ok_or_else(|| TxFailure::broken(format_args!("staking accounting: {what}")))
}

/// The epoch the block being built belongs to.
pub(crate) fn epoch_in_progress(state: &StateOverlay<'_>) -> Result<u64, StoreError> {
    Ok(crate::epochs::last_epoch(state)? + 1)
}

pub(crate) fn load_operator(
    state: &StateOverlay<'_>,
    address: &Address,
) -> Result<Option<Operator>, StoreError> {
    state.get_json(&state_key::operator(address))
}

/// The operator at `address`, or a failure saying there is none.
pub(crate) fn require_operator(
    state: &StateOverlay<'_>,
    address: &Address,
) -> Result<Operator, TxFailure> {
    load_operator(state, address)?.ok_or_else(|| {
        TxFailure::new(
            TxCode::UnknownValidator,
            format!("{address} is not a validator or oracle operator"),
        )
    })
}

pub(crate) fn save_operator(state: &mut StateOverlay<'_>, op: &Operator) {
    state.set_json(state_key::operator(&op.address), op);
}

/// Records a new operator under the next id.
pub(crate) fn add_operator(
    state: &mut StateOverlay<'_>,
    mut op: Operator,
) -> Result<Operator, StoreError> {
    let id = state.get_u64(&state_key::operator_count())?;
    op.id = id;
    state.set_u64(state_key::operator_count(), id + 1);
    state.set(
        state_key::operator_by_id(id),
        op.address.as_bytes().to_vec(),
    );
    crate::id_set::IdList(state_key::operators()).push(state, id)?;
    if let Some(key) = &op.consensus_key {
        state.set(
            state_key::consensus_key(key),
            op.address.as_bytes().to_vec(),
        );
    }
    save_operator(state, &op);
    Ok(op)
}

pub(crate) fn load_delegation(
    state: &StateOverlay<'_>,
    delegator: &Address,
    operator: &Address,
) -> Result<Option<Delegation>, StoreError> {
    state.get_json(&state_key::delegation(delegator, operator))
}

pub(crate) fn save_delegation(state: &mut StateOverlay<'_>, d: &Delegation) {
    state.set_json(state_key::delegation(&d.delegator, &d.operator), d);
}

/// A delegator's delegation to `op`, opened (empty, under a new id) if it has none.
pub(crate) fn delegation_or_new(
    state: &mut StateOverlay<'_>,
    delegator: &Address,
    op: &Operator,
) -> Result<Delegation, StoreError> {
    if let Some(d) = load_delegation(state, delegator, &op.address)? {
        return Ok(d);
    }
    let id = state.get_u64(&state_key::delegation_count())?;
    state.set_u64(state_key::delegation_count(), id + 1);
    let mut pair = delegator.as_bytes().to_vec();
    pair.extend_from_slice(op.address.as_bytes());
    state.set(state_key::delegation_by_id(id), pair);
    IdSet(state_key::delegations_of(delegator)).insert(state, id)?;
    Ok(Delegation {
        id,
        delegator: *delegator,
        operator: op.address,
        shares: 0,
        reward_index: op.reward_index,
        rewards: Amount::ZERO,
        locked_shares: 0,
        locked_until: 0,
    })
}

/// Settles what `d` earned since its last settlement: shares × (index now − index then).
pub(crate) fn settle(d: &mut Delegation, op: &Operator) -> Result<(), TxFailure> {
    let growth = op
        .reward_index
        .checked_sub(d.reward_index)
        .ok_or_else(|| TxFailure::broken("a delegation's reward index is ahead"))?;
    let earned = mul_div(d.shares, growth, REWARD_INDEX_SCALE, "staking rewards")?;
    d.rewards = add(d.rewards, Amount(earned), "staking rewards")?;
    d.reward_index = op.reward_index;
    Ok(())
}

/// Bonds `amount` (already moved into the staking account) to `op` for `d`, whose rewards
/// must be settled: the shares it buys at the operator's rate (one share per token while the
/// operator holds none).
pub(crate) fn bond(
    op: &mut Operator,
    d: &mut Delegation,
    amount: Amount,
) -> Result<u128, TxFailure> {
    let shares = if op.shares == 0 {
        amount.0
    } else {
        if op.tokens == Amount::ZERO {
            return Err(TxFailure::new(
                TxCode::UnknownValidator,
                format!("operator {} was slashed of all its stake", op.address),
            ));
        }
        mul_div(amount.0, op.shares, op.tokens.0, "shares")?
    };
    if shares == 0 {
        return Err(TxFailure::new(
            TxCode::StakeTooLow,
            format!("{amount} buys no share of {}", op.address),
        ));
    }
    op.tokens = add(op.tokens, amount, "the operator's bonded stake")?;
    op.shares = op
        .shares
        .checked_add(shares)
        .ok_or_else(|| TxFailure::overflow("the operator's shares"))?;
    d.shares = d
        .shares
        .checked_add(shares)
        .ok_or_else(|| TxFailure::overflow("the delegation's shares"))?;
    Ok(shares)
}

/// The tokens `shares` of `op` are worth.
pub(crate) fn worth(op: &Operator, shares: u128) -> Result<Amount, TxFailure> {
    if op.shares == 0 {
        return Ok(Amount::ZERO);
    }
    Ok(Amount(mul_div(op.tokens.0, shares, op.shares, "stake")?))
}

/// Takes from `d` (rewards settled) the shares that `amount` tokens of `op` are worth, rounded
/// up so no stake is left unpaid for, and returns the tokens they are worth. Refuses an
/// amount above what the delegation is worth, or `spendable` shares of it.
pub(crate) fn unbond(
    op: &mut Operator,
    d: &mut Delegation,
    amount: Amount,
    spendable: u128,
) -> Result<(u128, Amount), TxFailure> {
    let held = worth(op, spendable)?;
    if amount == Amount::ZERO || amount > held {
        return Err(TxFailure::new(
            TxCode::InsufficientStake,
            format!(
                "{amount} asked of a delegation to {} worth {held} that can be moved",
                op.address
            ),
        ));
    }
    let mut shares = mul_div(amount.0, op.shares, op.tokens.0, "shares")?;
    if worth(op, shares)? < amount {
        shares += 1;
    }
    let shares = shares.min(spendable);
    let tokens = worth(op, shares)?;
    op.tokens = sub(op.tokens, tokens, "an operator's tokens")?;
    op.shares -= shares;
    d.shares = d
        .shares
        .checked_sub(shares)
        .ok_or_else(|| TxFailure::broken("a delegation with too few shares"))?;
    d.locked_shares = d.locked_shares.min(d.shares);
    Ok((shares, tokens))
}

pub(crate) fn totals(state: &StateOverlay<'_>) -> Result<StakingTotals, StoreError> {
    Ok(state
        .get_json(&state_key::staking_totals())?
        .unwrap_or_default())
}

pub(crate) fn save_totals(state: &mut StateOverlay<'_>, t: &StakingTotals) {
    state.set_json(state_key::staking_totals(), t);
}

/// The staking account: bonded and unbonding stake.
pub(crate) fn bond_account() -> Address {
    module_account::staking()
}

/// The staking rewards account: validators' rewards not yet withdrawn.
pub(crate) fn rewards_account() -> Address {
    module_account::staking_rewards()
}
