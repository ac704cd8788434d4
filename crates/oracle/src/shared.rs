//! What the oracle's tasks share: its identity, the chain's parameters, the node it follows,
//! the time it runs on, and its state (devices, beacons, challenges, the evidence log) under
//! one lock.

use crate::clock::EpochClock;
use crate::evidence::{EvidenceLog, PublishedRecord};
use parking_lot::Mutex;
use plexus_blobs::client::BlobClient;
use plexus_client::views::{ChainView, DeviceView};
use plexus_client::{Clock, NodeClient, OracleClient, Transport, TxSender};
use plexus_proofs::compute::ComputeChallenge;
use plexus_rewards::{ChallengeOutcome, Manifest};
use plexus_types::{Address, Hash, PublicKey, SecretKey, Signature};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The time the oracle runs on: the wall clock, or a clock a test moves.
pub(crate) type Time = Arc<dyn Clock>;

/// One compute challenge of one device in one epoch. Times are the oracle clock's
/// ([`Clock::now`]).
pub(crate) struct Challenge {
    pub id: Hash,
    pub device: PublicKey,
    pub epoch: u64,
    pub opens_at_height: u64,
    pub class: String,
    pub secret: [u8; 32],
    pub challenge: ComputeChallenge,
    pub deadline_ms: u64,
    /// When this oracle opened the challenge (drew its secret from the beacon).
    pub opened_at: Duration,
    /// When the device's deadline started: its first fetch, or [`crate::rules::FETCH_GRACE`]
    /// after the challenge opened if it fetched later (the seed is public from then).
    pub fetched_at: Option<Duration>,
    pub committed: Option<(Hash, Signature, Duration)>,
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

/// A challenge scheduled and not yet open: its secret is drawn from the beacon of the block it
/// opens at, once that block is committed.
pub(crate) struct PendingChallenge {
    pub opens_at_height: u64,
    pub class: String,
    pub deadline_ms: u64,
    pub n: u32,
}

/// The reading batches of one device in one epoch: their digests and how many readings they
/// hold, which the per-device bounds count.
#[derive(Debug, Default)]
pub(crate) struct ReadingsSeen {
    pub digests: BTreeSet<Hash>,
    pub readings: u64,
}

/// Everything the oracle knows of the chain and of the evidence it took.
pub(crate) struct State {
    pub height: u64,
    pub beacons: BTreeMap<u64, Hash>,
    pub devices: BTreeMap<PublicKey, DeviceView>,
    /// The last block whose registry changes `devices` holds (`None` before the first read).
    pub devices_through: Option<u64>,
    pub seen: BTreeSet<(PublicKey, u64, u32)>,
    /// Digests of the wireless records accepted, by (epoch, device), until the epoch closes.
    pub wireless_seen: BTreeMap<(u64, PublicKey), BTreeSet<Hash>>,
    /// The sensor reading batches accepted, by (epoch, device), until the epoch closes.
    pub readings_seen: BTreeMap<(u64, PublicKey), ReadingsSeen>,
    pub log: EvidenceLog,
    pub challenges: BTreeMap<Hash, Challenge>,
    /// Challenges scheduled and not yet open, by (device, epoch, k).
    pub pending: BTreeMap<(PublicKey, u64, u32), PendingChallenge>,
    /// Beacons of the blocks the oracle drew from, by height.
    pub draw_beacons: BTreeMap<u64, Hash>,
    pub scheduled: BTreeSet<(PublicKey, u64)>,
    pub closed: BTreeSet<u64>,
    /// Epochs whose storage replicas this oracle has audited (in this run).
    pub audited: BTreeSet<u64>,
    /// The epoch and interval the chain was in when this oracle first followed it.
    pub started_at: Option<(u64, u32)>,
    /// Devices speed-tested, by (device, epoch, interval), until the epoch closes.
    pub speed_tested: BTreeSet<(PublicKey, u64, u32)>,
    /// Speed tests running now, by (device, epoch); their epochs are not closed meanwhile.
    pub speed_testing: BTreeSet<(PublicKey, u64)>,
    /// Fraud proofs found and not yet on chain, oldest first, with the device each accuses.
    pub frauds: Vec<(PublicKey, plexus_types::Body)>,
    /// The time each device named in its last signed challenge request.
    pub challenge_fetches: BTreeMap<PublicKey, u64>,
    /// The other oracles of the set, whose evidence this oracle merges with its own.
    pub peers: Vec<OracleClient>,
    /// Epochs whose own evidence is sealed and served to peers, with the height at which it
    /// was sealed (peers are waited for from then).
    pub sealed_own: BTreeMap<u64, u64>,
    /// The sealed logs peers served, by epoch and peer index.
    pub peer_logs: BTreeMap<u64, BTreeMap<usize, Vec<PublishedRecord>>>,
}

impl State {
    /// Drops what only open epochs need once epochs are closed (an epoch may close before an
    /// older one whose challenges are still running): their records, which stay on disk in
    /// their sealed files, the heartbeats, speed tests and wireless records seen in them, which
    /// no closed epoch admits again, and their challenges, all resolved. What the oracle holds,
    /// and what its loops walk, stays bounded by the open epochs however long it runs.
    pub(crate) fn forget_closed(&mut self) -> std::io::Result<()> {
        let closed = &self.closed;
        self.seen.retain(|(_, e, _)| !closed.contains(e));
        self.speed_tested.retain(|(_, e, _)| !closed.contains(e));
        self.wireless_seen.retain(|(e, _), _| !closed.contains(e));
        self.readings_seen.retain(|(e, _), _| !closed.contains(e));
        self.challenges.retain(|_, c| !closed.contains(&c.epoch));
        self.scheduled.retain(|(_, e)| !closed.contains(e));
        self.pending.retain(|(_, e, _), _| !closed.contains(e));
        let in_memory: Vec<u64> = self.log.epochs().filter(|e| closed.contains(e)).collect();
        for epoch in in_memory {
            self.log.forget(epoch)?;
        }
        Ok(())
    }

