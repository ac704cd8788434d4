//! Reads of training's committed state: tasks and escrow accounting.

use super::{state_key, TrainingTask, TrainingTotals};
use crate::bank::module_account;
use crate::bank::query::account;
use crate::stored::get_json;
use plexus_store::{Store, StoreError};

/// A training task, by id.
pub fn training_task(store: &Store, id: u64) -> Result<Option<TrainingTask>, StoreError> {
    get_json(store, &state_key::training_task(id))
}

/// Training tasks from id `from`, at most `limit`, oldest first, read from one snapshot, and
/// where the next page starts (`None` after the last).
pub fn training_tasks_page(
    store: &Store,
    from: u64,
    limit: usize,
) -> Result<(Vec<TrainingTask>, Option<u64>), StoreError> {
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
    let mut out = Vec::with_capacity(end.saturating_sub(from) as usize);
    for id in from..end {
        let Some(b) = snapshot.get(&state_key::training_task(id))? else {
            return Err(StoreError::Corrupt(format!("training task {id} missing")));
        };
        out.push(
            serde_json::from_slice(&b)
                .map_err(|e| StoreError::Corrupt(format!("training task {id}: {e}")))?,
        );
    }
    Ok((out, (end < count).then_some(end)))
}

/// Every training task, oldest first.
pub fn training_tasks(store: &Store) -> Result<Vec<TrainingTask>, StoreError> {
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
