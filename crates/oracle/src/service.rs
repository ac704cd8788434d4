//! The running oracle: shared state, the background loop that follows the chain (schedules
//! challenges, expires them, closes epochs) and the HTTP server.

use crate::clock::{self, EpochClock};
use crate::evidence::{EvidenceLog, PublishedRecord};
use crate::ingest;
use crate::node_client::NodeClient;
use anyhow::Context;
use parking_lot::Mutex;
use plexus_ledger::registry::{Device, DeviceStatus};
use plexus_ledger::{ChainInfo, ResourceClass};
use plexus_proofs::compute::{class_by_name, ComputeChallenge};
use plexus_rewards::{ChallengeOutcome, Manifest};
use plexus_types::{Address, Body, Hash, PublicKey, SecretKey, Signature};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Where the oracle listens unless told otherwise.
pub const DEFAULT_ORACLE_ADDR: &str = "127.0.0.1:26651";
/// Compute challenges per device per epoch.
pub const CHALLENGES_PER_EPOCH: u32 = 2;
/// Allowance for scheduling and loopback latency on top of a class's compute deadline. Small
/// next to the gap between classes, so a device cannot pass as a class above its own.
pub const NETWORK_ALLOWANCE_MS: u64 = 250;
/// How long a device has to open the rows it was asked for after committing.
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest time between two reads of the device registry.
const DEVICE_REFRESH: Duration = Duration::from_secs(3);

pub struct OracleConfig {
    pub listen: SocketAddr,
    pub node: String,
    pub data_dir: PathBuf,
    pub key: SecretKey,
}

pub(crate) struct Challenge {
    pub id: Hash,
    pub device: PublicKey,
    pub epoch: u64,
    pub opens_at_height: u64,
    pub class: String,
    pub secret: [u8; 32],
    pub challenge: ComputeChallenge,
    pub deadline_ms: u64,
    pub fetched_at: Option<Instant>,
    pub committed: Option<(Hash, Signature, Instant)>,
    pub rows: Vec<u32>,
    pub outcome: Option<ChallengeOutcome>,
}

impl Challenge {
    pub(crate) fn record(&self) -> PublishedRecord {
        PublishedRecord::Challenge {
            device: self.device,
            epoch: self.epoch,
            challenge_id: self.id,
            class: self.class.clone(),
            n: self.challenge.n(),
            secret: hex::encode(self.secret),
            outcome: self.outcome.unwrap_or(ChallengeOutcome::Missed),
            root: self.committed.as_ref().map(|c| c.0),
            commit_signature: self.committed.as_ref().map(|c| hex::encode(c.1.to_bytes())),
            rows: self.rows.clone(),
        }
    }
}

pub(crate) struct State {
    pub height: u64,
    pub beacons: BTreeMap<u64, Hash>,
    pub devices: BTreeMap<PublicKey, Device>,
    pub devices_fetched: Option<Instant>,
    pub seen: BTreeSet<(PublicKey, u64, u32)>,
    pub log: EvidenceLog,
    pub challenges: BTreeMap<Hash, Challenge>,
    pub scheduled: BTreeSet<(PublicKey, u64)>,
    pub closed: BTreeSet<u64>,
    /// Epochs whose storage replicas this oracle has audited (in this run).
    pub audited: BTreeSet<u64>,
    /// The epoch and interval the chain was in when this oracle first followed it.
    pub started_at: Option<(u64, u32)>,
    /// Bandwidth devices speed-tested, by (device, epoch, interval).
    pub speed_tested: BTreeSet<(PublicKey, u64, u32)>,
    /// Speed tests running now, by (device, epoch); their epochs are not closed meanwhile.
    pub speed_testing: BTreeSet<(PublicKey, u64)>,
}

pub(crate) struct Shared {
    pub key: SecretKey,
    pub address: Address,
    pub info: ChainInfo,
    pub clock: EpochClock,
    pub node: NodeClient,
    pub data_dir: PathBuf,
    pub state: Mutex<State>,
    /// The training tasks this oracle coordinates.
    pub learn: Mutex<crate::learn::Coordinating>,
}

