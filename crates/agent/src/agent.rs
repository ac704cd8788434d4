//! The provider daemon: wires one device's duties (register, heartbeat, challenges, claims,
//! storage, bandwidth, jobs, learning) to the ports it is given and runs each on its own
//! period of the clock until told to stop.

use crate::behaviour::{Behaviour, LearnBehaviour, Strategies};
use crate::challenges::{ChallengeAnswer, Challenges};
use crate::claims::{ClaimBook, Claims, SettledClaim};
use crate::config::AgentConfig;
use crate::context::{repeat, repeat_paced, DeviceContext};
use crate::error::AgentError;
use crate::heartbeat::Heartbeats;
use crate::identity::DeviceIdentity;
use crate::jobs::{JobRunner, JobSetup, JobStats};
use crate::learning::Learner;
use crate::listen::TcpServices;
use crate::ports::{Ports, Sender};
use crate::probe::HardwareProbe;
use crate::register::{Declaration, Registration};
use crate::storage::{ReplicaKeeper, Replicas, SyncReport};
use crate::upload_signer::DeviceUploadSigner;
use plexus_blobs::upload_auth::SigningTransport;
use plexus_client::{
    HeartbeatReceipt, HttpTransport, NodeClient, OracleApi, OracleClient, SystemClock, TxSender,
};
use plexus_types::{Address, SecretKey};
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long connecting to a service may take on the real network.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How often the agent does each duty, and how long it waits for a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    /// Heartbeats are cheap and oracles deduplicate them, so sending often costs little and
    /// makes a missed interval unlikely. The longest period: on a chain whose intervals are
    /// shorter than two of these, the duty heartbeats twice an interval.
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

