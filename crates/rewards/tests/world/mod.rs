//! Small synthetic epochs for the rule and property tests.

#![allow(dead_code)]

use plexus_rewards::{ChallengeOutcome, DeviceInfo, EvidenceRecord, ScoringParams};
use plexus_types::{Address, Hash, PublicKey};
use proptest::prelude::*;

pub const EPOCH: u64 = 9;
pub const RESOURCE: &str = "compute";

pub fn key(n: u64) -> PublicKey {
    PublicKey::from_slice(Hash::of(&n.to_le_bytes()).as_bytes()).unwrap()
}

pub fn device(n: u64, capacity_units: u64) -> DeviceInfo {
    DeviceInfo {
        device: key(n),
        owner: Address([n as u8; 20]),
        class: format!("class-{capacity_units}"),
        capacity_units,
        site: None,
        sensor: None,
    }
}

pub fn heartbeat(n: u64, interval: u32) -> EvidenceRecord {
    EvidenceRecord::Heartbeat {
        device: key(n),
        epoch: EPOCH,
        interval,
    }
}

pub fn challenge(n: u64, id: u64, outcome: ChallengeOutcome) -> EvidenceRecord {
    EvidenceRecord::Challenge {
        device: key(n),
        epoch: EPOCH,
        challenge_id: Hash::of(&id.to_le_bytes()),
        outcome,
    }
}

/// What one device did in the epoch, before it is written out as records.
#[derive(Debug, Clone)]
pub struct Work {
    pub capacity_units: u64,
    /// Heartbeat intervals, repeats and out-of-range ones included.
    pub intervals: Vec<u32>,
    /// (challenge number, outcome); repeats of a number are replays or conflicts.
    pub challenges: Vec<(u8, ChallengeOutcome)>,
}

impl Work {
    /// Device `n`'s records. Challenge ids are the device's own, as an oracle issues them.
    pub fn records(&self, n: u64) -> Vec<EvidenceRecord> {
        let mut out: Vec<EvidenceRecord> =
            self.intervals.iter().map(|&t| heartbeat(n, t)).collect();
        out.extend(
            self.challenges
                .iter()
                .map(|&(c, outcome)| challenge(n, n << 8 | u64::from(c), outcome)),
        );
        out
    }
}

/// A registry and the evidence about it, plus records that scoring must ignore.
#[derive(Debug, Clone)]
pub struct World {
    pub params: ScoringParams,
    pub work: Vec<Work>,
}

impl World {
    pub fn devices(&self) -> Vec<DeviceInfo> {
        self.work
            .iter()
            .enumerate()
            .map(|(n, w)| device(n as u64, w.capacity_units))
            .collect()
    }

    pub fn records(&self) -> Vec<EvidenceRecord> {
        let mut out: Vec<EvidenceRecord> = self
            .work
            .iter()
            .enumerate()
            .flat_map(|(n, w)| w.records(n as u64))
            .collect();
        // Noise: another epoch, and a device nobody registered.
        out.push(EvidenceRecord::Heartbeat {
            device: key(0),
            epoch: EPOCH + 1,
            interval: 0,
        });
        out.push(heartbeat(1_000_000, 0));
        out
    }
}

pub fn outcome() -> impl Strategy<Value = ChallengeOutcome> {
    prop_oneof![
        6 => Just(ChallengeOutcome::Passed),
        2 => Just(ChallengeOutcome::Missed),
        1 => Just(ChallengeOutcome::Wrong),
    ]
}

pub fn params() -> impl Strategy<Value = ScoringParams> {
    (1u32..=30, prop_oneof![Just(0u32), Just(50), 0u32..=100]).prop_map(
        |(intervals_per_epoch, min_uptime_percent)| ScoringParams {
            intervals_per_epoch,
            min_uptime_percent,
            sensor_origin_s: 0,
        },
    )
}

pub fn work(intervals_per_epoch: u32) -> impl Strategy<Value = Work> {
    (
        prop::sample::select(vec![0u64, 1, 3, 100, 400, 4_000, u64::MAX]),
        prop::collection::vec(
            0..intervals_per_epoch + 2,
            0..2 * intervals_per_epoch as usize,
        ),
        prop::collection::vec((0u8..4, outcome()), 0..5),
    )
        .prop_map(|(capacity_units, intervals, challenges)| Work {
            capacity_units,
            intervals,
            challenges,
        })
}

pub fn world(max_devices: usize) -> impl Strategy<Value = World> {
    params().prop_flat_map(move |params| {
        prop::collection::vec(work(params.intervals_per_epoch), 1..=max_devices)
            .prop_map(move |work| World { params, work })
    })
}
