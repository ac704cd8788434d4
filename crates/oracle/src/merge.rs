//! Merging the oracles' evidence of one epoch into one log that every honest oracle scores
//! alike.
//!
//! Each oracle seals its own log when an epoch ends and serves it; it reads its peers' logs and
//! keeps, from every log its own included, only what the device signed or what the chain's
//! beacon fixes, so that a peer cannot invent evidence:
//! - a heartbeat counts once per device and interval, when its signed bytes verify and name
//!   the chain, the device, the epoch, the interval and that interval's beacon;
//! - a challenge counts when it is one the beacon scheduled (same id, device and secret). Its
//!   outcome is `wrong` if any log recorded a wrong answer under a commitment the device
//!   signed, else `passed` if any recorded a pass under such a commitment, else `missed`.
//!   Each oracle opens rows of its own choosing, so no outcome depends on which rows it drew;
//!   a device that answered one oracle and not another is not punished for the one it could
//!   not reach.
//! - speed tests are the oracle's own measurements, not signed by the device, so a peer's do
//!   not count;
//! - a wireless record (location report, beacon, witness report) counts once, from any log,
//!   when its signed bytes decode, are of the kind the record says, name the device it is
//!   filed under and verify. Its own time is the device's word, not the chain's, so which
//!   epoch it is filed under rests on the oracles' word.
//!
//! The result is sorted, so the same union in any order gives the same log and the same roots.

use crate::evidence::PublishedRecord;
use plexus_proofs::compute::ComputeChallenge;
use plexus_rewards::wireless::SignedWireless;
use plexus_rewards::ChallengeOutcome;
use plexus_types::heartbeat::SignedHeartbeat;
use plexus_types::{statements, Hash, PublicKey, Signature};
use std::collections::{BTreeMap, BTreeSet};

/// A challenge the beacon scheduled for the epoch: what a record of it must say.
#[derive(Clone)]
pub(crate) struct ScheduledChallenge {
    pub device: PublicKey,
    pub secret: [u8; 32],
    pub challenge: ComputeChallenge,
}

/// What a log is checked against: the chain, the epoch, each interval's beacon, the
/// challenges the beacon scheduled.
pub(crate) struct MergeRules<'a> {
    pub chain_id: &'a str,
    pub epoch: u64,
    pub interval_beacons: &'a BTreeMap<u32, Hash>,
    pub challenges: &'a BTreeMap<Hash, ScheduledChallenge>,
}

impl MergeRules<'_> {
    /// Whether a heartbeat record is one the device signed for the epoch and interval it names.
    fn heartbeat_holds(&self, device: &PublicKey, interval: u32, signed: &str) -> bool {
        let Some(hb) = hex::decode(signed)
            .ok()
            .and_then(|b| SignedHeartbeat::decode(&b).ok())
        else {
            return false;
        };
        let h = &hb.heartbeat;
        h.chain_id == self.chain_id
            && h.device == *device
            && h.epoch == self.epoch
            && h.interval == interval
            && self.interval_beacons.get(&interval) == Some(&h.beacon)
            && hb.verify().is_ok()
    }

    /// The outcome a challenge record stands for, or `None` when it does not hold: not a
    /// challenge the beacon scheduled, or a pass or wrong answer without the device's signed
    /// commitment.
    fn challenge_outcome(&self, record: &PublishedRecord) -> Option<(Hash, ChallengeOutcome)> {
        let PublishedRecord::Challenge {
            device,
            epoch,
            challenge_id,
            n,
            secret,
            outcome,
            root,
            commit_signature,
            ..
        } = record
        else {
            return None;
        };
        let scheduled = self.challenges.get(challenge_id)?;
        if *device != scheduled.device
            || *epoch != self.epoch
            || *n != scheduled.challenge.n()
            || *secret != hex::encode(scheduled.secret)
        {
            return None;
        }
        if *outcome == ChallengeOutcome::Missed {
            return Some((*challenge_id, *outcome));
        }
        let signature = commit_signature
            .as_deref()
            .and_then(|s| hex::decode(s).ok())
            .and_then(|b| Signature::from_slice(&b).ok())?;
        let statement = statements::compute_commitment(
            self.chain_id,
            scheduled.challenge.seed(),
            scheduled.challenge.n(),
            &(*root)?,
        );
        device
            .verify(&statement, &signature)
            .is_ok()
            .then_some((*challenge_id, *outcome))
    }
}

/// The rank of an outcome when logs disagree: wrong over passed over missed.
fn rank(outcome: ChallengeOutcome) -> u8 {
    match outcome {
        ChallengeOutcome::Wrong => 2,
        ChallengeOutcome::Passed => 1,
        ChallengeOutcome::Missed => 0,
    }
}

