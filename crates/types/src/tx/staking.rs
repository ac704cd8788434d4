//! Staking's actions: create and edit a validator, stake, unstake and redelegate to an
//! operator, withdraw staking rewards, report a double sign, and unjail.

use super::fields::{bad, hash_field, key_field};
use super::{Body, TxError};
use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash;
use crate::keys::{PublicKey, Signature};
use crate::proto;
use proto::tx_payload::Body as P;

/// Longest peer address a validator declares.
pub const MAX_P2P_ADDRESS_LEN: usize = 256;
/// The largest commission: the whole reward.
pub const MAX_COMMISSION_BPS: u32 = 10_000;

/// One consensus vote as the Commonware driver signs it (a simplex notarize or finalize of a
/// proposal), and the consensus key's signature over [`crate::statements::consensus_vote`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsensusVote {
    /// A finalize vote; a notarize vote otherwise.
    pub finalize: bool,
    pub epoch: u64,
    pub view: u64,
    /// The view of the proposal's parent.
    pub parent: u64,
    pub payload: Hash,
    pub signature: Signature,
}

impl ConsensusVote {
    /// The bytes the consensus key signed.
    pub fn message(&self) -> Vec<u8> {
        crate::statements::consensus_vote(
            self.finalize,
            self.epoch,
            self.view,
            self.parent,
            &self.payload,
        )
    }
}

/// Two votes by one consensus key: a double sign when they are of one kind, for one epoch and
/// view, for different proposals (parent or payload), and both signatures verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoubleSignEvidence {
    pub consensus_key: PublicKey,
    pub first: ConsensusVote,
    pub second: ConsensusVote,
}

fn address_field(field: &'static str, bytes: &[u8]) -> Result<Address, TxError> {
    Address::from_slice(bytes).map_err(|e| bad(field, e))
}

fn amount_field(field: &'static str, s: &str) -> Result<Amount, TxError> {
    Amount::from_base_units(s).map_err(|e| bad(field, e))
}

fn commission_field(bps: u32) -> Result<u32, TxError> {
    if bps > MAX_COMMISSION_BPS {
        return Err(bad(
            "commission_bps",
            format!("{bps} is above {MAX_COMMISSION_BPS}"),
        ));
    }
    Ok(bps)
}

pub(super) fn decode_create_validator(c: proto::CreateValidator) -> Result<Body, TxError> {
    if c.p2p_address.is_empty() || c.p2p_address.len() > MAX_P2P_ADDRESS_LEN {
        return Err(bad(
            "p2p_address",
            format!("must be 1 to {MAX_P2P_ADDRESS_LEN} bytes"),
        ));
    }
    Ok(Body::CreateValidator {
        consensus_key: key_field("consensus_key", &c.consensus_key)?,
        commission_bps: commission_field(c.commission_bps)?,
        p2p_address: c.p2p_address,
        self_stake: amount_field("self_stake", &c.self_stake)?,
    })
}

pub(super) fn encode_create_validator(
    consensus_key: &PublicKey,
    commission_bps: u32,
    p2p_address: &str,
    self_stake: &Amount,
) -> P {
    P::CreateValidator(proto::CreateValidator {
        consensus_key: consensus_key.as_bytes().to_vec(),
        commission_bps,
        p2p_address: p2p_address.to_string(),
        self_stake: self_stake.to_string(),
    })
}

pub(super) fn decode_edit_validator(e: proto::EditValidator) -> Result<Body, TxError> {
    Ok(Body::EditValidator {
        commission_bps: commission_field(e.commission_bps)?,
    })
}

pub(super) fn decode_stake(s: proto::Stake) -> Result<Body, TxError> {
    Ok(Body::Stake {
        validator: address_field("validator", &s.validator)?,
        amount: amount_field("amount", &s.amount)?,
    })
}

pub(super) fn encode_stake(validator: &Address, amount: &Amount) -> P {
    P::Stake(proto::Stake {
        validator: validator.as_bytes().to_vec(),
        amount: amount.to_string(),
    })
}

pub(super) fn decode_unstake(u: proto::Unstake) -> Result<Body, TxError> {
    Ok(Body::Unstake {
        validator: address_field("validator", &u.validator)?,
        amount: amount_field("amount", &u.amount)?,
    })
}

pub(super) fn encode_unstake(validator: &Address, amount: &Amount) -> P {
    P::Unstake(proto::Unstake {
        validator: validator.as_bytes().to_vec(),
        amount: amount.to_string(),
    })
}

pub(super) fn decode_redelegate(r: proto::Redelegate) -> Result<Body, TxError> {
    Ok(Body::Redelegate {
        from: address_field("from", &r.from)?,
        to: address_field("to", &r.to)?,
        amount: amount_field("amount", &r.amount)?,
    })
}

pub(super) fn encode_redelegate(from: &Address, to: &Address, amount: &Amount) -> P {
    P::Redelegate(proto::Redelegate {
        from: from.as_bytes().to_vec(),
        to: to.as_bytes().to_vec(),
        amount: amount.to_string(),
    })
}

pub(super) fn decode_withdraw_staking_rewards(
    w: proto::WithdrawStakingRewards,
) -> Result<Body, TxError> {
    Ok(Body::WithdrawStakingRewards {
        validator: address_field("validator", &w.validator)?,
    })
}

pub(super) fn encode_withdraw_staking_rewards(validator: &Address) -> P {
    P::WithdrawStakingRewards(proto::WithdrawStakingRewards {
        validator: validator.as_bytes().to_vec(),
    })
}

fn vote_from(
    field: &'static str,
    v: Option<proto::ConsensusVote>,
) -> Result<ConsensusVote, TxError> {
    let v = v.ok_or_else(|| bad(field, "missing"))?;
    Ok(ConsensusVote {
        finalize: v.finalize,
        epoch: v.epoch,
        view: v.view,
        parent: v.parent,
        payload: hash_field(field, &v.payload)?,
        signature: Signature::from_slice(&v.signature).map_err(|e| bad(field, e))?,
    })
}

fn vote_to(v: &ConsensusVote) -> proto::ConsensusVote {
    proto::ConsensusVote {
        finalize: v.finalize,
        epoch: v.epoch,
        view: v.view,
        parent: v.parent,
        payload: v.payload.0.to_vec(),
        signature: v.signature.to_bytes().to_vec(),
    }
}

pub(super) fn decode_report_double_sign(r: proto::ReportDoubleSign) -> Result<Body, TxError> {
    Ok(Body::ReportDoubleSign(DoubleSignEvidence {
        consensus_key: key_field("consensus_key", &r.consensus_key)?,
        first: vote_from("first", r.first)?,
        second: vote_from("second", r.second)?,
    }))
}

pub(super) fn encode_report_double_sign(e: &DoubleSignEvidence) -> P {
    P::ReportDoubleSign(proto::ReportDoubleSign {
        consensus_key: e.consensus_key.as_bytes().to_vec(),
        first: Some(vote_to(&e.first)),
        second: Some(vote_to(&e.second)),
    })
}
