//! Epoch scoring: one epoch's evidence records and the device registry of one resource class
//! become per-device units and the class's [`Manifest`].
//!
//! Rules, in the order they apply. An ignored record is counted once, under the first rule
//! that drops it, in [`ScoringStats`].
//!
//! - R1 (epoch): records of any other epoch are ignored.
//! - R2 (registry): records about a device missing from the registry are ignored.
//! - R3 (interval range): a heartbeat for interval ≥ `intervals_per_epoch` is ignored.
//! - R4 (heartbeat replay): heartbeats count once per (device, interval).
//! - R5 (uptime): uptime = distinct intervals seen / `intervals_per_epoch`; a device whose
//!   uptime is below `min_uptime_percent` earns 0.
//! - R6 (challenge replay): a challenge counts once per (device, challenge id). When its
//!   records disagree, the worst outcome stands (wrong over missed over passed), so that a
//!   replayed pass cannot hide a failure.
//! - R7 (fraud): a device with any `Wrong` outcome in the epoch earns 0.
//! - R8 (proven capacity): the proven fraction is passed / issued challenges; a device that was
//!   issued no challenge earns 0, because capacity is paid only once proven.
//! - R9 (units): units = floor(capacity_units × [`UNIT_SCALE`] × passed × seen
//!   / (issued × `intervals_per_epoch`)), with one exact rounding at the end.
//! - R10 (order): the manifest depends only on the set of records, not on their order or
//!   repetitions (which only the replay counts in the stats see).
//! - R11 (evidence root): the manifest's `evidence_root` is the Merkle root, over devices in
//!   key order, of one digest per registered device with admitted evidence; the digest covers
//!   its distinct heartbeat intervals and distinct (challenge id, outcome) pairs, sorted. Two
//!   oracles holding the same evidence agree on it even if their logs differ in order, in
//!   replays, or in records that R1–R3 ignore.

mod admit;
mod device;
mod registry;

use crate::error::RewardsError;
use crate::evidence::EvidenceRecord;
use crate::manifest::{check_resource, Manifest, ManifestLeaf};
use admit::{admit, Admitted, Grouped, Layout};
use device::{examine_device, DeviceOutcome};
use plexus_types::{merkle_root, Address, Hash, MerkleTree, PublicKey};
use rayon::prelude::*;
use registry::Registry;
use serde::{Deserialize, Serialize};

/// Fixed-point scale of units: a device of capacity c with full uptime and every challenge
/// passed earns c × UNIT_SCALE units, so partial uptime and proof lose at most one millionth of
/// a capacity unit to rounding.
pub const UNIT_SCALE: u128 = 1_000_000;

/// Records per parallel admission task: large enough that each task's per-partition lists are
/// long, small enough to balance two to a few dozen cores over 10⁷ records.
const ADMIT_CHUNK: usize = 1 << 19;

/// How an epoch is scored: genesis parameters of a resource class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringParams {
    /// Heartbeat intervals in one epoch; heartbeats name an interval in `0..intervals_per_epoch`.
    pub intervals_per_epoch: u32,
    /// Least uptime, in percent of the epoch's intervals, that earns anything (rule R5).
    pub min_uptime_percent: u32,
    /// Unix seconds at which epoch 0's sensor day begins (the genesis's UTC midnight): epoch
    /// e's readings are those of the day starting e days later.
    #[serde(default)]
    pub sensor_origin_s: u64,
}

impl ScoringParams {
    pub fn validate(&self) -> Result<(), RewardsError> {
        if self.intervals_per_epoch == 0 {
            return Err(RewardsError::NoIntervals);
        }
        if self.min_uptime_percent > 100 {
            return Err(RewardsError::MinUptimeAbove100(self.min_uptime_percent));
        }
        Ok(())
    }
}

/// A registered device as the chain's registry holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInfo {
    #[serde(with = "crate::json::public_key")]
    pub device: PublicKey,
    pub owner: Address,
    /// The device class name (`cpu-small`, `gpu-a100`, …); scoring uses only its capacity.
    pub class: String,
    /// Units the class is worth per epoch at full uptime with every challenge passed.
    pub capacity_units: u64,
    /// A wireless hotspot's asserted location and what it is; absent for other devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<crate::wireless::HotspotSite>,
    /// A sensor device's asserted location and rating; absent for other devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor: Option<crate::sensors::SensorSite>,
}

/// Why a registered device earned what it earned. When several apply, the first in this list
/// is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Rule R7: a provably wrong answer this epoch.
    WrongAnswer,
    /// Rule R5: too few distinct heartbeat intervals (including none).
    BelowMinUptime,
    /// Rule R8: no challenge was issued, so no capacity was proven.
    Unchallenged,
    /// Rule R9 gave 0: no challenge passed, or the class has no capacity.
    NothingProven,
    /// Units > 0: the device has a manifest leaf.
    Rewarded,
}

