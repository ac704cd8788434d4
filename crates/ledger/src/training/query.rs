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

/// Every training task, oldest first.
pub fn training_tasks(store: &Store) -> Result<Vec<TrainingTask>, StoreError> {
    let snapshot = store.snapshot()?;
    let count = match snapshot.get(&state_key::training_task_count())? {
        None => 0,
        Some(b) => u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("training task count".into()))?,
        ),
    };
    let mut out = Vec::with_capacity(count as usize);
    for id in 0..count {
        let Some(b) = snapshot.get(&state_key::training_task(id))? else {
            return Err(StoreError::Corrupt(format!("training task {id} missing")));
        };
        out.push(
            serde_json::from_slice(&b)
                .map_err(|e| StoreError::Corrupt(format!("training task {id}: {e}")))?,
        );
    }
    Ok(out)
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
