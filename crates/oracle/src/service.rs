//! The running oracle: reads the chain's parameters, restores what its evidence log and
//! manifests hold, and starts its tasks: the HTTP server, the loop that follows the chain,
//! the speed tests, and the training coordinator.

use crate::clock::EpochClock;
use crate::evidence::{EvidenceLog, PublishedRecord};
use crate::shared::{Shared, State, Time};
use anyhow::Context;
use parking_lot::Mutex;
use plexus_blobs::client::BlobClient;
use plexus_client::views::ResourceClass;
use plexus_client::{
    Clock, HttpTransport, NodeApi, NodeClient, OracleClient, SystemClock, Transport, TxSender,
};
use plexus_rewards::ChallengeOutcome;
use plexus_types::{Address, Hash, PublicKey, SecretKey};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// Where the oracle listens unless told otherwise.
pub const DEFAULT_ORACLE_ADDR: &str = "127.0.0.1:26651";
/// How often the oracle reads the chain.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);
/// How often the oracle looks for devices due a speed test: often enough that a device whose
/// test ended is tested again early in its next window (a test of a slow link takes most of a
/// second, and a short epoch has little more than a second a window).
const SPEED_TESTS_EVERY: Duration = Duration::from_millis(100);
/// How often the training coordinator reads the chain's tasks.
const COORDINATE_EVERY: Duration = Duration::from_millis(200);

pub struct OracleConfig {
    pub listen: SocketAddr,
    pub node: String,
    pub data_dir: PathBuf,
    pub key: SecretKey,
    /// Base URLs of the other oracles of the set, whose sealed evidence this oracle merges
    /// with its own before it scores an epoch.
    pub peers: Vec<String>,
}

