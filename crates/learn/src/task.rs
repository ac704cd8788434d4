//! A training task as the network runs it: the sponsor's spec, participants' signed updates,
//! and the round record a coordinator publishes, from which anyone can recompute the round.
//!
//! Scores are integers on chain. A round's raw score (see [`crate::contribution`]) becomes
//! `round(raw × SCORE_SCALE)` units, and the smoothed score is `(previous + this round) / 2`
//! in integers, so smoothing is exact on every machine; only the raw scores come from
//! floating point, and [`compare`] allows them [`SCORE_TOLERANCE`] of relative difference,
//! because candle's kernels may round the last bits differently on another CPU.

use crate::aggregate::Rule;
use crate::data::{DataError, Dataset};
use crate::model::{Architecture, Model, ModelError, Objective, TrainConfig};
use crate::optimizer::ServerOptimizer;
use crate::round::{run_round, RoundError, RoundOutcome};
use plexus_types::{statements, Address, Hash, PublicKey, SecretKey, Signature, TrainingScore};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::contribution::{score_units, smoothed_units, SCORE_SCALE};
/// Relative difference allowed between a published and a recomputed score or parameter.
pub const SCORE_TOLERANCE: f64 = 1e-4;

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("task spec: {0}")]
    Spec(String),
    #[error("data: {0}")]
    Data(#[from] DataError),
    #[error("data file: {0}")]
    DataFile(String),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Round(#[from] RoundError),
    #[error("update: {0}")]
    Update(String),
}

fn default_scale() -> f32 {
    1.0
}
fn default_timeout() -> u64 {
    10_000
}
fn default_quorum() -> usize {
    1
}

/// The model and training recipe of a task, kept on chain as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    pub architecture: Architecture,
    /// Features per example.
    pub features: usize,
    /// Outputs of the model: the classes, or 1 for a regression task.
    pub classes: usize,
    /// What the model minimises; classification unless the spec says otherwise, so specs made
    /// before regression tasks existed read as they did (and are written as they were).
    #[serde(default, skip_serializing_if = "Objective::is_classification")]
    pub objective: Objective,
    /// Every feature read from a data file is multiplied by this (1/16 for the digits).
    #[serde(default = "default_scale")]
    pub scale: f32,
    /// Seed of the initial weights.
    pub seed: u64,
    #[serde(default)]
    pub rule: Rule,
    #[serde(default = "ServerOptimizer::plain")]
    pub optimizer: ServerOptimizer,
    /// How participants train locally each round.
    #[serde(default)]
    pub train: TrainConfig,
    /// How long a round waits for every participant before it closes with a quorum.
    #[serde(default = "default_timeout")]
    pub round_timeout_ms: u64,
    /// Fewest updates a round closes with after its timeout.
    #[serde(default = "default_quorum")]
    pub quorum: usize,
    /// Where participants fetch the global model and send their updates.
    pub coordinator_url: String,
}

impl TaskSpec {
    /// Parses and checks a spec.
    pub fn parse(json: &str) -> Result<TaskSpec, TaskError> {
        let spec: TaskSpec =
            serde_json::from_str(json).map_err(|e| TaskError::Spec(e.to_string()))?;
        spec.check()?;
        Ok(spec)
    }

    pub fn check(&self) -> Result<(), TaskError> {
        let bad = |m: &str| Err(TaskError::Spec(m.into()));
        if self.features == 0 || self.features > 1 << 16 {
            return bad("features must be 1 to 65536");
        }
        match self.objective {
            Objective::Classification if self.classes < 2 || self.classes > 1024 => {
                return bad("classes must be 2 to 1024")
            }
            Objective::Regression if self.classes != 1 => {
                return bad("a regression task's model has one output: classes must be 1")
            }
            _ => {}
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return bad("scale must be a positive number");
        }
        match self.architecture {
            Architecture::Mlp { hidden } if hidden == 0 || hidden > 4096 => {
                return bad("the MLP's hidden width must be 1 to 4096")
            }
            Architecture::Cnn { channels } if channels == 0 || channels > 256 => {
                return bad("the CNN's channels must be 1 to 256")
            }
            _ => {}
        }
        let t = &self.train;
        if t.epochs == 0 || t.epochs > 100 || t.batch == 0 || t.batch > 4096 {
            return bad("train.epochs must be 1 to 100 and train.batch 1 to 4096");
        }
        if !(t.lr.is_finite() && t.lr > 0.0) {
            return bad("train.lr must be a positive number");
        }
        if !(100..=3_600_000).contains(&self.round_timeout_ms) {
            return bad("round_timeout_ms must be 100 to 3600000");
        }
        if self.quorum == 0 {
            return bad("quorum must be at least 1");
        }
        if !(self.coordinator_url.starts_with("http://")
            || self.coordinator_url.starts_with("https://"))
        {
            return bad("coordinator_url must be an http(s) URL");
        }
        Ok(())
    }

