//! A participant in federated training: joins the chain's training tasks whose dataset the
//! config names, and each round fetches the global model from the task's coordinator, trains
//! on its own data file (which never leaves the machine), and sends the signed difference.
//!
//! Transactions (joining) are signed by the owner key under the agent's transaction lock, so
//! they never race the agent's other transactions for a nonce.

use crate::http::{ClientError, Service};
use crate::node::NodeClient;
use plexus_learn::task::{params_from_bytes, SignedUpdate, TaskSpec};
use plexus_types::{Address, Body, Hash, SecretKey, UnsignedTx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// A local data file and the dataset name of the tasks it may train.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnData {
    pub dataset: String,
    /// CSV (`f1,…,fd,label` per line) or NPY (rows of features then the label).
    pub data: PathBuf,
}

/// How a participant behaves (everything but `Honest` is for devnets and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LearnBehaviour {
    Honest,
    /// Sends its honest update negated and scaled by 4: a model-poisoning attack.
    SignFlip,
    /// Sends noise 4 times the norm of its honest update.
    Noise,
    /// Takes part until round `after`, then goes silent in the middle of the next round.
    DropOut {
        after: u32,
    },
}

impl LearnBehaviour {
    pub fn name(&self) -> String {
        match self {
            LearnBehaviour::Honest => "honest".into(),
            LearnBehaviour::SignFlip => "sign-flip".into(),
            LearnBehaviour::Noise => "noise".into(),
            LearnBehaviour::DropOut { after } => format!("drop-out-after-{after}"),
        }
    }
}

/// The parts of a chain training task a participant reads.
#[derive(Debug, Clone, Deserialize)]
pub struct TaskView {
    pub id: u64,
    pub terms: TermsView,
    pub participants: Vec<ParticipantView>,
    pub status: StatusView,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TermsView {
    pub dataset: String,
    pub spec: String,
    pub rounds: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ParticipantView {
    pub account: Address,
    pub from_round: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusView {
    pub state: String,
}

#[derive(Deserialize)]
struct RoundView {
    round: u32,
    base_model: Hash,
    accepting: bool,
    received: Vec<Address>,
}

/// What the learner keeps per task.
struct Joined {
    spec: TaskSpec,
    coordinator: Service,
    data: plexus_learn::data::Dataset,
    sent: u32,
}

pub struct Learner {
    key: SecretKey,
    address: Address,
    node: NodeClient,
    data: Vec<LearnData>,
    behaviour: LearnBehaviour,
    tx_lock: Arc<Mutex<()>>,
    joined: BTreeMap<u64, Joined>,
    refused: BTreeMap<u64, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("transaction {0}")]
    Tx(String),
    #[error("{0}")]
    Task(String),
}

impl Learner {
    pub fn new(
        key: SecretKey,
        node: NodeClient,
        data: Vec<LearnData>,
        behaviour: LearnBehaviour,
        tx_lock: Arc<Mutex<()>>,
    ) -> Learner {
        Learner {
            address: Address::from_public_key(&key.public_key()),
            key,
            node,
            data,
            behaviour,
            tx_lock,
            joined: BTreeMap::new(),
            refused: BTreeMap::new(),
        }
    }

    pub fn address(&self) -> Address {
        self.address
    }

    /// Follows the chain's tasks until `stop` turns true.
    pub async fn run(mut self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_millis(150));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.step().await {
                tracing::debug!(participant = %self.address, error = %e, "training step failed; retrying");
            }
        }
    }

    /// One pass: join what to join, train for every open round not yet answered.
    pub async fn step(&mut self) -> Result<(), LearnError> {
        let tasks = self.node.training_tasks().await?;
        for task in tasks {
            if task.status.state != "open" || self.refused.contains_key(&task.id) {
                continue;
            }
            let Some(local) = self.data.iter().find(|d| d.dataset == task.terms.dataset) else {
                continue;
            };
            if let std::collections::btree_map::Entry::Vacant(slot) = self.joined.entry(task.id) {
                match prepare(&task, local) {
                    Ok(j) => {
                        slot.insert(j);
                    }
                    Err(e) => {
                        tracing::warn!(task = task.id, error = %e, "not taking part in training task");
                        self.refused.insert(task.id, e);
                        continue;
                    }
                }
            }
            if !task.participants.iter().any(|p| p.account == self.address) {
                self.join(task.id).await?;
                continue;
            }
            self.train_round(task.id).await?;
        }
        Ok(())
    }