/// A running oracle: where it listens, and how to stop it.
pub struct RunningOracle {
    pub addr: SocketAddr,
    pub address: Address,
    stop: Option<oneshot::Sender<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningOracle {
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

/// Starts an oracle on the wall clock.
pub async fn run_oracle(config: OracleConfig) -> anyhow::Result<RunningOracle> {
    run_oracle_on(config, Arc::new(SystemClock)).await
}

/// An oracle opened but not started: its state restored from its data directory, its HTTP
/// routes, and the steps its loops repeat. [`run_oracle_on`] serves and loops it; a simulation
/// drives the steps itself, on its own clock and network.
pub struct Oracle {
    shared: Arc<Shared>,
    coordinator: Arc<crate::learn::Coordinator>,
    /// Outcomes of challenges the evidence log already had at start.
    resolved: tokio::sync::Mutex<BTreeMap<Hash, ChallengeOutcome>>,
}

impl Oracle {
    /// Opens the oracle keyed `key` with its data in `data_dir`, following the node `node`
    /// on the time `time`, and reaching providers' services through `transport`.
    pub async fn open(
        data_dir: &Path,
        key: SecretKey,
        node: NodeClient,
        time: Arc<dyn Clock>,
        transport: Arc<dyn Transport>,
    ) -> anyhow::Result<Oracle> {
        let info = node
            .chain_params()
            .await
            .context("reading the chain's parameters from the node")?;
        let address = Address::from_public_key(&key.public_key());
        if !info.is_oracle(&address) {
            anyhow::bail!(
                "{address} is not in the chain's oracle set; its manifests would be refused"
            );
        }
        let log = EvidenceLog::open(&data_dir.join("evidence"))
            .with_context(|| format!("opening the evidence log in {}", data_dir.display()))?;
        std::fs::create_dir_all(data_dir.join("manifests"))?;
        let clock = EpochClock::new(info.rewards.epoch_blocks, info.rewards.intervals_per_epoch)
            .context("the chain's epoch parameters")?;
        let mut state = State::new(log);
        let resolved = restore_evidence(&mut state);
        state.closed = closed_epochs(data_dir)?;
        state
            .forget_closed()
            .context("sealing the evidence of the closed epochs")?;
        let shared = Arc::new(Shared {
            sender: TxSender::with_clock(node, key.clone(), time.clone()),
            key,
            address,
            info,
            clock,
            time,
            blobs: BlobClient::with_transport(transport.clone()),
            transport,
            data_dir: data_dir.to_path_buf(),
            state: Mutex::new(state),
        });
        let coordinator = Arc::new(crate::learn::Coordinator::new(shared.clone()));
        Ok(Oracle {
            shared,
            coordinator,
            resolved: tokio::sync::Mutex::new(resolved),
        })
    }

    /// Merges its evidence with that of the oracles at `peers` (base URLs) from now on.
    pub fn set_peers(&self, peers: &[String]) -> anyhow::Result<()> {
        let clients = peers
            .iter()
            .map(|p| OracleClient::with_transport(p, self.shared.transport.clone()))
            .collect::<Result<Vec<_>, _>>()
            .context("an oracle peer's URL")?;
        self.shared.state.lock().peers = clients;
        Ok(())
    }

    /// The oracle's account.
    pub fn address(&self) -> Address {
        self.shared.address
    }

    /// The oracle's HTTP API: heartbeats, challenges, evidence, manifests, training rounds.
    pub fn router(&self) -> axum::Router {
        crate::ingest::router(self.shared.clone())
            .merge(crate::learn::routes(self.coordinator.clone()))
            .layer(axum::middleware::from_fn(
                crate::ingest::open_reads_to_any_origin,
            ))
    }

    /// One step of following the chain: beacons, the registry, challenges to schedule and
    /// expire, epochs to close and manifests to submit, storage audits.
    pub async fn follow_once(&self) -> anyhow::Result<()> {
        let mut resolved = self.resolved.lock().await;
        crate::follow::follow(&self.shared, &mut resolved).await
    }

    /// One step of the training coordinator: rounds to open, close, validate and submit.
    pub async fn coordinate_once(&self) -> anyhow::Result<()> {
        crate::learn::tick(&self.coordinator).await
    }
}

/// Starts an oracle whose deadlines, timeouts and loops run on `time`.
pub async fn run_oracle_on(
    config: OracleConfig,
    time: Arc<dyn Clock>,
) -> anyhow::Result<RunningOracle> {
    let node = NodeClient::new(&config.node)?;
    let transport = HttpTransport::new(None, Duration::from_secs(5))
        .context("building the oracle's HTTP client")?;
    let oracle = Oracle::open(
        &config.data_dir,
        config.key,
        node,
        time,
        Arc::new(transport),
    )
    .await?;
    oracle.set_peers(&config.peers)?;
    let Oracle {
        shared,
        coordinator,
        resolved,
    } = oracle;
    let resolved = resolved.into_inner();
    let address = shared.address;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (loop_stop_tx, loop_stop_rx) = watch::channel(false);
    let app = crate::ingest::router(shared.clone())
        .merge(crate::learn::routes(coordinator.clone()))
        .layer(axum::middleware::from_fn(
            crate::ingest::open_reads_to_any_origin,
        ));
    let http = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
                let _ = loop_stop_tx.send(true);
            })
            .await;
    });
    let follower = {
        let shared = shared.clone();
        let mut stop = loop_stop_rx.clone();
        tokio::spawn(async move {
            let mut resolved = resolved;
            loop {
                let started = shared.time.now();
                if let Err(e) = crate::follow::follow(&shared, &mut resolved).await {
                    tracing::warn!(error = %e, "oracle could not follow the chain; retrying");
                }
                tokio::select! {
                    _ = shared.time.sleep(rest_of(FOLLOW_EVERY, &shared.time, started)) => {}
                    _ = stop.changed() => break,
                }
            }
        })
    };
    let speed_tests = {
        let shared = shared.clone();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .context("building the speed tests' HTTP client")?;
        let time = shared.time.clone();
        every(&time, SPEED_TESTS_EVERY, loop_stop_rx.clone(), move || {
            crate::bandwidth::start_due_tests(&shared, &http);
            std::future::ready(())
        })
    };
    let coordinating = {
        let time = shared.time.clone();
        every(&time, COORDINATE_EVERY, loop_stop_rx, move || {
            let coordinator = coordinator.clone();
            async move {
                if let Err(e) = crate::learn::tick(&coordinator).await {
                    tracing::debug!(error = %e, "training coordinator could not read the chain");
                }
            }
        })
    };
    tracing::info!(%addr, oracle = %address, "oracle started");
    Ok(RunningOracle {
        addr,
        address,
        stop: Some(stop_tx),
        tasks: vec![http, follower, speed_tests, coordinating],
    })
}

