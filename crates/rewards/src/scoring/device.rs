//! One device's epoch: rules R4–R9 and R11 over its admitted evidence.

use crate::evidence::{device_evidence_hash, ChallengeEntry, ChallengeOutcome};
use crate::manifest::{leaf_hash, ManifestLeaf};
use crate::muldiv::mul_div_floor;
use crate::scoring::{DeviceInfo, ScoringParams, Verdict, UNIT_SCALE};
use plexus_types::Hash;

/// What one device proved, after rules R4 and R6 removed replays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct DeviceWork {
    pub intervals_seen: u64,
    pub challenges_issued: u64,
    pub challenges_passed: u64,
    pub wrong_answer: bool,
}

pub(super) struct DeviceOutcome {
    /// The manifest leaf and its hash, when the device earned units.
    pub leaf: Option<(ManifestLeaf, Hash)>,
    /// The device's leaf of the evidence tree, when anything about it was admitted.
    pub evidence: Option<Hash>,
    pub verdict: Verdict,
    pub duplicate_heartbeats: u64,
    pub duplicate_challenges: u64,
    pub conflicting_challenges: u64,
}

/// Scores one device from its admitted heartbeat intervals and challenges, given in any order
/// and with any repetitions; both slices are reordered. `scratch` is working space.
pub(super) fn examine_device(
    params: &ScoringParams,
    epoch: u64,
    resource: &str,
    info: &DeviceInfo,
    intervals: &mut [u32],
    challenges: &mut [ChallengeEntry],
    scratch: &mut Vec<u8>,
) -> DeviceOutcome {
    // Rule R4 (heartbeat replay).
    let seen = dedup_sorted(intervals);
    let duplicate_heartbeats = (intervals.len() - seen) as u64;
    let intervals = &intervals[..seen];

    // Rule R6 (challenge replay). Sorting by (id, outcome code) puts each challenge's records
    // together, its worst outcome last.
    let distinct = dedup_sorted(challenges);
    let duplicate_challenges = (challenges.len() - distinct) as u64;
    let challenges = &challenges[..distinct];
    let mut work = DeviceWork {
        intervals_seen: seen as u64,
        ..DeviceWork::default()
    };
    let mut conflicting_challenges = 0;
    for records in challenges.chunk_by(|a, b| a.id == b.id) {
        work.challenges_issued += 1;
        conflicting_challenges += u64::from(records.len() > 1);
        let worst = records[records.len() - 1].outcome;
        if worst == ChallengeOutcome::Passed.code() {
            work.challenges_passed += 1;
        } else if worst == ChallengeOutcome::Wrong.code() {
            work.wrong_answer = true;
        }
    }

    // Rule R11 (evidence root).
    let evidence = (!intervals.is_empty() || !challenges.is_empty())
        .then(|| device_evidence_hash(epoch, &info.device, intervals, challenges, scratch));

    let (units, verdict) = score_device(params, info.capacity_units, &work);
    let leaf = (units > 0).then(|| {
        let leaf = ManifestLeaf {
            device: info.device,
            owner: info.owner,
            units,
        };
        let hash = leaf_hash(epoch, resource, &leaf);
        (leaf, hash)
    });
    DeviceOutcome {
        leaf,
        evidence,
        verdict,
        duplicate_heartbeats,
        duplicate_challenges,
        conflicting_challenges,
    }
}

/// Sorts `items` and moves the distinct ones to the front; returns how many there are.
fn dedup_sorted<T: Ord + Copy>(items: &mut [T]) -> usize {
    items.sort_unstable();
    let mut kept = 0;
    for i in 0..items.len() {
        if kept == 0 || items[i] != items[kept - 1] {
            items[kept] = items[i];
            kept += 1;
        }
    }
    kept
}

/// Rules R7, R5, R8 and R9, in that order of precedence: a device's units from what it proved.
/// Expects passed ≤ issued and seen ≤ `intervals_per_epoch`, as [`examine_device`] ensures.
pub(super) fn score_device(
    params: &ScoringParams,
    capacity_units: u64,
    work: &DeviceWork,
) -> (u128, Verdict) {
    // Rule R7 (fraud).
    if work.wrong_answer {
        return (0, Verdict::WrongAnswer);
    }
    // Rule R5 (uptime), in integers: seen / intervals < min% ⇔ seen × 100 < min × intervals.
    let seen_percent = work.intervals_seen * 100;
    let needed_percent =
        u64::from(params.min_uptime_percent) * u64::from(params.intervals_per_epoch);
    if seen_percent < needed_percent {
        return (0, Verdict::BelowMinUptime);
    }
    // Rule R8 (proven capacity).
    if work.challenges_issued == 0 {
        return (0, Verdict::Unchallenged);
    }
    // Rule R9 (units). capacity × scale < 2⁸⁵ and the other factors < 2⁹⁶: the product needs
    // up to 256 bits, the quotient at most capacity × scale.
    let units = mul_div_floor(
        u128::from(capacity_units) * UNIT_SCALE,
        u128::from(work.challenges_passed) * u128::from(work.intervals_seen),
        u128::from(work.challenges_issued) * u128::from(params.intervals_per_epoch),
    )
    .expect("passed ≤ issued and seen ≤ intervals, so the quotient is at most capacity × scale");
    if units == 0 {
        (0, Verdict::NothingProven)
    } else {
        (units, Verdict::Rewarded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: ScoringParams = ScoringParams {
        intervals_per_epoch: 24,
        min_uptime_percent: 50,
        sensor_origin_s: 0,
    };

    fn work(seen: u64, issued: u64, passed: u64) -> DeviceWork {
        DeviceWork {
            intervals_seen: seen,
            challenges_issued: issued,
            challenges_passed: passed,
            wrong_answer: false,
        }
    }

    #[test]
    fn full_uptime_and_every_challenge_passed_earn_the_whole_capacity() {
        assert_eq!(
            score_device(&PARAMS, 400, &work(24, 2, 2)),
            (400 * UNIT_SCALE, Verdict::Rewarded)
        );
    }

    #[test]
    fn units_scale_with_uptime_and_proven_fraction_and_round_down_once() {
        // 100 × 10⁶ × 1 × 13 / (3 × 24) = 18_055_555.5…
        assert_eq!(
            score_device(&PARAMS, 100, &work(13, 3, 1)),
            (18_055_555, Verdict::Rewarded)
        );
    }

    #[test]
    fn exactly_the_minimum_uptime_qualifies_and_one_interval_less_does_not() {
        assert_eq!(
            score_device(&PARAMS, 1, &work(12, 1, 1)).1,
            Verdict::Rewarded
        );
        assert_eq!(
            score_device(&PARAMS, 1, &work(11, 1, 1)),
            (0, Verdict::BelowMinUptime)
        );
    }

    #[test]
    fn the_largest_capacity_and_interval_count_do_not_overflow() {
        let params = ScoringParams {
            intervals_per_epoch: u32::MAX,
            min_uptime_percent: 100,
            sensor_origin_s: 0,
        };
        let w = work(u64::from(u32::MAX), u64::MAX, u64::MAX);
        assert_eq!(
            score_device(&params, u64::MAX, &w),
            (u128::from(u64::MAX) * UNIT_SCALE, Verdict::Rewarded)
        );
    }

    #[test]
    fn a_wrong_answer_outranks_every_other_verdict() {
        let w = DeviceWork {
            wrong_answer: true,
            ..work(0, 0, 0)
        };
        assert_eq!(score_device(&PARAMS, 1, &w), (0, Verdict::WrongAnswer));
    }
}
