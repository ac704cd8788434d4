//! Staking end to end through blocks: validators and oracles take stake, pay it back after
//! the unbonding period, share fees and emission by stake with their commission, are slashed
//! and jailed on double-sign evidence, and the set of each epoch follows stake. Every test
//! checks that the supply is conserved: every balance and module account adds up to what
//! genesis created and emission minted.
mod common;

use common::*;
use plexus_ledger::staking::{OperatorKind, MAX_REDELEGATIONS_PER_EPOCH};
use plexus_ledger::{
    module_account, query, Genesis, GenesisValidator, Ledger, RewardParams, StakingParams, TxCode,
};
use plexus_types::{
    statements, Address, Amount, Body, ConsensusVote, DoubleSignEvidence, Hash, SecretKey,
    SignedTx, UnsignedTx,
};

const EPOCH_BLOCKS: u64 = 10;
const EMISSION: u128 = 1_000_003;
const SELF_BOND: u128 = 3_000_000;
const UNBONDING: u64 = 20;
const JAIL: u64 = 10;

/// Validator `i`'s consensus key; its operator is the key's address.
fn validator(i: u8) -> SecretKey {
    SecretKey::from_seed([100 + i; 32])
}

fn delegator(i: u8) -> SecretKey {
    key(i)
}

/// A chain with `validators` genesis validators (self-bonds of [`SELF_BOND`], then each one
/// more uplx than the last), two oracles, and funded delegators 0..4.
fn staking_genesis(validators: u8, params: StakingParams) -> Genesis {
    let mut funded: Vec<(Address, u128)> = (0..4).map(|i| (addr(&delegator(i)), FUNDS)).collect();
    funded.extend((0..validators + 2).map(|i| (addr(&validator(i)), FUNDS)));
    funded.extend((0..2).map(|i| (addr(&oracle(i)), FUNDS)));
    let mut g = oracle_genesis(&funded, EPOCH_BLOCKS, 2);
    g.rewards = RewardParams {
        epoch_blocks: EPOCH_BLOCKS,
        initial_epoch_emission: Amount(EMISSION),
        ..RewardParams::default()
    };
    g.validators = (0..validators)
        .map(|i| GenesisValidator {
            consensus_key: hex::encode(validator(i).public_key().as_bytes()),
            stake: Amount(SELF_BOND + i as u128),
            p2p_address: format!("127.0.0.1:{}", 26_000 + i as u16),
        })
        .collect();
    g.staking = params;
    g
}

fn params() -> StakingParams {
    StakingParams {
        unbonding_blocks: UNBONDING,
        max_validators: 3,
        min_validator_stake: Amount(1_000_000),
        max_commission_step_bps: 10_000,
        validator_emission_bps: 1_000,
        double_sign_slash_bps: 1_000,
        reporter_reward_bps: 100,
        jail_blocks: JAIL,
    }
}

struct Chain {
    net: Net,
    genesis_supply: u128,
    /// Every account that can hold tokens: genesis accounts, validators' operators and the
    /// module accounts.
    known: Vec<Address>,
}

impl Chain {
    fn new(validators: u8, params: StakingParams) -> Chain {
        Chain::with_genesis(staking_genesis(validators, params))
    }

    fn with_genesis(g: Genesis) -> Chain {
        let genesis_supply = g.validate().unwrap().0;
        let mut known: Vec<Address> = g.accounts.iter().map(|a| a.address).collect();
        known.extend(g.validators.iter().filter_map(|v| v.operator()));
        known.extend(module_account::all());
        known.sort();
        known.dedup();
        Chain {
            net: Net::with_genesis(g),
            genesis_supply,
            known,
        }
    }

    fn send(&mut self, key: &SecretKey, body: Body) -> TxCode {
        let code = self.net.send(key, body);
        self.assert_conserved();
        code
    }

