//! Double-sign evidence: checked from the two votes alone, it slashes the validator, what
//! unbonds from it and what was redelegated away from it since the fault's epoch, and jails
//! it.

use super::{
    add, bond_account, leave_candidates_if_empty, load_delegation, load_operator, mul_div,
    require_operator, save_delegation, save_operator, save_totals, settle, state_key, sub, totals,
    worth, Redelegation, UnbondingPool, BPS,
};
use crate::bank::{module_account, BankState};
use crate::codes::{TxCode, TxFailure};
use crate::genesis::ChainInfo;
use crate::id_set::IdList;
use crate::overlay::StateOverlay;
use plexus_types::{Address, Amount, DoubleSignEvidence};

/// The oldest fault a report may name, in epochs (besides the unbonding period).
pub const MAX_EVIDENCE_AGE_EPOCHS: u64 = 64;

fn bad(why: impl Into<String>) -> TxFailure {
    TxFailure::new(TxCode::BadEvidence, why)
}

/// Checks that `e` shows the key signing, in one round and for one kind of vote, two
/// different proposals.
fn check_evidence(e: &DoubleSignEvidence) -> Result<(), TxFailure> {
    let (a, b) = (&e.first, &e.second);
    if a.finalize != b.finalize {
        return Err(bad("a notarize and a finalize vote are no double sign"));
    }
    if (a.epoch, a.view) != (b.epoch, b.view) {
        return Err(bad(format!(
            "the votes are for rounds ({}, {}) and ({}, {}), not one round",
            a.epoch, a.view, b.epoch, b.view
        )));
    }
    if (a.parent, a.payload) == (b.parent, b.payload) {
        return Err(bad("both votes are for the same proposal"));
    }
    for vote in [a, b] {
        if e.consensus_key
            .verify(&vote.message(), &vote.signature)
            .is_err()
        {
            return Err(bad(format!(
                "a vote for {} in view {} is not signed by {}",
                vote.payload, vote.view, e.consensus_key
            )));
        }
    }
    Ok(())
}

/// Slashes and jails the validator that signed both votes of `e`, once per fault; pays the
/// reporter `reporter_reward_bps` of the slash. Refused for evidence whose view is more than
/// `unbonding_blocks` behind `height`.
pub(crate) fn report_double_sign(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    reporter: &Address,
    e: &DoubleSignEvidence,
) -> Result<(), TxFailure> {
    check_evidence(e)?;
    let view = e.first.view;
    let operator = state
        .get(&state_key::consensus_key(&e.consensus_key))?
        .and_then(|b| Address::from_slice(&b).ok())
        .ok_or_else(|| {
            TxFailure::new(
                TxCode::UnknownValidator,
                format!("no validator signs with {}", e.consensus_key),
            )
        })?;
    let fault_key = state_key::fault(&e.consensus_key, e.first.epoch, view);
    if state.get(&fault_key)?.is_some() {
        return Err(TxFailure::new(
            TxCode::AlreadySlashed,
            format!(
                "the double sign in epoch {} view {view} was already slashed",
                e.first.epoch
            ),
        ));
    }
    // A slash reads the unbonding pools and redelegations of every epoch since the fault, so
    // evidence is taken for at most the unbonding period and at most
    // MAX_EVIDENCE_AGE_EPOCHS epochs.
    let window = info
        .staking
        .unbonding_blocks
        .min(MAX_EVIDENCE_AGE_EPOCHS.saturating_mul(info.rewards.epoch_blocks));
    if height > view.saturating_add(window) {
        return Err(TxFailure::new(
            TxCode::EvidenceTooOld,
            format!("a fault in view {view} is more than {window} blocks old"),
        ));
    }
    // A vote in view v was cast at a height no later than v; a view ahead of the chain is
    // taken as a fault now.
    let fault_height = view.min(height).max(1);
    let fault_epoch = fault_height.div_ceil(info.rewards.epoch_blocks);
    let bps = info.staking.double_sign_slash_bps as u128;
    let mut op = require_operator(state, &operator)?;
    let mut cut = Amount(mul_div(op.tokens.0, bps, BPS, "a slash")?);
    op.tokens = sub(op.tokens, cut, "a slash above the stake")?;
    let epoch = super::epoch_in_progress(state)?;
    for e in fault_epoch..=epoch {
        cut = add(cut, slash_pool(state, &operator, e, bps)?, "a slash")?;
        cut = add(cut, slash_moved(state, &operator, e, bps)?, "a slash")?;
    }
    let reward = Amount(mul_div(
        cut.0,
        info.staking.reporter_reward_bps as u128,
        BPS,
        "a reward",
    )?);
    let burnt = sub(cut, reward, "a reporter's reward above the slash")?;
    if !state.move_funds(&bond_account(), reporter, reward)?
        || !state.move_funds(&bond_account(), &module_account::slashed(), burnt)?
    {
        return Err(TxFailure::broken(
            "the staking account holds less than a slash",
        ));
    }
    let mut t = totals(state)?;
    t.slashed = add(t.slashed, cut, "slashed stake")?;
    t.reporter_rewards = add(t.reporter_rewards, reward, "reporters' rewards")?;
    save_totals(state, &t);
    op.slashed = add(op.slashed, cut, "slashed stake")?;
    op.jailed_until = Some(
        height
            .checked_add(info.staking.jail_blocks)
            .ok_or_else(|| TxFailure::overflow("the jail's end"))?,
    );
    leave_candidates_if_empty(state, &op)?;
    save_operator(state, &op);
    state.set(fault_key, height.to_be_bytes().to_vec());
    Ok(())
}

