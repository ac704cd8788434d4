//! Staking's state keys.

use plexus_types::{Address, PublicKey};

/// An operator (a validator or an oracle), by its address.
pub fn operator(address: &Address) -> Vec<u8> {
    [b"staking/operator/".as_slice(), address.as_bytes()].concat()
}

/// The address of the operator numbered `id`.
pub fn operator_by_id(id: u64) -> Vec<u8> {
    [b"staking/operator_id/".as_slice(), &id.to_be_bytes()].concat()
}

/// Number of operators ever created (the next operator's id).
pub fn operator_count() -> Vec<u8> {
    b"staking/operator_count".to_vec()
}

/// Every operator's id, in creation order (an id list).
pub fn operators() -> Vec<u8> {
    b"staking/operators/".to_vec()
}

/// The ids of validators with bonded stake, the candidates of the next set (an id set).
pub fn candidates() -> Vec<u8> {
    b"staking/candidates/".to_vec()
}

/// The operator whose validator signs with `key`.
pub fn consensus_key(key: &PublicKey) -> Vec<u8> {
    [b"staking/consensus_key/".as_slice(), key.as_bytes()].concat()
}

/// A delegator's bonded stake with one operator.
pub fn delegation(delegator: &Address, operator: &Address) -> Vec<u8> {
    [
        b"staking/delegation/".as_slice(),
        delegator.as_bytes(),
        operator.as_bytes(),
    ]
    .concat()
}

/// The delegation numbered `id`: its delegator and operator.
pub fn delegation_by_id(id: u64) -> Vec<u8> {
    [b"staking/delegation_id/".as_slice(), &id.to_be_bytes()].concat()
}

/// Number of delegations ever opened (the next delegation's id).
pub fn delegation_count() -> Vec<u8> {
    b"staking/delegation_count".to_vec()
}

/// A delegator's delegations (an id set).
pub fn delegations_of(delegator: &Address) -> Vec<u8> {
    [
        b"staking/delegations_of/".as_slice(),
        delegator.as_bytes(),
        b"/",
    ]
    .concat()
}

/// What an operator's unstakes begun in `epoch` hold while they unbond.
pub fn unbonding_pool(operator: &Address, epoch: u64) -> Vec<u8> {
    [
        b"staking/unbonding_pool/".as_slice(),
        operator.as_bytes(),
        &epoch.to_be_bytes(),
    ]
    .concat()
}

/// An unbonding, by id.
pub fn unbonding(id: u64) -> Vec<u8> {
    [b"staking/unbonding/".as_slice(), &id.to_be_bytes()].concat()
}

/// The id of a delegator's unbonding from one operator begun in `epoch`.
pub fn unbonding_index(delegator: &Address, operator: &Address, epoch: u64) -> Vec<u8> {
    [
        b"staking/unbonding_index/".as_slice(),
        delegator.as_bytes(),
        operator.as_bytes(),
        &epoch.to_be_bytes(),
    ]
    .concat()
}

/// Number of unbondings ever begun (the next unbonding's id).
pub fn unbonding_count() -> Vec<u8> {
    b"staking/unbonding_count".to_vec()
}

/// A delegator's unbondings not yet paid (an id set).
pub fn unbondings_of(delegator: &Address) -> Vec<u8> {
    [
        b"staking/unbondings_of/".as_slice(),
        delegator.as_bytes(),
        b"/",
    ]
    .concat()
}

/// Every unbonding in the order it matures (an id list), and the slot paid next.
pub fn unbonding_queue() -> Vec<u8> {
    b"staking/unbonding_queue/".to_vec()
}

pub fn unbonding_queue_head() -> Vec<u8> {
    b"staking/unbonding_queue_head".to_vec()
}

/// A redelegation, by id.
pub fn redelegation(id: u64) -> Vec<u8> {
    [b"staking/redelegation/".as_slice(), &id.to_be_bytes()].concat()
}

/// Number of redelegations ever made (the next redelegation's id).
pub fn redelegation_count() -> Vec<u8> {
    b"staking/redelegation_count".to_vec()
}

/// The redelegations out of an operator made in `epoch` (an id list).
pub fn redelegations_out(operator: &Address, epoch: u64) -> Vec<u8> {
    [
        b"staking/redelegations_out/".as_slice(),
        operator.as_bytes(),
        &epoch.to_be_bytes(),
        b"/",
    ]
    .concat()
}

/// A double sign already slashed: one per consensus key and round (epoch and view).
pub fn fault(key: &PublicKey, epoch: u64, view: u64) -> Vec<u8> {
    [
        b"staking/fault/".as_slice(),
        key.as_bytes(),
        &epoch.to_be_bytes(),
        &view.to_be_bytes(),
    ]
    .concat()
}

/// The validator set that serves `epoch`.
pub fn validator_set(epoch: u64) -> Vec<u8> {
    [b"staking/set/".as_slice(), &epoch.to_be_bytes()].concat()
}

/// The epoch of the latest validator set computed.
pub fn latest_set_epoch() -> Vec<u8> {
    b"staking/set_latest".to_vec()
}

/// Running totals of bonded, unbonded, slashed and reward tokens.
pub fn staking_totals() -> Vec<u8> {
    b"staking/totals".to_vec()
}