    /// Sends a transaction that must fail with `code` and change nothing but its fee.
    fn refused(&mut self, key: &SecretKey, body: Body, code: TxCode) {
        let store = self.net.ledger.store();
        let before = (
            self.net.balance(&addr(key)),
            query::staking_totals(store).unwrap(),
            query::delegations_page(store, &addr(key), 0, 100).unwrap(),
            query::operators_page(store, 0, 100).unwrap(),
        );
        let result = self.net.send_for_result(key, body);
        assert_eq!(result.code, code, "{}", result.log);
        let store = self.net.ledger.store();
        let after = (
            self.net.balance(&addr(key)) + result.fee.0,
            query::staking_totals(store).unwrap(),
            query::delegations_page(store, &addr(key), 0, 100).unwrap(),
            query::operators_page(store, 0, 100).unwrap(),
        );
        assert_eq!(
            before, after,
            "a refused transaction changed more than its fee"
        );
        self.assert_conserved();
    }

    fn blocks(&mut self, n: u64) {
        for _ in 0..n {
            self.net.empty_blocks(1);
            self.assert_conserved();
        }
    }

    fn height(&self) -> u64 {
        self.net.ledger.last_committed().0
    }

    /// Runs empty blocks until `height` is committed.
    fn run_to(&mut self, height: u64) {
        while self.height() < height {
            self.blocks(1);
        }
    }

    fn operator(&self, i: u8) -> plexus_ledger::staking::Operator {
        query::operator(self.net.ledger.store(), &addr(&validator(i)))
            .unwrap()
            .unwrap()
    }

    fn stake_of(&self, who: &SecretKey, op: &Address) -> u128 {
        query::delegation(self.net.ledger.store(), &addr(who), op)
            .unwrap()
            .map_or(0, |d| d.stake.0)
    }

    fn set(&self) -> Vec<Address> {
        query::validator_set(self.net.ledger.store(), None)
            .unwrap()
            .unwrap()
            .validators
            .iter()
            .map(|m| m.operator)
            .collect()
    }

    /// Every unit of the supply is in a known account; nothing was minted but emission; the
    /// staking and reward books balance.
    fn assert_conserved(&self) {
        let store = self.net.ledger.store();
        let held: u128 = self.known.iter().map(|a| self.net.balance(a)).sum();
        let supply = self.net.ledger.supply().unwrap().0;
        assert_eq!(held, supply, "a unit of the supply is in no known account");
        let rewards = query::reward_totals(store).unwrap();
        assert!(rewards.balances(), "rewards: {rewards:?}");
        assert_eq!(supply, self.genesis_supply + rewards.totals.minted.0);
        let staking = query::staking_totals(store).unwrap();
        assert!(staking.balances(), "staking: {staking:?}");
    }
}

fn stake(op: &Address, amount: u128) -> Body {
    Body::Stake {
        validator: *op,
        amount: Amount(amount),
    }
}

fn unstake(op: &Address, amount: u128) -> Body {
    Body::Unstake {
        validator: *op,
        amount: Amount(amount),
    }
}

/// A notarize vote by `key` in `view` of epoch 0, for a proposal on the view before it.
fn vote(key: &SecretKey, view: u64, payload: u8) -> ConsensusVote {
    let payload = Hash([payload; 32]);
    let parent = view.saturating_sub(1);
    ConsensusVote {
        finalize: false,
        epoch: 0,
        view,
        parent,
        payload,
        signature: key.sign(&statements::consensus_vote(
            false, 0, view, parent, &payload,
        )),
    }
}

fn double_sign(key: &SecretKey, view: u64) -> Body {
    Body::ReportDoubleSign(DoubleSignEvidence {
        consensus_key: key.public_key(),
        first: vote(key, view, 1),
        second: vote(key, view, 2),
    })
}

#[test]
fn genesis_validators_are_bonded_and_their_self_bonds_count_in_the_supply() {
    let chain = Chain::new(2, params());
    let store = chain.net.ledger.store();
    assert_eq!(chain.operator(0).tokens, Amount(SELF_BOND));
    assert_eq!(
        chain.stake_of(&validator(1), &addr(&validator(1))),
        SELF_BOND + 1
    );
    assert_eq!(
        chain.net.balance(&module_account::staking()),
        2 * SELF_BOND + 1
    );
    // The set of the first epoch: more stake first.
    assert_eq!(chain.set(), vec![addr(&validator(1)), addr(&validator(0))]);
    let oracle_op = query::operator(store, &addr(&oracle(0))).unwrap().unwrap();
    assert_eq!(oracle_op.kind, OperatorKind::Oracle);
    chain.assert_conserved();
}

