//! A participant in federated training: joins the chain's training tasks whose dataset the
//! config names, and each round fetches the global model from the task's coordinator, trains
//! on its own data file (which never leaves the machine), and sends the signed difference.
//!
//! Transactions (joining) are signed by the owner key under the agent's transaction lock, so
//! they never race the agent's other transactions for a nonce.

use crate::ports::Sender;
use plexus_client::views::TaskView;
use plexus_client::{
    ClientError, Clock, CoordinatorClient, HttpTransport, NodeApi, SystemClock, Transport, TxSender,
};
use plexus_learn::task::{params_from_bytes, SignedUpdate, TaskSpec};
use plexus_types::{Address, Body, Hash, SecretKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use plexus_client::views::{ParticipantView, TaskStatusView};

/// How often a participant follows the chain's tasks.
const PERIOD: Duration = Duration::from_millis(150);

/// How long a request to a coordinator may take on the real network, and its connection.
const COORDINATOR_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A local data file and the dataset name of the tasks it may train.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnData {
    pub dataset: String,
    /// CSV (`f1,…,fd,label` per line) or NPY (rows of features then the label).
    pub data: PathBuf,
}

/// What a participant sends of the update it trained, and in which rounds it takes part.
///
/// `update` is given the honest difference between the trained and the global model and a
/// seed fixed by the participant and round; it returns the difference sent. An honest policy
/// sends what it trained, every round.
pub trait UpdatePolicy: Send + Sync {
    fn takes_part(&self, _round: u32) -> bool {
        true
    }
    fn update(&self, trained: Vec<f32>, seed: u64) -> Vec<f32>;
}

/// Sends what it trained, every round.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrainedUpdates;

impl UpdatePolicy for TrainedUpdates {
    fn update(&self, trained: Vec<f32>, _: u64) -> Vec<f32> {
        trained
    }
}

/// What the learner keeps per task.
struct Joined {
    spec: TaskSpec,
    coordinator: CoordinatorClient,
    data: plexus_learn::data::Dataset,
    sent: u32,
}

pub struct Learner {
    key: SecretKey,
    address: Address,
    node: Arc<dyn NodeApi>,
    clock: Arc<dyn Clock>,
    transport: Arc<dyn Transport>,
    sender: Arc<Sender>,
    data: Vec<LearnData>,
    policy: Arc<dyn UpdatePolicy>,
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
    /// A participant on the system clock and the real network that sends through `node`,
    /// with a sender of its own.
    pub fn new(
        key: SecretKey,
        node: impl NodeApi + 'static,
        data: Vec<LearnData>,
        policy: impl Into<Arc<dyn UpdatePolicy>>,
    ) -> Result<Learner, ClientError> {
        let node: Arc<dyn NodeApi> = Arc::new(node);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let transport = HttpTransport::new(Some(COORDINATOR_TIMEOUT), CONNECT_TIMEOUT)
            .map_err(ClientError::Setup)?;
        let sender = Arc::new(TxSender::with_clock(
            node.clone(),
            key.clone(),
            clock.clone(),
        ));
        Ok(Learner::with_ports(
            key,
            node,
            clock,
            Arc::new(transport),
            sender,
            data,
            policy.into(),
        ))
    }

    /// A participant on the given ports, reaching coordinators through `transport`; `sender`
    /// signs with `key`.
    pub fn with_ports(
        key: SecretKey,
        node: Arc<dyn NodeApi>,
        clock: Arc<dyn Clock>,
        transport: Arc<dyn Transport>,
        sender: Arc<Sender>,
        data: Vec<LearnData>,
        policy: Arc<dyn UpdatePolicy>,
    ) -> Learner {
        Learner {
            address: Address::from_public_key(&key.public_key()),
            key,
            node,
            clock,
            transport,
            sender,
            data,
            policy,
            joined: BTreeMap::new(),
            refused: BTreeMap::new(),
        }
    }

    pub fn address(&self) -> Address {
        self.address
    }

    /// Follows the chain's tasks until `stop` turns true.
    pub async fn run(mut self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut rest = Duration::ZERO;
        loop {
            tokio::select! {
                _ = self.clock.sleep(rest) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            let started = self.clock.now();
            if let Err(e) = self.once().await {
                tracing::debug!(participant = %self.address, error = %e, "training step failed; retrying");
            }
            let took = self.clock.now().saturating_sub(started);
            rest = PERIOD.saturating_sub(took);
        }
    }

    /// One pass: join what to join, train for every open round not yet answered.
    pub async fn once(&mut self) -> Result<(), LearnError> {
        let tasks = self.node.training_tasks().await?;
        for task in tasks {
            if !task.is_open() || self.refused.contains_key(&task.id) {
                continue;
            }
            let Some(local) = self.data.iter().find(|d| d.dataset == task.terms.dataset) else {
                continue;
            };
            if let std::collections::btree_map::Entry::Vacant(slot) = self.joined.entry(task.id) {
                match prepare(&task, local, &self.transport) {
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
        let done = self
            .sender
            .send(Body::JoinTrainingTask { task })
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
        let round = j.coordinator.round(task).await?;
        if !round.accepting || round.received.contains(&self.address) || round.round <= j.sent {
            return Ok(());
        }
        if !self.policy.takes_part(round.round) {
            return Ok(());
        }
        let model = j.coordinator.model(task).await?;
        if Hash::of(&model) != round.base_model {
            // The round moved on between the two requests; the next pass catches up.
            return Ok(());
        }
        let global = params_from_bytes(&model).map_err(|e| LearnError::Task(e.to_string()))?;
        let spec = j.spec.clone();
        let data = j.data.clone();
        let policy = self.policy.clone();
        let seed = u64::from_le_bytes(self.address.as_bytes()[..8].try_into().unwrap_or([0; 8]))
            ^ round.round as u64;
        let delta = tokio::task::spawn_blocking(move || {
            local_update(&spec, &data, &global, policy.as_ref(), seed)
        })
        .await
        .map_err(|e| LearnError::Task(e.to_string()))?
        .map_err(LearnError::Task)?;
        // Signed for this chain only, so that it cannot be replayed to another chain's task.
        let chain_id = self.node.chain_status().await?.chain_id;
        let update = SignedUpdate::sign(
            &self.key,
            &chain_id,
            task,
            round.round,
            round.base_model,
            delta,
        );
        let body = serde_json::to_vec(&update).map_err(|e| LearnError::Task(e.to_string()))?;
        match j.coordinator.submit_update(task, body).await {
            Ok(()) => {}
            Err(e) if matches!(e.code(), Some("already_received") | Some("round_closed")) => {}
            Err(e) => return Err(e.into()),
        }
        j.sent = round.round;
        Ok(())
    }
}

fn prepare(
    task: &TaskView,
    local: &LearnData,
    transport: &Arc<dyn Transport>,
) -> Result<Joined, String> {
    let spec = TaskSpec::parse(&task.terms.spec).map_err(|e| e.to_string())?;
    let data = spec.load_data(&local.data).map_err(|e| e.to_string())?;
    let coordinator = CoordinatorClient::with_transport(&spec.coordinator_url, transport.clone())
        .map_err(|e| e.to_string())?;
    Ok(Joined {
        spec,
        coordinator,
        data,
        sent: 0,
    })
}

/// Trains from `global` on `data` and returns the update `policy` sends.
pub fn local_update(
    spec: &TaskSpec,
    data: &plexus_learn::data::Dataset,
    global: &[f32],
    policy: &dyn UpdatePolicy,
    seed: u64,
) -> Result<Vec<f32>, String> {
    let model = spec.model().map_err(|e| e.to_string())?;
    model.set_params(global).map_err(|e| e.to_string())?;
    model.train(data, &spec.train).map_err(|e| e.to_string())?;
    let trained = model.params().map_err(|e| e.to_string())?;
    let delta: Vec<f32> = trained.iter().zip(global).map(|(t, g)| t - g).collect();
    Ok(policy.update(delta, seed))
}
