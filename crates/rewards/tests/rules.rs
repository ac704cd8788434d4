//! One test per scoring rule, through the public API.

mod world;

use plexus_rewards::{
    score_epoch, split_pool, ChallengeOutcome, DeviceInfo, EvidenceRecord, Manifest, RewardsError,
    ScoredEpoch, ScoringParams, UNIT_SCALE,
};
use plexus_types::Hash;
use world::*;

use ChallengeOutcome::{Missed, Passed, Wrong};

const PARAMS: ScoringParams = ScoringParams {
    intervals_per_epoch: 24,
    min_uptime_percent: 50,
    sensor_origin_s: 0,
};

fn score(devices: &[DeviceInfo], records: &[EvidenceRecord]) -> ScoredEpoch {
    score_epoch(PARAMS, EPOCH, RESOURCE, devices, records).unwrap()
}

fn units(manifest: &Manifest, n: u64) -> u128 {
    manifest.leaf(&key(n)).map_or(0, |leaf| leaf.units)
}

/// Every interval and two passed challenges: the whole capacity.
fn honest(n: u64) -> Vec<EvidenceRecord> {
    let mut records: Vec<EvidenceRecord> = (0..24).map(|t| heartbeat(n, t)).collect();
    records.push(challenge(n, n * 10, Passed));
    records.push(challenge(n, n * 10 + 1, Passed));
    records
}

#[test]
fn an_honest_device_earns_its_whole_capacity() {
    let scored = score(&[device(0, 400)], &honest(0));
    assert_eq!(units(&scored.manifest, 0), 400 * UNIT_SCALE);
    assert_eq!(scored.manifest.total_units(), 400 * UNIT_SCALE);
    assert_eq!(scored.stats.rewarded, 1);
}

#[test]
fn replayed_heartbeats_count_once() {
    let mut replayed = honest(1);
    replayed.extend((0..24).map(|t| heartbeat(1, t)));
    replayed.extend((0..24).map(|t| heartbeat(1, t)));
    let mut records = honest(0);
    records.extend(replayed);
    let scored = score(&[device(0, 400), device(1, 400)], &records);
    assert_eq!(units(&scored.manifest, 1), units(&scored.manifest, 0));
    assert_eq!(scored.stats.duplicate_heartbeats, 48);
}

#[test]
fn a_device_with_a_wrong_answer_earns_nothing() {
    let mut records = honest(0);
    records.push(challenge(0, 7, Wrong));
    let scored = score(&[device(0, 400)], &records);
    assert_eq!(units(&scored.manifest, 0), 0);
    assert!(scored.manifest.leaves().is_empty());
    assert_eq!(scored.stats.wrong_answer, 1);
}

#[test]
fn a_device_with_only_missed_challenges_earns_nothing() {
    let mut records: Vec<EvidenceRecord> = (0..24).map(|t| heartbeat(0, t)).collect();
    records.push(challenge(0, 1, Missed));
    records.push(challenge(0, 2, Missed));
    let scored = score(&[device(0, 400)], &records);
    assert_eq!(units(&scored.manifest, 0), 0);
    assert_eq!(scored.stats.nothing_proven, 1);
}

#[test]
fn a_device_never_challenged_earns_nothing() {
    let records: Vec<EvidenceRecord> = (0..24).map(|t| heartbeat(0, t)).collect();
    let scored = score(&[device(0, 400)], &records);
    assert_eq!(units(&scored.manifest, 0), 0);
    assert_eq!(scored.stats.unchallenged, 1);
}

#[test]
fn a_device_below_the_minimum_uptime_earns_nothing() {
    let mut records: Vec<EvidenceRecord> = (0..11).map(|t| heartbeat(0, t)).collect();
    records.push(challenge(0, 1, Passed));
    let scored = score(&[device(0, 400)], &records);
    assert_eq!(units(&scored.manifest, 0), 0);
    assert_eq!(scored.stats.below_min_uptime, 1);
    // A device the oracle never heard from is below it too.
    let scored = score(&[device(0, 400), device(1, 400)], &[]);
    assert_eq!(scored.stats.below_min_uptime, 2);
}

#[test]
fn units_are_capacity_scaled_by_uptime_and_proven_fraction() {
    // 18 of 24 intervals, 1 of 2 challenges: 400 × 10⁶ × 1 × 18 / (2 × 24).
    let mut records: Vec<EvidenceRecord> = (0..18).map(|t| heartbeat(0, t)).collect();
    records.push(challenge(0, 1, Passed));
    records.push(challenge(0, 2, Missed));
    let scored = score(&[device(0, 400)], &records);
    assert_eq!(units(&scored.manifest, 0), 150_000_000);
}

