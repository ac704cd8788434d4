//! `GET /v1/staking`, `/v1/validators`, `/v1/validators/set`, `/v1/validators/{address}`,
//! `/v1/delegations/{address}` and `/v1/unbondings/{address}`: operators, the validator set,
//! a delegator's stake and staking's books. Records mirror the ledger's field for field;
//! share counts and reward indexes are decimal strings, like amounts.

use plexus_types::{Address, Amount, PublicKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Staking's parameters, fixed at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StakingParamsView {
    /// Blocks an unstake waits after the end of the epoch it began in.
    pub unbonding_blocks: u64,
    pub max_validators: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub min_validator_stake: Amount,
    pub max_commission_step_bps: u32,
    /// Share of each epoch's emission paid to its validators.
    pub validator_emission_bps: u32,
    pub double_sign_slash_bps: u32,
    pub reporter_reward_bps: u32,
    pub jail_blocks: u64,
}

/// What an operator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OperatorKindView {
    Validator,
    /// Takes stake, never joins the validator set.
    Oracle,
}

/// A validator or oracle operator and the stake bonded to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperatorView {
    pub id: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub address: Address,
    pub kind: OperatorKindView,
    /// The key that signs its consensus votes (validators only).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::PublicKeySchema>))]
    pub consensus_key: Option<PublicKey>,
    pub p2p_address: String,
    pub commission_bps: u32,
    /// The epoch of its last commission change (0: never).
    pub commission_epoch: u64,
    /// Bonded tokens, after slashes.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub tokens: Amount,
    /// Delegators' shares of `tokens` (decimal string).
    pub shares: String,
    /// Cumulative reward per share, in 10⁻¹⁸ uplx (decimal string).
    pub reward_index: String,
    /// Commission earned and not yet withdrawn.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub commission: Amount,
    /// Jailed until this height; null when not jailed.
    pub jailed_until: Option<u64>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub slashed: Amount,
}

/// `GET /v1/validators`: operators in creation order, a page at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperatorsView {
    pub height: u64,
    pub operators: Vec<OperatorView>,
    /// Where the next page starts (`from`), `None` after the last.
    #[serde(default)]
    pub next: Option<u64>,
}

/// One validator of a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetMemberView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub operator: Address,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::PublicKeySchema))]
    pub consensus_key: PublicKey,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub power: Amount,
}

/// `GET /v1/validators/set`: the validators that serve an epoch, from its first height.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidatorSetView {
    pub epoch: u64,
    pub from_height: u64,
    pub validators: Vec<SetMemberView>,
}

/// A delegator's stake with one operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DelegationView {
    pub id: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub delegator: Address,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub operator: Address,
    pub shares: String,
    pub reward_index: String,
    /// Rewards settled and not yet withdrawn.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub rewards: Amount,
    /// Shares that arrived by redelegation and may not move again before `locked_until`.
    pub locked_shares: String,
    pub locked_until: u64,
    /// What the shares are worth now.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub stake: Amount,
    /// What a withdrawal would pay now.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub withdrawable_rewards: Amount,
}

/// `GET /v1/delegations/{address}`: a page of a delegator's delegations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DelegationsView {
    pub height: u64,
    pub delegations: Vec<DelegationView>,
    #[serde(default)]
    pub next: Option<u64>,
}

/// A delegator's unstakes from one operator begun in one epoch, not yet paid back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnbondingView {
    pub id: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub delegator: Address,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub operator: Address,
    pub epoch: u64,
    pub shares: String,
    /// The height from which it is paid back.
    pub matures_at: u64,
    /// What it is worth now (after any slash).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub amount: Amount,
}

/// `GET /v1/unbondings/{address}`: a page of a delegator's unbondings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnbondingsView {
    pub height: u64,
    pub unbondings: Vec<UnbondingView>,
    #[serde(default)]
    pub next: Option<u64>,
}

/// `GET /v1/staking`: staking's totals (bonded, unbonded, slashed, rewards in and paid, reward
/// dust) and what its accounts hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StakingView {
    /// Whether `bonded = unbonded + slashed + bonded_held` and `rewards_in = rewards_paid +
    /// rewards_held`.
    pub balanced: bool,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}