/// A provider's agent for one device.
///
/// Transactions are signed by the owner's key and sent one at a time, each with the nonce
/// the node reports just before, so duties that run side by side never race for a nonce.
pub struct Agent {
    config: AgentConfig,
    owner: SecretKey,
    owner_address: Address,
    behaviour: Behaviour,
    strategies: Strategies,
    hardware: HardwareProbe,
    ctx: DeviceContext,
    timings: Timings,
    heartbeats: Heartbeats,
    challenges: Challenges,
    claims: Claims,
    /// Where the device's own service listens, once it does.
    endpoint: OnceLock<String>,
    /// The storage duty, once the service is started (`None` for a device that keeps no
    /// replicas).
    replicas: tokio::sync::OnceCell<Option<Replicas>>,
    /// What the job runner has done, once it runs.
    job_stats: Mutex<Option<Arc<Mutex<JobStats>>>>,
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
        let node = NodeClient::new(&config.node)?;
        let oracles = config
            .oracles
            .iter()
            .map(|url| Ok(Arc::new(OracleClient::new(url)?) as Arc<dyn OracleApi>))
            .collect::<Result<Vec<_>, AgentError>>()?;
        // Blob transfers bound themselves; only connecting has a deadline here.
        let transport =
            HttpTransport::new(None, CONNECT_TIMEOUT).map_err(plexus_client::ClientError::Setup)?;
        let ports = Ports {
            node: Arc::new(node),
            oracles,
            clock: Arc::new(SystemClock),
            transport: Arc::new(transport),
            services: Arc::new(TcpServices::new(config.blob_listen, &config.data_dir)),
        };
        Agent::with_ports(config, owner, behaviour, hardware, ports)
    }

    /// An agent whose duties reach the node, the oracles and time through `ports`, with the
    /// strategies that `behaviour` names.
    pub fn with_ports(
        config: AgentConfig,
        owner: SecretKey,
        behaviour: Behaviour,
        hardware: HardwareProbe,
        ports: Ports,
    ) -> Result<Agent, AgentError> {
        behaviour.check_declared_class(&config.class)?;
        let device = DeviceIdentity::load_or_create(&config.data_dir)?;
        let book = ClaimBook::open(&config.data_dir)?;
        let timings = Timings::default();
        let sender = owner_sender(&ports, &owner, timings.tx_commit);
        let strategies = behaviour.strategies();
        Ok(Agent {
            owner_address: Address::from_public_key(&owner.public_key()),
            owner,
            behaviour,
            hardware,
            ctx: DeviceContext::new(ports, device, sender),
            timings,
            heartbeats: Heartbeats::new(strategies.heartbeats.clone()),
            challenges: Challenges::new(strategies.prover.clone()),
            claims: Claims::new(config.class.clone(), book),
            strategies,
            endpoint: OnceLock::new(),
            replicas: tokio::sync::OnceCell::new(),
            job_stats: Default::default(),
            config,
        })
    }

    /// What this agent's job runner has done so far (zero before it starts).
    pub fn job_stats(&self) -> JobStats {
        self.job_stats
            .lock()
            .expect("job stats lock")
            .as_ref()
            .map(|s| s.lock().expect("stats lock").clone())
            .unwrap_or_default()
    }

    pub fn with_timings(mut self, timings: Timings) -> Agent {
        self.timings = timings;
        self.ctx.sender = owner_sender(&self.ctx.ports, &self.owner, timings.tx_commit);
        self
    }

    pub fn device_key(&self) -> plexus_types::PublicKey {
        self.ctx.device.public_key()
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

    /// What the device registers as: its class, cell, stake, hardware and, once its service
    /// listens, its endpoint (the configured `blob_endpoint` if any, else where it listens).
    fn declaration(&self) -> Declaration {
        let mut capabilities = self.hardware.to_capabilities();
        if let Some(endpoint) = self.config.blob_endpoint.as_ref().or(self.endpoint.get()) {
            capabilities.endpoint = endpoint.clone();
        }
        Declaration {
            class: self.config.class.clone(),
            h3_cell: self.config.h3_cell,
            stake: self.config.stake,
            capabilities,
        }
    }

    /// Registers the device under the owner, unless the chain already has it (see
    /// [`crate::register::once`]).
    pub async fn register_if_needed(&self) -> Result<Registration, AgentError> {
        crate::register::once(&self.ctx, &self.declaration()).await
    }

    /// One round of the heartbeat duty (see [`Heartbeats::once`]).
    pub async fn heartbeat_once(&self) -> Result<Vec<HeartbeatReceipt>, AgentError> {
        self.heartbeats.once(&self.ctx).await
    }

    /// One round of the challenge duty (see [`Challenges::once`]).
    pub async fn answer_challenges_once(&self) -> Result<Vec<ChallengeAnswer>, AgentError> {
        self.challenges.once(&self.ctx).await
    }

    /// One round of the claims duty (see [`Claims::once`]).
    pub async fn claim_ready_rewards(&self) -> Result<Vec<SettledClaim>, AgentError> {
        self.claims.once(&self.ctx).await
    }

    /// Starts the device's own service on the ports' [`crate::ports::ServiceHost`]: a
    /// storage device's blob store, or a bandwidth device's speed test routes; nothing for
    /// other classes. Only the first call starts it; later ones return at once. Call it
    /// before registering, so the registration names where the service is.
    pub async fn start_service(&self) -> Result<(), AgentError> {
        self.replicas
            .get_or_try_init(|| self.open_service())
            .await
            .map(|_| ())
    }

    /// The endpoint the device's service declares, once [`Agent::start_service`] started it.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.get().map(String::as_str)
    }

    /// One round of the storage duty (see [`Replicas::once`]). Fails for a device that keeps
    /// no replicas, or whose service has not been started.
    pub async fn keep_replicas_once(&self) -> Result<SyncReport, AgentError> {
        match self.replicas.get() {
            Some(Some(replicas)) => replicas.once(&self.ctx).await,
            _ => Err(AgentError::NoReplicas {
                class: self.config.class.clone(),
            }),
        }
    }

    /// Runs the agent until `shutdown` completes: registers the device (retrying while the
    /// node is unreachable), then heartbeats, answers challenges and, if configured, keeps
    /// replicas, claims rewards, bids for jobs and trains, each on its own period. A failed
    /// round of a duty is logged and tried again next period; only a registration the chain
    /// refuses for good ends the run early.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), AgentError> {
        tokio::pin!(shutdown);
        tracing::info!(device = %self.device_key(), owner = %self.owner_address(), behaviour = %self.behaviour, class = %self.config.class, "agent starting");
        // A device's own service listens before registering, so the registration names where
        // it really is.
        self.start_service().await?;
        let declared = self.declaration();
        tokio::select! {
            biased;
            () = &mut shutdown => return Ok(()),
            registered = crate::register::until_done(&self.ctx, &declared, self.timings.retry) => { registered?; }
        }
        tokio::select! {
            biased;
            () = &mut shutdown => {}
            () = self.duties(self.replicas.get().and_then(Option::as_ref)) => {}
        }
        tracing::info!(device = %self.device_key(), "agent stopped");
        Ok(())
    }

    /// Every duty after registration, joined; never ends by itself.
    async fn duties(&self, replicas: Option<&Replicas>) {
        let clock = self.ctx.clock();
        let t = &self.timings;
        tokio::join!(
            async {
                if let Some(replicas) = replicas {
                    repeat(clock, "replicas", t.replicas, || replicas.once(&self.ctx)).await
                }
            },
            repeat_paced(
                clock,
                "heartbeat",
                || self.heartbeats.period(t.heartbeat),
                || self.heartbeat_once()
            ),
            repeat(clock, "challenges", t.challenges, || self
                .answer_challenges_once()),
            async {
                if self.config.auto_claim {
                    repeat(clock, "claims", t.claims, || self.claim_ready_rewards()).await
                }
            },
            async {
                if let Some(jobs) = self.job_runner() {
                    jobs.run().await
                }
            },
            async {
                if !self.config.learn.is_empty() {
                    // Never stopped from here: the agent's shutdown drops this future.
                    let (_keep, stop) = tokio::sync::watch::channel(false);
                    self.learner().run(stop).await
                }
            },
        );
    }

    /// The marketplace duty, when the config has `[bidding]`: [`Agent::run`] runs it on its
    /// own period; a simulation steps it with [`JobRunner::once`]. Its stats are what
    /// [`Agent::job_stats`] reports.
    pub fn job_runner(&self) -> Option<JobRunner> {
        let bidding = self.config.bidding.as_ref()?;
        let jobs = JobRunner::new(
            JobSetup {
                device: self.device_key(),
                hardware: self.hardware.to_capabilities(),
                bidding: bidding.clone(),
                blob_service: self.config.node.clone(),
                work_dir: self.config.data_dir.join("jobs"),
            },
            self.ctx.ports.node.clone(),
            self.ctx.ports.clock.clone(),
            // The node takes only signed uploads: the device signs its outputs.
            Arc::new(SigningTransport::new(
                self.ctx.ports.transport.clone(),
                Arc::new(DeviceUploadSigner::new(
                    self.ctx.device.secret_key().clone(),
                    self.ctx.ports.node.clone(),
                    self.ctx.ports.clock.clone(),
                )),
            )),
            self.ctx.sender.clone(),
            self.strategies.job_results.clone(),
        );
        *self.job_stats.lock().expect("job stats lock") = Some(jobs.stats());
        Some(jobs)
    }

    /// The training duty.
    fn learner(&self) -> Learner {
        Learner::with_ports(
            self.owner.clone(),
            self.ctx.ports.node.clone(),
            self.ctx.ports.clock.clone(),
            self.ctx.ports.transport.clone(),
            self.ctx.sender.clone(),
            self.config.learn.clone(),
            LearnBehaviour::Honest.policy(),
        )
    }

    /// Serves the device's own service: a storage device's blob store (returned, for the
    /// storage duty) or a bandwidth device's speed test routes.
    async fn open_service(&self) -> Result<Option<Replicas>, AgentError> {
        let host = &self.ctx.ports.services;
        let data_dir = &self.config.data_dir;
        if crate::config::is_storage_class(&self.config.class) {
            let keeper = ReplicaKeeper::open(
                data_dir,
                self.ctx.ports.node.clone(),
                &self.config.node,
                self.ctx.ports.transport.clone(),
                self.ctx.device.secret_key(),
                &self.config.blob_sources,
            )?;
            keeper.answer_on(&self.ctx.chain().await?.chain_id);
            let endpoint = host.serve("blobs", keeper.router()).await?;
            let _ = self.endpoint.set(endpoint);
            return Ok(Some(Replicas::new(
                keeper,
                self.strategies.replicas.clone(),
            )));
        }
        if crate::config::is_bandwidth_class(&self.config.class) {
            let router = crate::bandwidth::router_on(
                self.strategies.link.bytes_per_sec(),
                self.ctx.ports.clock.clone(),
                crate::bandwidth::SpeedSigner {
                    key: self.ctx.device.secret_key().clone(),
                    chain_id: self.ctx.chain().await?.chain_id.clone(),
                },
            );
            let endpoint = host.serve("speed tests", router).await?;
            let _ = self.endpoint.set(endpoint);
        }
        Ok(None)
    }
}

/// The owner's sender: signs with `owner`, sends through the ports' node, waits on their clock.
fn owner_sender(ports: &Ports, owner: &SecretKey, commit_timeout: Duration) -> Arc<Sender> {
    Arc::new(
        TxSender::with_clock(ports.node.clone(), owner.clone(), ports.clock.clone())
            .commit_timeout(commit_timeout),
    )
}