    /// The task's model with its initial weights.
    pub fn model(&self) -> Result<Model, TaskError> {
        Ok(Model::with_objective(
            self.architecture,
            self.features,
            self.classes,
            self.objective,
            self.seed,
        )?)
    }

    /// Reads a data file for this task: CSV (`f1,…,fd,label` per line, or `f1,…,fd,target`
    /// for a regression task) or NPY (a 2-D array of numbers, one example per row, the label
    /// last; classification only), told apart by the extension.
    pub fn load_data(&self, path: &std::path::Path) -> Result<Dataset, TaskError> {
        let name = path.display();
        let data = if path.extension().is_some_and(|e| e == "npy") {
            if self.objective == Objective::Regression {
                return Err(TaskError::DataFile(format!(
                    "{name}: a regression task reads its data from CSV, not NPY"
                )));
            }
            Dataset::from_npy(path, self.classes, self.scale)?
        } else {
            let text = std::fs::read_to_string(path)
                .map_err(|e| TaskError::DataFile(format!("{name}: {e}")))?;
            self.parse_csv(&text)?
        };
        if data.dim != self.features {
            return Err(TaskError::DataFile(format!(
                "{name} has {} features per example, the task's model takes {}",
                data.dim, self.features
            )));
        }
        Ok(data)
    }

    /// Parses CSV text for this task, checking its width.
    pub fn parse_csv(&self, text: &str) -> Result<Dataset, TaskError> {
        let data = match self.objective {
            Objective::Classification => Dataset::from_csv(text, self.classes, self.scale)?,
            Objective::Regression => Dataset::from_csv_targets(text, self.scale)?,
        };
        if data.dim != self.features {
            return Err(TaskError::DataFile(format!(
                "the data has {} features per example, the task's model takes {}",
                data.dim, self.features
            )));
        }
        Ok(data)
    }
}

/// Parameters as bytes: each `f32` little endian, in order.
pub fn params_to_bytes(params: &[f32]) -> Vec<u8> {
    params.iter().flat_map(|p| p.to_le_bytes()).collect()
}

