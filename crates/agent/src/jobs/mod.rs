//! A provider in the compute marketplace: bids for the chain's live orders that its hardware
//! can run, at the prices of its `[bidding]` policy; runs the jobs of the leases it wins (or is
//! given to re-execute) in the sandboxes of `plexus-runtime`; publishes each output as a blob on
//! the node and seals its hash on chain, revealing it when the chain asks ([`sealed`]); and
//! withdraws what its leases earned.
//!
//! Jobs run in tasks of their own ([`lease`]), as many at once as the device's declared
//! capacity holds (its cores and memory, each job taking what its spec asks), while the runner
//! goes on following the chain, bidding and submitting the results of jobs that ended. A job
//! that outruns its wall-clock bound is given up; its thread keeps its capacity until it ends.
//!
//! Everything it needs is on chain or in blobs, so a restarted agent picks up where it was:
//! a lease still active without a result is simply run again.

mod lease;
mod sealed;

use crate::ports::Sender;
use lease::{Finished, LeaseRunner, Permit};
use plexus_blobs::client::BlobClient;
use plexus_client::views::{BidState, LeaseView, OrderState, OrderView, StateView};
use plexus_client::{Clock, CommittedTx, NodeApi, SendError, Transport};
use plexus_market::bid::BidPolicy;
use plexus_market::spec::{JobSpec, Runtime, MAX_SPEC_BYTES};
use plexus_types::{
    job_seal, Address, Amount, Body, Capabilities, Hash, JobRuntime, OrderTerms, PublicKey,
};
use sealed::{SealBook, Sealed};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use lease::{fetch_bounded, WAIT_BEYOND_BOUND};
pub use plexus_client::views::{BidView, OrderHead, RoleView};

/// How often the job runner follows the chain's orders.
const PERIOD: Duration = Duration::from_millis(200);

/// Where a job runner records the leases it may still withdraw from.
const UNSETTLED_FILE: &str = "unsettled.json";

/// A provider's bidding settings: its prices and the bond it puts up per bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bidding {
    pub policy: BidPolicy,
    pub deposit: Amount,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Client(#[from] plexus_client::ClientError),
    #[error("blob: {0}")]
    Blob(String),
    #[error("transaction {0}")]
    Tx(String),
    #[error("{0}")]
    Local(String),
}

/// What the provider reports of the jobs it runs: the output it publishes, and whether it
/// says its output agrees with another provider's.
///
/// `output` is given the job's real output and returns the one published; `checking` says
/// whether the job re-executes another provider's result. `agrees` is asked only when checking
/// another provider's output of the same spec.
pub trait JobResults: Send + Sync {
    fn output(&self, real: Vec<u8>, device: &PublicKey, checking: bool) -> Vec<u8>;
    fn agrees(&self, spec: &JobSpec, mine: &[u8], theirs: &[u8]) -> bool;
    /// Whether the result of run `lease`, of an order that samples `sample_per_mille`, is held
    /// back for now, the chain's tip having app hash `tip`. Asked only when
    /// [`JobResults::times_results`] says so; honest providers submit at once.
    fn hold(&self, _lease: u64, _sample_per_mille: u32, _tip: &Hash) -> bool {
        false
    }
    fn times_results(&self) -> bool {
        false
    }
    /// Whether a run's sealed result with output `output`, once a check of it has sealed, is
    /// hidden instead of revealed (never, for an honest provider: hiding forfeits the bond).
    fn hides(&self, _output: &Hash) -> bool {
        false
    }
}

/// Publishes the real output and compares outputs as the job's spec says.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrueResults;

impl JobResults for TrueResults {
    fn output(&self, real: Vec<u8>, _: &PublicKey, _: bool) -> Vec<u8> {
        real
    }

    fn agrees(&self, spec: &JobSpec, mine: &[u8], theirs: &[u8]) -> bool {
        plexus_runtime::job::outputs_agree(spec, mine, theirs)
    }
}

