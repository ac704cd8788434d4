//! Training tasks end to end through blocks: the budget in escrow, joining, rounds paid by
//! score, refusal of rounds out of order or from anyone but the coordinator, and the refund
//! that makes `budget = paid + refunded` exactly.
mod common;

use common::*;
use plexus_ledger::training::TaskStatus;
use plexus_ledger::{module_account, query, TxCode};
use plexus_types::tx::{MAX_TRAINING_PARTICIPANTS, TRAINING_JOIN_BOND};
use plexus_types::{
    Amount, Body, Hash, SecretKey, TrainingRound, TrainingScore, TrainingTaskTerms,
};
use proptest::prelude::*;

impl Net {
    fn task(&self, id: u64) -> plexus_ledger::query::TrainingTaskView {
        query::training_task(self.ledger.store(), id)
            .unwrap()
            .unwrap()
    }
}

fn terms(coordinator: &SecretKey, rounds: u32, budget: u128) -> TrainingTaskTerms {
    TrainingTaskTerms {
        dataset: "digits".into(),
        spec: "{}".into(),
        validation_commitment: Hash::of(b"validation"),
        rounds,
        min_participants: 2,
        budget: Amount(budget),
        coordinator: addr(coordinator),
    }
}

fn round(task: u64, round: u32, scores: &[(&SecretKey, u64)]) -> Body {
    let mut scores: Vec<TrainingScore> = scores
        .iter()
        .map(|(k, s)| TrainingScore {
            participant: addr(k),
            score: *s,
        })
        .collect();
    scores.sort_by_key(|s| s.participant);
    Body::SubmitTrainingRound(TrainingRound {
        task,
        round,
        model: Hash::of(&round.to_be_bytes()),
        record: Hash::of(b"record"),
        accuracy_ppm: 500_000,
        loss_micro: 1_000_000,
        scores,
    })
}

#[test]
fn rounds_pay_by_score_and_the_rest_is_refunded() {
    let (sponsor, coord, a, b, c) = (key(1), key(2), key(3), key(4), key(5));
    let mut net = Net::funded(&[&sponsor, &coord, &a, &b, &c]);
    let before = net.balance(&addr(&sponsor));
    assert_eq!(
        net.send(
            &sponsor,
            Body::CreateTrainingTask(terms(&coord, 3, 1_000_001))
        ),
        TxCode::Ok
    );
    assert_eq!(
        net.balance(&addr(&sponsor)),
        before - 1_000_001 - FEE,
        "the budget is escrowed"
    );
    assert_eq!(net.balance(&module_account::training_escrow()), 1_000_001);
    for k in [&a, &b] {
        assert_eq!(net.send(k, Body::JoinTrainingTask { task: 0 }), TxCode::Ok);
    }
    assert_eq!(
        net.send(&a, Body::JoinTrainingTask { task: 0 }),
        TxCode::AlreadyJoined
    );
    assert_eq!(
        net.send(&a, Body::JoinTrainingTask { task: 7 }),
        TxCode::UnknownTask
    );
    // Only the coordinator, only in order, only participants.
    assert_eq!(
        net.send(&sponsor, round(0, 1, &[(&a, 1)])),
        TxCode::Unauthorized
    );
    assert_eq!(
        net.send(&coord, round(0, 2, &[(&a, 1)])),
        TxCode::WrongRound
    );
    assert_eq!(
        net.send(&coord, round(0, 1, &[(&c, 1)])),
        TxCode::NotAParticipant
    );
    let (a0, b0) = (net.balance(&addr(&a)), net.balance(&addr(&b)));
    // Round 1 pays 333 333 split 3:1.
    assert_eq!(
        net.send(&coord, round(0, 1, &[(&a, 3), (&b, 1)])),
        TxCode::Ok
    );
    assert_eq!(net.balance(&addr(&a)) - a0, 249_999);
    assert_eq!(net.balance(&addr(&b)) - b0, 83_333);
    // c joins late and takes part from round 2; a round of zero scores pays nothing.
    assert_eq!(net.send(&c, Body::JoinTrainingTask { task: 0 }), TxCode::Ok);
    assert_eq!(net.task(0).participants[2].from_round, 2);
    assert_eq!(
        net.send(&coord, round(0, 2, &[(&a, 0), (&c, 0)])),
        TxCode::Ok
    );
    assert_eq!(net.task(0).rounds[1].paid, Amount::ZERO);
    // The last round also pays the remainder of budget / rounds.
    assert_eq!(net.send(&coord, round(0, 3, &[(&c, 5)])), TxCode::Ok);
    let task = net.task(0);
    assert_eq!(task.rounds[2].pot, Amount(333_335));
    assert!(matches!(task.status, TaskStatus::Finished { .. }));
    assert_eq!(task.paid, Amount(249_999 + 83_333 + 333_335));
    assert_eq!(
        task.paid.0 + task.refunded.0,
        1_000_001,
        "budget = paid + refunded"
    );
    assert_eq!(net.balance(&module_account::training_escrow()), 0);
    assert_eq!(
        net.balance(&addr(&sponsor)),
        before - 1_000_001 - 2 * FEE + task.refunded.0,
        "refunded, less the fees of its two transactions"
    );
    assert!(query::training_totals(net.ledger.store())
        .unwrap()
        .balances());
    // An ended task takes nothing more.
    assert_eq!(net.send(&coord, round(0, 4, &[(&c, 5)])), TxCode::TaskEnded);
    assert_eq!(
        net.send(&b, Body::JoinTrainingTask { task: 0 }),
        TxCode::TaskEnded
    );
}