#[test]
fn a_delegator_earns_fees_and_emission_pro_rata_after_commission_and_withdraws_once() {
    let mut chain = Chain::new(1, params());
    let (v, d) = (validator(0), delegator(0));
    let op = addr(&v);
    assert_eq!(
        chain.send(
            &v,
            Body::EditValidator {
                commission_bps: 1_000
            }
        ),
        TxCode::Ok
    );
    assert_eq!(chain.send(&d, stake(&op, SELF_BOND)), TxCode::Ok);
    chain.run_to(EPOCH_BLOCKS - 1);
    // What the epoch's end splits: every fee so far and a tenth of the emission.
    let reward = chain.net.balance(&module_account::fee_pool()) + EMISSION / 10;
    chain.blocks(1);
    assert_eq!(chain.net.balance(&module_account::fee_pool()), 0);
    let commission = reward / 10;
    let rest = reward - commission;
    let delegator_rewards = query::delegation(chain.net.ledger.store(), &addr(&d), &op)
        .unwrap()
        .unwrap()
        .withdrawable_rewards
        .0;
    // Equal stakes (SELF_BOND each): half the rest each, less rounding.
    assert!(
        rest / 2 - delegator_rewards <= 1,
        "{delegator_rewards} of {rest}"
    );
    let before = chain.net.balance(&addr(&d));
    let code = chain.send(&d, Body::WithdrawStakingRewards { validator: op });
    assert_eq!(code, TxCode::Ok);
    assert_eq!(
        chain.net.balance(&addr(&d)),
        before + delegator_rewards - FEE
    );
    // The operator takes its commission and its own half.
    let before = chain.net.balance(&op);
    assert_eq!(
        chain.send(&v, Body::WithdrawStakingRewards { validator: op }),
        TxCode::Ok
    );
    let operator_got = chain.net.balance(&op) + FEE - before;
    assert!(commission + rest / 2 - operator_got <= 1, "{operator_got}");
    // The same rewards a second time: nothing to withdraw.
    chain.refused(
        &d,
        Body::WithdrawStakingRewards { validator: op },
        TxCode::NothingToWithdraw,
    );
}

#[test]
fn unstaking_more_than_delegated_is_refused_and_changes_nothing_but_the_fee() {
    let mut chain = Chain::new(1, params());
    let op = addr(&validator(0));
    let d = delegator(0);
    assert_eq!(chain.send(&d, stake(&op, 1_000)), TxCode::Ok);
    chain.refused(&d, unstake(&op, 1_001), TxCode::InsufficientStake);
    chain.refused(&delegator(1), unstake(&op, 1), TxCode::InsufficientStake);
    chain.refused(&d, unstake(&op, 0), TxCode::InsufficientStake);
}

#[test]
fn an_unbonding_is_paid_back_only_once_the_unbonding_period_has_passed() {
    let mut chain = Chain::new(1, params());
    let op = addr(&validator(0));
    let d = delegator(0);
    assert_eq!(chain.send(&d, stake(&op, 500_000)), TxCode::Ok);
    let staked = chain.net.balance(&addr(&d));
    assert_eq!(chain.send(&d, unstake(&op, 200_000)), TxCode::Ok);
    assert_eq!(chain.stake_of(&d, &op), 300_000);
    let unbondings = query::unbondings_page(chain.net.ledger.store(), &addr(&d), 0, 10)
        .unwrap()
        .0;
    assert_eq!(unbondings.len(), 1);
    assert_eq!(unbondings[0].amount, Amount(200_000));
    // Begun in epoch 1: paid from the end of epoch 1 plus the unbonding period.
    let matures = EPOCH_BLOCKS + UNBONDING;
    assert_eq!(unbondings[0].unbonding.matures_at, matures);
    chain.run_to(matures - 1);
    assert_eq!(chain.net.balance(&addr(&d)), staked - FEE);
    chain.blocks(1);
    assert_eq!(chain.net.balance(&addr(&d)), staked - FEE + 200_000);
    let store = chain.net.ledger.store();
    assert!(query::unbondings_page(store, &addr(&d), 0, 10)
        .unwrap()
        .0
        .is_empty());
}