/// What a provider has done, for logs and devnet summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobStats {
    pub bids: u64,
    pub results: u64,
    pub withdrawn: Amount,
}

/// Where a job runner finds what it needs besides the chain.
pub struct JobSetup {
    pub device: PublicKey,
    pub hardware: Capabilities,
    pub bidding: Bidding,
    /// The node's blob service (its base URL), where specs and inputs are read and outputs
    /// published.
    pub blob_service: String,
    pub work_dir: PathBuf,
}

pub struct JobRunner {
    address: Address,
    device: PublicKey,
    hardware: Capabilities,
    bidding: Bidding,
    node: Arc<dyn NodeApi>,
    clock: Arc<dyn Clock>,
    sender: Arc<Sender>,
    leases: Arc<LeaseRunner>,
    /// The device's declared cores and memory (MB), taken by running jobs.
    cores: Arc<Semaphore>,
    memory: Arc<Semaphore>,
    /// Lease tasks, and the lease each runs.
    running: JoinSet<Finished>,
    running_leases: BTreeMap<tokio::task::Id, u64>,
    /// Leases whose jobs outran their bound (not run again by this process), and sealed
    /// results it cannot reveal.
    given_up: BTreeSet<u64>,
    /// Results of ended jobs held back (by a provider that times its results).
    held: Vec<Finished>,
    work_dir: PathBuf,
    /// Specs read so far, by blob id (`None`: unreadable or not matching its order).
    specs: BTreeMap<Hash, Option<JobSpec>>,
    /// Orders this provider will not bid for (its policy passes, or the chain refused).
    decided: BTreeSet<u64>,
    /// Leases this provider holds whose earnings may still be withdrawn; kept in
    /// `work_dir/unsettled.json`, so a restart still withdraws what leases of orders that
    /// ended meanwhile released.
    unsettled: BTreeSet<u64>,
    /// Results sealed on chain and not yet revealed.
    sealed: SealBook,
    stats: Arc<std::sync::Mutex<JobStats>>,
    passes: u64,
}

impl JobRunner {
    pub fn new(
        setup: JobSetup,
        node: Arc<dyn NodeApi>,
        clock: Arc<dyn Clock>,
        transport: Arc<dyn Transport>,
        sender: Arc<Sender>,
        results: Arc<dyn JobResults>,
    ) -> JobRunner {
        let work_dir = setup.work_dir;
        let (cores, memory) = capacity(&setup.hardware);
        JobRunner {
            address: sender.address(),
            device: setup.device,
            hardware: setup.hardware,
            bidding: setup.bidding,
            node,
            clock,
            sender,
            leases: Arc::new(LeaseRunner {
                device: setup.device,
                blobs: BlobClient::with_transport(transport),
                blob_service: setup.blob_service,
                work_dir: work_dir.clone(),
                results,
            }),
            cores: Arc::new(Semaphore::new(cores as usize)),
            memory: Arc::new(Semaphore::new(memory as usize)),
            running: JoinSet::new(),
            running_leases: BTreeMap::new(),
            given_up: BTreeSet::new(),
            held: Vec::new(),
            work_dir: work_dir.clone(),
            specs: BTreeMap::new(),
            decided: BTreeSet::new(),
            unsettled: std::fs::read(work_dir.join(UNSETTLED_FILE))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default(),
            sealed: SealBook::open(&work_dir),
            stats: Default::default(),
            passes: 0,
        }
    }

    pub fn stats(&self) -> Arc<std::sync::Mutex<JobStats>> {
        self.stats.clone()
    }

    /// Follows the chain's orders until the future is dropped; jobs run while it follows.
    pub async fn run(mut self) {
        loop {
            let started = self.clock.now();
            if let Err(e) = self.pass(false).await {
                tracing::debug!(provider = %self.address, error = %e, "job step failed; retrying");
            }
            let took = self.clock.now().saturating_sub(started);
            if let Some(rest) = PERIOD.checked_sub(took) {
                self.clock.sleep(rest).await;
            }
        }
    }

