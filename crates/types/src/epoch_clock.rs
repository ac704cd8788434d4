//! Chain time as agents and oracles share it (docs/oracle-api.md, "Time"): which epoch and
//! liveness interval a block height falls in, and which block's app hash is an interval's
//! beacon. Pure arithmetic on the chain's two parameters, so the agent and the oracle cannot
//! disagree by rounding differently.

/// Why a pair of chain parameters cannot describe time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("epoch_blocks must be at least 1")]
    NoBlocksPerEpoch,
    #[error("intervals_per_epoch must be at least 1")]
    NoIntervalsPerEpoch,
}

/// A liveness interval: the `interval`-th (from 0) of epoch `epoch` (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IntervalId {
    pub epoch: u64,
    pub interval: u32,
}

/// The chain's clock: `EB` blocks per epoch, `I` liveness intervals per epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochClock {
    epoch_blocks: u64,
    intervals_per_epoch: u32,
}

impl EpochClock {
    pub fn new(epoch_blocks: u64, intervals_per_epoch: u32) -> Result<EpochClock, ClockError> {
        if epoch_blocks == 0 {
            return Err(ClockError::NoBlocksPerEpoch);
        }
        if intervals_per_epoch == 0 {
            return Err(ClockError::NoIntervalsPerEpoch);
        }
        Ok(EpochClock {
            epoch_blocks,
            intervals_per_epoch,
        })
    }

    pub fn epoch_blocks(&self) -> u64 {
        self.epoch_blocks
    }

    pub fn intervals_per_epoch(&self) -> u32 {
        self.intervals_per_epoch
    }

    /// `e = (h − 1) / EB + 1`; `None` for the genesis height 0, which is in no epoch.
    pub fn epoch_of(&self, height: u64) -> Option<u64> {
        let offset = height.checked_sub(1)?;
        Some(offset / self.epoch_blocks + 1)
    }

    /// `i = ((h − 1 − (e − 1)·EB) · I) / EB`, with its epoch.
    pub fn interval_of(&self, height: u64) -> Option<IntervalId> {
        let epoch = self.epoch_of(height)?;
        let within = (height - 1) % self.epoch_blocks;
        // Widened: EB · I can pass u64 for extreme (but valid) parameters.
        let interval = u128::from(within) * u128::from(self.intervals_per_epoch)
            / u128::from(self.epoch_blocks);
        Some(IntervalId {
            epoch,
            // Below I, which is a u32.
            interval: interval as u32,
        })
    }

    /// The height whose app hash is the interval's beacon: `(e − 1)·EB + ⌊i·EB / I⌋`.
    ///
    /// When I divides EB it is the block just before the interval's first block. When it
    /// does not, the formula still names a block committed before the interval began (never
    /// one inside it), which is all a beacon needs; see [`EpochClock::first_height`].
    pub fn beacon_height(&self, id: IntervalId) -> Option<u64> {
        if id.epoch == 0 || id.interval >= self.intervals_per_epoch {
            return None;
        }
        let start = (id.epoch - 1).checked_mul(self.epoch_blocks)?;
        let into = u128::from(id.interval) * u128::from(self.epoch_blocks)
            / u128::from(self.intervals_per_epoch);
        // Below EB, which is a u64.
        start.checked_add(into as u64)
    }

    /// The first height of the interval: the smallest `h` with `interval_of(h) == id`, or
    /// `None` when the interval holds no block (more intervals than blocks per epoch).
    pub fn first_height(&self, id: IntervalId) -> Option<u64> {
        if id.epoch == 0 || id.interval >= self.intervals_per_epoch {
            return None;
        }
        let start = (id.epoch - 1).checked_mul(self.epoch_blocks)?;
        // The smallest offset o with o·I ≥ i·EB.
        let into = (u128::from(id.interval) * u128::from(self.epoch_blocks))
            .div_ceil(u128::from(self.intervals_per_epoch));
        let height = start.checked_add(into as u64)?.checked_add(1)?;
        (self.interval_of(height) == Some(id)).then_some(height)
    }

    /// The epoch's first height, `(e − 1)·EB + 1`.
    pub fn epoch_start(&self, epoch: u64) -> Option<u64> {
        epoch
            .checked_sub(1)?
            .checked_mul(self.epoch_blocks)?
            .checked_add(1)
    }

    /// The epoch's last height, `e·EB`: the epoch has ended once this block is committed.
    pub fn epoch_end(&self, epoch: u64) -> Option<u64> {
        if epoch == 0 {
            return None;
        }
        epoch.checked_mul(self.epoch_blocks)
    }

