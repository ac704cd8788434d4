//! Rules R1–R3, and the grouping of admitted evidence by device.
//!
//! An epoch's records arrive in time order, so consecutive records name unrelated devices.
//! Admission therefore writes each admitted record into one of a few hundred partitions by
//! slot range (a handful of sequential write streams per task), and each partition is then
//! grouped by slot on its own, in a region small enough to stay in cache. The order within a
//! group still follows the records' order; scoring sorts each group, which makes the result
//! independent of it (rule R10).

use crate::evidence::{ChallengeEntry, EvidenceRecord};
use crate::scoring::registry::{Registry, LOOKUP_BATCH};
use crate::scoring::{ScoringParams, ScoringStats};
use std::ops::Range;

/// Partitions per epoch, at most: 2⁸, so that a task's write streams stay in cache.
const PARTITION_BITS: u32 = 8;
/// Slots per partition, at least: 2⁶, so that small registries are not cut into slivers.
const MIN_PARTITION_SHIFT: u32 = 6;

/// How slots are cut into partitions: partition p holds slots `p << shift ..`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    shift: u32,
    slots: usize,
}

impl Layout {
    pub fn new(slots: usize) -> Layout {
        let bits = usize::BITS - slots.saturating_sub(1).leading_zeros();
        Layout {
            shift: bits.saturating_sub(PARTITION_BITS).max(MIN_PARTITION_SHIFT),
            slots,
        }
    }

    pub fn partitions(&self) -> usize {
        self.slots.div_ceil(1 << self.shift)
    }

    pub fn range(&self, partition: usize) -> Range<usize> {
        let start = partition << self.shift;
        start..(start + (1 << self.shift)).min(self.slots)
    }

    fn partition_of(&self, slot: u32) -> usize {
        (slot >> self.shift) as usize
    }
}

/// What passed rules R1–R3 in one run of records, by partition.
pub(super) struct Admitted {
    /// `slot << 32 | interval`.
    heartbeats: Vec<Vec<u64>>,
    challenges: Vec<Vec<(u32, ChallengeEntry)>>,
    pub stats: ScoringStats,
}

/// Rules R1 (epoch), R2 (registry) and R3 (interval range) over a run of records.
pub(super) fn admit(
    params: &ScoringParams,
    epoch: u64,
    registry: &Registry,
    layout: &Layout,
    records: &[EvidenceRecord],
) -> Admitted {
    let partitions = layout.partitions();
    // Room for a run whose records spread evenly, plus an eighth, so that lists rarely grow.
    let expected = records.len() / partitions.max(1);
    let reserve = expected + expected / 8 + 16;
    let mut out = Admitted {
        heartbeats: (0..partitions)
            .map(|_| Vec::with_capacity(reserve))
            .collect(),
        challenges: vec![Vec::new(); partitions],
        stats: ScoringStats {
            records: records.len() as u64,
            ..ScoringStats::default()
        },
    };
    let mut slots = [None; LOOKUP_BATCH];
    for batch in records.chunks(LOOKUP_BATCH) {
        let slots = &mut slots[..batch.len()];
        registry.slots(batch.iter().map(EvidenceRecord::device), slots);
        for (record, slot) in batch.iter().zip(slots.iter()) {
            // Rule R1 (epoch).
            if record.epoch() != epoch {
                out.stats.other_epoch += 1;
                continue;
            }
            // Rule R2 (registry).
            let Some(slot) = *slot else {
                out.stats.unknown_device += 1;
                continue;
            };
            let partition = layout.partition_of(slot);
            match record {
                EvidenceRecord::Heartbeat { interval, .. } => {
                    // Rule R3 (interval range).
                    if *interval >= params.intervals_per_epoch {
                        out.stats.interval_out_of_range += 1;
                    } else {
                        out.heartbeats[partition]
                            .push(u64::from(slot) << 32 | u64::from(*interval));
                    }
                }
                EvidenceRecord::Challenge {
                    challenge_id,
                    outcome,
                    ..
                } => out.challenges[partition].push((
                    slot,
                    ChallengeEntry {
                        id: challenge_id.0,
                        outcome: outcome.code(),
                    },
                )),
                // Scored by the bandwidth, wireless and sensor rules, never as compute work.
                EvidenceRecord::SpeedTest { .. }
                | EvidenceRecord::Wireless { .. }
                | EvidenceRecord::Readings { .. } => out.stats.other_kind += 1,
            }
        }
    }
    out
}

/// One partition's admitted evidence, grouped by slot.
pub(super) struct Grouped {
    start: usize,
    interval_offsets: Vec<usize>,
    intervals: Vec<u32>,
    challenge_offsets: Vec<usize>,
    challenges: Vec<ChallengeEntry>,
}

impl Grouped {
    /// Gathers partition `partition` from every admission run.
    pub fn new(layout: &Layout, partition: usize, admitted: &[Admitted]) -> Grouped {
        let range = layout.range(partition);
        let (interval_offsets, intervals) = counting_sort(
            &range,
            admitted.iter().map(|a| a.heartbeats[partition].as_slice()),
            |&packed| ((packed >> 32) as u32, packed as u32),
        );
        let (challenge_offsets, challenges) = counting_sort(
            &range,
            admitted.iter().map(|a| a.challenges[partition].as_slice()),
            |&(slot, entry)| (slot, entry),
        );
        Grouped {
            start: range.start,
            interval_offsets,
            intervals,
            challenge_offsets,
            challenges,
        }
    }

    /// The admitted heartbeat intervals and challenges of `slot`, in no particular order.
    pub fn device(&mut self, slot: usize) -> (&mut [u32], &mut [ChallengeEntry]) {
        let i = slot - self.start;
        (
            &mut self.intervals[self.interval_offsets[i]..self.interval_offsets[i + 1]],
            &mut self.challenges[self.challenge_offsets[i]..self.challenge_offsets[i + 1]],
        )
    }
}

/// A counting sort of `lists` by slot into one buffer: slot s's values are
/// `values[offsets[s - range.start]..offsets[s - range.start + 1]]`.
fn counting_sort<'a, T: 'a, V: Copy + Default>(
    range: &Range<usize>,
    lists: impl Iterator<Item = &'a [T]> + Clone,
    split: impl Fn(&T) -> (u32, V),
) -> (Vec<usize>, Vec<V>) {
    let width = range.len();
    let mut offsets = vec![0usize; width + 1];
    for list in lists.clone() {
        for item in list {
            offsets[split(item).0 as usize - range.start + 1] += 1;
        }
    }
    for i in 0..width {
        offsets[i + 1] += offsets[i];
    }
    let mut cursor = offsets[..width].to_vec();
    let mut values = vec![V::default(); offsets[width]];
    for list in lists {
        for item in list {
            let (slot, value) = split(item);
            let at = &mut cursor[slot as usize - range.start];
            values[*at] = value;
            *at += 1;
        }
    }
    (offsets, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_cover_every_slot_once_in_order() {
        for slots in [0usize, 1, 63, 64, 65, 1000, 16_384, 1_000_000] {
            let layout = Layout::new(slots);
            assert!(layout.partitions() <= 1 << PARTITION_BITS, "{slots}");
            let mut next = 0;
            for p in 0..layout.partitions() {
                let range = layout.range(p);
                assert_eq!(range.start, next);
                assert!(!range.is_empty());
                for s in [range.start, range.end - 1] {
                    assert_eq!(layout.partition_of(s as u32), p);
                }
                next = range.end;
            }
            assert_eq!(next, slots);
        }
    }
}