#[test]
fn unstaking_just_before_a_slash_still_loses_the_slashed_share() {
    let mut chain = Chain::new(2, params());
    let v = validator(0);
    let op = addr(&v);
    let d = delegator(0);
    assert_eq!(chain.send(&d, stake(&op, 1_000_000)), TxCode::Ok);
    let view = chain.height();
    // The fault is signed; the delegator hears of it and unstakes everything at once.
    assert_eq!(chain.send(&d, unstake(&op, 1_000_000)), TxCode::Ok);
    let reporter = delegator(1);
    let before = chain.net.balance(&addr(&reporter));
    assert_eq!(chain.send(&reporter, double_sign(&v, view)), TxCode::Ok);
    let unbonding = query::unbondings_page(chain.net.ledger.store(), &addr(&d), 0, 10)
        .unwrap()
        .0;
    assert_eq!(
        unbonding[0].amount,
        Amount(900_000),
        "a tenth of it slashed"
    );
    assert_eq!(chain.operator(0).tokens, Amount(SELF_BOND - SELF_BOND / 10));
    // The reporter earns a hundredth of the slash, less its fee.
    let slashed = SELF_BOND / 10 + 100_000;
    assert_eq!(
        chain.net.balance(&addr(&reporter)),
        before - FEE + slashed / 100
    );
    assert_eq!(
        chain.net.balance(&module_account::slashed()),
        slashed - slashed / 100
    );
    let matures = unbonding[0].unbonding.matures_at;
    let wallet = chain.net.balance(&addr(&d));
    chain.run_to(matures);
    assert_eq!(chain.net.balance(&addr(&d)), wallet + 900_000);
}

#[test]
fn redelegating_to_escape_a_pending_slash_is_still_slashed_and_cannot_move_again() {
    let mut chain = Chain::new(2, params());
    let (from, to) = (addr(&validator(0)), addr(&validator(1)));
    let d = delegator(0);
    assert_eq!(chain.send(&d, stake(&from, 1_000_000)), TxCode::Ok);
    let view = chain.height();
    let moved = Body::Redelegate {
        from,
        to,
        amount: Amount(1_000_000),
    };
    assert_eq!(chain.send(&d, moved), TxCode::Ok);
    assert_eq!(chain.stake_of(&d, &to), 1_000_000);
    // The moved stake may not hop again before the unbonding period passes.
    let back = Body::Redelegate {
        from: to,
        to: from,
        amount: Amount(1),
    };
    chain.refused(&d, back, TxCode::RedelegationLocked);
    assert_eq!(
        chain.send(&delegator(1), double_sign(&validator(0), view)),
        TxCode::Ok
    );
    assert_eq!(
        chain.stake_of(&d, &to),
        900_000,
        "the redelegated stake lost a tenth"
    );
    assert_eq!(chain.operator(1).tokens, Amount(SELF_BOND + 1 + 900_000));
}

#[test]
fn replaying_double_sign_evidence_slashes_only_once() {
    let mut chain = Chain::new(2, params());
    let v = validator(0);
    let view = chain.height() + 1;
    assert_eq!(chain.send(&delegator(0), double_sign(&v, view)), TxCode::Ok);
    let after_first = chain.operator(0);
    assert!(after_first.jailed_until.is_some());
    chain.refused(&delegator(1), double_sign(&v, view), TxCode::AlreadySlashed);
    // The same fault with the votes the other way round is the same fault.
    let swapped = Body::ReportDoubleSign(DoubleSignEvidence {
        consensus_key: v.public_key(),
        first: vote(&v, view, 2),
        second: vote(&v, view, 1),
    });
    chain.refused(&delegator(1), swapped, TxCode::AlreadySlashed);
    assert_eq!(chain.operator(0), after_first);
}