    /// One pass, finished: start the leases to run (as many as the capacity holds), wait for
    /// every running job and submit its result, bid for what is new, now and then withdraw
    /// what was released. A simulation steps the runner with this, so every pass ends in the
    /// same state whatever the threads did.
    pub async fn once(&mut self) -> Result<(), JobError> {
        self.pass(true).await
    }

    /// One pass that does not wait for the jobs it starts: what [`JobRunner::run`] repeats.
    pub async fn step(&mut self) -> Result<(), JobError> {
        self.pass(false).await
    }

    /// Waits until one running job ends and submits its result; `false` when none runs.
    pub async fn finish_next(&mut self) -> Result<bool, JobError> {
        let Some(joined) = self.running.join_next_with_id().await else {
            return Ok(false);
        };
        let done = self.finished(joined);
        self.submit(done).await?;
        Ok(true)
    }

    /// Jobs started and not yet submitted (running, or ended since the last pass).
    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// A pass; with `wait`, it waits for the jobs it runs before bidding.
    async fn pass(&mut self, wait: bool) -> Result<(), JobError> {
        let submitted = self.submit_finished(false).await;
        let orders = self.node.live_orders().await?;
        for order in &orders {
            for lease in &order.leases {
                if lease.provider != self.address || lease.device != self.device {
                    continue;
                }
                if self.unsettled.insert(lease.id) {
                    self.save_unsettled();
                }
                if lease.state == StateView::Active && lease.sealed.is_none() {
                    self.start(order, lease).await?;
                }
                if lease.reveal_asked() {
                    self.reveal(order, lease).await?;
                }
            }
        }
        self.forget_sealed(&orders);
        if wait {
            self.submit_finished(true).await?;
        }
        submitted?;
        for order in &orders {
            if !self.decided.contains(&order.order.id) {
                self.consider(order).await?;
            }
        }
        self.passes += 1;
        if self.passes.is_multiple_of(10) {
            self.withdraw_released().await?;
        }
        Ok(())
    }

    /// Starts `lease`'s job in a task of its own, unless it runs already, was given up, or
    /// the capacity it asks is taken (then a later pass starts it).
    async fn start(&mut self, order: &OrderView, lease: &LeaseView) -> Result<(), JobError> {
        // A job runs once per lease: not while it runs, once given up, nor while its result
        // is held back or sealed (the view may not show the seal yet).
        if self.running_leases.values().any(|&l| l == lease.id)
            || self.given_up.contains(&lease.id)
            || self.held.iter().any(|f| f.lease() == lease.id)
            || self.sealed.get(lease.id).is_some()
        {
            return Ok(());
        }
        let Some(spec) = self.spec(order).await? else {
            return Ok(());
        };
        let Some(permit) = self.take_capacity(&spec) else {
            tracing::debug!(
                lease = lease.id,
                "the device's capacity is taken; the job waits"
            );
            return Ok(());
        };
        let task = self
            .leases
            .clone()
            .run(spec, order.clone(), lease.clone(), permit);
        let handle = self.running.spawn(task);
        self.running_leases.insert(handle.id(), lease.id);
        Ok(())
    }

    /// What `spec` asks of the device's cores and memory (never more than all of either), if
    /// that much is free now.
    fn take_capacity(&self, spec: &JobSpec) -> Option<Permit> {
        let cores = spec.resources.cpu_cores.min(capacity(&self.hardware).0);
        let memory = u32::try_from(spec.resources.memory_mb)
            .unwrap_or(u32::MAX)
            .min(capacity(&self.hardware).1);
        let cores = self.cores.clone().try_acquire_many_owned(cores).ok()?;
        let memory = self.memory.clone().try_acquire_many_owned(memory).ok()?;
        Some((cores, memory))
    }