/// The inverse of [`params_to_bytes`].
pub fn params_from_bytes(bytes: &[u8]) -> Result<Vec<f32>, TaskError> {
    if !bytes.len().is_multiple_of(4) {
        return Err(TaskError::Update(format!(
            "{} bytes is not a whole number of f32 parameters",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// The id of a parameter vector: blake3 of [`params_to_bytes`].
pub fn params_hash(params: &[f32]) -> Hash {
    Hash::of(&params_to_bytes(params))
}

mod f32_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(super::params_to_bytes(v)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let text = <&str>::deserialize(d)?;
        let bytes = hex::decode(text).map_err(serde::de::Error::custom)?;
        super::params_from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// A participant's update for one round, signed by the key whose account joined the task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedUpdate {
    pub task: u64,
    pub round: u32,
    /// The global model the update was trained from.
    pub base_model: Hash,
    pub public_key: PublicKey,
    /// Trained parameters minus the global ones.
    #[serde(with = "f32_hex")]
    pub delta: Vec<f32>,
    /// Hex of the ed25519 signature over [`SignedUpdate::statement`].
    pub signature: String,
}

impl SignedUpdate {
    /// What a participant signs: [`statements::learning_update`].
    pub fn statement(
        chain_id: &str,
        task: u64,
        round: u32,
        base_model: &Hash,
        delta: &[f32],
    ) -> Vec<u8> {
        statements::learning_update(chain_id, task, round, base_model, &params_hash(delta))
    }

    /// `delta` signed by `key` for round `round` of task `task` on chain `chain_id`.
    pub fn sign(
        key: &SecretKey,
        chain_id: &str,
        task: u64,
        round: u32,
        base_model: Hash,
        delta: Vec<f32>,
    ) -> SignedUpdate {
        let signature = key.sign(&Self::statement(chain_id, task, round, &base_model, &delta));
        SignedUpdate {
            task,
            round,
            base_model,
            public_key: key.public_key(),
            delta,
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// The account the update is from.
    pub fn participant(&self) -> Address {
        Address::from_public_key(&self.public_key)
    }

    /// Checks the signature, as made for chain `chain_id`.
    pub fn verify(&self, chain_id: &str) -> Result<(), TaskError> {
        let bytes = hex::decode(&self.signature)
            .map_err(|_| TaskError::Update("the signature is not hex".into()))?;
        let sig = Signature::from_slice(&bytes)
            .map_err(|e| TaskError::Update(format!("signature: {e}")))?;
        let statement = Self::statement(
            chain_id,
            self.task,
            self.round,
            &self.base_model,
            &self.delta,
        );
        self.public_key.verify(&statement, &sig).map_err(|_| {
            TaskError::Update(format!(
                "the signature of {}'s update does not verify for chain {chain_id}",
                self.participant()
            ))
        })
    }
}

/// One participant's standing in a round record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreEntry {
    pub participant: Address,
    pub score: u64,
}

/// Everything a round was computed from and what it produced. Published by the coordinator;
/// its blake3 goes on chain with the round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// The chain the task lives on; every update is signed for it.
    pub chain_id: String,
    pub task: u64,
    pub round: u32,
    pub base_model: Hash,
    #[serde(with = "f32_hex")]
    pub base_params: Vec<f32>,
    /// The server optimizer's state before the round.
    pub optimizer: ServerOptimizer,
    /// Every participant of the round with its smoothed score before it, sorted.
    pub previous: Vec<ScoreEntry>,
    /// The updates received in time, sorted by participant.
    pub updates: Vec<SignedUpdate>,
    /// Participants of the round that sent nothing in time.
    pub missing: Vec<Address>,
    pub outcome: RoundOutcome,
    /// Raw score units of each update, in the order of `updates`.
    pub raw_units: Vec<u64>,
    /// Every participant's smoothed score after the round, sorted.
    pub smoothed: Vec<ScoreEntry>,
    /// The global model after the round.
    pub model: Hash,
}

impl RoundRecord {
    /// The scores that go on chain: the smoothed scores of those who sent an update.
    pub fn chain_scores(&self) -> Vec<TrainingScore> {
        self.smoothed
            .iter()
            .filter(|s| !self.missing.contains(&s.participant))
            .map(|s| TrainingScore {
                participant: s.participant,
                score: s.score,
            })
            .collect()
    }

    pub fn accuracy_ppm(&self) -> u32 {
        (self.outcome.accuracy_after.clamp(0.0, 1.0) * 1e6).round() as u32
    }

    pub fn loss_micro(&self) -> u64 {
        let l = self.outcome.loss_after;
        if l.is_finite() && l > 0.0 {
            (l * 1e6).round().min(u64::MAX as f64) as u64
        } else {
            0
        }
    }
}

/// What a round starts from.
pub struct RoundInput {
    /// The chain the task lives on; every update must be signed for it.
    pub chain_id: String,
    pub task: u64,
    pub round: u32,
    pub base_params: Vec<f32>,
    pub optimizer: ServerOptimizer,
    /// Every participant of the round with its smoothed score so far (0 for a newcomer).
    pub previous: BTreeMap<Address, u64>,
    /// The updates received in time, at most one per participant.
    pub updates: Vec<SignedUpdate>,
}

/// Checks one update against the round it is sent to; the coordinator runs this before
/// accepting it, and [`close_round`] again for every update.
pub fn check_update(
    update: &SignedUpdate,
    chain_id: &str,
    task: u64,
    round: u32,
    base_model: &Hash,
    num_params: usize,
) -> Result<(), TaskError> {
    if update.task != task || update.round != round {
        return Err(TaskError::Update(format!(
            "the update is for task {} round {}, this is task {task} round {round}",
            update.task, update.round
        )));
    }
    if update.base_model != *base_model {
        return Err(TaskError::Update(format!(
            "the update was trained from model {}, the round's model is {base_model}",
            update.base_model
        )));
    }
    if update.delta.len() != num_params {
        return Err(TaskError::Update(format!(
            "the update has {} parameters, the model {num_params}",
            update.delta.len()
        )));
    }
    if let Some(i) = update.delta.iter().position(|x| !x.is_finite()) {
        return Err(TaskError::Update(format!("parameter {i} is not finite")));
    }
    update.verify(chain_id)
}

/// Runs a round: checks every update, aggregates, scores and smooths. Returns the record and
/// the new global parameters and optimizer state.
pub fn close_round(
    spec: &TaskSpec,
    model: &Model,
    validation: &Dataset,
    mut input: RoundInput,
) -> Result<(RoundRecord, Vec<f32>, ServerOptimizer), TaskError> {
    let base_model = params_hash(&input.base_params);
    input.updates.sort_by_key(|u| u.participant());
    if input
        .updates
        .windows(2)
        .any(|w| w[0].participant() == w[1].participant())
    {
        return Err(TaskError::Update("two updates from one participant".into()));
    }
    for u in &input.updates {
        check_update(
            u,
            &input.chain_id,
            input.task,
            input.round,
            &base_model,
            model.num_params(),
        )?;
        if !input.previous.contains_key(&u.participant()) {
            return Err(TaskError::Update(format!(
                "{} does not take part in round {}",
                u.participant(),
                input.round
            )));
        }
    }
    if input.updates.is_empty() {
        return Err(TaskError::Update(
            "a round needs at least one update".into(),
        ));
    }
    let deltas: Vec<Vec<f32>> = input.updates.iter().map(|u| u.delta.clone()).collect();
    let mut global = input.base_params.clone();
    let mut optimizer = input.optimizer.clone();
    let outcome = run_round(
        model,
        validation,
        &mut global,
        &deltas,
        spec.rule,
        &mut optimizer,
    )?;
    let raw_units: Vec<u64> = outcome.scores.iter().map(|s| score_units(*s)).collect();
    let submitted: BTreeMap<Address, u64> = input
        .updates
        .iter()
        .zip(&raw_units)
        .map(|(u, r)| (u.participant(), *r))
        .collect();
    let smoothed = input
        .previous
        .iter()
        .map(|(p, prev)| ScoreEntry {
            participant: *p,
            score: smoothed_units(*prev, *submitted.get(p).unwrap_or(&0)),
        })
        .collect();
    let missing = input
        .previous
        .keys()
        .filter(|p| !submitted.contains_key(p))
        .copied()
        .collect();
    let record = RoundRecord {
        chain_id: input.chain_id,
        task: input.task,
        round: input.round,
        base_model,
        base_params: input.base_params,
        optimizer: input.optimizer,
        previous: input
            .previous
            .iter()
            .map(|(p, s)| ScoreEntry {
                participant: *p,
                score: *s,
            })
            .collect(),
        updates: input.updates,
        missing,
        outcome,
        raw_units,
        smoothed,
        model: params_hash(&global),
    };
    Ok((record, global, optimizer))
}

/// Recomputes a published round from its own inputs: every signature, the aggregate, the
/// scores and the new model.
pub fn recompute(
    spec: &TaskSpec,
    validation: &Dataset,
    record: &RoundRecord,
) -> Result<(RoundRecord, Vec<f32>), TaskError> {
    let model = spec.model()?;
    let input = RoundInput {
        chain_id: record.chain_id.clone(),
        task: record.task,
        round: record.round,
        base_params: record.base_params.clone(),
        optimizer: record.optimizer.clone(),
        previous: record
            .previous
            .iter()
            .map(|s| (s.participant, s.score))
            .collect(),
        updates: record.updates.clone(),
    };
    let (again, params, _) = close_round(spec, &model, validation, input)?;
    Ok((again, params))
}

fn close(a: u64, b: u64) -> bool {
    let (a, b) = (a as f64, b as f64);
    (a - b).abs() <= SCORE_TOLERANCE * a.max(b) + 1.0
}

/// Differences between a published record and its recomputation (empty: they agree).
pub fn compare(published: &RoundRecord, recomputed: &RoundRecord) -> Vec<String> {
    let mut out = Vec::new();
    if published.base_model != recomputed.base_model {
        out.push(format!(
            "base model: published {}, its parameters hash to {}",
            published.base_model, recomputed.base_model
        ));
    }
    if published.missing != recomputed.missing {
        out.push("the list of missing participants differs".into());
    }
    for (p, r) in published.smoothed.iter().zip(&recomputed.smoothed) {
        if p.participant != r.participant || !close(p.score, r.score) {
            out.push(format!(
                "{}: published score {}, recomputed {}",
                p.participant, p.score, r.score
            ));
        }
    }
    if published.smoothed.len() != recomputed.smoothed.len() {
        out.push("the number of scored participants differs".into());
    }
    let (pa, ra) = (
        published.outcome.accuracy_after,
        recomputed.outcome.accuracy_after,
    );
    if (pa - ra).abs() > 2.0 / 1797.0 {
        out.push(format!(
            "accuracy after the round: published {pa:.4}, recomputed {ra:.4}"
        ));
    }
    out
}

#[cfg(test)]
mod tests;