#[test]
fn forged_double_sign_evidence_is_refused() {
    let mut chain = Chain::new(2, params());
    let (v, other) = (validator(0), validator(1));
    let reporter = delegator(0);
    let view = 5;
    chain.blocks(3);
    // Votes by two different keys.
    let two_keys = Body::ReportDoubleSign(DoubleSignEvidence {
        consensus_key: v.public_key(),
        first: vote(&v, view, 1),
        second: vote(&other, view, 2),
    });
    chain.refused(&reporter, two_keys, TxCode::BadEvidence);
    // The same payload twice is no double sign.
    let same = Body::ReportDoubleSign(DoubleSignEvidence {
        consensus_key: v.public_key(),
        first: vote(&v, view, 1),
        second: vote(&v, view, 1),
    });
    chain.refused(&reporter, same, TxCode::BadEvidence);
    // Two views.
    let two_views = Body::ReportDoubleSign(DoubleSignEvidence {
        consensus_key: v.public_key(),
        first: vote(&v, view, 1),
        second: vote(&v, view + 1, 2),
    });
    chain.refused(&reporter, two_views, TxCode::BadEvidence);
    // A notarize and a finalize vote.
    let mut finalize = vote(&v, view, 2);
    finalize.finalize = true;
    finalize.signature = v.sign(&finalize.message());
    let two_kinds = Body::ReportDoubleSign(DoubleSignEvidence {
        consensus_key: v.public_key(),
        first: vote(&v, view, 1),
        second: finalize,
    });
    chain.refused(&reporter, two_kinds, TxCode::BadEvidence);
    // A vote whose view was changed after signing.
    let mut moved = vote(&v, view + 1, 2);
    moved.view = view;
    let bad_signature = Body::ReportDoubleSign(DoubleSignEvidence {
        consensus_key: v.public_key(),
        first: vote(&v, view, 1),
        second: moved,
    });
    chain.refused(&reporter, bad_signature, TxCode::BadEvidence);
    // A key that runs no validator.
    chain.refused(
        &reporter,
        double_sign(&delegator(3), view),
        TxCode::UnknownValidator,
    );
    // A fault older than the unbonding period.
    chain.run_to(view + UNBONDING + 1);
    chain.refused(&reporter, double_sign(&v, view), TxCode::EvidenceTooOld);
    assert!(chain.operator(0).jailed_until.is_none());
}

#[test]
fn a_commission_above_the_whole_reward_or_changed_faster_than_allowed_is_refused() {
    let mut chain = Chain::new(
        1,
        StakingParams {
            max_commission_step_bps: 100,
            ..params()
        },
    );
    let v = validator(0);
    // Above 10 000 bps the transaction does not even decode: nothing is charged.
    let tx = UnsignedTx {
        chain_id: CHAIN.into(),
        nonce: 0,
        fee: Amount(FEE),
        body: Body::EditValidator {
            commission_bps: 10_001,
        },
    }
    .sign(&v);
    assert!(SignedTx::decode(&tx.bytes).is_err());
    let out = run_block(&mut chain.net.ledger, vec![tx.bytes]);
    assert_eq!(out.results[0].code, TxCode::Malformed);
    assert_eq!(out.results[0].fee, Amount::ZERO);
    chain.refused(
        &v,
        Body::EditValidator {
            commission_bps: 101,
        },
        TxCode::CommissionTooFast,
    );
    assert_eq!(
        chain.send(
            &v,
            Body::EditValidator {
                commission_bps: 100
            }
        ),
        TxCode::Ok
    );
    chain.refused(
        &v,
        Body::EditValidator {
            commission_bps: 200,
        },
        TxCode::CommissionTooFast,
    );
    chain.run_to(EPOCH_BLOCKS);
    assert_eq!(
        chain.send(
            &v,
            Body::EditValidator {
                commission_bps: 200
            }
        ),
        TxCode::Ok
    );
    assert_eq!(chain.operator(0).commission_bps, 200);
    chain.refused(
        &delegator(0),
        Body::EditValidator { commission_bps: 0 },
        TxCode::UnknownValidator,
    );
}

