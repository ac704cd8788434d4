//! Chain time: which epoch and liveness interval a block height falls in, and the height whose
//! app hash is the interval's beacon. Shared by oracles and agents (docs/oracle-api.md).

/// `epoch_blocks` and `intervals_per_epoch` from genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainClock {
    pub epoch_blocks: u64,
    pub intervals_per_epoch: u32,
}

impl ChainClock {
    /// The epoch of block `height` (≥ 1). Epoch `e` holds heights `(e-1)·EB + 1 ..= e·EB`.
    pub fn epoch_of(&self, height: u64) -> u64 {
        height.saturating_sub(1) / self.epoch_blocks + 1
    }

    /// The liveness interval of block `height` within its epoch.
    pub fn interval_of(&self, height: u64) -> u32 {
        let e = self.epoch_of(height);
        let offset = height.saturating_sub(1) - (e - 1) * self.epoch_blocks;
        ((offset as u128 * self.intervals_per_epoch as u128) / self.epoch_blocks as u128) as u32
    }

    /// The height whose app hash is the beacon of interval `interval` of epoch `epoch`: the
    /// block just before the interval's first block.
    pub fn beacon_height(&self, epoch: u64, interval: u32) -> u64 {
        (epoch - 1) * self.epoch_blocks
            + (interval as u128 * self.epoch_blocks as u128 / self.intervals_per_epoch as u128)
                as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_map_to_epochs_intervals_and_beacons() {
        let c = ChainClock {
            epoch_blocks: 10,
            intervals_per_epoch: 4,
        };
        assert_eq!((c.epoch_of(1), c.interval_of(1)), (1, 0));
        assert_eq!((c.epoch_of(10), c.interval_of(10)), (1, 3));
        assert_eq!((c.epoch_of(11), c.interval_of(11)), (2, 0));
        assert_eq!(c.interval_of(13), 0);
        assert_eq!(c.interval_of(14), 1);
        assert_eq!(c.beacon_height(1, 0), 0);
        assert_eq!(c.beacon_height(2, 1), 12);
        // Every height's beacon lies strictly before it.
        for h in 1..100 {
            let b = c.beacon_height(c.epoch_of(h), c.interval_of(h));
            assert!(b < h, "height {h} beacon {b}");
        }
    }
}
