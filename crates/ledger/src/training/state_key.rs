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

/// Round `round` (1-based) of training task `id`: one entry per round, so that submitting a
/// round writes the same amount however many came before it.
pub fn training_round(id: u64, round: u32) -> Vec<u8> {
    let mut k = training_task(id);
    k.extend_from_slice(b"/round/");
    k.extend_from_slice(&round.to_be_bytes());
    k
}

/// Running totals of training escrow deposited, paid and refunded.
pub fn training_totals() -> Vec<u8> {
    b"training/totals".to_vec()
}