#[test]
fn amounts_past_the_largest_balance_are_refused_without_overflow() {
    let mut chain = Chain::new(1, params());
    let op = addr(&validator(0));
    let d = delegator(0);
    chain.refused(&d, stake(&op, u128::MAX), TxCode::InsufficientFunds);
    chain.refused(
        &d,
        stake(&op, u64::MAX as u128 + 1),
        TxCode::InsufficientFunds,
    );
    assert_eq!(chain.send(&d, stake(&op, 10)), TxCode::Ok);
    chain.refused(&d, unstake(&op, u128::MAX), TxCode::InsufficientStake);
    let redelegate = Body::Redelegate {
        from: op,
        to: addr(&oracle(0)),
        amount: Amount(u128::MAX),
    };
    chain.refused(&d, redelegate, TxCode::InsufficientStake);
    let create = Body::CreateValidator {
        consensus_key: validator(2).public_key(),
        commission_bps: 0,
        p2p_address: "127.0.0.1:1".into(),
        self_stake: Amount(u128::MAX),
    };
    chain.refused(&validator(2), create, TxCode::InsufficientFunds);
}

#[test]
fn staking_to_a_jailed_or_unknown_validator_is_refused_until_it_unjails() {
    let mut chain = Chain::new(2, params());
    let v = validator(0);
    let op = addr(&v);
    let d = delegator(0);
    chain.refused(
        &d,
        stake(&addr(&delegator(2)), 10),
        TxCode::UnknownValidator,
    );
    chain.refused(&v, Body::Unjail, TxCode::NotJailed);
    let view = chain.height();
    assert_eq!(chain.send(&d, double_sign(&v, view)), TxCode::Ok);
    chain.refused(&d, stake(&op, 10), TxCode::ValidatorJailed);
    chain.refused(&v, Body::Unjail, TxCode::StillJailed);
    let until = chain.operator(0).jailed_until.unwrap();
    chain.run_to(until - 1);
    assert_eq!(chain.send(&v, Body::Unjail), TxCode::Ok);
    assert_eq!(chain.send(&d, stake(&op, 10)), TxCode::Ok);
}

#[test]
fn the_validator_set_at_each_epoch_boundary_follows_stake() {
    let mut chain = Chain::new(3, params());
    let ops: Vec<Address> = (0..4).map(|i| addr(&validator(i))).collect();
    assert_eq!(chain.set(), vec![ops[2], ops[1], ops[0]]);
    // A fourth validator bonds more than any: it enters at the next epoch, the smallest leaves.
    let create = Body::CreateValidator {
        consensus_key: validator(3).public_key(),
        commission_bps: 500,
        p2p_address: "127.0.0.1:26003".into(),
        self_stake: Amount(SELF_BOND + 10),
    };
    assert_eq!(chain.send(&validator(3), create.clone()), TxCode::Ok);
    chain.refused(&validator(3), create, TxCode::ValidatorExists);
    assert_eq!(
        chain.set(),
        vec![ops[2], ops[1], ops[0]],
        "not before the boundary"
    );
    chain.run_to(EPOCH_BLOCKS);
    let set = query::validator_set(chain.net.ledger.store(), None)
        .unwrap()
        .unwrap();
    assert_eq!((set.epoch, set.from_height), (2, EPOCH_BLOCKS + 1));
    assert_eq!(chain.set(), vec![ops[3], ops[2], ops[1]]);
    // Delegation lifts validator 0 back in; a jailed validator leaves; equal stakes are
    // ordered by address.
    assert_eq!(chain.send(&delegator(0), stake(&ops[0], 100)), TxCode::Ok);
    let view = chain.height();
    assert_eq!(
        chain.send(&delegator(1), double_sign(&validator(3), view)),
        TxCode::Ok
    );
    chain.run_to(2 * EPOCH_BLOCKS);
    assert_eq!(chain.set(), vec![ops[0], ops[2], ops[1]]);
    // Below the least stake a validator needs, it is out.
    let all = SELF_BOND + 1;
    assert_eq!(
        chain.send(&validator(1), unstake(&ops[1], all - 999_999)),
        TxCode::Ok
    );
    chain.run_to(3 * EPOCH_BLOCKS);
    assert_eq!(chain.set(), vec![ops[0], ops[2]]);
}