/// What the oracle keeps of an epoch it has closed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClosedEpoch {
    pub epoch: u64,
    pub resource: String,
    /// Content address of the sealed evidence the manifest was computed from.
    pub evidence_segment: Hash,
    pub manifest: Manifest,
    pub submitted: String,
}

pub(crate) fn manifest_path(dir: &std::path::Path, epoch: u64, resource: &str) -> PathBuf {
    dir.join("manifests")
        .join(format!("epoch-{epoch:08}-{resource}.json"))
}

impl Shared {
    pub(crate) fn load_closed(&self, epoch: u64, resource: &str) -> Option<ClosedEpoch> {
        let text = std::fs::read_to_string(manifest_path(&self.data_dir, epoch, resource)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn challenge_secret(&self, device: &PublicKey, epoch: u64, k: u32) -> [u8; 32] {
        // Derived from the oracle's key: unpredictable to devices, yet the same after a
        // restart, so a crash does not change which challenges an epoch had.
        let mut h = blake3::Hasher::new_derive_key("plexus oracle challenge secret v1");
        h.update(&self.key.to_bytes());
        h.update(self.info.chain_id.as_bytes());
        h.update(device.as_bytes());
        h.update(&epoch.to_le_bytes());
        h.update(&k.to_le_bytes());
        *h.finalize().as_bytes()
    }

    /// Schedules this epoch's challenges for every active compute device. Challenge `k` opens
    /// at a block of the k-th part of the epoch (of its part after registration, for a device
    /// registered during the epoch) that the device cannot predict, so devices are not all
    /// challenged at once; the last interval is left for answers. Everything here follows from
    /// the chain and the oracle's key, so a restarted oracle schedules the same challenges.
    fn schedule(&self, state: &mut State, epoch: u64) {
        let eb = self.clock.epoch_blocks();
        let epoch_start = (epoch - 1) * eb;
        let answer_room = eb / self.clock.intervals_per_epoch() as u64;
        let usable_end = eb.saturating_sub(answer_room).max(1);
        let devices: Vec<Device> = state.devices.values().cloned().collect();
        for device in devices {
            if device.status != DeviceStatus::Active
                || device.registered_epoch > epoch
                || state.scheduled.contains(&(device.key, epoch))
            {
                continue;
            }
            let Some(class) = class_by_name(&device.class) else {
                continue;
            };
            state.scheduled.insert((device.key, epoch));
            let start = if device.registered_epoch == epoch {
                device
                    .registered_height
                    .saturating_sub(epoch_start)
                    .min(usable_end - 1)
            } else {
                0
            };
            let part = ((usable_end - start) / CHALLENGES_PER_EPOCH as u64).max(1);
            for k in 0..CHALLENGES_PER_EPOCH {
                let secret = self.challenge_secret(&device.key, epoch, k);
                let Ok(challenge) = ComputeChallenge::from_secret(&secret, class.n) else {
                    continue;
                };
                let jitter = u64::from_le_bytes(secret[..8].try_into().expect("8 bytes")) % part;
                let opens_at_height = epoch_start + start + k as u64 * part + jitter + 1;
                let id = challenge.id();
                state.challenges.entry(id).or_insert(Challenge {
                    id,
                    device: device.key,
                    epoch,
                    opens_at_height,
                    class: device.class.clone(),
                    secret,
                    challenge,
                    deadline_ms: class.deadline_ms,
                    fetched_at: None,
                    committed: None,
                    rows: Vec::new(),
                    outcome: None,
                });
            }
        }
    }

    /// Resolves challenges whose time is up; returns the records to log.
    fn expire(&self, state: &mut State, now: Instant, last_ended: u64) -> Vec<PublishedRecord> {
        let mut out = Vec::new();
        for c in state.challenges.values_mut() {
            if c.outcome.is_some() {
                continue;
            }
            let expired = match (&c.fetched_at, &c.committed) {
                (_, Some((_, _, at))) => now.duration_since(*at) > OPEN_TIMEOUT,
                (Some(at), None) => {
                    now.duration_since(*at)
                        > Duration::from_millis(c.deadline_ms + NETWORK_ALLOWANCE_MS)
                }
                (None, None) => c.epoch <= last_ended,
            };
            if expired {
                c.outcome = Some(ChallengeOutcome::Missed);
                out.push(c.record());
            }
        }
        out
    }
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

pub async fn run_oracle(config: OracleConfig) -> anyhow::Result<RunningOracle> {
    let node = NodeClient::new(&config.node)?;
    let info = node
        .chain_info()
        .await
        .context("reading the chain's parameters from the node")?;
    let address = Address::from_public_key(&config.key.public_key());
    if !info.is_oracle(&address) {
        anyhow::bail!("{address} is not in the chain's oracle set; its manifests would be refused");
    }
    let log = EvidenceLog::open(&config.data_dir.join("evidence"))
        .with_context(|| format!("opening the evidence log in {}", config.data_dir.display()))?;
    std::fs::create_dir_all(config.data_dir.join("manifests"))?;
    let clock = EpochClock::new(info.rewards.epoch_blocks, info.rewards.intervals_per_epoch)
        .context("the chain's epoch parameters")?;
    let mut state = State {
        height: 0,
        beacons: BTreeMap::new(),
        devices: BTreeMap::new(),
        devices_fetched: None,
        seen: BTreeSet::new(),
        log,
        challenges: BTreeMap::new(),
        scheduled: BTreeSet::new(),
        closed: BTreeSet::new(),
        audited: BTreeSet::new(),
        started_at: None,
        speed_tested: BTreeSet::new(),
        speed_testing: BTreeSet::new(),
    };
    // Rebuild what the log already holds: accepted heartbeats, resolved challenges.
    let mut resolved: BTreeMap<Hash, ChallengeOutcome> = BTreeMap::new();
    for r in state.log.all() {
        match r {
            PublishedRecord::Heartbeat {
                device,
                epoch,
                interval,
                ..
            } => {
                state.seen.insert((*device, *epoch, *interval));
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
                state.speed_tested.insert((*device, *epoch, *interval));
            }
        }
    }
    let shared = Arc::new(Shared {
        key: config.key,
        address,
        info,
        clock,
        node,
        data_dir: config.data_dir.clone(),
        state: Mutex::new(state),
        learn: Mutex::new(Default::default()),
    });
    // An epoch is closed once its compute manifest is recorded, which closing writes last.
    let compute_suffix = format!("-{}.json", ResourceClass::Compute.as_str());
    for entry in std::fs::read_dir(config.data_dir.join("manifests"))? {
        let name = entry?.file_name().to_string_lossy().to_string();
        if let Some(e) = name
            .strip_suffix(&compute_suffix)
            .and_then(|r| r.strip_prefix("epoch-"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            shared.state.lock().closed.insert(e);
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (loop_stop_tx, mut loop_stop_rx) = tokio::sync::watch::channel(false);
    let speed_stop_rx = loop_stop_rx.clone();
    let learn_stop_rx = loop_stop_rx.clone();
    let app = ingest::router(shared.clone());
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
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            let mut resolved = resolved;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = loop_stop_rx.changed() => break,
                }
                if let Err(e) = follow(&shared, &mut resolved).await {
                    tracing::warn!(error = %e, "oracle could not follow the chain; retrying");
                }
            }
        })
    };
    let speed_tests = {
        let shared = shared.clone();
        let mut stop = speed_stop_rx;
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(2))
                .build()
                .expect("an HTTP client builds");
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => break,
                }
                crate::bandwidth::start_due_tests(&shared, &http);
            }
        })
    };
    let coordinator = {
        let shared = shared.clone();
        let mut stop = learn_stop_rx;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => break,
                }
                if let Err(e) = crate::learn::tick(&shared).await {
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
        tasks: vec![http, follower, speed_tests, coordinator],
    })
}