/// Slashes `bps` of the operator's unbonding pool of `epoch`; returns what it took.
fn slash_pool(
    state: &mut StateOverlay<'_>,
    operator: &Address,
    epoch: u64,
    bps: u128,
) -> Result<Amount, TxFailure> {
    let key = state_key::unbonding_pool(operator, epoch);
    let Some(mut pool) = state.get_json::<UnbondingPool>(&key)? else {
        return Ok(Amount::ZERO);
    };
    let cut = Amount(mul_div(pool.tokens.0, bps, BPS, "a slash")?);
    pool.tokens = sub(pool.tokens, cut, "a slash above an unbonding pool")?;
    state.set_json(key, &pool);
    Ok(cut)
}

/// Slashes `bps` of the shares each redelegation out of the operator in `epoch` bought at its
/// destination, as far as the delegation there still holds them; returns what it took.
fn slash_moved(
    state: &mut StateOverlay<'_>,
    operator: &Address,
    epoch: u64,
    bps: u128,
) -> Result<Amount, TxFailure> {
    let moves = IdList(state_key::redelegations_out(operator, epoch));
    let mut cut = Amount::ZERO;
    for slot in 0..moves.len(state)? {
        let id = moves.at(state, slot)?;
        let r: Redelegation = state
            .get_json(&state_key::redelegation(id))?
            .ok_or_else(|| TxFailure::broken("a listed redelegation is missing"))?;
        let (Some(mut to), Some(mut d)) = (
            load_operator(state, &r.to)?,
            load_delegation(state, &r.delegator, &r.to)?,
        ) else {
            continue;
        };
        settle(&mut d, &to)?;
        let shares = mul_div(r.shares, bps, BPS, "a slash")?.min(d.shares);
        let tokens = worth(&to, shares)?;
        to.tokens = sub(to.tokens, tokens, "a slash above the stake")?;
        to.shares -= shares;
        d.shares -= shares;
        d.locked_shares = d.locked_shares.min(d.shares);
        cut = add(cut, tokens, "a slash")?;
        leave_candidates_if_empty(state, &to)?;
        save_operator(state, &to);
        save_delegation(state, &d);
    }
    Ok(cut)
}
