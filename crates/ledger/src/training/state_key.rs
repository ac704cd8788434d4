//! Training's state keys.

/// Number of training tasks ever made; the next task's id.
pub fn training_task_count() -> Vec<u8> {
    b"training/task_count".to_vec()
}

/// A training task, by id.
pub fn training_task(id: u64) -> Vec<u8> {
    let mut k = b"training/task/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Running totals of training escrow deposited, paid and refunded.
pub fn training_totals() -> Vec<u8> {
    b"training/totals".to_vec()
}