#[test]
fn an_oracle_takes_stake_that_unbonds_but_never_joins_the_validator_set() {
    let mut chain = Chain::new(1, params());
    let o = addr(&oracle(0));
    let d = delegator(0);
    assert_eq!(chain.send(&d, stake(&o, 5_000)), TxCode::Ok);
    chain.run_to(EPOCH_BLOCKS);
    assert!(!chain.set().contains(&o));
    chain.refused(
        &oracle(0),
        Body::EditValidator { commission_bps: 1 },
        TxCode::Unauthorized,
    );
    assert_eq!(chain.send(&d, unstake(&o, 5_000)), TxCode::Ok);
    assert_eq!(chain.stake_of(&d, &o), 0);
}

#[test]
fn redelegations_out_of_one_validator_are_bounded_per_epoch() {
    let mut chain = Chain::new(2, params());
    let (from, to) = (addr(&validator(0)), addr(&validator(1)));
    let d = delegator(0);
    assert_eq!(chain.send(&d, stake(&from, 1_000_000)), TxCode::Ok);
    let mut txs = Vec::new();
    for _ in 0..MAX_REDELEGATIONS_PER_EPOCH {
        txs.push(chain.net.signed(
            &d,
            Body::Redelegate {
                from,
                to,
                amount: Amount(1),
            },
        ));
    }
    let out = run_block(&mut chain.net.ledger, txs);
    assert!(out.results.iter().all(|r| r.code == TxCode::Ok));
    chain.assert_conserved();
    let more = Body::Redelegate {
        from,
        to,
        amount: Amount(1),
    };
    chain.refused(&d, more, TxCode::TooManyRedelegations);
}

#[test]
fn a_block_pays_back_a_bounded_number_of_matured_unbondings_and_the_rest_follow() {
    use plexus_ledger::staking::MAX_UNBONDINGS_PER_BLOCK;
    let many = MAX_UNBONDINGS_PER_BLOCK as u8 + 6;
    let keys: Vec<SecretKey> = (0..many)
        .map(|i| {
            let mut seed = [150u8; 32];
            seed[1] = i;
            SecretKey::from_seed(seed)
        })
        .collect();
    let mut g = staking_genesis(1, params());
    g.accounts
        .extend(keys.iter().map(|k| plexus_ledger::GenesisAccount {
            address: addr(k),
            balance: Amount(FUNDS),
        }));
    let mut chain = Chain::with_genesis(g);
    let op = addr(&validator(0));
    let stakes: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| chain.net.signed(k, stake(&op, 1_000)))
        .collect();
    run_block(&mut chain.net.ledger, stakes);
    let unstakes: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| chain.net.signed(k, unstake(&op, 1_000)))
        .collect();
    let out = run_block(&mut chain.net.ledger, unstakes);
    assert!(out.results.iter().all(|r| r.code == TxCode::Ok));
    let matures = EPOCH_BLOCKS + UNBONDING;
    chain.run_to(matures - 1);
    let wallets: Vec<u128> = keys.iter().map(|k| chain.net.balance(&addr(k))).collect();
    let paid = |chain: &Chain| {
        keys.iter()
            .zip(&wallets)
            .filter(|(k, w)| chain.net.balance(&addr(k)) == **w + 1_000)
            .count() as u64
    };
    chain.blocks(1);
    assert_eq!(
        paid(&chain),
        MAX_UNBONDINGS_PER_BLOCK,
        "one block pays its bound"
    );
    chain.blocks(1);
    assert_eq!(
        paid(&chain),
        many as u64,
        "the rest are paid in the next block"
    );
}