/// What scoring ignored and how the registered devices fared: the figures an oracle logs and
/// an auditor compares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoringStats {
    /// Records given, of every epoch.
    pub records: u64,
    /// Rule R1: records of another epoch.
    pub other_epoch: u64,
    /// Rule R2: records about unregistered devices.
    pub unknown_device: u64,
    /// Rule R3: heartbeats for an interval past the epoch's last.
    pub interval_out_of_range: u64,
    /// Records of a kind this class's rules do not score (speed tests of a compute device).
    #[serde(default)]
    pub other_kind: u64,
    /// Rule R4: heartbeats repeating a (device, interval) already counted.
    pub duplicate_heartbeats: u64,
    /// Rule R6: challenge records repeating one already counted, outcome included.
    pub duplicate_challenges: u64,
    /// Rule R6: challenges whose records disagree on the outcome.
    pub conflicting_challenges: u64,
    /// Rule B8: speed tests at an address another device's passing tests hold.
    #[serde(default)]
    pub shared_host: u64,
    /// Registered devices scored.
    pub devices: u64,
    /// Registered devices with admitted evidence: the leaves of the evidence tree (R11).
    pub devices_with_evidence: u64,
    /// Registered devices by [`Verdict`]; these five add up to `devices`.
    pub wrong_answer: u64,
    pub below_min_uptime: u64,
    pub unchallenged: u64,
    pub nothing_proven: u64,
    pub rewarded: u64,
}

impl ScoringStats {
    pub(crate) fn count_verdict(&mut self, verdict: Verdict) {
        let counter = match verdict {
            Verdict::WrongAnswer => &mut self.wrong_answer,
            Verdict::BelowMinUptime => &mut self.below_min_uptime,
            Verdict::Unchallenged => &mut self.unchallenged,
            Verdict::NothingProven => &mut self.nothing_proven,
            Verdict::Rewarded => &mut self.rewarded,
        };
        *counter += 1;
    }

    /// Adds counts taken over disjoint parts of the work; integer sums, so the split into parts
    /// cannot change the totals.
    fn add(&mut self, other: &ScoringStats) {
        self.records += other.records;
        self.other_epoch += other.other_epoch;
        self.unknown_device += other.unknown_device;
        self.interval_out_of_range += other.interval_out_of_range;
        self.other_kind += other.other_kind;
        self.duplicate_heartbeats += other.duplicate_heartbeats;
        self.duplicate_challenges += other.duplicate_challenges;
        self.conflicting_challenges += other.conflicting_challenges;
        self.devices += other.devices;
        self.devices_with_evidence += other.devices_with_evidence;
        self.wrong_answer += other.wrong_answer;
        self.below_min_uptime += other.below_min_uptime;
        self.unchallenged += other.unchallenged;
        self.nothing_proven += other.nothing_proven;
        self.rewarded += other.rewarded;
    }
}

/// A scored epoch: the manifest to submit, and the figures behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoredEpoch {
    pub manifest: Manifest,
    pub stats: ScoringStats,
}

/// Scores `epoch` of `resource` by rules R1–R11 (see the [module documentation](self)).
///
/// `devices` is the class's registry; `records` are the oracle's evidence, signatures already
/// checked, in any order and of any epochs. Fails on invalid parameters, a resource name
/// outside 1..=[`MAX_RESOURCE_LEN`](crate::MAX_RESOURCE_LEN) bytes, a device registered twice,
/// or a total past 128 bits.
///
/// Runs on rayon's pool. Every parallel step either collects in input order or adds integers,
/// so the result is the same on any number of threads.
pub fn score_epoch(
    params: ScoringParams,
    epoch: u64,
    resource: &str,
    devices: &[DeviceInfo],
    records: &[EvidenceRecord],
) -> Result<ScoredEpoch, RewardsError> {
    params.validate()?;
    check_resource(resource)?;
    let registry = Registry::new(devices)?;
    let layout = Layout::new(registry.len());

    let admitted: Vec<Admitted> = records
        .par_chunks(ADMIT_CHUNK)
        .map(|run| admit(&params, epoch, &registry, &layout, run))
        .collect();
    let parts: Vec<Partition> = (0..layout.partitions())
        .into_par_iter()
        .map(|p| {
            let mut grouped = Grouped::new(&layout, p, &admitted);
            let range = layout.range(p);
            let mut part = Partition::with_capacity(range.len());
            let mut scratch = Vec::new();
            for slot in range {
                let (intervals, challenges) = grouped.device(slot);
                let info = &devices[registry.by_key[slot].1 as usize];
                part.add(examine_device(
                    &params,
                    epoch,
                    resource,
                    info,
                    intervals,
                    challenges,
                    &mut scratch,
                ))?;
            }
            Ok(part)
        })
        .collect::<Result<_, RewardsError>>()?;

    let mut stats = ScoringStats::default();
    for run in &admitted {
        stats.add(&run.stats);
    }
    drop(admitted);
    let mut leaves = Vec::with_capacity(parts.iter().map(|p| p.leaves.len()).sum());
    let mut leaf_hashes = Vec::with_capacity(leaves.capacity());
    let mut evidence_digests = Vec::with_capacity(parts.iter().map(|p| p.evidence.len()).sum());
    let mut total_units = 0u128;
    for part in parts {
        stats.add(&part.stats);
        total_units = total_units
            .checked_add(part.total_units)
            .ok_or(RewardsError::TotalUnitsOverflow)?;
        leaves.extend(part.leaves);
        leaf_hashes.extend(part.leaf_hashes);
        evidence_digests.extend(part.evidence);
    }
    // Rule R11 (evidence root), and the manifest's tree, side by side.
    let (tree, evidence_root) = rayon::join(
        || MerkleTree::new(leaf_hashes),
        || merkle_root(evidence_digests),
    );
    let manifest = Manifest::from_parts(
        epoch,
        resource.to_owned(),
        leaves,
        total_units,
        tree,
        evidence_root,
    );
    Ok(ScoredEpoch { manifest, stats })
}