    /// The last epoch that has ended at `height` (0 when none has).
    pub fn last_ended_epoch(&self, height: u64) -> u64 {
        height / self.epoch_blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(epoch: u64, interval: u32) -> IntervalId {
        IntervalId { epoch, interval }
    }

    #[test]
    fn genesis_is_in_no_epoch_and_block_one_opens_epoch_one() {
        let clock = EpochClock::new(10, 5).unwrap();
        assert_eq!(clock.epoch_of(0), None);
        assert_eq!(clock.interval_of(0), None);
        assert_eq!(clock.interval_of(1), Some(id(1, 0)));
    }

    #[test]
    fn epochs_turn_over_after_their_last_block() {
        let clock = EpochClock::new(10, 5).unwrap();
        assert_eq!(clock.epoch_of(10), Some(1));
        assert_eq!(clock.epoch_of(11), Some(2));
        assert_eq!(clock.epoch_start(2), Some(11));
        assert_eq!(clock.epoch_end(2), Some(20));
        assert_eq!(clock.last_ended_epoch(9), 0);
        assert_eq!(clock.last_ended_epoch(10), 1);
        assert_eq!(clock.last_ended_epoch(19), 1);
        assert_eq!(clock.last_ended_epoch(20), 2);
    }

    #[test]
    fn intervals_split_an_epoch_evenly_when_they_divide_it() {
        let clock = EpochClock::new(10, 5).unwrap();
        let intervals: Vec<u32> = (1..=10)
            .map(|h| clock.interval_of(h).unwrap().interval)
            .collect();
        assert_eq!(intervals, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        assert_eq!(clock.interval_of(11), Some(id(2, 0)));
    }

    #[test]
    fn a_beacon_is_the_block_just_before_its_interval_when_intervals_divide_the_epoch() {
        let clock = EpochClock::new(10, 5).unwrap();
        assert_eq!(clock.beacon_height(id(1, 0)), Some(0));
        assert_eq!(clock.beacon_height(id(1, 1)), Some(2));
        assert_eq!(clock.beacon_height(id(2, 0)), Some(10));
        assert_eq!(clock.beacon_height(id(2, 4)), Some(18));
        for e in 1..4 {
            for i in 0..5 {
                let first = clock.first_height(id(e, i)).unwrap();
                assert_eq!(clock.beacon_height(id(e, i)), Some(first - 1));
            }
        }
    }

    #[test]
    fn when_intervals_do_not_divide_the_epoch_every_beacon_precedes_its_interval() {
        // 7 blocks, 3 intervals: offsets 0..=2 are interval 0, 3..=4 interval 1, 5..=6 interval 2.
        let clock = EpochClock::new(7, 3).unwrap();
        let intervals: Vec<u32> = (1..=7)
            .map(|h| clock.interval_of(h).unwrap().interval)
            .collect();
        assert_eq!(intervals, [0, 0, 0, 1, 1, 2, 2]);
        assert_eq!(clock.first_height(id(1, 1)), Some(4));
        assert_eq!(clock.first_height(id(1, 2)), Some(6));
        // ⌊1·7/3⌋ = 2 and ⌊2·7/3⌋ = 4: before the intervals' first blocks 4 and 6.
        assert_eq!(clock.beacon_height(id(1, 1)), Some(2));
        assert_eq!(clock.beacon_height(id(1, 2)), Some(4));
        for e in 1..5 {
            for i in 0..3 {
                let first = clock.first_height(id(e, i)).unwrap();
                let beacon = clock.beacon_height(id(e, i)).unwrap();
                assert!(beacon < first, "epoch {e} interval {i}");
                assert!(beacon >= clock.epoch_start(e).unwrap() - 1);
            }
        }
    }

    #[test]
    fn more_intervals_than_blocks_leaves_some_intervals_without_blocks() {
        let clock = EpochClock::new(2, 4).unwrap();
        assert_eq!(clock.interval_of(1), Some(id(1, 0)));
        assert_eq!(clock.interval_of(2), Some(id(1, 2)));
        assert_eq!(clock.first_height(id(1, 1)), None);
        assert_eq!(clock.first_height(id(1, 2)), Some(2));
    }

    #[test]
    fn intervals_past_the_epoch_have_no_beacon() {
        let clock = EpochClock::new(10, 5).unwrap();
        assert_eq!(clock.beacon_height(id(1, 5)), None);
        assert_eq!(clock.beacon_height(id(0, 0)), None);
    }

    #[test]
    fn extreme_parameters_do_not_overflow() {
        let clock = EpochClock::new(u64::MAX, u32::MAX).unwrap();
        let last = clock.interval_of(u64::MAX).unwrap();
        assert_eq!(last.epoch, 1);
        assert!(last.interval < u32::MAX);
        assert!(clock.beacon_height(last).unwrap() < u64::MAX);
    }

    #[test]
    fn a_clock_needs_blocks_and_intervals() {
        assert_eq!(EpochClock::new(0, 5), Err(ClockError::NoBlocksPerEpoch));
        assert_eq!(EpochClock::new(5, 0), Err(ClockError::NoIntervalsPerEpoch));
    }
}