#[test]
fn filling_every_candidate_place_with_small_validators_keeps_no_larger_one_out() {
    use plexus_ledger::staking::MAX_VALIDATOR_CANDIDATES;
    let small = |i: u32| {
        let mut seed = [7u8; 32];
        seed[..4].copy_from_slice(&i.to_be_bytes());
        SecretKey::from_seed(seed)
    };
    let mut g = staking_genesis(
        0,
        StakingParams {
            max_validators: MAX_VALIDATOR_CANDIDATES,
            ..params()
        },
    );
    g.validators = (0..MAX_VALIDATOR_CANDIDATES)
        .map(|i| GenesisValidator {
            consensus_key: hex::encode(small(i).public_key().as_bytes()),
            stake: Amount(1_000_000 + i as u128),
            p2p_address: "127.0.0.1:1".into(),
        })
        .collect();
    g.accounts.push(plexus_ledger::GenesisAccount {
        address: addr(&small(0)),
        balance: Amount(FUNDS),
    });
    let mut chain = Chain::with_genesis(g);
    let newcomer = validator(0);
    let create = |stake: u128| Body::CreateValidator {
        consensus_key: newcomer.public_key(),
        commission_bps: 0,
        p2p_address: "127.0.0.1:2".into(),
        self_stake: Amount(stake),
    };
    // No heavier than the smallest: no place.
    chain.refused(&newcomer, create(1_000_000), TxCode::TooManyValidators);
    assert_eq!(chain.send(&newcomer, create(2_000_000)), TxCode::Ok);
    chain.run_to(EPOCH_BLOCKS);
    let set = chain.set();
    assert_eq!(set.len(), MAX_VALIDATOR_CANDIDATES as usize);
    assert_eq!(set[0], addr(&newcomer));
    assert!(
        !set.contains(&addr(&small(0))),
        "the smallest gave its place"
    );
    // The one left out keeps its stake and comes back by outweighing the smallest.
    assert_eq!(
        chain.send(&small(0), stake(&addr(&small(0)), 10)),
        TxCode::Ok
    );
    chain.run_to(2 * EPOCH_BLOCKS);
    let set = chain.set();
    assert!(set.contains(&addr(&small(0))));
    assert!(!set.contains(&addr(&small(1))));
}

#[test]
fn validators_share_an_epochs_rewards_by_bonded_stake_and_a_jailed_one_gets_none() {
    let mut chain = Chain::new(3, params());
    let ops: Vec<Address> = (0..3).map(|i| addr(&validator(i))).collect();
    // Validator 1 holds four times validator 0's stake; validator 2 is jailed.
    assert_eq!(
        chain.send(&delegator(0), stake(&ops[1], 3 * SELF_BOND - 1)),
        TxCode::Ok
    );
    let view = chain.height();
    assert_eq!(
        chain.send(&delegator(1), double_sign(&validator(2), view)),
        TxCode::Ok
    );
    chain.run_to(EPOCH_BLOCKS - 1);
    let reward = chain.net.balance(&module_account::fee_pool()) + EMISSION / 10;
    let staking_in = query::staking_totals(chain.net.ledger.store())
        .unwrap()
        .totals
        .rewards_in
        .0;
    chain.blocks(1);
    let store = chain.net.ledger.store();
    assert_eq!(
        query::staking_totals(store).unwrap().totals.rewards_in.0,
        staking_in + reward
    );
    let earned = |i: usize| {
        let own = query::delegation(store, &ops[i], &ops[i]).unwrap().unwrap();
        own.withdrawable_rewards.0
    };
    // Genesis commissions are zero: each self-bond earns its share of its validator's reward.
    let total = 5 * SELF_BOND;
    let v0 = reward * SELF_BOND / total;
    assert!(v0 - earned(0) <= 1, "{} of {v0}", earned(0));
    let v1 = reward * (4 * SELF_BOND) / total;
    let d = query::delegation(store, &addr(&delegator(0)), &ops[1])
        .unwrap()
        .unwrap();
    let v1_paid = earned(1) + d.withdrawable_rewards.0;
    assert!(v1 - v1_paid <= 2, "{v1_paid} of {v1}");
    assert_eq!(earned(2), 0, "a jailed validator earns nothing");
}
