//! Gathering an ended epoch's evidence from the oracle set: this oracle seals its own log and
//! serves it (`GET /v1/evidence/{epoch}/own`), reads its peers' sealed logs, waiting for them
//! at most [`PEER_WAIT_INTERVALS`] heartbeat intervals, and merges everything it heard
//! (crate::merge) into the log it scores and publishes.

use crate::clock;
use crate::evidence::PublishedRecord;
use crate::merge::{merge, parse_log, MergeRules, ScheduledChallenge};
use crate::shared::{merged_evidence_path, Shared};
use plexus_types::Hash;
use std::collections::BTreeMap;

/// How many heartbeat intervals an oracle waits, after sealing its own evidence of an epoch,
/// for peers that have not served theirs; then it closes the epoch with what it has.
pub(crate) const PEER_WAIT_INTERVALS: u64 = 2;

/// Seals this oracle's evidence of `epoch` (at `height`, the first time), reads the logs of
/// the peers that have not served theirs yet, and says whether to close the epoch now: every
/// peer has been heard, or the wait is over.
pub(crate) async fn peers_heard(shared: &Shared, epoch: u64, height: u64) -> bool {
    let (waiting, sealed_at) = {
        let mut state = shared.state.lock();
        let sealed_at = *state.sealed_own.entry(epoch).or_insert(height);
        let heard = state.peer_logs.get(&epoch);
        let waiting: Vec<_> = state
            .peers
            .iter()
            .enumerate()
            .filter(|(i, _)| !heard.is_some_and(|h| h.contains_key(i)))
            .map(|(i, p)| (i, p.clone()))
            .collect();
        (waiting, sealed_at)
    };
    let mut still_waiting = 0;
    for (i, peer) in waiting {
        match peer.own_evidence(epoch).await {
            Ok(Some(text)) => {
                let log = parse_log(&text);
                let mut state = shared.state.lock();
                state.peer_logs.entry(epoch).or_default().insert(i, log);
            }
            Ok(None) => still_waiting += 1,
            Err(e) => {
                tracing::debug!(epoch, peer = peer.base_url(), error = %e, "peer evidence not read");
                still_waiting += 1;
            }
        }
    }
    let interval_blocks =
        shared.clock.epoch_blocks() / u64::from(shared.clock.intervals_per_epoch());
    let waited_out = height >= sealed_at + PEER_WAIT_INTERVALS * interval_blocks.max(1);
    if still_waiting > 0 && waited_out {
        tracing::warn!(
            epoch,
            missing = still_waiting,
            "closing the epoch without the evidence of every peer"
        );
    }
    still_waiting == 0 || waited_out
}

/// The beacon of every heartbeat interval of `epoch`, read from the node where this oracle
/// did not keep it.
async fn interval_beacons(shared: &Shared, epoch: u64) -> anyhow::Result<BTreeMap<u32, Hash>> {
    let mut out = BTreeMap::new();
    for interval in 0..shared.clock.intervals_per_epoch() {
        let height = clock::beacon(&shared.clock, epoch, interval);
        let known = shared.state.lock().beacons.get(&height).copied();
        let beacon = match known {
            Some(b) => b,
            None => shared.app_hash(height).await?,
        };
        out.insert(interval, beacon);
    }
    Ok(out)
}

/// The merged evidence of `epoch`: this oracle's sealed log and the peers' logs it heard.
///
/// The inputs are copied under the state lock and merged off the async runtime: merging checks
/// a signature per heartbeat and challenge, and holding the lock (or a runtime thread) that
/// long would stall the oracle's own API, so devices answering challenges meanwhile would
/// miss their deadlines.
pub(crate) async fn merged_evidence(
    shared: &Shared,
    epoch: u64,
) -> anyhow::Result<Vec<PublishedRecord>> {
    let beacons = interval_beacons(shared, epoch).await?;
    let (challenges, own, peers) = {
        let state = shared.state.lock();
        let challenges: BTreeMap<Hash, ScheduledChallenge> = state
            .challenges
            .values()
            .filter(|c| c.epoch == epoch)
            .map(|c| {
                (
                    c.id,
                    ScheduledChallenge {
                        device: c.device,
                        secret: c.secret,
                        challenge: c.challenge,
                    },
                )
            })
            .collect();
        let peers: Vec<Vec<PublishedRecord>> = state
            .peer_logs
            .get(&epoch)
            .map(|logs| logs.values().cloned().collect())
            .unwrap_or_default();
        (challenges, state.log.records(epoch).to_vec(), peers)
    };
    let chain_id = shared.info.chain_id.clone();
    let merged = tokio::task::spawn_blocking(move || {
        let rules = MergeRules {
            chain_id: &chain_id,
            epoch,
            interval_beacons: &beacons,
            challenges: &challenges,
        };
        merge(&rules, &own, &peers)
    })
    .await?;
    Ok(merged)
}

/// Writes the merged evidence of `epoch` durably where `GET /v1/evidence/{epoch}` serves it,
/// and under its content address beside the sealed logs; returns the address.
pub(crate) fn publish(
    shared: &Shared,
    epoch: u64,
    merged: &[PublishedRecord],
) -> std::io::Result<Hash> {
    let mut text = String::new();
    for r in merged {
        text.push_str(&serde_json::to_string(r).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    let path = merged_evidence_path(&shared.data_dir, epoch);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let address = Hash::of(text.as_bytes());
    let sealed = shared
        .data_dir
        .join("evidence")
        .join("sealed")
        .join(format!("{}.jsonl", address.to_hex()));
    if !sealed.exists() {
        plexus_durable::write_durably(&sealed, text.as_bytes())?;
    }
    plexus_durable::write_durably(&path, text.as_bytes())?;
    Ok(address)
}
