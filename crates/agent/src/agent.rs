//! The provider daemon: registers its device once, then heartbeats, answers compute
//! challenges and claims rewards until told to stop.

use crate::behaviour::Behaviour;
use crate::claims::{ClaimBook, ClaimOutcome, ClaimRecord};
use crate::config::AgentConfig;
use crate::error::AgentError;
use crate::identity::DeviceIdentity;
use crate::node::{ChainParams, CommittedTx, DeviceState, NodeClient};
use crate::oracle::{
    ChallengeId, ChallengeOutcome, ClaimProof, HeartbeatReceipt, OpenChallenge, OracleClient,
    OracleStatus,
};
use crate::probe::HardwareProbe;
use plexus_proofs::compute::{class_by_name, ComputeChallenge, ComputeProof};
use plexus_types::epoch_clock::{EpochClock, IntervalId};
use plexus_types::heartbeat::{Heartbeat, SignedHeartbeat};
use plexus_types::{proto, statements, Address, Body, Hash, RewardClaim, SecretKey, UnsignedTx};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OnceCell};

/// How often the agent does each duty, and how long it waits for a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    /// Heartbeats are cheap and oracles deduplicate them, so sending often costs little and
    /// makes a missed interval unlikely.
    pub heartbeat: Duration,
    /// Challenge deadlines are tens of milliseconds from issue, so the agent must look for
    /// challenges far more often than it heartbeats.
    pub challenges: Duration,
    pub claims: Duration,
    /// Storage devices look for newly assigned blobs this often.
    pub replicas: Duration,
    /// Pause before retrying a registration that failed for a passing reason.
    pub retry: Duration,
    pub tx_commit: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            heartbeat: Duration::from_secs(1),
            challenges: Duration::from_millis(100),
            claims: Duration::from_secs(10),
            replicas: Duration::from_secs(2),
            retry: Duration::from_secs(2),
            tx_commit: Duration::from_secs(30),
        }
    }
}

/// What `register_if_needed` found or did.
#[derive(Debug, Clone)]
pub enum Registration {
    /// The chain already knows the device (registered by this owner).
    AlreadyRegistered(DeviceState),
    /// This call registered it.
    Registered(CommittedTx),
}

/// One challenge answered to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeAnswer {
    pub oracle: String,
    pub id: ChallengeId,
    pub n: u32,
    pub outcome: ChallengeOutcome,
    /// From receiving the challenge to the commitment being accepted.
    pub commit_latency: Duration,
}

/// One claim the agent settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledClaim {
    pub epoch: u64,
    pub resource: String,
    pub outcome: ClaimOutcome,
}

/// A provider's agent for one device.
///
/// Transactions are signed by the owner's key and sent one at a time, each with the nonce
/// the node reports just before, so duties that run side by side never race for a nonce.
pub struct Agent {
    config: AgentConfig,
    owner: SecretKey,
    owner_address: Address,
    device: DeviceIdentity,
    behaviour: Behaviour,
    hardware: HardwareProbe,
    node: NodeClient,
    oracles: Vec<OracleClient>,
    timings: Timings,
    chain: OnceCell<ChainParams>,
    tx_lock: std::sync::Arc<Mutex<()>>,
    claims: Mutex<ClaimBook>,
    first_heartbeat: Mutex<Option<SignedHeartbeat>>,
    /// Where a storage device serves its blobs, once its blob service listens.
    endpoint: std::sync::OnceLock<String>,
    /// What the job runner has done, once it runs.
    job_stats: std::sync::Mutex<Option<std::sync::Arc<std::sync::Mutex<crate::jobs::JobStats>>>>,
}

impl Agent {
    /// Sets up an agent: loads (or on first start creates) the device key in the data
    /// directory, opens the claim record, and probes the hardware. Talks to no service yet.
    pub fn new(
        config: AgentConfig,
        owner: SecretKey,
        behaviour: Behaviour,
    ) -> Result<Agent, AgentError> {
        Agent::with_hardware(config, owner, behaviour, HardwareProbe::detect())
    }

