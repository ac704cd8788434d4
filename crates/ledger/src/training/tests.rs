//! What one round's submission costs, as a coordinator with many rounds behind it sees it.

use super::*;
use crate::bank::{state_key as bank_key, Account};
use plexus_store::Store;
use plexus_types::TrainingRound;

const SPONSOR: Address = Address([1; 20]);
const COORDINATOR: Address = Address([2; 20]);

fn commit(store: &Store, height: u64, f: impl FnOnce(&mut StateOverlay<'_>)) -> usize {
    let snap = store.snapshot().unwrap();
    let mut state = StateOverlay::new(&snap);
    f(&mut state);
    let changes = state.into_changes();
    let written = changes
        .iter()
        .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
        .sum();
    let v = store.stage(height, &changes).unwrap();
    store.commit(v, &[]).unwrap();
    written
}

fn round(n: u32) -> TrainingRound {
    TrainingRound {
        task: 0,
        round: n,
        model: Hash([n as u8; 32]),
        record: Hash([7; 32]),
        accuracy_ppm: 900_000,
        loss_micro: 12_345,
        scores: Vec::new(),
    }
}

#[test]
fn a_round_after_hundreds_of_rounds_writes_no_more_than_the_second() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s")).unwrap();
    let terms = TrainingTaskTerms {
        dataset: "digits".into(),
        spec: "{}".into(),
        validation_commitment: Hash([3; 32]),
        rounds: 1_000,
        min_participants: 1,
        budget: Amount(1_000_000),
        coordinator: COORDINATOR,
    };
    commit(&store, 0, |state| {
        let funded = Account {
            balance: Amount(10_000_000),
            nonce: 0,
        };
        state.set(bank_key::account(&SPONSOR), funded.encode());
        create_task(state, 0, &SPONSOR, &terms).unwrap();
        submit_round(state, 0, &COORDINATOR, &round(1)).unwrap();
    });
    let second = commit(&store, 1, |state| {
        submit_round(state, 1, &COORDINATOR, &round(2)).unwrap();
    });
    commit(&store, 2, |state| {
        for n in 3..400 {
            submit_round(state, 2, &COORDINATOR, &round(n)).unwrap();
        }
    });
    let later = commit(&store, 3, |state| {
        submit_round(state, 3, &COORDINATOR, &round(400)).unwrap();
    });
    // A few more digits in the task's counters, not a copy of the rounds before.
    assert!(
        later <= second + 16,
        "round 2 wrote {second} bytes, round 400 wrote {later}"
    );
    // The task's view carries its newest rounds only; the rest are read a page at a time.
    let task = query::training_task(&store, 0).unwrap().unwrap();
    assert_eq!(task.rounds_done(), 400);
    assert_eq!(task.rounds.len(), query::VIEW_ROUNDS as usize);
    assert_eq!(task.rounds[0].round, 400 - query::VIEW_ROUNDS + 1);
    assert_eq!(task.rounds[99].model, Hash([400u16 as u8; 32]));
    let (page, next) = query::training_rounds_page(&store, 0, 0, 150)
        .unwrap()
        .unwrap();
    assert_eq!((page.len(), page[0].round, next), (150, 1, Some(151)));
    let (page, next) = query::training_rounds_page(&store, 0, 351, 150)
        .unwrap()
        .unwrap();
    assert_eq!((page.len(), page[49].round, next), (50, 400, None));
    let (page, next) = query::training_rounds_page(&store, 0, u64::MAX, 150)
        .unwrap()
        .unwrap();
    assert!(page.is_empty() && next.is_none());
    let all = query::training_rounds(&store, 0).unwrap().unwrap();
    assert!(all.iter().map(|r| r.round).eq(1..=400));
    assert!(query::training_rounds_page(&store, 9, 0, 10)
        .unwrap()
        .is_none());

    // A page of tasks stops once it has read its budget of rounds; the next page goes on.
    commit(&store, 4, |state| {
        create_task(state, 4, &SPONSOR, &terms).unwrap();
    });
    let (page, next) = query::page_within(&store, 0, 1_000, 100).unwrap();
    assert_eq!((page.len(), next), (1, Some(1)));
    let (page, next) = query::page_within(&store, 1, 1_000, 100).unwrap();
    assert_eq!((page.len(), page[0].id, next), (1, 1, None));
    let (page, _) = query::training_tasks_page(&store, 0, 1_000).unwrap();
    assert_eq!(page.len(), 2);
}
