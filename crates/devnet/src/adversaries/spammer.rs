//! The blob-spammer adversary: a stranger that tries to fill disks through the blob services
//! anyone can reach. Every round it offers a fresh blob, correctly encoded, to every storage
//! provider's declared endpoint (no deal assigns it), and to the node unsigned and signed by a
//! fresh unfunded key; it announces to the node, signed by the funded attacker, a blob larger
//! than the node's whole upload quota; and now and then it starts a real upload to the node
//! and abandons it halfway. Nothing but the abandoned partials may be taken, and those must
//! expire; the honest storage agents' disks must grow by no more than their assigned replicas.

use super::honest::disk_bytes;
use super::{Adversary, AdversaryReport, Stage};
use plexus_blobs::upload_auth::{system_millis, UploadAuth};
use plexus_blobs::{BlobId, BlobState, BlobStatus, BlobStore};
use plexus_ledger::query;
use plexus_node::NodeFiles;
use plexus_types::{PublicKey, SecretKey};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often it offers the next round of blobs.
const EVERY: Duration = Duration::from_secs(1);
/// Bytes of each blob offered whole: small enough that a refused body never stalls the client.
const SPAM_BYTES: usize = 128 << 10;
/// Bytes of each blob whose upload it abandons halfway, and how many rounds apart.
const PARTIAL_BYTES: usize = 256 << 10;
const PARTIAL_EVERY_ROUNDS: u64 = 5;
/// Partials it abandons at most over a run: the quota bounds them anyway, this bounds the
/// attacker's use of the node's disk on a long devnet.
const MAX_PARTIALS: usize = 32;
/// Spam blobs whose absence it checks on every provider at the stop (the latest ones).
const CHECKED_AT_STOP: usize = 8;
/// Growth of an honest storage agent's directory beyond its assigned replicas that is still its
/// own bookkeeping (state, outboards, logs), not a stranger's blob.
const BOOKKEEPING_SLACK: u64 = 2 << 20;
/// The target of the uploads abandoned halfway: the only one that may take what it is sent.
const ABANDONED: &str = "node, the attacker's abandoned halves";
/// Time beyond the node's partial TTL and sweep period that a partial may outlive them.
const SWEEP_SLACK: Duration = Duration::from_secs(5);

/// What one target made of the uploads offered to it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    pub attempts: u64,
    /// Bytes the uploads announced.
    pub offered: u64,
    /// Bytes of the uploads the target answered with success.
    pub accepted: u64,
    /// Answers by status and error code ("403 not_assigned"), or "no answer".
    pub answers: BTreeMap<String, u64>,
}

impl Tally {
    pub fn record(&mut self, size: u64, answer: &Answer) {
        self.attempts += 1;
        self.offered += size;
        if answer.success {
            self.accepted += size;
        }
        *self.answers.entry(answer.label.clone()).or_default() += 1;
    }

    /// Answers that took the upload.
    pub fn taken(&self) -> u64 {
        self.answers
            .iter()
            .filter(|(label, _)| label.starts_with('2'))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn line(&self, target: &str) -> String {
        let answers: Vec<String> = self
            .answers
            .iter()
            .map(|(label, n)| format!("{n}× {label}"))
            .collect();
        format!(
            "{target}: {} uploads announcing {}, {} taken; answers {}",
            self.attempts,
            bytes(self.offered),
            bytes(self.accepted),
            answers.join(", ")
        )
    }
}

/// A service's answer to an upload.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub success: bool,
    pub label: String,
}

/// Whether a storage agent's directory grew from `start` to `stop` bytes by no more than the
/// `assigned` bytes of its replicas and its bookkeeping.
pub(crate) fn disk_within(start: u64, stop: u64, assigned: u64) -> bool {
    stop.saturating_sub(start) <= assigned.saturating_add(BOOKKEEPING_SLACK)
}

/// Whether the partials left at the stop, each abandoned `age` ago, are all young enough that
/// the node's sweep (every `ttl / 4`, between 1 s and 10 min, for those idle `ttl`) has not yet
/// been due for them.
pub(crate) fn partials_bounded(left_ages: &[Duration], ttl: Duration) -> bool {
    let sweep = (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(600));
    left_ages
        .iter()
        .all(|age| *age <= ttl + sweep + SWEEP_SLACK)
}

/// A blob made up by the attacker: its id, its size and its whole verified encoding.
struct Made {
    id: BlobId,
    size: u64,
    encoding: Vec<u8>,
}

