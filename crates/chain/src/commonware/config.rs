//! A validator's settings and the p2p channels it uses.

use std::time::Duration;

/// Timeouts and sizes of one validator.
#[derive(Debug, Clone)]
pub struct ValidatorConfig {
    /// Prefix of every storage partition this validator uses.
    pub partition_prefix: String,
    pub leader_timeout: Duration,
    pub certification_timeout: Duration,
    pub timeout_retry: Duration,
    pub fetch_timeout: Duration,
    pub activity_timeout: u64,
    pub skip_timeout: u64,
    pub mailbox_size: usize,
    /// Shortest time between a block and its parent that this validator proposes (0: none).
    /// Epochs are counted in blocks, so a steady pace keeps them steady in wall time. Only
    /// the proposer paces itself; other validators accept any block later than its parent.
    /// Kept below `leader_timeout`, or the leader would time out waiting.
    pub min_block_ms: u64,
}

impl ValidatorConfig {
    pub fn new(partition_prefix: impl Into<String>) -> ValidatorConfig {
        ValidatorConfig {
            partition_prefix: partition_prefix.into(),
            leader_timeout: Duration::from_secs(1),
            certification_timeout: Duration::from_secs(2),
            timeout_retry: Duration::from_secs(5),
            fetch_timeout: Duration::from_secs(1),
            activity_timeout: 20,
            skip_timeout: 10,
            mailbox_size: 1024,
            min_block_ms: 0,
        }
    }
}

/// The p2p channels one validator uses, each a (sender, receiver) pair.
pub struct Channels<S, R> {
    pub votes: (S, R),
    pub certificates: (S, R),
    pub resolver: (S, R),
    pub broadcast: (S, R),
    pub backfill: (S, R),
    pub txs: (S, R),
}

/// Channel numbers, the same on every validator.
pub mod channel {
    pub const VOTES: u64 = 0;
    pub const CERTIFICATES: u64 = 1;
    pub const RESOLVER: u64 = 2;
    pub const BROADCAST: u64 = 3;
    pub const BACKFILL: u64 = 4;
    pub const TXS: u64 = 5;
}