    /// Submits the results of the jobs that ended (with `wait`, of every running job, once it
    /// ends), in lease order; returns the first failure after trying them all.
    async fn submit_finished(&mut self, wait: bool) -> Result<(), JobError> {
        let mut finished = std::mem::take(&mut self.held);
        loop {
            let next = if wait {
                self.running.join_next_with_id().await
            } else {
                self.running.try_join_next_with_id()
            };
            let Some(joined) = next else { break };
            finished.push(self.finished(joined));
        }
        finished.sort_by_key(Finished::lease);
        let mut first_failure = Ok(());
        for done in finished {
            let result = self.submit(done).await;
            if first_failure.is_ok() {
                first_failure = result;
            }
        }
        first_failure
    }

    /// How a joined lease task ended; it no longer runs.
    fn finished(
        &mut self,
        joined: Result<(tokio::task::Id, Finished), tokio::task::JoinError>,
    ) -> Finished {
        let (id, done) = match joined {
            Ok((id, done)) => (id, Ok(done)),
            Err(e) => (e.id(), Err(e)),
        };
        let lease = self.running_leases.remove(&id).unwrap_or_default();
        done.unwrap_or_else(|e| Finished::Failed {
            lease,
            error: JobError::Local(format!("the job's task ended: {e}")),
        })
    }

    /// Submits one ended job's result, or records why there is none.
    async fn submit(&mut self, done: Finished) -> Result<(), JobError> {
        if self.holds(&done).await? {
            self.held.push(done);
            return Ok(());
        }
        let (lease, order, role, status, output) = match done {
            Finished::Ran {
                lease,
                order,
                role,
                status,
                output,
                ..
            } => (lease, order, role, status, output),
            Finished::GaveUp { lease, waited } => {
                tracing::warn!(
                    lease,
                    waited_s = waited.as_secs(),
                    "the job outran its wall-clock bound; given up"
                );
                self.given_up.insert(lease);
                return Ok(());
            }
            Finished::Failed { error, .. } => return Err(error),
        };
        if self.sealed.get(lease).is_some() {
            // Sealed already (by an earlier run of this lease in this process).
            return Ok(());
        }
        let sealed = Sealed {
            order,
            role,
            output,
        };
        self.sealed
            .insert(lease, sealed)
            .map_err(|e| JobError::Local(format!("cannot keep a sealed result: {e}")))?;
        let seal = job_seal(lease, &self.address, &output, &self.salt(lease, &output));
        let done = self.send(Body::SealJobResult { lease, seal }).await?;
        tracing::info!(
            order,
            lease,
            role = role_name(&role),
            ?status,
            %output,
            code = %done.code,
            "job result sealed"
        );
        if done.succeeded() {
            self.stats.lock().expect("stats lock").results += 1;
        } else {
            self.sealed.remove(lease);
        }
        Ok(())
    }

    /// Whether a run's result is held back for now (never, for an honest provider).
    async fn holds(&self, done: &Finished) -> Result<bool, JobError> {
        let results = &self.leases.results;
        let Finished::Ran {
            lease,
            role: RoleView::Run,
            sample_per_mille,
            ..
        } = done
        else {
            return Ok(false);
        };
        if !results.times_results() {
            return Ok(false);
        }
        let tip = self.node.chain_status().await?;
        Ok(results.hold(*lease, *sample_per_mille, &tip.app_hash))
    }

