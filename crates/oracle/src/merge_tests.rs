//! The merge's rules, on logs built by hand: what counts once, what a peer cannot add, which
//! outcome wins, and that order does not matter.

use super::*;
use plexus_rewards::audit::{score_resource, ScoredResource};
use plexus_rewards::{DeviceInfo, ScoringParams};
use plexus_types::heartbeat::Heartbeat;
use plexus_types::SecretKey;

const CHAIN: &str = "plexus-merge-test";
const EPOCH: u64 = 3;

fn device(n: u8) -> SecretKey {
    SecretKey::from_seed([n; 32])
}

fn beacon(interval: u32) -> Hash {
    Hash::of(&interval.to_le_bytes())
}

fn beacons() -> BTreeMap<u32, Hash> {
    (0..4).map(|i| (i, beacon(i))).collect()
}

fn heartbeat(key: &SecretKey, interval: u32) -> PublishedRecord {
    let signed = Heartbeat {
        chain_id: CHAIN.into(),
        device: key.public_key(),
        epoch: EPOCH,
        interval,
        beacon: beacon(interval),
    }
    .sign(key);
    PublishedRecord::Heartbeat {
        device: key.public_key(),
        epoch: EPOCH,
        interval,
        signed: hex::encode(&signed.bytes),
    }
}

fn scheduled(key: &SecretKey, k: u8) -> (Hash, ScheduledChallenge) {
    let secret = [k; 32];
    let challenge = ComputeChallenge::from_secret(&secret, 16).unwrap();
    (
        challenge.id(),
        ScheduledChallenge {
            device: key.public_key(),
            secret,
            challenge,
        },
    )
}

/// A record of `s` with `outcome`, committed to `root` and signed by `signer`.
fn answered(
    s: &ScheduledChallenge,
    signer: &SecretKey,
    outcome: ChallengeOutcome,
    rows: Vec<u32>,
) -> PublishedRecord {
    let root = Hash::of(b"the device's product");
    let statement =
        statements::compute_commitment(CHAIN, s.challenge.seed(), s.challenge.n(), &root);
    PublishedRecord::Challenge {
        device: s.device,
        epoch: EPOCH,
        challenge_id: s.challenge.id(),
        class: "cpu-small".into(),
        n: s.challenge.n(),
        secret: hex::encode(s.secret),
        outcome,
        root: Some(root),
        commit_signature: Some(hex::encode(signer.sign(&statement).to_bytes())),
        rows,
    }
}

fn merged(
    challenges: &BTreeMap<Hash, ScheduledChallenge>,
    own: &[PublishedRecord],
    peers: &[Vec<PublishedRecord>],
) -> Vec<PublishedRecord> {
    let interval_beacons = beacons();
    let rules = MergeRules {
        chain_id: CHAIN,
        epoch: EPOCH,
        interval_beacons: &interval_beacons,
        challenges,
    };
    merge(&rules, own, peers)
}

fn outcome_of(records: &[PublishedRecord], id: &Hash) -> Option<ChallengeOutcome> {
    records.iter().find_map(|r| match r {
        PublishedRecord::Challenge {
            challenge_id,
            outcome,
            ..
        } if challenge_id == id => Some(*outcome),
        _ => None,
    })
}

#[test]
fn a_heartbeat_two_oracles_both_took_counts_once() {
    let d = device(1);
    let own = vec![heartbeat(&d, 0), heartbeat(&d, 1)];
    let peer = vec![heartbeat(&d, 1), heartbeat(&d, 2)];
    let out = merged(&BTreeMap::new(), &own, &[peer]);
    let intervals: Vec<u32> = out
        .iter()
        .filter_map(|r| match r {
            PublishedRecord::Heartbeat { interval, .. } => Some(*interval),
            _ => None,
        })
        .collect();
    assert_eq!(intervals, vec![0, 1, 2]);
}

