//! Reads of training's committed state: tasks with their rounds, and escrow accounting.

use super::{state_key, RoundResult, TrainingTask, TrainingTotals};
use crate::bank::module_account;
use crate::bank::query::account;
use crate::stored::get_json;
use plexus_store::{Snapshot, Store, StoreError};
use serde::{Deserialize, Serialize};

/// Most rounds a task's view carries: its newest. The others are read a page at a time
/// ([`training_rounds_page`]), so that a task of 10 000 rounds is not one answer.
pub const VIEW_ROUNDS: u32 = 100;

/// A training task with its newest rounds, read from their entries: what the API shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingTaskView {
    #[serde(flatten)]
    pub task: TrainingTask,
    /// The newest [`VIEW_ROUNDS`] rounds at most, oldest first: rounds
    /// `rounds_done - len + 1` to `rounds_done`.
    pub rounds: Vec<RoundResult>,
}

impl std::ops::Deref for TrainingTaskView {
    type Target = TrainingTask;
    fn deref(&self) -> &TrainingTask {
        &self.task
    }
}

/// A training task with its newest rounds, by id.
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
    let first = task.rounds_done.saturating_sub(VIEW_ROUNDS) + 1;
    let rounds = read_rounds(snapshot, &task, first, VIEW_ROUNDS as usize)?;
    Ok(Some(TrainingTaskView { task, rounds }))
}

/// Rounds `first..` of `task` (1-based), at most `limit` of them and none past `rounds_done`.
fn read_rounds(
    snapshot: &Snapshot,
    task: &TrainingTask,
    first: u32,
    limit: usize,
) -> Result<Vec<RoundResult>, StoreError> {
    let id = task.id;
    let first = first.max(1);
    let count = task.rounds_done.saturating_add(1).saturating_sub(first) as usize;
    let mut rounds = Vec::with_capacity(count.min(limit));
    for r in (first..=task.rounds_done).take(limit) {
        let round = read_json(snapshot, &state_key::training_round(id, r), || {
            format!("round {r} of training task {id}")
        })?
        .ok_or_else(|| StoreError::Corrupt(format!("round {r} of training task {id} missing")))?;
        rounds.push(round);
    }
    Ok(rounds)
}

/// Rounds of a task, oldest first, and the round the next page starts at.
pub type RoundsPage = (Vec<RoundResult>, Option<u64>);

/// A page of task `id`'s rounds from round `from` (1-based; 0 reads from round 1), at most
/// `limit`, oldest first, and the round the next page starts at (`None` after the last);
/// `None` if there is no such task.
pub fn training_rounds_page(
    store: &Store,
    id: u64,
    from: u64,
    limit: usize,
) -> Result<Option<RoundsPage>, StoreError> {
    let snapshot = store.snapshot()?;
    let Some(task) = read_json::<TrainingTask>(&snapshot, &state_key::training_task(id), || {
        format!("training task {id}")
    })?
    else {
        return Ok(None);
    };
    // Past the last round (or past any round number there can be): an empty last page.
    let first = u32::try_from(from.max(1)).unwrap_or(u32::MAX);
    let rounds = read_rounds(&snapshot, &task, first, limit)?;
    let next = Some(u64::from(first) + rounds.len() as u64)
        .filter(|n| !rounds.is_empty() && *n <= u64::from(task.rounds_done));
    Ok(Some((rounds, next)))
}

/// Every round of task `id`, oldest first (`None` if there is no such task): for a reader in
/// the same process, such as a devnet's summary; the API serves them a page at a time.
pub fn training_rounds(store: &Store, id: u64) -> Result<Option<Vec<RoundResult>>, StoreError> {
    Ok(training_rounds_page(store, id, 1, usize::MAX)?.map(|(rounds, _)| rounds))
}

/// Most rounds one page of tasks reads: a page ends after the task that reaches it (so it
/// holds at least one task, and at most `PAGE_ROUNDS + VIEW_ROUNDS - 1` rounds), whatever its
/// `limit`.
pub const PAGE_ROUNDS: u64 = 1_000;

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
