//! The `rewards` benchmark: seconds to score an epoch of synthetic evidence and build its
//! manifest, next to the time blake3 alone takes over the same leaves in the same run, since
//! the machines this runs on are small and noisy and only the ratio travels.
//!
//! The only code in this crate that reads a clock; scoring never calls it.

use crate::evidence::{ChallengeOutcome, EvidenceRecord};
use crate::manifest::leaf_hash;
use crate::scoring::{score_epoch, DeviceInfo, ScoringParams, ScoringStats};
use crate::RewardsError;
use plexus_types::{Address, Hash, PublicKey};
use serde::Serialize;
use std::hint::black_box;
use std::time::Instant;

pub(crate) const EPOCH: u64 = 42;
pub(crate) const RESOURCE: &str = "compute";
/// Hourly heartbeats over a daily epoch, qualifying at half of them, as Helium's mobile rule.
pub(crate) const PARAMS: ScoringParams = ScoringParams {
    intervals_per_epoch: 24,
    min_uptime_percent: 50,
    sensor_origin_s: 0,
};
const CHALLENGES_PER_DEVICE: u64 = 2;
const CLASSES: [(&str, u64); 4] = [
    ("cpu-small", 100),
    ("cpu-large", 400),
    ("gpu-a100", 4_000),
    ("gpu-h100", 8_000),
];

/// What the runs measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    pub devices: usize,
    /// Threads in rayon's pool, which scoring spreads over.
    pub threads: usize,
    /// Evidence records scored (about 26 per device).
    pub records: usize,
    /// Leaves of the resulting manifest.
    pub leaves: usize,
    /// Wall time of [`score_epoch`], which includes building the manifest's Merkle tree and
    /// the evidence root: the median of `runs_secs`.
    pub scoring_and_manifest_secs: f64,
    /// Wall time of each run over the same evidence, in order. The first run after a pause is
    /// often the slowest on a small virtual machine, so the median is the figure reported.
    pub runs_secs: Vec<f64>,
    /// Wall time to hash the manifest's leaves with [`leaf_hash`], one by one on one thread:
    /// the median of `baseline_runs_secs`.
    pub blake3_leaves_secs: f64,
    /// The baseline of each run, measured right after that run's scoring.
    pub baseline_runs_secs: Vec<f64>,
    pub stats: ScoringStats,
}

/// Synthesizes an epoch for `devices` devices, deterministically, then `runs` times (at least
/// once) times scoring it and, right after, hashing the leaves it produced. Every run must
/// produce the same manifest. The evidence is held in memory: about 2.1 GB for 10⁶ devices.
pub fn bench_scoring(devices: usize, runs: usize) -> Result<BenchReport, RewardsError> {
    let (registry, records) = synthesize(devices);

    let mut runs_secs = Vec::with_capacity(runs.max(1));
    let mut baseline_runs_secs = Vec::with_capacity(runs.max(1));
    let mut scored = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let this = score_epoch(PARAMS, EPOCH, RESOURCE, &registry, &records)?;
        runs_secs.push(start.elapsed().as_secs_f64());

        let start = Instant::now();
        let hashes: Vec<Hash> = this
            .manifest
            .leaves()
            .iter()
            .map(|leaf| leaf_hash(EPOCH, RESOURCE, leaf))
            .collect();
        black_box(&hashes);
        baseline_runs_secs.push(start.elapsed().as_secs_f64());

        if let Some(first) = &scored {
            assert_eq!(
                first, &this,
                "scoring the same evidence twice gave two results"
            );
        }
        scored = Some(this);
    }
    let scored = scored.expect("at least one run");
    let median = |runs: &[f64]| {
        let mut sorted = runs.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    };

    Ok(BenchReport {
        devices,
        threads: rayon::current_num_threads(),
        records: scored.stats.records as usize,
        leaves: scored.manifest.leaves().len(),
        scoring_and_manifest_secs: median(&runs_secs),
        blake3_leaves_secs: median(&baseline_runs_secs),
        runs_secs,
        baseline_runs_secs,
        stats: scored.stats,
    })
}

/// splitmix64: a fixed, cheap scramble so that the synthetic network looks irregular but is
/// the same on every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn bench_key(domain: &[u8], n: u64) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(domain);
    h.update(&n.to_le_bytes());
    *h.finalize().as_bytes()
}

/// How a synthetic device behaves, by share of the population.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// 80%: every interval, every challenge passed.
    Honest,
    /// 8%: about two thirds of the intervals, one challenge missed.
    Flaky,
    /// 4%: a quarter of the intervals, below the minimum uptime.
    MostlyOffline,
    /// 5%: honest, but every heartbeat sent twice.
    Replaying,
    /// 3%: one provably wrong answer.
    Cheating,
}