/// The scored devices of one partition, in slot order.
struct Partition {
    leaves: Vec<ManifestLeaf>,
    leaf_hashes: Vec<Hash>,
    evidence: Vec<Hash>,
    total_units: u128,
    stats: ScoringStats,
}

impl Partition {
    fn with_capacity(devices: usize) -> Partition {
        Partition {
            leaves: Vec::with_capacity(devices),
            leaf_hashes: Vec::with_capacity(devices),
            evidence: Vec::with_capacity(devices),
            total_units: 0,
            stats: ScoringStats::default(),
        }
    }

    fn add(&mut self, outcome: DeviceOutcome) -> Result<(), RewardsError> {
        self.stats.devices += 1;
        self.stats.duplicate_heartbeats += outcome.duplicate_heartbeats;
        self.stats.duplicate_challenges += outcome.duplicate_challenges;
        self.stats.conflicting_challenges += outcome.conflicting_challenges;
        self.stats.count_verdict(outcome.verdict);
        if let Some(digest) = outcome.evidence {
            self.stats.devices_with_evidence += 1;
            self.evidence.push(digest);
        }
        if let Some((leaf, hash)) = outcome.leaf {
            self.total_units = self
                .total_units
                .checked_add(leaf.units)
                .ok_or(RewardsError::TotalUnitsOverflow)?;
            self.leaves.push(leaf);
            self.leaf_hashes.push(hash);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench;

    #[test]
    fn the_manifest_root_is_the_rule_s_tree_over_its_leaves_in_key_order() {
        // More leaves than the Merkle tree hashes on one thread, so its wide levels are
        // hashed in parallel.
        let (devices, records) = bench::synthesize(20_000);
        let scored = score_epoch(
            bench::PARAMS,
            bench::EPOCH,
            bench::RESOURCE,
            &devices,
            &records,
        )
        .unwrap();
        let leaves = scored.manifest.leaves();
        assert!(leaves.len() > 1 << 14);
        assert!(leaves.windows(2).all(|w| w[0].device < w[1].device));
        let mut level: Vec<Hash> = leaves
            .iter()
            .map(|leaf| crate::manifest::leaf_hash(bench::EPOCH, bench::RESOURCE, leaf))
            .collect();
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] => {
                        let mut bytes = b"plexus/merkle/node".to_vec();
                        bytes.extend_from_slice(&a.0);
                        bytes.extend_from_slice(&b.0);
                        Hash(*blake3::hash(&bytes).as_bytes())
                    }
                    [a] => *a,
                    _ => unreachable!(),
                })
                .collect();
        }
        assert_eq!(scored.manifest.root(), level[0]);
    }

    #[test]
    fn scoring_gives_the_same_result_on_any_number_of_threads() {
        // Enough records for several admission runs and devices for many partitions.
        let (devices, records) = bench::synthesize(45_000);
        assert!(records.len() > 2 * ADMIT_CHUNK);
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    score_epoch(
                        bench::PARAMS,
                        bench::EPOCH,
                        bench::RESOURCE,
                        &devices,
                        &records,
                    )
                })
                .unwrap()
        };
        let one = on(1);
        assert!(one.manifest.leaves().len() > 40_000);
        assert_eq!(on(3), one);
    }
}