/// One step of following the chain.
async fn follow(
    shared: &Arc<Shared>,
    resolved: &mut BTreeMap<Hash, ChallengeOutcome>,
) -> anyhow::Result<()> {
    let (height, device_count) = shared.node.height().await?;
    if height == 0 {
        return Ok(());
    }
    let clock = shared.clock;
    let (epoch, interval) = clock::position(&clock, height);
    let need: Vec<u64> = {
        let state = shared.state.lock();
        let mut need = vec![clock::beacon(&clock, epoch, interval)];
        if interval > 0 {
            need.push(clock::beacon(&clock, epoch, interval - 1));
        }
        need.into_iter()
            .filter(|h| !state.beacons.contains_key(h))
            .collect()
    };
    let mut fetched = Vec::new();
    for h in need {
        fetched.push((h, shared.node.app_hash(h).await?));
    }
    // The registry is fetched again when it grows, and at least every few seconds for status
    // changes (retired, slashed); not on every tick, which would not scale with devices.
    let stale = {
        let state = shared.state.lock();
        state.devices.len() as u64 != device_count
            || state
                .devices_fetched
                .is_none_or(|t| t.elapsed() > DEVICE_REFRESH)
    };
    let devices = if stale {
        Some(shared.node.devices().await?)
    } else {
        None
    };
    let last_ended = shared.node.last_ended_epoch().await?;
    let to_log = {
        let mut state = shared.state.lock();
        state.height = height;
        state.beacons.extend(fetched);
        let keep_from = clock::beacon(&clock, epoch, 0).saturating_sub(clock.epoch_blocks());
        state.beacons = state.beacons.split_off(&keep_from);
        if let Some(devices) = devices {
            state.devices = devices.into_iter().map(|d| (d.key, d)).collect();
            state.devices_fetched = Some(Instant::now());
        }
        // After a restart the previous epoch may still be open: rebuild its challenges too
        // (their secrets are derived, so they are the same ones).
        if epoch > 1 && !state.closed.contains(&(epoch - 1)) {
            shared.schedule(&mut state, epoch - 1);
        }
        shared.schedule(&mut state, epoch);
        // Challenges resolved before a restart keep their outcome.
        for c in state.challenges.values_mut() {
            if let Some(o) = resolved.get(&c.id) {
                c.outcome.get_or_insert(*o);
            }
        }
        shared.expire(&mut state, Instant::now(), last_ended)
    };
    if !to_log.is_empty() {
        let mut state = shared.state.lock();
        state.log.append(&to_log)?;
    }
    resolved.clear();
    // Close every ended epoch whose challenges are all resolved, once heartbeats for its last
    // interval can no longer arrive (they are taken until the next interval ends).
    let candidates: Vec<u64> = {
        let state = shared.state.lock();
        (1..=last_ended)
            .filter(|e| (epoch, interval) > (e + 1, 0))
            .filter(|e| !state.closed.contains(e))
            .filter(|e| !state.speed_testing.iter().any(|(_, t)| t == e))
            .filter(|e| {
                state
                    .challenges
                    .values()
                    .filter(|c| c.epoch == *e)
                    .all(|c| c.outcome.is_some())
            })
            .collect()
    };
    for e in candidates {
        close_epoch(shared, e).await?;
    }
    // Storage: audit the replicas of the epoch in progress once, after its first interval,
    // leaving the rest of the epoch for the report to be committed. An oracle that starts in
    // the middle of an epoch leaves that epoch unaudited (its replicas are paid unchecked for
    // it) and audits from the next one: devices restarting with it get time to declare where
    // they now listen, rather than failing at an address they left.
    let audit_due = {
        let mut state = shared.state.lock();
        let started_at = *state.started_at.get_or_insert((epoch, interval));
        let started_before = started_at.0 < epoch || started_at.1 == 0;
        interval >= 1 && started_before && !state.audited.contains(&epoch)
    };
    if audit_due {
        audit_storage(shared, epoch).await?;
    }
    Ok(())
}

