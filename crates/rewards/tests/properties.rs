//! Properties of scoring, manifests and payouts over generated epochs.

mod world;

use plexus_rewards::{
    payout, score_epoch, split_pool, verify_claim, ChallengeOutcome, EvidenceRecord, RewardsError,
    ScoredEpoch,
};
use proptest::prelude::*;
use proptest::sample::Index;
use world::*;

fn score(world: &World, records: &[EvidenceRecord]) -> ScoredEpoch {
    score_epoch(world.params, EPOCH, RESOURCE, &world.devices(), records).unwrap()
}

fn units(scored: &ScoredEpoch, n: usize) -> u128 {
    scored
        .manifest
        .leaf(&key(n as u64))
        .map_or(0, |leaf| leaf.units)
}

/// A world and its records in some order.
fn shuffled_world() -> impl Strategy<Value = (World, Vec<EvidenceRecord>)> {
    world(8).prop_flat_map(|w| {
        let records = w.records();
        (Just(w), Just(records).prop_shuffle())
    })
}

/// 256-bit products and sums in 32-bit limbs, least significant first: a reference written
/// independently of the crate's 64-bit-limb division.
mod wide {
    pub type U256 = [u32; 8];

    fn limbs(x: u128) -> [u32; 4] {
        [
            x as u32,
            (x >> 32) as u32,
            (x >> 64) as u32,
            (x >> 96) as u32,
        ]
    }

    pub fn mul(a: u128, b: u128) -> U256 {
        let (a, b) = (limbs(a), limbs(b));
        let mut out = [0u32; 8];
        for i in 0..4 {
            let mut carry = 0u64;
            for j in 0..4 {
                let t = u64::from(a[i]) * u64::from(b[j]) + u64::from(out[i + j]) + carry;
                out[i + j] = t as u32;
                carry = t >> 32;
            }
            out[i + 4] = carry as u32;
        }
        out
    }

    pub fn add(a: U256, b: u128) -> U256 {
        let b = limbs(b);
        let mut out = [0u32; 8];
        let mut carry = 0u64;
        for i in 0..8 {
            let t = u64::from(a[i]) + u64::from(*b.get(i).unwrap_or(&0)) + carry;
            out[i] = t as u32;
            carry = t >> 32;
        }
        assert_eq!(carry, 0, "sums here stay below 2²⁵⁶");
        out
    }

    pub fn less(a: &U256, b: &U256) -> bool {
        a.iter().rev().cmp(b.iter().rev()).is_lt()
    }
}

