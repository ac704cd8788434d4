//! The oracle: takes signed heartbeats and compute-challenge answers from agents, keeps every
//! accepted record in a durable evidence log, scores each ended epoch with the public rules of
//! `plexus-rewards`, submits the manifest on chain, reports frauds, and publishes the evidence
//! so anyone can recompute its manifests. It holds no reward math of its own.
//!
//! The HTTP API is described in `docs/oracle-api.md`.

pub mod audit;
mod bandwidth;
pub mod clock;
mod draws;
mod evidence;
mod follow;
mod gather;
mod ingest;
mod learn;
mod merge;
mod rules;
mod service;
mod shared;
mod storage_audit;

pub use clock::EpochClock;
pub use evidence::{EvidenceLog, PublishedRecord};
pub use rules::{CHALLENGES_PER_EPOCH, NETWORK_ALLOWANCE_MS, OPEN_TIMEOUT};
pub use service::{
    run_oracle, run_oracle_on, Oracle, OracleConfig, RunningOracle, DEFAULT_ORACLE_ADDR,
};
pub use shared::ClosedEpoch;

/// Where an oracle keeps the manifest it computed for an epoch and resource.
pub fn manifest_file(data_dir: &std::path::Path, epoch: u64, resource: &str) -> std::path::PathBuf {
    shared::manifest_path(data_dir, epoch, resource)
}