/// Makes blob number `n` of `size` bytes and encodes it through a scratch store in `dir`.
fn make_blob(store: &BlobStore, dir: &Path, n: u64, size: usize) -> anyhow::Result<Made> {
    let mut bytes = vec![0u8; size];
    let mut xof = blake3::Hasher::new_derive_key("plexus devnet spam blob")
        .update(&n.to_le_bytes())
        .finalize_xof();
    xof.fill(&mut bytes);
    let path = dir.join(format!("spam-{n}"));
    std::fs::write(&path, &bytes)?;
    let (id, size) = store.import_file(&path)?;
    std::fs::remove_file(&path)?;
    let mut encoding = Vec::new();
    store.encode(id, 0, size, &mut encoding)?;
    store.remove(id)?;
    Ok(Made { id, size, encoding })
}

/// Uploads `body` as blob `id` of `size` bytes to the blob service at `base`, signed by
/// `signer` when there is one. A service closes the connection of an upload it refused
/// unread, so a request that finds its pooled connection closed is sent once more.
async fn put(
    http: &reqwest::Client,
    base: &str,
    id: BlobId,
    size: u64,
    body: &[u8],
    signer: Option<(&SecretKey, &str)>,
) -> Answer {
    let url = format!(
        "{}/v1/blobs/{id}?size={size}&offset=0",
        base.trim_end_matches('/')
    );
    let mut failure = String::new();
    for _ in 0..2 {
        let mut request = http.put(&url).body(body.to_vec());
        if let Some((key, chain_id)) = signer {
            let mut headers = axum::http::HeaderMap::new();
            UploadAuth::sign(key, chain_id, id, size, system_millis()).to_headers(&mut headers);
            for (name, value) in &headers {
                request = request.header(name.as_str(), value.as_bytes());
            }
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let code = response
                    .json::<serde_json::Value>()
                    .await
                    .ok()
                    .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
                return Answer {
                    success: status.is_success(),
                    label: match code {
                        Some(code) => format!("{} {code}", status.as_u16()),
                        None => status.as_u16().to_string(),
                    },
                };
            }
            Err(e) if e.is_timeout() => {
                failure = "no answer in time".into();
                break;
            }
            Err(e) => failure = format!("no answer ({})", root_cause(&e)),
        }
    }
    Answer {
        success: false,
        label: failure,
    }
}

/// The innermost reason of an error, which names what went wrong on the connection.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}

/// Bytes in the unit that reads best.
fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n => format!("{} KiB", n >> 10),
    }
}

/// What the blob service at `base` holds of `id`; `None` when it does not answer.
async fn status(http: &reqwest::Client, base: &str, id: BlobId) -> Option<BlobStatus> {
    let url = format!("{}/v1/blobs/{id}/status", base.trim_end_matches('/'));
    http.get(&url).send().await.ok()?.json().await.ok()
}

/// The storage devices the chain knows among the agents', with the endpoint each declared:
/// (index among the agents, key, endpoint, honest).
fn storage_providers<C>(stage: &Stage<C>) -> anyhow::Result<Vec<(usize, PublicKey, String, bool)>> {
    let mut out = Vec::new();
    for (i, (key, role)) in stage.devices.iter().enumerate() {
        let Some(device) = query::device(stage.chain.store(), key)? else {
            continue;
        };
        if device.class.starts_with("storage-") && !device.capabilities.endpoint.is_empty() {
            out.push((i, *key, device.capabilities.endpoint, role == "honest"));
        }
    }
    Ok(out)
}

fn agent_dir<C>(stage: &Stage<C>, i: usize) -> PathBuf {
    stage.home.join("agents").join(format!("agent-{i}"))
}

/// What it did over the run, for the report.
#[derive(Default)]
struct Run {
    targets: BTreeMap<String, Tally>,
    /// Blobs offered whole, latest last.
    offered: Vec<BlobId>,
    /// Partials abandoned on the node, and when.
    partials: Vec<(BlobId, Instant)>,
}

/// Offers blobs every round until stopped, then reports what the services kept.
pub async fn run<C>(
    stage: Arc<Stage<C>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<AdversaryReport> {
    let config = NodeFiles::new(&stage.home).load_config()?;
    let (quota, ttl) = (
        config.uploads.quota_bytes,
        Duration::from_secs(config.uploads.partial_ttl_secs),
    );
    let scratch = stage.home.join("attacker").join("spam");
    std::fs::create_dir_all(&scratch)?;
    let tools = Tools {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?,
        store: BlobStore::open(scratch.join("store"))?,
        scratch,
        chain_id: stage.chain.status().chain_id,
        unfunded: SecretKey::generate(),
        quota,
    };
    let disk_at_start: BTreeMap<usize, u64> = (0..stage.devices.len())
        .map(|i| (i, disk_bytes(&agent_dir(&stage, i))))
        .collect();
    let mut run = Run::default();
    let mut tick = tokio::time::interval(EVERY);
    for round in 0u64.. {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            _ = tick.tick() => {}
        }
        run.round(&stage, &tools, round).await?;
    }
    report(&stage, &tools.http, run, &disk_at_start, quota, ttl).await
}