/// What is left of `period` since `started`: loops keep their pace whatever a step takes.
fn rest_of(period: Duration, time: &Time, started: Duration) -> Duration {
    period.saturating_sub(time.now().saturating_sub(started))
}

/// Runs `step` every `period` of `time` until `stop` changes; one step at a time.
fn every<F, Fut>(
    time: &Time,
    period: Duration,
    mut stop: watch::Receiver<bool>,
    mut step: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let time = time.clone();
    tokio::spawn(async move {
        loop {
            let started = time.now();
            step().await;
            tokio::select! {
                _ = time.sleep(rest_of(period, &time, started)) => {}
                _ = stop.changed() => break,
            }
        }
    })
}

/// Rebuilds what the evidence log already holds: accepted heartbeats, speed tests and
/// wireless records go into `state`; resolved challenges are returned, to be applied once they are scheduled again.
fn restore_evidence(state: &mut State) -> BTreeMap<Hash, ChallengeOutcome> {
    let mut resolved = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let mut speed_tested = BTreeSet::new();
    let mut wireless: BTreeMap<(u64, PublicKey), BTreeSet<Hash>> = BTreeMap::new();
    let mut readings: BTreeMap<(u64, PublicKey), crate::shared::ReadingsSeen> = BTreeMap::new();
    for r in state.log.all() {
        match r {
            PublishedRecord::Heartbeat {
                device,
                epoch,
                interval,
                ..
            } => {
                seen.insert((*device, *epoch, *interval));
            }
            PublishedRecord::Challenge {
                challenge_id,
                outcome,
                ..
            } => {
                resolved.insert(*challenge_id, *outcome);
            }
            PublishedRecord::SpeedTest {
                device,
                epoch,
                interval,
                ..
            } => {
                speed_tested.insert((*device, *epoch, *interval));
            }
            PublishedRecord::LocationReport { device, epoch, .. }
            | PublishedRecord::Beacon { device, epoch, .. }
            | PublishedRecord::WitnessReport { device, epoch, .. } => {
                wireless
                    .entry((*epoch, *device))
                    .or_default()
                    .insert(plexus_rewards::evidence_record_hash(&r.evidence()));
            }
            PublishedRecord::Readings {
                device,
                epoch,
                readings: n,
                ..
            } => {
                let seen: &mut crate::shared::ReadingsSeen =
                    readings.entry((*epoch, *device)).or_default();
                if seen
                    .digests
                    .insert(plexus_rewards::evidence_record_hash(&r.evidence()))
                {
                    seen.readings += u64::from(*n);
                }
            }
        }
    }
    for (k, v) in wireless {
        state.wireless_seen.entry(k).or_default().extend(v);
    }
    for (k, v) in readings {
        let seen = state.readings_seen.entry(k).or_default();
        seen.readings += v.readings;
        seen.digests.extend(v.digests);
    }
    state.seen.extend(seen);
    state.speed_tested.extend(speed_tested);
    resolved
}

/// The epochs this oracle has closed: an epoch is closed once its compute manifest is
/// recorded, which closing writes last.
fn closed_epochs(data_dir: &Path) -> anyhow::Result<BTreeSet<u64>> {
    let compute_suffix = format!("-{}.json", ResourceClass::Compute.as_str());
    let mut closed = BTreeSet::new();
    for entry in std::fs::read_dir(data_dir.join("manifests"))? {
        let name = entry?.file_name().to_string_lossy().to_string();
        if let Some(e) = name
            .strip_suffix(&compute_suffix)
            .and_then(|r| r.strip_prefix("epoch-"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            closed.insert(e);
        }
    }
    Ok(closed)
}