    /// Bids for `order` if this provider's policy quotes a price for it.
    async fn consider(&mut self, order: &OrderView) -> Result<(), JobError> {
        // One open bid at a time, and no bid on an order it already has a lease of (it
        // cannot check its own run).
        let mine = order
            .bids
            .iter()
            .any(|b| b.provider == self.address && b.state == BidState::Open)
            || order.leases.iter().any(|l| l.provider == self.address);
        if mine {
            return Ok(());
        }
        // A running order takes bids only as stand-ins for checks, and a stand-in is drawn
        // only for results submitted after its bid: bid while a run has none yet.
        if order.order.state == OrderState::Matched && !stand_in_useful(order) {
            return Ok(());
        }
        let Some(spec) = self.spec(order).await? else {
            if self.specs.contains_key(&order.order.terms.spec) {
                self.decided.insert(order.order.id);
            }
            return Ok(());
        };
        let price = match self.bidding.policy.quote(&spec, &self.hardware) {
            Ok(p) => p,
            Err(reason) => {
                tracing::debug!(order = order.order.id, %reason, "not bidding");
                self.decided.insert(order.order.id);
                return Ok(());
            }
        };
        let body = Body::PlaceBid {
            order: order.order.id,
            device: self.device,
            price_per_block: price,
            deposit: self.bidding.deposit,
        };
        let done = self.send(body).await?;
        match done.code.as_str() {
            "ok" => {
                self.stats.lock().expect("stats lock").bids += 1;
                tracing::info!(order = order.order.id, %price, "bid");
            }
            code => {
                // Refused for good (barred, the order closed, no longer taking bids).
                tracing::debug!(order = order.order.id, code, log = %done.log, "bid refused");
                self.decided.insert(order.order.id);
            }
        }
        Ok(())
    }

    /// The order's job spec, fetched once, or `None` when it cannot be read or does not match
    /// what the order says on chain (a provider never runs a job other than the one it is paid
    /// for).
    async fn spec(&mut self, order: &OrderView) -> Result<Option<JobSpec>, JobError> {
        if let Some(s) = self.specs.get(&order.order.terms.spec) {
            return Ok(s.clone());
        }
        let fetched = fetch_bounded(
            &self.leases.blobs,
            &self.leases.blob_service,
            &self.work_dir.join("blobs"),
            &order.order.terms.spec,
            MAX_SPEC_BYTES as u64,
        )
        .await;
        let spec = match fetched {
            Ok(Err(too_large)) => {
                tracing::warn!(order = order.order.id, reason = %too_large, "unreadable job spec");
                None
            }
            Ok(Ok(bytes)) => match std::str::from_utf8(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|t| JobSpec::from_toml(t).map_err(|e| e.to_string()))
            {
                Ok(spec) if matches_terms(&spec, &order.order.terms) => Some(spec),
                Ok(_) => {
                    tracing::warn!(
                        order = order.order.id,
                        "the job spec does not match its order"
                    );
                    None
                }
                Err(e) => {
                    tracing::warn!(order = order.order.id, error = %e, "unreadable job spec");
                    None
                }
            },
            Err(e) => {
                // Perhaps not uploaded yet: ask again next pass.
                tracing::debug!(order = order.order.id, error = %e, "job spec not available");
                return Ok(None);
            }
        };
        self.specs.insert(order.order.terms.spec, spec.clone());
        Ok(spec)
    }