#[test]
fn a_sponsor_cancels_and_gets_the_unspent_budget_back() {
    let (sponsor, coord, a) = (key(1), key(2), key(3));
    let mut net = Net::funded(&[&sponsor, &coord, &a]);
    assert_eq!(
        net.send(&sponsor, Body::CreateTrainingTask(terms(&coord, 4, 4_000))),
        TxCode::Ok
    );
    assert_eq!(net.send(&a, Body::JoinTrainingTask { task: 0 }), TxCode::Ok);
    assert_eq!(net.send(&coord, round(0, 1, &[(&a, 9)])), TxCode::Ok);
    assert_eq!(
        net.send(&a, Body::CancelTrainingTask { task: 0 }),
        TxCode::Unauthorized
    );
    assert_eq!(
        net.send(&sponsor, Body::CancelTrainingTask { task: 0 }),
        TxCode::Ok
    );
    let task = net.task(0);
    assert!(matches!(task.status, TaskStatus::Cancelled { .. }));
    assert_eq!((task.paid, task.refunded), (Amount(1_000), Amount(3_000)));
    assert_eq!(net.send(&coord, round(0, 2, &[(&a, 9)])), TxCode::TaskEnded);
}

#[test]
fn a_sponsor_that_cannot_pay_makes_no_task() {
    let (sponsor, coord) = (key(1), key(2));
    let mut net = Net::funded(&[&sponsor, &coord]);
    assert_eq!(
        net.send(&sponsor, Body::CreateTrainingTask(terms(&coord, 2, FUNDS))),
        TxCode::InsufficientFunds
    );
    assert!(query::training_tasks(net.ledger.store())
        .unwrap()
        .is_empty());
}