    /// A state with nothing followed yet, over an opened evidence log.
    pub(crate) fn new(log: EvidenceLog) -> State {
        State {
            height: 0,
            beacons: BTreeMap::new(),
            devices: BTreeMap::new(),
            devices_through: None,
            seen: BTreeSet::new(),
            wireless_seen: BTreeMap::new(),
            readings_seen: BTreeMap::new(),
            log,
            challenges: BTreeMap::new(),
            pending: BTreeMap::new(),
            draw_beacons: BTreeMap::new(),
            scheduled: BTreeSet::new(),
            closed: BTreeSet::new(),
            audited: BTreeSet::new(),
            started_at: None,
            speed_tested: BTreeSet::new(),
            speed_testing: BTreeSet::new(),
            frauds: Vec::new(),
            challenge_fetches: BTreeMap::new(),
            peers: Vec::new(),
            sealed_own: BTreeMap::new(),
            peer_logs: BTreeMap::new(),
        }
    }
}

pub(crate) struct Shared {
    pub key: SecretKey,
    pub address: Address,
    pub info: ChainView,
    pub clock: EpochClock,
    pub time: Time,
    /// Signs and sends the oracle's transactions, one at a time, through the node it follows.
    pub sender: TxSender<NodeClient, Time>,
    /// Reaches providers' blob services, for storage audits.
    pub blobs: BlobClient,
    /// Reaches providers' services and the other oracles.
    pub transport: Arc<dyn Transport>,
    pub data_dir: PathBuf,
    pub state: Mutex<State>,
}

impl Shared {
    /// The node the oracle follows.
    pub(crate) fn node(&self) -> &NodeClient {
        self.sender.node()
    }

    /// The app hash after block `height` (height 0: genesis), which heartbeats name as their
    /// interval's beacon.
    pub(crate) async fn app_hash(&self, height: u64) -> anyhow::Result<Hash> {
        use plexus_client::NodeApi;
        if height == 0 {
            return Ok(self.node().block(1).await?.prev_app_hash);
        }
        self.node()
            .block(height)
            .await?
            .app_hash
            .ok_or_else(|| anyhow::anyhow!("block {height} has no app hash yet"))
    }

    pub(crate) fn load_closed(&self, epoch: u64, resource: &str) -> Option<ClosedEpoch> {
        let text = std::fs::read_to_string(manifest_path(&self.data_dir, epoch, resource)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// A secret only this oracle can derive, the same after a restart, for one purpose
    /// (`context`) and the given parts.
    pub(crate) fn derive_secret(&self, context: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = blake3::Hasher::new_derive_key(context);
        h.update(&self.key.to_bytes());
        h.update(self.info.chain_id.as_bytes());
        for part in parts {
            h.update(part);
        }
        *h.finalize().as_bytes()
    }
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

/// Where the oracle keeps the merged evidence it scored an epoch from.
pub(crate) fn merged_evidence_path(dir: &Path, epoch: u64) -> PathBuf {
    dir.join("merged-evidence")
        .join(format!("epoch-{epoch:08}.jsonl"))
}

/// A data set's resource (`data/<class>/<region>`) is kept as `data-<class>-<region>`.
pub(crate) fn manifest_path(dir: &Path, epoch: u64, resource: &str) -> PathBuf {
    let file = resource.replace('/', "-");
    dir.join("manifests")
        .join(format!("epoch-{epoch:08}-{file}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{EvidenceLog, Published, PublishedRecord};

    #[test]
    fn closing_an_epoch_before_an_older_one_forgets_only_the_closed_one() {
        let dir = tempfile::tempdir().unwrap();
        let device = plexus_types::SecretKey::from_seed([1; 32]).public_key();
        let mut state = State::new(EvidenceLog::open(dir.path()).unwrap());
        for epoch in 1..=3 {
            let beat = PublishedRecord::Heartbeat {
                device,
                epoch,
                interval: 0,
                signed: "00".into(),
            };
            state.log.append(&[beat]).unwrap();
            state.seen.insert((device, epoch, 0));
            state.speed_tested.insert((device, epoch, 0));
            state.scheduled.insert((device, epoch));
        }
        // Epoch 2 closes while epoch 1 still waits on a challenge.
        state.closed.insert(2);
        state.forget_closed().unwrap();
        let epochs = |set: &BTreeSet<(PublicKey, u64, u32)>| -> Vec<u64> {
            set.iter().map(|(_, e, _)| *e).collect()
        };
        assert_eq!(epochs(&state.seen), [1, 3]);
        assert_eq!(epochs(&state.speed_tested), [1, 3]);
        let scheduled: Vec<u64> = state.scheduled.iter().map(|(_, e)| *e).collect();
        assert_eq!(scheduled, [1, 3]);
        assert_eq!(state.log.epochs().collect::<Vec<_>>(), [1, 3]);
        assert!(matches!(state.log.published(2), Published::Sealed(_)));
        assert_eq!(state.log.published(2).read().unwrap().lines().count(), 1);
    }
}