#[test]
fn a_replayed_pass_does_not_hide_a_failure_of_the_same_challenge() {
    let mut records: Vec<EvidenceRecord> = (0..24).map(|t| heartbeat(0, t)).collect();
    records.push(challenge(0, 1, Passed));
    records.push(challenge(0, 2, Passed));
    records.push(challenge(0, 2, Missed));
    records.push(challenge(0, 2, Passed));
    let scored = score(&[device(0, 400)], &records);
    // Two challenges issued, one passed.
    assert_eq!(units(&scored.manifest, 0), 200 * UNIT_SCALE);
    assert_eq!(scored.stats.conflicting_challenges, 1);
    assert_eq!(scored.stats.duplicate_challenges, 1);

    records.push(challenge(0, 1, Wrong));
    let scored = score(&[device(0, 400)], &records);
    assert_eq!(units(&scored.manifest, 0), 0);
    assert_eq!(scored.stats.wrong_answer, 1);
}

#[test]
fn records_of_other_epochs_unknown_devices_and_past_the_last_interval_are_ignored_and_counted() {
    let mut records = honest(0);
    let baseline = score(&[device(0, 400)], &records);
    records.push(EvidenceRecord::Heartbeat {
        device: key(0),
        epoch: EPOCH - 1,
        interval: 3,
    });
    records.push(EvidenceRecord::Challenge {
        device: key(0),
        epoch: EPOCH + 1,
        challenge_id: Hash::of(b"later"),
        outcome: Wrong,
    });
    records.extend(honest(5));
    records.push(heartbeat(0, 24));
    records.push(heartbeat(0, u32::MAX));
    let scored = score(&[device(0, 400)], &records);
    assert_eq!(scored.manifest, baseline.manifest);
    let s = &scored.stats;
    assert_eq!(s.records, records.len() as u64);
    assert_eq!(
        (s.other_epoch, s.unknown_device, s.interval_out_of_range),
        (2, 26, 2)
    );
}

#[test]
fn the_pool_splits_pro_rata_and_the_dust_is_written_out() {
    let mut records = honest(0);
    records.extend(honest(1));
    records.extend(honest(2));
    let devices = [device(0, 1), device(1, 1), device(2, 1)];
    let scored = score(&devices, &records);
    let split = split_pool(100, &scored.manifest);
    assert!(split.payouts.iter().all(|&(_, amount)| amount == 33));
    assert_eq!(split.dust, 1);
}

#[test]
fn an_epoch_without_rewards_has_an_empty_manifest_and_the_whole_pool_is_dust() {
    let scored = score(&[device(0, 400)], &[]);
    assert!(scored.manifest.leaves().is_empty());
    assert_eq!(scored.manifest.root(), Hash::ZERO);
    assert_eq!(scored.manifest.evidence_root(), Hash::ZERO);
    assert_eq!(split_pool(77, &scored.manifest).dust, 77);
}

#[test]
fn an_auditor_rescoring_the_published_json_lines_gets_the_same_manifest() {
    let mut records = honest(0);
    records.extend(honest(1));
    records.push(challenge(1, 99, Wrong));
    records.extend((0..15).map(|t| heartbeat(2, t)));
    records.push(challenge(2, 5, Passed));
    let devices = [device(0, 100), device(1, 400), device(2, 4_000)];
    let oracle = score(&devices, &records);

    let published: String = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    let registry_json = serde_json::to_string(&devices).unwrap();
    let manifest_json = serde_json::to_string(&oracle.manifest).unwrap();

    let read: Vec<EvidenceRecord> = published
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let devices: Vec<DeviceInfo> = serde_json::from_str(&registry_json).unwrap();
    let audit = score(&devices, &read);
    assert_eq!(audit, oracle);
    assert_eq!(
        serde_json::from_str::<Manifest>(&manifest_json).unwrap(),
        oracle.manifest
    );
}

#[test]
fn invalid_parameters_names_and_registries_are_refused() {
    let devices = [device(0, 1)];
    let bad = |params, resource: &str, devices: &[DeviceInfo]| {
        score_epoch(params, EPOCH, resource, devices, &[]).unwrap_err()
    };
    let no_intervals = ScoringParams {
        intervals_per_epoch: 0,
        ..PARAMS
    };
    assert_eq!(
        bad(no_intervals, RESOURCE, &devices),
        RewardsError::NoIntervals
    );
    let too_strict = ScoringParams {
        min_uptime_percent: 101,
        ..PARAMS
    };
    assert_eq!(
        bad(too_strict, RESOURCE, &devices),
        RewardsError::MinUptimeAbove100(101)
    );
    assert_eq!(
        bad(PARAMS, "", &devices),
        RewardsError::ResourceNameLength(0)
    );
    assert_eq!(
        bad(PARAMS, &"x".repeat(65), &devices),
        RewardsError::ResourceNameLength(65)
    );
    let twice = [device(0, 1), device(1, 1), device(0, 5)];
    assert_eq!(
        bad(PARAMS, RESOURCE, &twice),
        RewardsError::DuplicateDevice(key(0))
    );
}