#[test]
fn filling_a_task_with_sybil_joins_costs_a_bond_each() {
    let (sponsor, coord, honest) = (key(1), key(2), key(3));
    let sybils: Vec<SecretKey> = (10..10 + MAX_TRAINING_PARTICIPANTS as u8 - 1)
        .map(key)
        .collect();
    let broke = key(100);
    let mut funded: Vec<&SecretKey> = vec![&sponsor, &coord, &honest];
    funded.extend(&sybils);
    let mut genesis_accounts: Vec<_> = funded.iter().map(|k| (addr(k), FUNDS)).collect();
    // Enough for the fee, not for the bond.
    genesis_accounts.push((addr(&broke), FEE + TRAINING_JOIN_BOND.0 - 1));
    let mut net = Net::with_genesis(genesis(&genesis_accounts));
    assert_eq!(
        net.send(&sponsor, Body::CreateTrainingTask(terms(&coord, 2, 1_000))),
        TxCode::Ok
    );
    assert_eq!(
        net.send(&broke, Body::JoinTrainingTask { task: 0 }),
        TxCode::InsufficientFunds
    );
    assert_eq!(
        net.send(&honest, Body::JoinTrainingTask { task: 0 }),
        TxCode::Ok
    );
    for s in &sybils {
        assert_eq!(net.send(s, Body::JoinTrainingTask { task: 0 }), TxCode::Ok);
        assert_eq!(
            net.balance(&addr(s)),
            FUNDS - FEE - TRAINING_JOIN_BOND.0,
            "each join locks a bond"
        );
    }
    assert_eq!(
        net.send(&broke, Body::JoinTrainingTask { task: 0 }),
        TxCode::TaskFull
    );
    let bonds = u128::from(MAX_TRAINING_PARTICIPANTS) * TRAINING_JOIN_BOND.0;
    assert_eq!(
        net.balance(&module_account::training_escrow()),
        1_000 + bonds
    );
    // The sybils send nothing, so the coordinator scores only the honest participant.
    let fees_before = net.balance(&module_account::fee_pool());
    for r in 1..=2 {
        assert_eq!(net.send(&coord, round(0, r, &[(&honest, 1)])), TxCode::Ok);
    }
    let task = net.task(0);
    assert!(matches!(task.status, TaskStatus::Finished { .. }));
    // The honest participant gets its bond back with its pay; each sybil's bond is forfeit.
    assert_eq!(net.balance(&addr(&honest)), FUNDS - FEE + 1_000);
    for s in &sybils {
        assert_eq!(net.balance(&addr(s)), FUNDS - FEE - TRAINING_JOIN_BOND.0);
    }
    let forfeit = bonds - TRAINING_JOIN_BOND.0;
    assert_eq!(
        net.balance(&module_account::fee_pool()) - fees_before,
        forfeit + 2 * FEE,
        "forfeit bonds go to the fee pool, beside the rounds' fees"
    );
    assert_eq!(net.balance(&module_account::training_escrow()), 0);
    let acct = query::training_totals(net.ledger.store()).unwrap();
    assert!(acct.balances(), "{acct:?}");
}

#[test]
fn a_participant_never_due_in_a_round_gets_its_bond_back_on_cancel() {
    let (sponsor, coord, a) = (key(1), key(2), key(3));
    let mut net = Net::funded(&[&sponsor, &coord, &a]);
    assert_eq!(
        net.send(&sponsor, Body::CreateTrainingTask(terms(&coord, 4, 4_000))),
        TxCode::Ok
    );
    assert_eq!(net.send(&a, Body::JoinTrainingTask { task: 0 }), TxCode::Ok);
    assert_eq!(net.balance(&addr(&a)), FUNDS - FEE - TRAINING_JOIN_BOND.0);
    assert_eq!(
        net.send(&sponsor, Body::CancelTrainingTask { task: 0 }),
        TxCode::Ok
    );
    assert_eq!(net.balance(&addr(&a)), FUNDS - FEE, "the bond came back");
    assert_eq!(net.balance(&module_account::training_escrow()), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Whatever the scores, every round pays at most its pot and the task ends with
    /// budget = paid + refunded.
    #[test]
    fn escrow_balances_for_any_scores(
        budget in 3u128..10_000_000_000,
        scores in proptest::collection::vec(proptest::collection::vec(0u64..u64::MAX / 4, 3), 3),
    ) {
        let (sponsor, coord) = (key(1), key(2));
        let people = [key(3), key(4), key(5)];
        let mut net = Net::funded(&[&sponsor, &coord, &people[0], &people[1], &people[2]]);
        let budget = budget.min(FUNDS - FEE);
        prop_assert_eq!(
            net.send(&sponsor, Body::CreateTrainingTask(terms(&coord, 3, budget))),
            TxCode::Ok
        );
        for p in &people {
            prop_assert_eq!(net.send(p, Body::JoinTrainingTask { task: 0 }), TxCode::Ok);
        }
        for (r, s) in scores.iter().enumerate() {
            let body = round(0, r as u32 + 1, &[(&people[0], s[0]), (&people[1], s[1]), (&people[2], s[2])]);
            prop_assert_eq!(net.send(&coord, body), TxCode::Ok);
            let t = net.task(0);
            prop_assert!(t.rounds[r].paid <= t.rounds[r].pot);
        }
        let t = net.task(0);
        prop_assert_eq!(t.paid.0 + t.refunded.0, budget);
        prop_assert_eq!(net.balance(&module_account::training_escrow()), 0);
        prop_assert!(query::training_totals(net.ledger.store()).unwrap().balances());
    }
}