/// The merged log of the epoch: `own` (this oracle's log, whose speed tests count) and
/// `peers` (the logs its peers served), checked by `rules` and sorted.
pub(crate) fn merge(
    rules: &MergeRules<'_>,
    own: &[PublishedRecord],
    peers: &[Vec<PublishedRecord>],
) -> Vec<PublishedRecord> {
    let all = || own.iter().chain(peers.iter().flatten());
    // Heartbeats: per device and interval, the smallest signed encoding that holds.
    let mut beats: BTreeMap<(PublicKey, u32), BTreeSet<&str>> = BTreeMap::new();
    // Challenges: per id, the candidate records ranked by outcome, then by their encoding.
    let mut challenges: BTreeMap<Hash, BTreeSet<(u8, String)>> = BTreeMap::new();
    // Wireless records: each distinct one that holds.
    let mut wireless: BTreeSet<String> = BTreeSet::new();
    for record in all().filter(|r| r.epoch() == rules.epoch) {
        match record {
            PublishedRecord::Heartbeat {
                device,
                interval,
                signed,
                ..
            } => {
                beats
                    .entry((*device, *interval))
                    .or_default()
                    .insert(signed.as_str());
            }
            PublishedRecord::Challenge { .. } => {
                if let Some((id, outcome)) = rules.challenge_outcome(record) {
                    let line = serde_json::to_string(record).expect("records serialize");
                    challenges
                        .entry(id)
                        .or_default()
                        .insert((rank(outcome), line));
                }
            }
            PublishedRecord::SpeedTest { .. } => {}
            PublishedRecord::LocationReport { .. }
            | PublishedRecord::Beacon { .. }
            | PublishedRecord::WitnessReport { .. } => {
                if wireless_holds(record) {
                    wireless.insert(serde_json::to_string(record).expect("records serialize"));
                }
            }
            PublishedRecord::Readings { .. } => {
                if readings_hold(record) {
                    wireless.insert(serde_json::to_string(record).expect("records serialize"));
                }
            }
        }
    }
    let mut out = Vec::new();
    for ((device, interval), signed) in beats {
        if let Some(s) = signed
            .into_iter()
            .find(|s| rules.heartbeat_holds(&device, interval, s))
        {
            out.push(PublishedRecord::Heartbeat {
                device,
                epoch: rules.epoch,
                interval,
                signed: s.to_string(),
            });
        }
    }
    for (_, candidates) in challenges {
        let best = candidates.iter().map(|(r, _)| *r).max().unwrap_or(0);
        if let Some((_, line)) = candidates.iter().find(|(r, _)| *r == best) {
            out.push(serde_json::from_str(line).expect("a record read back"));
        }
    }
    out.extend(
        own.iter()
            .filter(|r| r.epoch() == rules.epoch)
            .filter(|r| matches!(r, PublishedRecord::SpeedTest { .. }))
            .cloned(),
    );
    out.extend(
        wireless
            .iter()
            .map(|line| serde_json::from_str(line).expect("a record read back")),
    );
    out
}

/// Whether a wireless record's signed bytes are what it says and carry the device's signature.
fn wireless_holds(record: &PublishedRecord) -> bool {
    let Some((device, signed)) = record.wireless_parts() else {
        return false;
    };
    hex::decode(signed)
        .ok()
        .and_then(|b| SignedWireless::from_bytes(&b).ok())
        .is_some_and(|r| {
            r.device() == *device
                && r.kind() == record.kind()
                && hex::encode(r.to_bytes()) == signed
                && r.verify()
        })
}

/// Whether a reading batch's signed bytes are what the record says and carry the device's
/// signature.
fn readings_hold(record: &PublishedRecord) -> bool {
    let PublishedRecord::Readings {
        device,
        epoch,
        class,
        readings,
        signed,
    } = record
    else {
        return false;
    };
    hex::decode(signed)
        .ok()
        .filter(|b| hex::encode(b) == *signed)
        .and_then(|b| plexus_types::readings::SignedReadingBatch::decode(&b).ok())
        .is_some_and(|b| {
            b.batch.device == *device
                && b.batch.epoch == *epoch
                && b.batch.readings.class() == class
                && b.batch.readings.len() == *readings as usize
        })
}

/// Reads a log a peer served (JSON lines): a line that is not a record is skipped, since a
/// peer's mistakes must not stop this oracle from closing the epoch.
pub(crate) fn parse_log(text: &str) -> Vec<PublishedRecord> {
    text.lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