    /// Writes the leases still to withdraw from, durably: a crash leaves the old record or
    /// the new one.
    fn save_unsettled(&self) {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.work_dir)?;
            let record = serde_json::to_vec(&self.unsettled)?;
            plexus_durable::write_durably(&self.work_dir.join(UNSETTLED_FILE), &record)
        };
        if let Err(e) = write() {
            tracing::warn!(error = %e, "cannot record the leases still to withdraw from");
        }
    }

    /// Withdraws what every lease of this provider has released and not yet paid out.
    async fn withdraw_released(&mut self) -> Result<(), JobError> {
        let before = self.unsettled.len();
        let result = self.withdraw_each().await;
        if self.unsettled.len() != before {
            self.save_unsettled();
        }
        result
    }

    async fn withdraw_each(&mut self) -> Result<(), JobError> {
        for id in self.unsettled.clone() {
            let Some(lease) = self.node.lease(id).await? else {
                self.unsettled.remove(&id);
                continue;
            };
            let ended = lease.state != StateView::Active;
            if lease.released && lease.releasable > lease.withdrawn {
                let done = self.send(Body::WithdrawLease { lease: id }).await?;
                if done.succeeded() {
                    let mut stats = self.stats.lock().expect("stats lock");
                    stats.withdrawn = stats
                        .withdrawn
                        .checked_add(
                            lease
                                .releasable
                                .checked_sub(lease.withdrawn)
                                .unwrap_or_default(),
                        )
                        .unwrap_or(stats.withdrawn);
                    self.unsettled.remove(&id);
                }
            } else if ended
                && (lease.released || (lease.output.is_none() && !lease.awaits_reveal()))
            {
                // Nothing (more) to take: withdrawn, or closed unpaid.
                self.unsettled.remove(&id);
            }
        }
        Ok(())
    }

    async fn send(&self, body: Body) -> Result<CommittedTx, JobError> {
        self.sender.send(body).await.map_err(|e| match e {
            SendError::Client(e) => JobError::Client(e),
            other => JobError::Tx(other.to_string()),
        })
    }
}

/// The capacity `hardware` declares, as (cores, memory in MB): jobs run at once while their
/// specs' cores and memory fit in it. Each is at least 1, so a device that declares none still
/// runs one job at a time.
fn capacity(hardware: &Capabilities) -> (u32, u32) {
    let memory = u32::try_from(hardware.memory_mb).unwrap_or(u32::MAX);
    (hardware.cpu_cores.max(1), memory.max(1))
}

/// Whether a stand-in bid on running `order` may still be drawn to check a result: only while
/// one of its runs has no result yet.
fn stand_in_useful(order: &OrderView) -> bool {
    order
        .leases
        .iter()
        .any(|l| l.role == RoleView::Run && l.state == StateView::Active)
}

/// A lease's role as the chain names it.
fn role_name(role: &RoleView) -> &'static str {
    match role {
        RoleView::Run => "run",
        RoleView::Verifier { .. } => "verifier",
        RoleView::Referee { .. } => "referee",
    }
}

/// The blobs a job reads: its module or model and its blob inputs.
pub fn blobs_of(spec: &JobSpec) -> Vec<Hash> {
    let mut ids = vec![match &spec.runtime {
        Runtime::Wasm { module, .. } => *module,
        Runtime::Inference { model, .. } => *model,
    }];
    for input in &spec.inputs {
        if let plexus_market::spec::InputData::Blob(id) = &input.data {
            ids.push(*id);
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// Whether a spec is the job its order describes: same runtime, resources, price cap,
/// duration, replicas and sample rate.
pub fn matches_terms(spec: &JobSpec, terms: &OrderTerms) -> bool {
    let runtime = match spec.runtime.kind() {
        plexus_market::spec::RuntimeKind::Wasm => JobRuntime::Wasm,
        plexus_market::spec::RuntimeKind::Inference => JobRuntime::Inference,
    };
    runtime == terms.runtime
        && spec_resources(spec) == terms.resources
        && spec.max_price_per_block == terms.max_price_per_block
        && spec.duration_blocks == terms.duration_blocks
        && spec.replicas == terms.replicas
        && spec.verification.sample_per_mille as u32 == terms.sample_per_mille
}

/// The hardware a spec asks for, as an order declares it.
pub fn spec_resources(spec: &JobSpec) -> Capabilities {
    let gpu = spec.resources.gpu.as_ref();
    Capabilities {
        cpu_cores: spec.resources.cpu_cores,
        memory_mb: spec.resources.memory_mb,
        gpu_model: gpu.and_then(|g| g.model.clone()).unwrap_or_default(),
        gpu_vram_mb: gpu.map(|g| g.vram_mb).unwrap_or(0),
        gpu_count: gpu.map(|g| g.count).unwrap_or(0),
        endpoint: String::new(),
        rated_watts: 0,
    }
}