    /// [`Agent::new`] with the hardware given rather than probed.
    pub fn with_hardware(
        config: AgentConfig,
        owner: SecretKey,
        behaviour: Behaviour,
        hardware: HardwareProbe,
    ) -> Result<Agent, AgentError> {
        if let Behaviour::OverDeclare { real_class } = behaviour {
            let declared = class_by_name(&config.class);
            if declared.is_none_or(|d| d.n <= real_class.n) {
                return Err(AgentError::NotOverDeclaring {
                    declared: config.class.clone(),
                    real: real_class.name.to_string(),
                });
            }
        }
        let device = DeviceIdentity::load_or_create(&config.data_dir)?;
        let claims = ClaimBook::open(&config.data_dir)?;
        let node = NodeClient::new(&config.node)?;
        let oracles = config
            .oracles
            .iter()
            .map(|url| OracleClient::new(url))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Agent {
            owner_address: Address::from_public_key(&owner.public_key()),
            owner,
            device,
            behaviour,
            hardware,
            node,
            oracles,
            timings: Timings::default(),
            chain: OnceCell::new(),
            tx_lock: Default::default(),
            claims: Mutex::new(claims),
            first_heartbeat: Mutex::new(None),
            endpoint: std::sync::OnceLock::new(),
            job_stats: Default::default(),
            config,
        })
    }

    /// What this agent's job runner has done so far (zero before it starts).
    pub fn job_stats(&self) -> crate::jobs::JobStats {
        self.job_stats
            .lock()
            .expect("job stats lock")
            .as_ref()
            .map(|s| s.lock().expect("stats lock").clone())
            .unwrap_or_default()
    }

    pub fn with_timings(mut self, timings: Timings) -> Agent {
        self.timings = timings;
        self
    }

    pub fn device_key(&self) -> plexus_types::PublicKey {
        self.device.public_key()
    }

    pub fn owner_address(&self) -> &Address {
        &self.owner_address
    }

    pub fn behaviour(&self) -> Behaviour {
        self.behaviour
    }

    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    pub fn hardware(&self) -> &HardwareProbe {
        &self.hardware
    }

    /// The chain's parameters, read once from the node: they are fixed at genesis.
    async fn chain(&self) -> Result<&ChainParams, AgentError> {
        self.chain
            .get_or_try_init(|| async { self.node.chain_params().await })
            .await
            .map_err(AgentError::from)
    }

    /// Registers the device under the owner, unless the chain already has it.
    ///
    /// The owner signs the `RegisterDevice` transaction and the device key signs
    /// `statements::device_registration`, which proves the owner holds the device. Waits
    /// until the transaction is committed. Calling it again once registered sends nothing.
    pub async fn register_if_needed(&self) -> Result<Registration, AgentError> {
        let key = self.device.public_key();
        let mut capabilities = self.hardware.to_capabilities();
        if let Some(endpoint) = self.endpoint.get() {
            capabilities.endpoint = endpoint.clone();
        }
        if let Some(existing) = self.existing_device().await? {
            if existing.is_active()
                && !capabilities.endpoint.is_empty()
                && existing.capabilities.endpoint != capabilities.endpoint
            {
                // The blob service moved (a new address or port): say where it is now, or
                // downloaders and oracles would find nothing at the old one.
                let body = Body::UpdateDevice {
                    device: key,
                    capabilities,
                    h3_cell: existing.h3_cell,
                };
                let committed = self.send_tx(body).await?;
                tracing::info!(device = %key, tx = %committed.hash, "updated the device's endpoint");
            }
            return Ok(Registration::AlreadyRegistered(existing));
        }
        let chain = self.chain().await?;
        let class =
            chain
                .device_class(&self.config.class)
                .ok_or_else(|| AgentError::ClassNotOnChain {
                    class: self.config.class.clone(),
                    chain_id: chain.chain_id.clone(),
                })?;
        if self.config.stake < class.min_stake {
            return Err(AgentError::StakeBelowMinimum {
                class: class.name.clone(),
                stake: self.config.stake,
                min: class.min_stake,
            });
        }
        let statement = statements::device_registration(&chain.chain_id, &self.owner_address, &key);
        let body = Body::RegisterDevice {
            device: key,
            class: self.config.class.clone(),
            capabilities,
            h3_cell: self.config.h3_cell,
            stake: self.config.stake,
            device_signature: self.device.secret_key().sign(&statement),
        };
        match self.send_tx(body).await {
            Ok(committed) => {
                tracing::info!(device = %key, class = %self.config.class, tx = %committed.hash, height = committed.height, "registered the device");
                Ok(Registration::Registered(committed))
            }
            // Registered by another run of this agent between the check and the commit.
            Err(AgentError::TxFailed { code, .. }) if code == "device_exists" => {
                match self.existing_device().await? {
                    Some(existing) => Ok(Registration::AlreadyRegistered(existing)),
                    None => Err(AgentError::TxFailed {
                        hash: Hash::ZERO,
                        code,
                        log: "the node reports the device both existing and unknown".into(),
                    }),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn existing_device(&self) -> Result<Option<DeviceState>, AgentError> {
        let Some(device) = self.node.device(&self.device.public_key()).await? else {
            return Ok(None);
        };
        if device.owner != self.owner_address {
            return Err(AgentError::DeviceOwnedByOther {
                device: device.key,
                owner: device.owner,
                expected: self.owner_address,
            });
        }
        if !device.is_active() {
            tracing::warn!(device = %device.key, status = %device.status, "the device is registered but not active: it earns nothing");
        }
        Ok(Some(device))
    }

    /// Signs `body` with the owner's key and the owner's next nonce, submits it, and waits
    /// for it to be committed. A committed transaction that failed is an error.
    async fn send_tx(&self, body: Body) -> Result<CommittedTx, AgentError> {
        let _one_at_a_time = self.tx_lock.lock().await;
        let status = self.node.status().await?;
        let account = self.node.account(&self.owner_address).await?;
        let tx = UnsignedTx {
            chain_id: status.chain_id,
            nonce: account.nonce,
            fee: status.min_fee,
            body,
        }
        .sign(&self.owner);
        let hash = self.node.submit(&tx).await?;
        let committed = self
            .node
            .wait_committed(&hash, self.timings.tx_commit)
            .await?;
        if !committed.succeeded() {
            return Err(AgentError::TxFailed {
                hash,
                code: committed.code,
                log: committed.log,
            });
        }
        Ok(committed)
    }

    /// Sends one heartbeat for the current interval to every oracle. Fails only when no
    /// oracle took it; the others' failures are logged.
    pub async fn heartbeat_once(&self) -> Result<Vec<HeartbeatReceipt>, AgentError> {
        let mut receipts = Vec::new();
        let mut first_error = None;
        for oracle in &self.oracles {
            match self.heartbeat_to(oracle).await {
                Ok(receipt) => receipts.push(receipt),
                Err(e) => {
                    tracing::warn!(oracle = oracle.base_url(), error = %e, "heartbeat not taken");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) if receipts.is_empty() => Err(e),
            _ => Ok(receipts),
        }
    }

    async fn heartbeat_to(&self, oracle: &OracleClient) -> Result<HeartbeatReceipt, AgentError> {
        let chain = self.chain().await?;
        let status = oracle.status().await?;
        if status.chain_id != chain.chain_id {
            return Err(AgentError::WrongChain {
                oracle: oracle.base_url().to_string(),
                oracle_chain: status.chain_id,
                node_chain: chain.chain_id.clone(),
            });
        }
        warn_if_clock_disagrees(oracle, &status);
        let fresh = Heartbeat {
            chain_id: status.chain_id.clone(),
            device: self.device.public_key(),
            epoch: status.epoch,
            interval: status.interval,
            beacon: status.beacon,
        };
        let heartbeat = match self.behaviour {
            Behaviour::ReplayHeartbeats => {
                let mut first = self.first_heartbeat.lock().await;
                first
                    .get_or_insert_with(|| fresh.sign(self.device.secret_key()))
                    .clone()
            }
            _ => fresh.sign(self.device.secret_key()),
        };
        let receipt = oracle.send_heartbeat(&heartbeat).await?;
        tracing::debug!(
            oracle = oracle.base_url(),
            epoch = heartbeat.heartbeat.epoch,
            interval = heartbeat.heartbeat.interval,
            ?receipt,
            "heartbeat sent"
        );
        Ok(receipt)
    }

    /// Answers every open challenge of every oracle: computes the product, signs and sends
    /// the commitment, opens the rows the oracle names. Returns the challenges answered to
    /// the end; failures are logged, and reported only when nothing was answered.
    pub async fn answer_challenges_once(&self) -> Result<Vec<ChallengeAnswer>, AgentError> {
        let mut answers = Vec::new();
        let mut first_error = None;
        for oracle in &self.oracles {
            let open = match oracle.challenges(&self.device.public_key()).await {
                Ok(open) => open,
                Err(e) => {
                    tracing::warn!(oracle = oracle.base_url(), error = %e, "cannot list challenges");
                    first_error.get_or_insert(AgentError::from(e));
                    continue;
                }
            };
            for challenge in open {
                let received = Instant::now();
                // An oracle lists a challenge only while it has no answer to it, so a listed
                // challenge is answered again even if this agent answered it before: the
                // oracle may have restarted and lost an answer it had not yet recorded.

                match self.answer(oracle, &challenge, received).await {
                    Ok(answer) => {
                        tracing::info!(oracle = oracle.base_url(), id = %answer.id, n = answer.n, outcome = ?answer.outcome, latency = ?answer.commit_latency, "challenge answered");
                        answers.push(answer);
                    }
                    Err(e) => {
                        tracing::warn!(oracle = oracle.base_url(), id = %challenge.id, error = %e, "challenge not answered");
                        first_error.get_or_insert(e);
                    }
                }
            }
        }
        match first_error {
            Some(e) if answers.is_empty() => Err(e),
            _ => Ok(answers),
        }
    }

    async fn answer(
        &self,
        oracle: &OracleClient,
        open: &OpenChallenge,
        received: Instant,
    ) -> Result<ChallengeAnswer, AgentError> {
        let bad = |source| AgentError::BadChallenge {
            oracle: oracle.base_url().to_string(),
            id: open.id.clone(),
            source,
        };
        let challenge = ComputeChallenge::new(open.seed.0, open.n).map_err(bad)?;
        let chain_id = self.chain().await?.chain_id.clone();
        let behaviour = self.behaviour;
        let proof: ComputeProof =
            tokio::task::spawn_blocking(move || behaviour.compute(&challenge))
                .await
                .map_err(|e| AgentError::ProverStopped(e.to_string()))?;
        let hold = behaviour.commit_delay(challenge.n());
        if let Some(rest) = hold.checked_sub(received.elapsed()) {
            tokio::time::sleep(rest).await;
        }
        let root = proof.root();
        let statement =
            statements::compute_commitment(&chain_id, challenge.seed(), challenge.n(), &root);
        let device = self.device.public_key();
        let commit = proto::ChallengeCommit {
            device: device.as_bytes().to_vec(),
            seed: challenge.seed().to_vec(),
            n: challenge.n(),
            root: root.0.to_vec(),
            signature: self
                .device
                .secret_key()
                .sign(&statement)
                .to_bytes()
                .to_vec(),
        };
        let rows = oracle.commit(&open.id, &commit).await?;
        let commit_latency = received.elapsed();
        let openings = rows
            .iter()
            .map(|&i| {
                proof.open(i).map(|o| proto::RowOpening {
                    index: o.index,
                    row: o.row,
                    leaf_count: o.proof.leaf_count,
                    siblings: o.proof.siblings.iter().map(|h| h.0.to_vec()).collect(),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        let outcome = oracle
            .open(
                &open.id,
                &proto::ChallengeOpenings {
                    device: device.as_bytes().to_vec(),
                    seed: challenge.seed().to_vec(),
                    openings,
                },
            )
            .await?;
        Ok(ChallengeAnswer {
            oracle: oracle.base_url().to_string(),
            id: open.id.clone(),
            n: challenge.n(),
            outcome,
            commit_latency,
        })
    }

    /// Claims the device's rewards of every ended epoch, still within the claim window,
    /// whose manifest for the device's pool is final and whose claim is not yet settled.
    ///
    /// A claim is settled, and recorded in `claims.json`, once a claim transaction for it has
    /// been committed (paid or failed) or once the manifest is known to hold nothing for the
    /// device; a restart never pays for the same claim twice.
    pub async fn claim_ready_rewards(&self) -> Result<Vec<SettledClaim>, AgentError> {
        let chain = self.chain().await?;
        let resource = chain
            .device_class(&self.config.class)
            .map(|c| c.resource.clone())
            .ok_or_else(|| AgentError::ClassNotOnChain {
                class: self.config.class.clone(),
                chain_id: chain.chain_id.clone(),
            })?;
        let clock = EpochClock::new(
            chain.rewards.epoch_blocks,
            chain.rewards.intervals_per_epoch,
        )?;
        let height = self.node.status().await?.height;
        let last_ended = clock.last_ended_epoch(height);
        let first = last_ended.saturating_sub(chain.rewards.claim_epochs).max(1);
        let mut settled = Vec::new();
        for epoch in first..=last_ended {
            if self.claims.lock().await.is_settled(&resource, epoch) {
                continue;
            }
            let Some(state) = self.node.epoch(epoch).await? else {
                continue;
            };
            if !state.has_final_manifest(&resource) {
                continue;
            }
            let Some(outcome) = self.claim(epoch, &resource).await? else {
                continue;
            };
            self.claims.lock().await.record(ClaimRecord {
                epoch,
                resource: resource.clone(),
                outcome: outcome.clone(),
            })?;
            tracing::info!(epoch, resource = %resource, ?outcome, "reward claim settled");
            settled.push(SettledClaim {
                epoch,
                resource: resource.clone(),
                outcome,
            });
        }
        Ok(settled)
    }

    /// Claims one epoch; `None` when it cannot be settled yet.
    async fn claim(&self, epoch: u64, resource: &str) -> Result<Option<ClaimOutcome>, AgentError> {
        let device = self.device.public_key();
        let mut proof: Option<(ClaimProof, &OracleClient)> = None;
        let mut every_oracle_answered = true;
        for oracle in &self.oracles {
            match oracle.claim_proof(epoch, resource, &device).await {
                Ok(Some(p)) => {
                    proof = Some((p, oracle));
                    break;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(oracle = oracle.base_url(), epoch, error = %e, "cannot fetch a claim proof");
                    every_oracle_answered = false;
                }
            }
        }
        let Some((proof, oracle)) = proof else {
            // Only when every oracle says so is the device known to be absent from the
            // manifest; an oracle that did not answer may hold it.
            return Ok(every_oracle_answered.then_some(ClaimOutcome::NothingEarned));
        };
        if proof.leaf.device != device || proof.leaf.owner != self.owner_address {
            return Err(AgentError::ForeignClaim {
                oracle: oracle.base_url().to_string(),
                epoch,
                device: proof.leaf.device,
                owner: proof.leaf.owner,
            });
        }
        if proof.leaf.units == 0 {
            return Ok(Some(ClaimOutcome::NothingEarned));
        }
        let body = Body::ClaimReward(RewardClaim {
            epoch,
            resource: resource.to_string(),
            device,
            owner: self.owner_address,
            units: proof.leaf.units,
            proof: proof.proof,
        });
        match self.send_tx(body).await {
            Ok(committed) => Ok(Some(ClaimOutcome::Claimed {
                tx: committed.hash,
                units: proof.leaf.units,
            })),
            Err(AgentError::TxFailed { hash, code, log })
                if !crate::error::is_transient_code(&code) =>
            {
                tracing::warn!(epoch, %code, %log, "the claim was committed but failed");
                Ok(Some(ClaimOutcome::Failed { tx: hash, code }))
            }
            Err(e) => Err(e),
        }
    }

    /// Runs the agent until `shutdown` completes: registers the device (retrying while the
    /// node is unreachable), then heartbeats, answers challenges and, if configured, claims
    /// rewards, each on its own period. A failed round of a duty is logged and tried again
    /// next period; only a registration the chain refuses for good ends the run early.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), AgentError> {
        tokio::pin!(shutdown);
        tracing::info!(device = %self.device.public_key(), owner = %self.owner_address, behaviour = %self.behaviour, class = %self.config.class, "agent starting");
        // A storage device's blob service listens before registering, so the registration
        // names where it really is.
        let keeper = if crate::config::is_storage_class(&self.config.class) {
            Some(self.start_storage().await?)
        } else {
            None
        };
        // A bandwidth device's speed test service, likewise, before registering.
        if crate::config::is_bandwidth_class(&self.config.class) {
            let rate = (self.behaviour == Behaviour::Throttle)
                .then_some(crate::behaviour::THROTTLE_BYTES_PER_SEC);
            self.serve("speed tests", crate::bandwidth::router(rate))
                .await?;
        }
        tokio::select! {
            biased;
            () = &mut shutdown => return Ok(()),
            registered = self.register_until_done() => { registered?; }
        }
        let duties = async {
            tokio::join!(
                async {
                    if let Some(keeper) = &keeper {
                        repeat("replicas", self.timings.replicas, || async {
                            let report = keeper.sync_once().await.map_err(AgentError::from)?;
                            if self.behaviour == Behaviour::DropReplicas {
                                for id in &report.assigned {
                                    keeper.drop_replica(*id)?;
                                }
                            }
                            Ok(report)
                        })
                        .await
                    }
                },
                repeat("heartbeat", self.timings.heartbeat, || self
                    .heartbeat_once()),
                repeat("challenges", self.timings.challenges, || self
                    .answer_challenges_once()),
                async {
                    if self.config.auto_claim {
                        repeat("claims", self.timings.claims, || self.claim_ready_rewards()).await
                    }
                },
                async {
                    if let Some(bidding) = &self.config.bidding {
                        let jobs = crate::jobs::JobRunner::new(
                            self.owner.clone(),
                            self.device.public_key(),
                            self.hardware.to_capabilities(),
                            bidding.clone(),
                            self.node.clone(),
                            self.config.data_dir.join("jobs"),
                            if self.behaviour == Behaviour::WrongResults {
                                crate::jobs::JobBehaviour::WrongResults
                            } else {
                                crate::jobs::JobBehaviour::Honest
                            },
                            self.tx_lock.clone(),
                        );
                        *self.job_stats.lock().expect("job stats lock") = Some(jobs.stats());
                        jobs.run().await
                    }
                },
                async {
                    if !self.config.learn.is_empty() {
                        let learner = crate::learner::Learner::new(
                            self.owner.clone(),
                            self.node.clone(),
                            self.config.learn.clone(),
                            crate::learner::LearnBehaviour::Honest,
                            self.tx_lock.clone(),
                        );
                        // Never stopped from here: the agent's shutdown drops this future.
                        let (_keep, stop) = tokio::sync::watch::channel(false);
                        learner.run(stop).await
                    }
                },
            )
        };
        tokio::select! {
            biased;
            () = &mut shutdown => {}
            _ = duties => {}
        }
        tracing::info!(device = %self.device.public_key(), "agent stopped");
        Ok(())
    }

    /// Opens the blob store and serves it at `blob_listen` for as long as the process runs.
    async fn start_storage(&self) -> Result<crate::storage::ReplicaKeeper, AgentError> {
        let keeper = crate::storage::ReplicaKeeper::open(
            &self.config.data_dir,
            &self.config.node,
            self.device.public_key(),
            &self.config.blob_sources,
        )?;
        self.serve("blobs", keeper.router()).await?;
        Ok(keeper)
    }

    /// Serves `router` at `blob_listen` for as long as the process runs, and records the
    /// endpoint the device declares.
    ///
    /// With port 0 the agent takes the port it had last time if it is free, so that a restart
    /// keeps the endpoint the chain already holds: oracles testing the device meanwhile reach
    /// it, rather than an address it left.
    async fn serve(&self, what: &'static str, router: axum::Router) -> Result<(), AgentError> {
        let port_file = self.config.data_dir.join("service-port");
        let mut previous = None;
        if self.config.blob_listen.port() == 0 {
            if let Some(port) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|s| s.trim().parse::<u16>().ok())
            {
                let addr = std::net::SocketAddr::new(self.config.blob_listen.ip(), port);
                previous = tokio::net::TcpListener::bind(addr).await.ok();
            }
        }
        let listener = match previous {
            Some(l) => l,
            None => tokio::net::TcpListener::bind(self.config.blob_listen)
                .await
                .map_err(|source| AgentError::Listen {
                    addr: self.config.blob_listen,
                    source,
                })?,
        };
        let addr = listener.local_addr().map_err(|source| AgentError::Listen {
            addr: self.config.blob_listen,
            source,
        })?;
        if self.config.blob_listen.port() == 0 {
            if let Err(e) = std::fs::write(&port_file, addr.port().to_string()) {
                tracing::warn!(file = %port_file.display(), error = %e, "cannot remember the service port");
            }
        }
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, service = what, "the service stopped");
            }
        });
        tracing::info!(%addr, service = what, "serving");
        let host = if addr.ip().is_unspecified() {
            std::net::SocketAddr::new([127, 0, 0, 1].into(), addr.port())
        } else {
            addr
        };
        let _ = self.endpoint.set(format!("http://{host}"));
        Ok(())
    }

    async fn register_until_done(&self) -> Result<Registration, AgentError> {
        loop {
            match self.register_if_needed().await {
                Ok(r) => return Ok(r),
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, retry_in = ?self.timings.retry, "registration failed; retrying");
                    tokio::time::sleep(self.timings.retry).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Runs `duty` every `period` forever, logging its failures.
async fn repeat<T, F, Fut>(name: &'static str, period: Duration, duty: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AgentError>>,
{
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = duty().await {
            tracing::warn!(duty = name, error = %e, "duty failed; trying again next period");
        }
    }
}

fn warn_if_clock_disagrees(oracle: &OracleClient, status: &OracleStatus) {
    let named = IntervalId {
        epoch: status.epoch,
        interval: status.interval,
    };
    let derived = EpochClock::new(status.epoch_blocks, status.intervals_per_epoch)
        .ok()
        .and_then(|clock| clock.interval_of(status.height));
    if status.height > 0 && derived != Some(named) {
        tracing::debug!(
            oracle = oracle.base_url(),
            height = status.height,
            ?named,
            ?derived,
            "the oracle names an interval that its own height does not fall in"
        );
    }
}
