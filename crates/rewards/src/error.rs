use crate::MAX_RESOURCE_LEN;
use plexus_types::{Hash, PublicKey};

/// Why scoring, building a manifest or computing a payout was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewardsError {
    #[error("intervals_per_epoch must be at least 1")]
    NoIntervals,
    #[error("min_uptime_percent must be at most 100, found {0}")]
    MinUptimeAbove100(u32),
    #[error("a resource name must be 1 to {MAX_RESOURCE_LEN} bytes, found {0}")]
    ResourceNameLength(usize),
    #[error("device {0} is registered more than once")]
    DuplicateDevice(PublicKey),
    #[error("at most {max} devices can be scored in one epoch, found {found}", max = u32::MAX - 1)]
    TooManyDevices { found: usize },
    #[error("the epoch's total units overflow 128 bits")]
    TotalUnitsOverflow,
    #[error("manifest leaves must be sorted by device without repeats; {0} is out of place")]
    LeavesOutOfOrder(PublicKey),
    #[error("the manifest leaf of device {0} has zero units")]
    ZeroUnitLeaf(PublicKey),
    #[error("manifest root {stated} does not match its leaves, which give {computed}")]
    RootMismatch { stated: Hash, computed: Hash },
    #[error("manifest total {stated} does not match its leaves, which add up to {computed}")]
    TotalMismatch { stated: u128, computed: u128 },
    #[error("a claim of {units} units exceeds the manifest's {total_units} total units")]
    UnitsExceedTotal { units: u128, total_units: u128 },
    #[error("the manifest has no units to pay against")]
    NoUnits,
    #[error("wireless scoring: {0}")]
    Wireless(#[from] crate::wireless::WirelessEpochError),
}