fn behaviour(i: u64) -> Behaviour {
    match mix(i) % 100 {
        0..80 => Behaviour::Honest,
        80..88 => Behaviour::Flaky,
        88..92 => Behaviour::MostlyOffline,
        92..97 => Behaviour::Replaying,
        _ => Behaviour::Cheating,
    }
}

/// A registry of `n` devices in four classes, and their evidence in arrival order: interval by
/// interval across the whole network, then the challenges, with a sprinkling of records that
/// scoring must ignore (another epoch, unregistered devices, intervals out of range).
pub(crate) fn synthesize(n: usize) -> (Vec<DeviceInfo>, Vec<EvidenceRecord>) {
    let registry: Vec<DeviceInfo> = (0..n as u64)
        .map(|i| {
            let (class, capacity_units) =
                CLASSES[(mix(i ^ 0xc1a55) % CLASSES.len() as u64) as usize];
            let owner = bench_key(b"plexus/bench/owner", i / 4);
            DeviceInfo {
                device: PublicKey::from_slice(&bench_key(b"plexus/bench/device", i))
                    .expect("32 bytes"),
                owner: Address(owner[..20].try_into().expect("20 bytes")),
                class: class.to_owned(),
                capacity_units,
                site: None,
                sensor: None,
            }
        })
        .collect();
    let intervals = u64::from(PARAMS.intervals_per_epoch);
    let mut records = Vec::with_capacity(n * (intervals + CHALLENGES_PER_DEVICE + 1) as usize);
    for t in 0..intervals {
        for (i, info) in registry.iter().enumerate() {
            let i = i as u64;
            let present = match behaviour(i) {
                Behaviour::Flaky => !mix(i ^ (t << 40)).is_multiple_of(3),
                Behaviour::MostlyOffline => t.is_multiple_of(4),
                _ => true,
            };
            if !present {
                continue;
            }
            let copies = if behaviour(i) == Behaviour::Replaying {
                2
            } else {
                1
            };
            for _ in 0..copies {
                records.push(EvidenceRecord::Heartbeat {
                    device: info.device,
                    epoch: EPOCH,
                    interval: t as u32,
                });
            }
        }
    }
    for c in 0..CHALLENGES_PER_DEVICE {
        for (i, info) in registry.iter().enumerate() {
            let i = i as u64;
            let outcome = match (behaviour(i), c) {
                (Behaviour::Flaky, 0) => ChallengeOutcome::Missed,
                (Behaviour::Cheating, 1) => ChallengeOutcome::Wrong,
                _ => ChallengeOutcome::Passed,
            };
            records.push(EvidenceRecord::Challenge {
                device: info.device,
                epoch: EPOCH,
                challenge_id: Hash(bench_key(
                    b"plexus/bench/challenge",
                    i * CHALLENGES_PER_DEVICE + c,
                )),
                outcome,
            });
        }
    }
    // About one record in a thousand is noise that rules R1–R3 drop.
    for k in 0..(n as u64).div_ceil(1000) {
        let device = registry[(mix(k) % n as u64) as usize].device;
        records.push(EvidenceRecord::Heartbeat {
            device,
            epoch: EPOCH - 1,
            interval: 0,
        });
        records.push(EvidenceRecord::Heartbeat {
            device,
            epoch: EPOCH,
            interval: PARAMS.intervals_per_epoch,
        });
        records.push(EvidenceRecord::Heartbeat {
            device: PublicKey::from_slice(&bench_key(b"plexus/bench/stranger", k))
                .expect("32 bytes"),
            epoch: EPOCH,
            interval: 0,
        });
    }
    (registry, records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_benchmark_scores_every_kind_of_synthetic_device() {
        let report = bench_scoring(2_000, 2).unwrap();
        assert_eq!(report.runs_secs.len(), 2);
        assert_eq!(report.baseline_runs_secs.len(), 2);
        let s = &report.stats;
        assert_eq!(report.devices, 2_000);
        assert_eq!(s.devices, 2_000);
        assert_eq!(report.leaves as u64, s.rewarded);
        assert!(s.rewarded > 1_500 && s.wrong_answer > 0 && s.below_min_uptime > 0);
        assert!(s.duplicate_heartbeats > 0);
        assert_eq!(
            (s.other_epoch, s.unknown_device, s.interval_out_of_range),
            (2, 2, 2)
        );
    }

    #[test]
    fn synthesis_is_the_same_on_every_run() {
        assert_eq!(synthesize(300), synthesize(300));
    }
}
