//! Chain time for the oracle: the shared `EpochClock` of plexus-types (docs/oracle-api.md),
//! with the two questions the oracle asks of it.

pub use plexus_types::epoch_clock::{EpochClock, IntervalId};

/// The epoch and interval of a committed height (height 0, genesis, counts as the start).
pub(crate) fn position(clock: &EpochClock, height: u64) -> (u64, u32) {
    clock
        .interval_of(height)
        .map(|i| (i.epoch, i.interval))
        .unwrap_or((1, 0))
}

/// The height whose app hash is the beacon of `(epoch, interval)`.
pub(crate) fn beacon(clock: &EpochClock, epoch: u64, interval: u32) -> u64 {
    clock
        .beacon_height(IntervalId { epoch, interval })
        .unwrap_or(0)
}
