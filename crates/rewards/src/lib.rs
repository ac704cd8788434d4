//! Epoch scoring for Plexus rewards: an oracle's evidence (heartbeats and challenge outcomes)
//! becomes per-device reward units, the units become a manifest committed to by a Merkle root,
//! and a class pool is split over the manifest in integer base units.
//!
//! Everything here is a pure, deterministic function of its arguments: the ledger verifies
//! reward claims with [`verify_claim`] and [`payout()`], and `plexus audit` and the oracle
//! recompute a manifest from an oracle's published evidence with
//! [`audit::recompute_manifest`]. No clocks, randomness or I/O take part, no hash map is used,
//! and no result depends on the order of the evidence records or on the number of threads. [`bench::bench_scoring`] reads a clock to time the
//! scoring path, which never calls it.
//!
//! The rules are numbered in [`scoring`] (R1–R11) and in [`payout`](mod@payout) (P1–P3); the
//! code that implements each one says which.

pub mod audit;
pub mod bandwidth;
pub mod bench;
mod error;
pub mod evidence;
mod json;
pub mod manifest;
mod muldiv;
pub mod payout;
mod resource;
pub mod scoring;
pub mod sensors;
pub mod speed;
pub mod training;
pub mod wireless;
pub mod wireless_manifest;

/// Longest resource class name. Names are short words (`compute`, `storage`); the bound keeps a
/// hostile name from inflating every leaf hash.
pub const MAX_RESOURCE_LEN: usize = 64;

pub use bandwidth::{
    score_bandwidth_epoch, tier_quarters, BandwidthDevice, ScoredBandwidth, Speeds,
};
pub use bench::{bench_scoring, BenchReport};
pub use error::RewardsError;
pub use evidence::{evidence_record_hash, ChallengeOutcome, EvidenceRecord};
pub use manifest::{leaf_hash, verify_claim, verify_reward_claim, Manifest, ManifestLeaf};
pub use muldiv::mul_div_floor;
pub use payout::{payout, split_pool, PoolSplit};
pub use resource::ResourceClass;
pub use scoring::{
    score_epoch, DeviceInfo, ScoredEpoch, ScoringParams, ScoringStats, Verdict, UNIT_SCALE,
};