/// What the spammer works with: its HTTP client, a scratch store that encodes its blobs, the
/// chain it signs for, a key no one funded, and the node's quota.
struct Tools {
    http: reqwest::Client,
    store: BlobStore,
    scratch: PathBuf,
    chain_id: String,
    unfunded: SecretKey,
    quota: u64,
}

impl Run {
    /// One round: a fresh blob to every provider and to the node unsigned and unfunded, an
    /// announcement past the quota, and every few rounds an upload abandoned halfway.
    async fn round<C>(&mut self, stage: &Stage<C>, t: &Tools, round: u64) -> anyhow::Result<()> {
        let blob = make_blob(&t.store, &t.scratch, round, SPAM_BYTES)?;
        let (id, size, body) = (blob.id, blob.size, blob.encoding.as_slice());
        for (i, _, endpoint, _) in storage_providers(stage)? {
            let answer = put(&t.http, &endpoint, id, size, body, None).await;
            let target = format!("provider agent-{i}, a blob no deal assigns it");
            self.tally(&target, size, &answer);
        }
        let node = stage.node.as_str();
        let answer = put(&t.http, node, id, size, body, None).await;
        self.tally("node, unsigned", size, &answer);
        let unfunded = Some((&t.unfunded, t.chain_id.as_str()));
        let answer = put(&t.http, node, id, size, body, unfunded).await;
        self.tally("node, signed by an unfunded key", size, &answer);
        self.offered.push(id);
        // Announces more than the whole quota: refused before a byte is read.
        let attacker = Some((&stage.attacker, t.chain_id.as_str()));
        let (huge, past) = (BlobId::of(&round.to_le_bytes()), t.quota.saturating_add(1));
        let answer = put(&t.http, node, huge, past, &[], attacker).await;
        self.tally("node, the attacker past its quota", past, &answer);
        if round.is_multiple_of(PARTIAL_EVERY_ROUNDS) && self.partials.len() < MAX_PARTIALS {
            let part = make_blob(&t.store, &t.scratch, u64::MAX - round, PARTIAL_BYTES)?;
            let half = &part.encoding[..part.encoding.len() / 2];
            let answer = put(&t.http, node, part.id, part.size, half, attacker).await;
            self.tally(ABANDONED, part.size, &answer);
            self.partials.push((part.id, Instant::now()));
        }
        Ok(())
    }

    fn tally(&mut self, target: &str, size: u64, answer: &Answer) {
        self.targets
            .entry(target.to_string())
            .or_default()
            .record(size, answer);
    }
}

/// Reads what the services kept and how the honest agents' disks grew.
async fn report<C>(
    stage: &Stage<C>,
    http: &reqwest::Client,
    run: Run,
    disk_at_start: &BTreeMap<usize, u64>,
    quota: u64,
    ttl: Duration,
) -> anyhow::Result<AdversaryReport> {
    let mut outcome: Vec<String> = run
        .targets
        .iter()
        .map(|(target, tally)| tally.line(target))
        .collect();
    let mut held = true;
    for (target, tally) in &run.targets {
        if target != ABANDONED && tally.taken() > 0 {
            held = false;
        }
    }
    // What the providers and the node hold of the blobs offered whole.
    let providers = storage_providers(stage)?;
    let latest = &run.offered[run.offered.len().saturating_sub(CHECKED_AT_STOP)..];
    let mut kept = 0;
    for id in latest {
        for base in providers
            .iter()
            .map(|p| p.2.as_str())
            .chain([stage.node.as_str()])
        {
            if status(http, base, *id)
                .await
                .is_some_and(|s| s.state != BlobState::Absent)
            {
                kept += 1;
            }
        }
    }
    held &= kept == 0;
    outcome.push(format!(
        "the latest {} blobs offered whole, on {} providers and the node: {kept} kept",
        latest.len(),
        providers.len()
    ));
    let (line, bounded) = partials_report(stage, http, &run.partials, quota, ttl).await;
    outcome.push(line);
    held &= bounded;
    for (i, key, _, _) in providers.iter().filter(|p| p.3) {
        let assigned: u64 = query::open_storage_deals_of(stage.chain.store(), key)?
            .iter()
            .map(|d| d.size)
            .sum();
        let start = disk_at_start.get(i).copied().unwrap_or(0);
        let stop = disk_bytes(&agent_dir(stage, *i));
        let within = disk_within(start, stop, assigned);
        held &= within;
        outcome.push(format!(
            "honest storage agent-{i}: {:.1} MiB on disk at the start, {:.1} MiB at the stop, {:.1} MiB of replicas assigned — {}",
            mib(start),
            mib(stop),
            mib(assigned),
            if within { "no more than its replicas" } else { "FILLED BEYOND ITS REPLICAS" }
        ));
    }
    Ok(AdversaryReport {
        kind: Adversary::BlobSpammer,
        tried: "offers blobs no deal assigns to every storage provider, uploads to the node unsigned, signed by an unfunded key and past the attacker's quota, and abandons uploads halfway".into(),
        outcome,
        held,
    })
}

