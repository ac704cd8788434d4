//! Federated training's actions: a sponsor's task, a participant joining it, a coordinator's
//! round result, and the sponsor's cancellation.

use super::fields::{bad, hash_field, name_field, u128_field};
use super::{Body, TxError};
use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash;
use crate::proto;
use proto::tx_payload::Body as P;

/// Longest training task spec (JSON).
pub const MAX_TRAINING_SPEC_LEN: usize = 2048;
/// Longest training dataset name.
pub const MAX_DATASET_LEN: usize = 64;
/// Most rounds one training task may run.
pub const MAX_TRAINING_ROUNDS: u32 = 10_000;
/// Most participants one training task may have.
pub const MAX_TRAINING_PARTICIPANTS: u32 = 64;
/// What joining a training task locks from the participant's account, 1 PLX: returned when
/// the task ends to a participant that earned from it or was never due in a submitted round,
/// forfeit otherwise. A slot of a task's [`MAX_TRAINING_PARTICIPANTS`] is not free to take.
pub const TRAINING_JOIN_BOND: Amount = Amount(1_000_000);

/// The terms a sponsor sets for a federated training task.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrainingTaskTerms {
    /// The kind of local data the task trains on; agents join tasks their config names.
    pub dataset: String,
    /// Model and training recipe (JSON); the ledger keeps it as given.
    pub spec: String,
    /// blake3("plexus/learn/validation" ‖ salt ‖ validation file).
    pub validation_commitment: Hash,
    /// 1 to [`MAX_TRAINING_ROUNDS`].
    pub rounds: u32,
    /// 1 to [`MAX_TRAINING_PARTICIPANTS`].
    pub min_participants: u32,
    /// At least `rounds` uplx.
    pub budget: Amount,
    pub coordinator: Address,
}

/// One participant's score in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrainingScore {
    pub participant: Address,
    pub score: u64,
}

/// A coordinator's result of one round of a training task.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrainingRound {
    pub task: u64,
    /// 1-based.
    pub round: u32,
    /// blake3 of the global parameters after the round (f32 little endian).
    pub model: Hash,
    /// blake3 of the published round record.
    pub record: Hash,
    pub accuracy_ppm: u32,
    pub loss_micro: u64,
    /// Sorted by participant, no repeats, at most [`MAX_TRAINING_PARTICIPANTS`].
    pub scores: Vec<TrainingScore>,
}

/// The commitment to a task's validation set.
pub fn validation_commitment(salt: &[u8; 32], file: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(b"plexus/learn/validation");
    h.update(salt);
    h.update(file);
    Hash(*h.finalize().as_bytes())
}

pub(super) fn decode_create_training_task(t: proto::CreateTrainingTask) -> Result<Body, TxError> {
    let dataset = name_field("dataset", t.dataset, MAX_DATASET_LEN)?;
    if !dataset
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(bad("dataset", "only a-z, 0-9, '-' and '_'"));
    }
    let spec = name_field("spec", t.spec, MAX_TRAINING_SPEC_LEN)?;
    if t.rounds == 0 || t.rounds > MAX_TRAINING_ROUNDS {
        return Err(bad("rounds", format!("must be 1 to {MAX_TRAINING_ROUNDS}")));
    }
    if t.min_participants == 0 || t.min_participants > MAX_TRAINING_PARTICIPANTS {
        return Err(bad(
            "min_participants",
            format!("must be 1 to {MAX_TRAINING_PARTICIPANTS}"),
        ));
    }
    let budget = Amount(u128_field("budget", &t.budget)?);
    if budget.0 < t.rounds as u128 {
        return Err(bad("budget", "must be at least 1 uplx per round"));
    }
    Ok(Body::CreateTrainingTask(TrainingTaskTerms {
        dataset,
        spec,
        validation_commitment: hash_field("validation_commitment", &t.validation_commitment)?,
        rounds: t.rounds,
        min_participants: t.min_participants,
        budget,
        coordinator: Address::from_slice(&t.coordinator).map_err(|e| bad("coordinator", e))?,
    }))
}

pub(super) fn encode_create_training_task(t: &TrainingTaskTerms) -> P {
    P::CreateTrainingTask(proto::CreateTrainingTask {
        dataset: t.dataset.clone(),
        spec: t.spec.clone(),
        validation_commitment: t.validation_commitment.0.to_vec(),
        rounds: t.rounds,
        min_participants: t.min_participants,
        budget: t.budget.to_string(),
        coordinator: t.coordinator.as_bytes().to_vec(),
    })
}

pub(super) fn decode_submit_training_round(r: proto::SubmitTrainingRound) -> Result<Body, TxError> {
    if r.round == 0 {
        return Err(bad("round", "rounds count from 1"));
    }
    if r.scores.len() > MAX_TRAINING_PARTICIPANTS as usize {
        return Err(bad(
            "scores",
            format!("at most {MAX_TRAINING_PARTICIPANTS}"),
        ));
    }
    let scores = r
        .scores
        .into_iter()
        .map(|s| {
            Ok(TrainingScore {
                participant: Address::from_slice(&s.participant)
                    .map_err(|e| bad("scores.participant", e))?,
                score: s.score,
            })
        })
        .collect::<Result<Vec<_>, TxError>>()?;
    if !scores
        .windows(2)
        .all(|w| w[0].participant < w[1].participant)
    {
        return Err(bad(
            "scores",
            "must be sorted by participant, without repeats",
        ));
    }
    Ok(Body::SubmitTrainingRound(TrainingRound {
        task: r.task,
        round: r.round,
        model: hash_field("model", &r.model)?,
        record: hash_field("record", &r.record)?,
        accuracy_ppm: r.accuracy_ppm.min(1_000_000),
        loss_micro: r.loss_micro,
        scores,
    }))
}

pub(super) fn encode_submit_training_round(r: &TrainingRound) -> P {
    P::SubmitTrainingRound(proto::SubmitTrainingRound {
        task: r.task,
        round: r.round,
        model: r.model.0.to_vec(),
        record: r.record.0.to_vec(),
        accuracy_ppm: r.accuracy_ppm,
        loss_micro: r.loss_micro,
        scores: r
            .scores
            .iter()
            .map(|s| proto::TrainingScore {
                participant: s.participant.as_bytes().to_vec(),
                score: s.score,
            })
            .collect(),
    })
}