/// Challenges every replica assigned for `epoch`, records the audit, and reports the
/// replicas that failed.
async fn audit_storage(shared: &Arc<Shared>, epoch: u64) -> anyhow::Result<()> {
    let deals = shared.node.open_deals().await?;
    // Endpoints change when devices move; challenge each where it says it is now.
    let devices = shared.node.devices().await?;
    {
        let mut state = shared.state.lock();
        state.devices = devices.into_iter().map(|d| (d.key, d)).collect();
        state.devices_fetched = Some(Instant::now());
    }
    let audit = crate::storage_audit::audit_epoch(shared, &deals, epoch).await;
    let failures = audit.failures();
    if !audit.replicas.is_empty() {
        let dir = shared.data_dir.join("storage-audits");
        std::fs::create_dir_all(&dir)?;
        plexus_node::write_durably(
            &dir.join(format!("epoch-{epoch}.json")),
            serde_json::to_string_pretty(&audit)?.as_bytes(),
        )?;
    }
    if !failures.is_empty() {
        for r in audit.replicas.iter().filter(|r| r.failure.is_some()) {
            tracing::info!(epoch, deal = r.deal, device = %r.device, why = r.failure.as_deref().unwrap_or(""), "replica failed its challenge");
        }
        let body = Body::StorageAudit {
            epoch,
            failures: failures.clone(),
        };
        let code = shared
            .node
            .send(&shared.key, &shared.info.chain_id, body)
            .await?;
        if code != "ok" {
            tracing::warn!(epoch, %code, "storage audit report failed");
        }
    }
    tracing::info!(
        epoch,
        challenged = audit.replicas.len(),
        failed = failures.len(),
        "storage audit"
    );
    shared.state.lock().audited.insert(epoch);
    Ok(())
}