    async fn join(&self, task: u64) -> Result<(), LearnError> {
        let _one = self.tx_lock.lock().await;
        let status = self.node.status().await?;
        let account = self.node.account(&self.address).await?;
        let tx = UnsignedTx {
            chain_id: status.chain_id,
            nonce: account.nonce,
            fee: status.min_fee,
            body: Body::JoinTrainingTask { task },
        }
        .sign(&self.key);
        let hash = self.node.submit(&tx).await?;
        let done = self
            .node
            .wait_committed(&hash, Duration::from_secs(30))
            .await
            .map_err(|e| LearnError::Tx(e.to_string()))?;
        if !done.succeeded() && done.code != "already_joined" {
            return Err(LearnError::Tx(format!("join {}: {}", done.code, done.log)));
        }
        tracing::info!(task, participant = %self.address, "joined training task");
        Ok(())
    }

    async fn train_round(&mut self, task: u64) -> Result<(), LearnError> {
        let j = self.joined.get_mut(&task).expect("prepared before");
        let answer = j
            .coordinator
            .get(&format!("/v1/learn/tasks/{task}/round"))
            .await?;
        let round: RoundView = j.coordinator.json(answer)?;
        if !round.accepting || round.received.contains(&self.address) || round.round <= j.sent {
            return Ok(());
        }
        if let LearnBehaviour::DropOut { after } = self.behaviour {
            if round.round > after {
                return Ok(());
            }
        }
        let answer = j
            .coordinator
            .get(&format!("/v1/learn/tasks/{task}/model"))
            .await?;
        if answer.status != 200 {
            return Err(j.coordinator.refusal(answer).into());
        }
        if Hash::of(&answer.body) != round.base_model {
            // The round moved on between the two requests; the next pass catches up.
            return Ok(());
        }
        let global =
            params_from_bytes(&answer.body).map_err(|e| LearnError::Task(e.to_string()))?;
        let spec = j.spec.clone();
        let data = j.data.clone();
        let behaviour = self.behaviour;
        let seed = u64::from_le_bytes(self.address.as_bytes()[..8].try_into().unwrap_or([0; 8]))
            ^ round.round as u64;
        let delta = tokio::task::spawn_blocking(move || {
            local_update(&spec, &data, &global, behaviour, seed)
        })
        .await
        .map_err(|e| LearnError::Task(e.to_string()))?
        .map_err(LearnError::Task)?;
        let update = SignedUpdate::sign(&self.key, task, round.round, round.base_model, delta);
        let body = serde_json::to_vec(&update).map_err(|e| LearnError::Task(e.to_string()))?;
        let answer = j
            .coordinator
            .post_bytes(&format!("/v1/learn/tasks/{task}/updates"), body)
            .await?;
        match j.coordinator.json::<serde_json::Value>(answer) {
            Ok(_) => {}
            Err(e) if matches!(e.code(), Some("already_received") | Some("round_closed")) => {}
            Err(e) => return Err(e.into()),
        }
        j.sent = round.round;
        Ok(())
    }
}

fn prepare(task: &TaskView, local: &LearnData) -> Result<Joined, String> {
    let spec = TaskSpec::parse(&task.terms.spec).map_err(|e| e.to_string())?;
    let data = spec.load_data(&local.data).map_err(|e| e.to_string())?;
    let coordinator =
        Service::new("coordinator", &spec.coordinator_url).map_err(|e| e.to_string())?;
    Ok(Joined {
        spec,
        coordinator,
        data,
        sent: 0,
    })
}

/// Trains from `global` on `data` and returns the update the behaviour sends.
pub fn local_update(
    spec: &TaskSpec,
    data: &plexus_learn::data::Dataset,
    global: &[f32],
    behaviour: LearnBehaviour,
    seed: u64,
) -> Result<Vec<f32>, String> {
    let model = spec.model().map_err(|e| e.to_string())?;
    model.set_params(global).map_err(|e| e.to_string())?;
    model.train(data, &spec.train).map_err(|e| e.to_string())?;
    let trained = model.params().map_err(|e| e.to_string())?;
    let delta: Vec<f32> = trained.iter().zip(global).map(|(t, g)| t - g).collect();
    Ok(match behaviour {
        LearnBehaviour::SignFlip => delta.iter().map(|d| -4.0 * d).collect(),
        LearnBehaviour::Noise => {
            let norm = plexus_learn::aggregate::norm(&delta) as f32;
            let mut state = seed;
            let noise: Vec<f32> = (0..delta.len())
                .map(|_| {
                    state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                    let mut z = state;
                    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                    ((z ^ (z >> 31)) >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
                })
                .collect();
            let n = plexus_learn::aggregate::norm(&noise) as f32;
            noise
                .iter()
                .map(|x| x * 4.0 * norm / n.max(f32::MIN_POSITIVE))
                .collect()
        }
        _ => delta,
    })
}