fn big_or_small() -> impl Strategy<Value = u128> {
    prop_oneof![
        any::<u128>(),
        0u128..1_000,
        Just(u128::MAX),
        Just(u128::MAX - 1)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn the_pool_is_fully_accounted_for(world in world(10), pool in big_or_small()) {
        let scored = score(&world, &world.records());
        let split = split_pool(pool, &scored.manifest);
        let leaves = scored.manifest.leaves();
        let paid = split
            .payouts
            .iter()
            .try_fold(0u128, |sum, &(_, amount)| sum.checked_add(amount))
            .expect("payouts never add up past the pool");
        prop_assert_eq!(paid.checked_add(split.dust), Some(pool));
        prop_assert_eq!(split.payouts.len(), leaves.len());
        for ((device, _), leaf) in split.payouts.iter().zip(leaves) {
            prop_assert_eq!(device, &leaf.device);
        }
        if leaves.is_empty() {
            prop_assert_eq!(split.dust, pool);
        } else {
            prop_assert!(split.dust < leaves.len() as u128);
        }
    }

    #[test]
    fn equal_work_earns_equal_reward(mut world in world(6), pick in any::<Index>(), pool in big_or_small()) {
        let original = pick.index(world.work.len());
        let twin = world.work.len();
        world.work.push(world.work[original].clone());
        let scored = score(&world, &world.records());
        prop_assert_eq!(units(&scored, original), units(&scored, twin));
        let split = split_pool(pool, &scored.manifest);
        let paid = |n: usize| {
            split.payouts.iter().find(|(d, _)| *d == key(n as u64)).map_or(0, |&(_, a)| a)
        };
        prop_assert_eq!(paid(original), paid(twin));
    }

    #[test]
    fn more_proven_capacity_never_earns_less(
        world in world(6),
        pick in any::<Index>(),
        interval in any::<Index>(),
        more_capacity in 1u64..1_000_000,
    ) {
        let n = pick.index(world.work.len());
        let base = units(&score(&world, &world.records()), n);

        let mut passed = world.clone();
        passed.work[n].challenges.push((200, ChallengeOutcome::Passed));
        prop_assert!(units(&score(&passed, &passed.records()), n) >= base);

        let mut alive = world.clone();
        let t = interval.index(world.params.intervals_per_epoch as usize) as u32;
        alive.work[n].intervals.push(t);
        prop_assert!(units(&score(&alive, &alive.records()), n) >= base);

        let mut bigger = world.clone();
        let capacity = &mut bigger.work[n].capacity_units;
        *capacity = capacity.saturating_add(more_capacity);
        prop_assert!(units(&score(&bigger, &bigger.records()), n) >= base);
    }

    #[test]
    fn the_manifest_is_independent_of_record_order((world, shuffled) in shuffled_world()) {
        let in_order = score(&world, &world.records());
        let reordered = score(&world, &shuffled);
        prop_assert_eq!(&reordered.manifest, &in_order.manifest);
        prop_assert_eq!(&reordered.stats, &in_order.stats);
    }

    #[test]
    fn replaying_records_changes_no_manifest(world in world(8), replays in prop::collection::vec(any::<Index>(), 1..20)) {
        let records = world.records();
        let mut replayed = records.clone();
        replayed.extend(replays.iter().map(|i| records[i.index(records.len())].clone()));
        prop_assert_eq!(score(&world, &replayed).manifest, score(&world, &records).manifest);
    }

    #[test]
    fn every_leaf_proof_verifies_and_a_changed_leaf_does_not(world in world(10)) {
        let manifest = score(&world, &world.records()).manifest;
        let root = manifest.root();
        for leaf in manifest.leaves() {
            let (claimed, proof) = manifest.proof(&leaf.device).unwrap();
            prop_assert_eq!(&claimed, leaf);
            prop_assert!(verify_claim(&root, EPOCH, RESOURCE, &claimed, &proof));
            prop_assert!(!verify_claim(&root, EPOCH + 1, RESOURCE, &claimed, &proof));
            let mut more = claimed.clone();
            more.units += 1;
            prop_assert!(!verify_claim(&root, EPOCH, RESOURCE, &more, &proof));
            let mut less = claimed.clone();
            less.units -= 1;
            prop_assert!(!verify_claim(&root, EPOCH, RESOURCE, &less, &proof));
            let mut elsewhere = claimed.clone();
            elsewhere.owner.0[0] ^= 1;
            prop_assert!(!verify_claim(&root, EPOCH, RESOURCE, &elsewhere, &proof));
        }
    }

    #[test]
    fn changing_one_admitted_record_changes_the_evidence_root(world in world(8), pick in any::<Index>()) {
        let records = world.records();
        let registered = world.work.len() as u64;
        let admitted_once: Vec<usize> = (0..records.len())
            .filter(|&i| {
                let r = &records[i];
                let known = (0..registered).any(|n| *r.device() == key(n));
                let in_range = match r {
                    EvidenceRecord::Heartbeat { interval, .. } => {
                        *interval < world.params.intervals_per_epoch
                    }
                    EvidenceRecord::Challenge { .. } => true,
                    // The world makes none; compute scoring does not admit them.
                    EvidenceRecord::SpeedTest { .. }
                    | EvidenceRecord::Wireless { .. }
                    | EvidenceRecord::Readings { .. } => false,
                };
                r.epoch() == EPOCH && known && in_range && records.iter().filter(|o| *o == r).count() == 1
            })
            .collect();
        prop_assume!(!admitted_once.is_empty());
        let i = admitted_once[pick.index(admitted_once.len())];
        let mut changed = records.clone();
        match &mut changed[i] {
            EvidenceRecord::Heartbeat { .. } => {
                changed.remove(i);
            }
            EvidenceRecord::Challenge { outcome, .. } => {
                *outcome = match outcome {
                    ChallengeOutcome::Passed => ChallengeOutcome::Missed,
                    _ => ChallengeOutcome::Passed,
                };
            }
            EvidenceRecord::SpeedTest { .. }
            | EvidenceRecord::Wireless { .. }
            | EvidenceRecord::Readings { .. } => {
                unreachable!("only admitted records are picked")
            }
        }
        let before = score(&world, &records).manifest;
        let after = score(&world, &changed).manifest;
        // Stronger than "the root or the evidence root": the manifest root may rightly stay (a
        // heartbeat from a device that earns nothing either way), the evidence root may not.
        prop_assert_ne!(before.evidence_root(), after.evidence_root());
    }

    #[test]
    fn payout_matches_a_big_integer_reference(pool in big_or_small(), a in big_or_small(), b in big_or_small()) {
        let (units, total) = (a.min(b), a.max(b).max(1));
        let paid = payout(pool, units, total).unwrap();
        if let Some(product) = pool.checked_mul(units) {
            prop_assert_eq!(paid, product / total);
        }
        // floor: paid × total ≤ pool × units < paid × total + total.
        let exact = wide::mul(pool, units);
        let below = wide::mul(paid, total);
        prop_assert!(!wide::less(&exact, &below));
        prop_assert!(wide::less(&exact, &wide::add(below, total)));
        prop_assert!(paid <= pool);
    }

    #[test]
    fn payout_refuses_more_units_than_the_total(pool in any::<u128>(), total in 0u128..u128::MAX, extra in 1u128..1_000) {
        let units = total.saturating_add(extra);
        prop_assume!(units > total);
        let expected = if total == 0 {
            RewardsError::NoUnits
        } else {
            RewardsError::UnitsExceedTotal { units, total_units: total }
        };
        prop_assert_eq!(payout(pool, units, total), Err(expected));
    }
}