/// Scores an ended epoch from its evidence with the public rules, submits the manifest, and
/// records it (once: a restart finds the record and does not resubmit).
async fn close_epoch(shared: &Arc<Shared>, epoch: u64) -> anyhow::Result<()> {
    let (manifests, segment) = {
        let mut state = shared.state.lock();
        let records: Vec<_> = state
            .log
            .records(epoch)
            .iter()
            .map(|r| r.evidence())
            .collect();
        let manifests =
            crate::audit::score_resources(&shared.info, state.devices.values(), epoch, &records)?;
        let segment = state.log.seal(epoch)?;
        (manifests, segment)
    };
    // The compute manifest last: its record is what marks the epoch closed after a restart.
    for manifest in manifests.into_iter().rev() {
        submit_manifest(shared, epoch, segment, manifest).await?;
    }
    shared.state.lock().closed.insert(epoch);
    Ok(())
}

/// Submits one resource's manifest of a closed epoch and records it.
async fn submit_manifest(
    shared: &Arc<Shared>,
    epoch: u64,
    segment: Hash,
    manifest: Manifest,
) -> anyhow::Result<()> {
    let resource = manifest.resource().to_string();
    let resource = resource.as_str();
    let body = Body::SubmitManifest {
        epoch,
        resource: resource.to_string(),
        root: manifest.root(),
        total_units: manifest.total_units(),
        evidence_root: manifest.evidence_root(),
    };
    let code = shared
        .node
        .send(&shared.key, &shared.info.chain_id, body)
        .await?;
    if code != "ok" && code != "already_submitted" && code != "manifest_final" {
        tracing::warn!(epoch, resource, %code, "manifest submission failed");
    }
    let closed = ClosedEpoch {
        epoch,
        resource: resource.to_string(),
        evidence_segment: segment,
        manifest,
        submitted: code.clone(),
    };
    plexus_node::write_durably(
        &manifest_path(&shared.data_dir, epoch, resource),
        serde_json::to_string_pretty(&closed)?.as_bytes(),
    )?;
    tracing::info!(epoch, resource, %code, units = %closed.manifest.total_units(), "manifest submitted");
    Ok(())
}