/// What became of the partials abandoned on the node: left (and how old) or swept; whether
/// they stay within the quota and the node's partial TTL.
async fn partials_report<C>(
    stage: &Stage<C>,
    http: &reqwest::Client,
    partials: &[(BlobId, Instant)],
    quota: u64,
    ttl: Duration,
) -> (String, bool) {
    let mut left_ages = Vec::new();
    let (mut swept, mut completed, mut unknown, mut kept) = (0, 0, 0, 0);
    for (id, at) in partials {
        match status(http, &stage.node, *id).await {
            Some(s) if s.state == BlobState::Partial => {
                left_ages.push(at.elapsed());
                kept += s.verified;
            }
            Some(s) if s.state == BlobState::Absent => swept += 1,
            Some(_) => completed += 1,
            None => unknown += 1,
        }
    }
    let charged = (partials.len() * PARTIAL_BYTES) as u64;
    let bounded =
        completed == 0 && unknown == 0 && charged <= quota && partials_bounded(&left_ages, ttl);
    let oldest = left_ages.iter().max().copied().unwrap_or_default();
    (
        format!(
            "{} uploads abandoned halfway on the node: {swept} swept, {} left holding {} (the oldest {}s, the node sweeps after {}s idle), {completed} completed; {} charged to the attacker's quota of {}",
            partials.len(),
            left_ages.len(),
            bytes(kept),
            oldest.as_secs(),
            ttl.as_secs(),
            bytes(charged),
            bytes(quota)
        ),
        bounded,
    )
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(label: &str) -> Answer {
        Answer {
            success: label.starts_with('2'),
            label: label.into(),
        }
    }

    #[test]
    fn a_tally_counts_bytes_taken_only_from_successful_answers() {
        let mut t = Tally::default();
        t.record(100, &answer("403 not_assigned"));
        t.record(100, &answer("403 not_assigned"));
        t.record(50, &answer("no answer"));
        assert_eq!(
            (t.attempts, t.offered, t.accepted, t.taken()),
            (3, 250, 0, 0)
        );
        t.record(10, &answer("200"));
        assert_eq!((t.accepted, t.taken()), (10, 1));
        assert!(
            t.line("x").contains("2× 403 not_assigned"),
            "{}",
            t.line("x")
        );
    }

    #[test]
    fn a_disk_that_grew_past_its_replicas_and_bookkeeping_is_filled() {
        assert!(disk_within(10, 10 + 5_000_000, 5_000_000));
        assert!(disk_within(10, 10 + BOOKKEEPING_SLACK, 0));
        assert!(!disk_within(10, 11 + BOOKKEEPING_SLACK, 0));
        assert!(disk_within(500, 100, 0));
    }

    #[test]
    fn a_partial_older_than_the_ttl_and_a_sweep_is_not_bounded() {
        let ttl = Duration::from_secs(60);
        let young = [Duration::from_secs(10), Duration::from_secs(70)];
        assert!(partials_bounded(&young, ttl));
        assert!(partials_bounded(&[], ttl));
        assert!(!partials_bounded(&[Duration::from_secs(81)], ttl));
    }

    #[test]
    fn a_made_up_blob_encodes_whole_and_leaves_nothing_in_the_scratch_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path().join("store")).unwrap();
        let blob = make_blob(&store, dir.path(), 3, 40_000).unwrap();
        assert_eq!(blob.size, 40_000);
        assert!(blob.encoding.len() > 40_000);
        let other = make_blob(&store, dir.path(), 4, 40_000).unwrap();
        assert_ne!(blob.id, other.id);
        assert!(store.list().unwrap().is_empty());
        let back = BlobStore::open(dir.path().join("back")).unwrap();
        let got = back
            .receive(blob.id, blob.size, 0, blob.encoding.as_slice())
            .unwrap();
        assert_eq!(got.state, BlobState::Complete);
    }
}
