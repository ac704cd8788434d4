//! Staking at genesis: each genesis validator bonded with its stake as its operator's
//! self-bond (the stake is created in the staking account and counts in the supply), each
//! genesis oracle an operator that takes stake, and the set of the first epoch.

use super::{
    actions::bond_new, add, add_operator, bond_account, choose_set, save_totals, totals, Operator,
    OperatorKind,
};
use crate::bank::BankState;
use crate::genesis::{ChainInfo, Genesis, GenesisError};
use crate::overlay::StateOverlay;
use plexus_types::Amount;

fn operator(kind: OperatorKind) -> Operator {
    Operator {
        id: 0,
        address: plexus_types::Address([0; 20]),
        kind,
        consensus_key: None,
        p2p_address: String::new(),
        commission_bps: 0,
        commission_epoch: 0,
        tokens: Amount::ZERO,
        shares: 0,
        reward_index: 0,
        commission: Amount::ZERO,
        jailed_until: None,
        slashed: Amount::ZERO,
    }
}

/// Writes genesis's operators, their self-bonds and the first epoch's set. The self-bonds
/// are credited to the staking account here; the caller counts them in the supply.
pub(crate) fn init_genesis(
    state: &mut StateOverlay<'_>,
    genesis: &Genesis,
    info: &ChainInfo,
) -> Result<(), GenesisError> {
    let corrupt = |e: crate::codes::TxFailure| GenesisError::Corrupt(format!("staking: {e:?}"));
    let mut bonded = Amount::ZERO;
    for v in &genesis.validators {
        let (Some(key), Some(address)) = (v.consensus_public_key(), v.operator()) else {
            return Err(GenesisError::BadValidators(format!(
                "consensus key {} is not an Ed25519 public key",
                v.consensus_key
            )));
        };
        if super::load_operator(state, &address)?.is_some() {
            return Err(GenesisError::BadValidators(format!(
                "validator {} is listed twice",
                v.consensus_key
            )));
        }
        let mut account = state.account(&bond_account())?;
        account.balance = add(account.balance, v.stake, "genesis stake").map_err(corrupt)?;
        state.set_account(&bond_account(), account);
        bonded = add(bonded, v.stake, "genesis stake").map_err(corrupt)?;
        let op = add_operator(
            state,
            Operator {
                address,
                consensus_key: Some(key),
                p2p_address: v.p2p_address.clone(),
                ..operator(OperatorKind::Validator)
            },
        )?;
        bond_new(state, op, &address, v.stake).map_err(corrupt)?;
    }
    for member in &genesis.oracles.members {
        if super::load_operator(state, member)?.is_some() {
            return Err(GenesisError::BadOracles(format!(
                "oracle {member} also operates a genesis validator"
            )));
        }
        add_operator(
            state,
            Operator {
                address: *member,
                ..operator(OperatorKind::Oracle)
            },
        )?;
    }
    let mut t = totals(state)?;
    t.bonded = bonded;
    save_totals(state, &t);
    choose_set(state, info, 1, 1)?;
    Ok(())
}
