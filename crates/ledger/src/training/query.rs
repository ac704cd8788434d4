//! Reads of training's committed state: tasks with their rounds, and escrow accounting.

use super::{state_key, RoundResult, TrainingTask, TrainingTotals};
use crate::bank::module_account;
use crate::bank::query::account;
use crate::stored::get_json;
use plexus_store::{Snapshot, Store, StoreError};
use serde::{Deserialize, Serialize};

/// A training task with its rounds, read from their entries: what the API shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingTaskView {
    #[serde(flatten)]
    pub task: TrainingTask,
    /// Rounds 1 to `rounds_done`, in order.
    pub rounds: Vec<RoundResult>,
}

impl std::ops::Deref for TrainingTaskView {
    type Target = TrainingTask;
    fn deref(&self) -> &TrainingTask {
        &self.task
    }
}

/// A training task with its rounds, by id.
pub fn training_task(store: &Store, id: u64) -> Result<Option<TrainingTaskView>, StoreError> {
    let snapshot = store.snapshot()?;
    read_task(&snapshot, id)
}

fn read_json<T: serde::de::DeserializeOwned>(
    snapshot: &Snapshot,
    key: &[u8],
    what: impl Fn() -> String,
) -> Result<Option<T>, StoreError> {
    snapshot
        .get(key)?
        .map(|b| {
            serde_json::from_slice(&b).map_err(|e| StoreError::Corrupt(format!("{}: {e}", what())))
        })
        .transpose()
}

fn read_task(snapshot: &Snapshot, id: u64) -> Result<Option<TrainingTaskView>, StoreError> {
    let Some(task) = read_json::<TrainingTask>(snapshot, &state_key::training_task(id), || {
        format!("training task {id}")
    })?
    else {
        return Ok(None);
    };
    let mut rounds = Vec::with_capacity(task.rounds_done as usize);
    for r in 1..=task.rounds_done {
        let round = read_json(snapshot, &state_key::training_round(id, r), || {
            format!("round {r} of training task {id}")
        })?
        .ok_or_else(|| StoreError::Corrupt(format!("round {r} of training task {id} missing")))?;
        rounds.push(round);
    }
    Ok(Some(TrainingTaskView { task, rounds }))
}

/// Most rounds one page of tasks reads: a page ends after the task that reaches it (so it
/// holds at least one task), whatever its `limit`.
pub const PAGE_ROUNDS: u64 = plexus_types::tx::MAX_TRAINING_ROUNDS as u64;

/// Training tasks from id `from`, at most `limit` and no more tasks once [`PAGE_ROUNDS`]
/// rounds are read, oldest first, read from one snapshot, and where the next page starts
/// (`None` after the last).
pub fn training_tasks_page(
    store: &Store,
    from: u64,
    limit: usize,
) -> Result<(Vec<TrainingTaskView>, Option<u64>), StoreError> {
    page_within(store, from, limit, PAGE_ROUNDS)
}

pub(super) fn page_within(
    store: &Store,
    from: u64,
    limit: usize,
    round_budget: u64,
) -> Result<(Vec<TrainingTaskView>, Option<u64>), StoreError> {
    let snapshot = store.snapshot()?;
    let count = match snapshot.get(&state_key::training_task_count())? {
        None => 0,
        Some(b) => u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("training task count".into()))?,
        ),
    };
    let end = count.min(from.saturating_add(limit as u64));
    let mut out = Vec::with_capacity(end.saturating_sub(from).min(1_024) as usize);
    let mut rounds = 0u64;
    for id in from..end {
        let task = read_task(&snapshot, id)?
            .ok_or_else(|| StoreError::Corrupt(format!("training task {id} missing")))?;
        rounds = rounds.saturating_add(task.rounds.len() as u64);
        out.push(task);
        if rounds >= round_budget {
            let next = id + 1;
            return Ok((out, (next < count).then_some(next)));
        }
    }
    Ok((out, (end < count).then_some(end)))
}

/// Every training task, oldest first.
pub fn training_tasks(store: &Store) -> Result<Vec<TrainingTaskView>, StoreError> {
    Ok(training_tasks_page(store, 0, usize::MAX)?.0)
}

/// Training escrow accounting: running totals plus what the escrow account holds.
pub fn training_totals(store: &Store) -> Result<TrainingAccounting, StoreError> {
    let totals: TrainingTotals =
        get_json(store, &state_key::training_totals())?.unwrap_or_default();
    let held = account(store, &module_account::training_escrow())?.balance;
    Ok(TrainingAccounting { totals, held })
}

/// Training totals and the escrow balance: `escrowed = paid + refunded + held`, exactly.
pub type TrainingAccounting = crate::bank::EscrowAccounting;