#[test]
fn what_a_peer_invents_without_the_device_signature_is_ignored() {
    let (d, forger) = (device(1), device(9));
    let (id, s) = scheduled(&d, 7);
    let challenges = BTreeMap::from([(id, s.clone())]);
    // The peer claims a heartbeat the device never signed (the forger's signature in the
    // device's name), one signed over the wrong beacon, a pass under a commitment the forger
    // signed, and a challenge the beacon never scheduled.
    let mut forged = heartbeat(&forger, 0);
    if let PublishedRecord::Heartbeat { device, .. } = &mut forged {
        *device = d.public_key();
    }
    let wrong_beacon = Heartbeat {
        chain_id: CHAIN.into(),
        device: d.public_key(),
        epoch: EPOCH,
        interval: 1,
        beacon: Hash::of(b"not the beacon"),
    }
    .sign(&d);
    let (_, unscheduled) = scheduled(&d, 8);
    let peer = vec![
        forged,
        PublishedRecord::Heartbeat {
            device: d.public_key(),
            epoch: EPOCH,
            interval: 1,
            signed: hex::encode(&wrong_beacon.bytes),
        },
        answered(&s, &forger, ChallengeOutcome::Passed, vec![1]),
        answered(&unscheduled, &d, ChallengeOutcome::Passed, vec![1]),
    ];
    let own = vec![answered(&s, &d, ChallengeOutcome::Missed, vec![])];
    let out = merged(&challenges, &own, &[peer]);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(outcome_of(&out, &id), Some(ChallengeOutcome::Missed));
}

#[test]
fn a_wrong_answer_one_oracle_saw_wins_over_a_pass_and_a_pass_over_a_miss() {
    let d = device(1);
    let (wrong_id, w) = scheduled(&d, 1);
    let (passed_id, p) = scheduled(&d, 2);
    let challenges = BTreeMap::from([(wrong_id, w.clone()), (passed_id, p.clone())]);
    let own = vec![
        answered(&w, &d, ChallengeOutcome::Passed, vec![0, 1]),
        answered(&p, &d, ChallengeOutcome::Missed, vec![]),
    ];
    let peer = vec![
        answered(&w, &d, ChallengeOutcome::Wrong, vec![5, 6]),
        answered(&p, &d, ChallengeOutcome::Passed, vec![3, 4]),
    ];
    let out = merged(&challenges, &own, &[peer]);
    assert_eq!(outcome_of(&out, &wrong_id), Some(ChallengeOutcome::Wrong));
    assert_eq!(outcome_of(&out, &passed_id), Some(ChallengeOutcome::Passed));
}

#[test]
fn the_same_union_in_any_order_gives_the_same_log_and_manifest() {
    let (a, b) = (device(1), device(2));
    let (id, s) = scheduled(&a, 3);
    let challenges = BTreeMap::from([(id, s.clone())]);
    let one = vec![
        heartbeat(&a, 0),
        heartbeat(&b, 1),
        answered(&s, &a, ChallengeOutcome::Passed, vec![2]),
    ];
    let two = vec![
        heartbeat(&b, 0),
        heartbeat(&a, 0),
        answered(&s, &a, ChallengeOutcome::Missed, vec![]),
    ];
    let three = vec![heartbeat(&a, 3)];
    let x = merged(&challenges, &one, &[two.clone(), three.clone()]);
    let y = merged(&challenges, &three, &[two, one]);
    assert_eq!(x, y);
    let devices: Vec<DeviceInfo> = [&a, &b]
        .iter()
        .map(|k| DeviceInfo {
            device: k.public_key(),
            owner: plexus_types::Address::from_public_key(&k.public_key()),
            class: "cpu-small".into(),
            capacity_units: 100,
            site: None,
            sensor: None,
        })
        .collect();
    let score = |records: &[PublishedRecord]| {
        let evidence: Vec<_> = records.iter().map(|r| r.evidence()).collect();
        let params = ScoringParams {
            intervals_per_epoch: 4,
            min_uptime_percent: 0,
            sensor_origin_s: 0,
        };
        score_resource(params, &devices, EPOCH, &evidence, ScoredResource::Compute).unwrap()
    };
    let (mx, my) = (score(&x), score(&y));
    assert_eq!(
        (mx.root(), mx.evidence_root()),
        (my.root(), my.evidence_root())
    );
    assert!(mx.total_units() > 0);
}
