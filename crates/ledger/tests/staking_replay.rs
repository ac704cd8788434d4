//! Random logs of staking actions (stake, unstake, redelegate, withdraw, commission changes,
//! double signs, unjails, new validators) over several epochs, replayed on two ledgers: their
//! app hashes agree at every height, the supply is conserved and staking's books balance.
mod common;

use common::*;
use plexus_ledger::{
    module_account, query, Genesis, GenesisValidator, Ledger, PlexusLedger, RewardParams,
    StakingParams, TxCode,
};
use plexus_types::{
    statements, Address, Amount, Body, ConsensusVote, DoubleSignEvidence, Hash, SecretKey,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

const VALIDATORS: u8 = 3;
const DELEGATORS: u8 = 4;
const EPOCH_BLOCKS: u64 = 5;

fn validator(i: u8) -> SecretKey {
    SecretKey::from_seed([100 + i; 32])
}

fn replay_genesis() -> Genesis {
    let mut funded: Vec<(Address, u128)> =
        (0..DELEGATORS).map(|i| (addr(&key(i)), FUNDS)).collect();
    funded.extend((0..VALIDATORS + 1).map(|i| (addr(&validator(i)), FUNDS)));
    let mut g = oracle_genesis(&funded, EPOCH_BLOCKS, 2);
    g.rewards = RewardParams {
        epoch_blocks: EPOCH_BLOCKS,
        initial_epoch_emission: Amount(1_000_003),
        ..RewardParams::default()
    };
    g.validators = (0..VALIDATORS)
        .map(|i| GenesisValidator {
            consensus_key: hex::encode(validator(i).public_key().as_bytes()),
            stake: Amount(2_000_000 + i as u128),
            p2p_address: "127.0.0.1:1".into(),
        })
        .collect();
    g.staking = StakingParams {
        unbonding_blocks: 7,
        max_validators: 2,
        min_validator_stake: Amount(1_000_000),
        max_commission_step_bps: 300,
        validator_emission_bps: 2_000,
        double_sign_slash_bps: 2_500,
        reporter_reward_bps: 100,
        jail_blocks: 4,
    };
    g
}

#[derive(Debug, Clone)]
enum Step {
    Stake {
        who: u8,
        op: u8,
        amount: u128,
    },
    Unstake {
        who: u8,
        op: u8,
        amount: u128,
    },
    Redelegate {
        who: u8,
        from: u8,
        to: u8,
        amount: u128,
    },
    Withdraw {
        who: u8,
        op: u8,
    },
    Commission {
        op: u8,
        bps: u32,
    },
    DoubleSign {
        who: u8,
        op: u8,
    },
    Unjail {
        op: u8,
    },
    Create,
}

fn step() -> impl Strategy<Value = Step> {
    let who = 0..DELEGATORS;
    let op = 0..VALIDATORS + 3;
    let amount = prop_oneof![1u128..1_000, 1_000u128..3_000_000];
    prop_oneof![
        (who.clone(), op.clone(), amount.clone()).prop_map(|(who, op, amount)| Step::Stake {
            who,
            op,
            amount
        }),
        (who.clone(), op.clone(), amount.clone()).prop_map(|(who, op, amount)| Step::Unstake {
            who,
            op,
            amount
        }),
        (who.clone(), op.clone(), op.clone(), amount).prop_map(|(who, from, to, amount)| {
            Step::Redelegate {
                who,
                from,
                to,
                amount,
            }
        }),
        (who.clone(), op.clone()).prop_map(|(who, op)| Step::Withdraw { who, op }),
        (0..VALIDATORS, 0u32..700).prop_map(|(op, bps)| Step::Commission { op, bps }),
        (who, 0..VALIDATORS + 1).prop_map(|(who, op)| Step::DoubleSign { who, op }),
        (0..VALIDATORS + 1).prop_map(|op| Step::Unjail { op }),
        Just(Step::Create),
    ]
}

/// Operator `i`: a validator (the fourth is created by the log), or else a genesis oracle.
fn operator(i: u8) -> Address {
    if i <= VALIDATORS {
        addr(&validator(i))
    } else {
        addr(&oracle(i - VALIDATORS - 1))
    }
}

fn double_sign(key: &SecretKey, view: u64) -> Body {
    let vote = |payload: u8| {
        let payload = Hash([payload; 32]);
        let message = statements::consensus_vote(false, 0, view, view - 1, &payload);
        ConsensusVote {
            finalize: false,
            epoch: 0,
            view,
            parent: view - 1,
            payload,
            signature: key.sign(&message),
        }
    };
    Body::ReportDoubleSign(DoubleSignEvidence {
        consensus_key: key.public_key(),
        first: vote(1),
        second: vote(2),
    })
}

fn body(step: &Step, height: u64) -> (SecretKey, Body) {
    match *step {
        Step::Stake { who, op, amount } => (
            key(who),
            Body::Stake {
                validator: operator(op),
                amount: Amount(amount),
            },
        ),
        Step::Unstake { who, op, amount } => (
            key(who),
            Body::Unstake {
                validator: operator(op),
                amount: Amount(amount),
            },
        ),
        Step::Redelegate {
            who,
            from,
            to,
            amount,
        } => (
            key(who),
            Body::Redelegate {
                from: operator(from),
                to: operator(to),
                amount: Amount(amount),
            },
        ),
        Step::Withdraw { who, op } => (
            key(who),
            Body::WithdrawStakingRewards {
                validator: operator(op),
            },
        ),
        Step::Commission { op, bps } => (
            validator(op),
            Body::EditValidator {
                commission_bps: bps,
            },
        ),
        Step::DoubleSign { who, op } => (key(who), double_sign(&validator(op), height.max(1))),
        Step::Unjail { op } => (validator(op), Body::Unjail),
        Step::Create => (
            validator(VALIDATORS),
            Body::CreateValidator {
                consensus_key: validator(VALIDATORS).public_key(),
                commission_bps: 100,
                p2p_address: "127.0.0.1:2".into(),
                self_stake: Amount(2_500_000),
            },
        ),
    }
}

fn assert_accounted(ledger: &PlexusLedger, g: &Genesis) -> Result<(), TestCaseError> {
    let store = ledger.store();
    let mut known: Vec<Address> = g.accounts.iter().map(|a| a.address).collect();
    known.extend(g.validators.iter().filter_map(|v| v.operator()));
    known.extend(module_account::all());
    known.sort();
    known.dedup();
    let held: u128 = known
        .iter()
        .map(|a| ledger.account(a).unwrap().balance.0)
        .sum();
    let supply = ledger.supply().unwrap().0;
    prop_assert_eq!(held, supply, "a unit of the supply is in no known account");
    let rewards = query::reward_totals(store).unwrap();
    prop_assert!(rewards.balances(), "rewards: {:?}", rewards);
    prop_assert_eq!(supply, g.validate().unwrap().0 + rewards.totals.minted.0);
    let staking = query::staking_totals(store).unwrap();
    prop_assert!(staking.balances(), "staking: {:?}", staking);
    Ok(())
}

/// Replays `blocks` on two fresh ledgers, checking them against each other and the books
/// after every block; returns how many actions of each kind succeeded.
fn replay(blocks: &[Vec<Step>]) -> Result<BTreeMap<String, u32>, TestCaseError> {
    let g = replay_genesis();
    let mut a = Net::with_genesis(g.clone());
    let (_dir, mut b) = fresh_ledger(&g);
    let mut ok: BTreeMap<String, u32> = BTreeMap::new();
    for steps in blocks {
        let height = a.ledger.last_committed().0;
        let txs: Vec<Vec<u8>> = steps
            .iter()
            .map(|s| {
                let (key, body) = body(s, height);
                a.signed(&key, body)
            })
            .collect();
        let out_a = run_block(&mut a.ledger, txs.clone());
        let out_b = run_block(&mut b, txs);
        prop_assert_eq!(&out_a, &out_b);
        for (s, r) in steps.iter().zip(&out_a.results) {
            prop_assert!(r.fee > Amount::ZERO, "every action is charged: {:?}", r);
            if r.code == TxCode::Ok {
                let kind = format!("{s:?}");
                let kind = kind.split(' ').next().unwrap_or_default();
                *ok.entry(kind.to_string()).or_default() += 1;
            }
        }
        assert_accounted(&a.ledger, &g)?;
    }
    Ok(ok)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 8,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5354_414b),
        ..ProptestConfig::default()
    })]

    #[test]
    fn two_ledgers_replaying_staking_logs_agree_and_account_for_every_unit(
        blocks in proptest::collection::vec(proptest::collection::vec(step(), 0..4), 30..40),
    ) {
        replay(&blocks)?;
    }
}

/// Fixed logs reach every staking action: each kind succeeds in at least one of them.
#[test]
fn fixed_staking_logs_reach_every_action() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let logs = proptest::collection::vec(proptest::collection::vec(step(), 0..4), 30..40);
    const KINDS: [&str; 8] = [
        "Stake",
        "Unstake",
        "Redelegate",
        "Withdraw",
        "Commission",
        "DoubleSign",
        "Unjail",
        "Create",
    ];
    let mut succeeded: BTreeMap<String, u32> = BTreeMap::new();
    for _ in 0..12 {
        let blocks = logs.new_tree(&mut runner).unwrap().current();
        for (kind, n) in replay(&blocks).unwrap() {
            *succeeded.entry(kind).or_default() += n;
        }
        if KINDS.iter().all(|k| succeeded.contains_key(*k)) {
            break;
        }
    }
    for kind in KINDS {
        assert!(
            succeeded.contains_key(kind),
            "no {kind} succeeded: {succeeded:?}"
        );
    }
}
