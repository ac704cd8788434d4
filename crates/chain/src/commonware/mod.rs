//! The multi-validator driver: the Plexus ledger under Commonware's simplex consensus, with
//! marshal delivering finalized blocks in order (and backfilling them from peers), run over
//! authenticated p2p in production and over the simulated network in tests.
//!
//! Consensus maps onto the ledger seam as the solo driver does: `propose` selects from the
//! mempool, `verify` checks a proposal, and each finalized block is logged, executed and
//! committed before marshal is acknowledged, so the application never gets ahead of what
//! consensus has finalized and a restart resumes from the committed height.

mod app;
mod block;
mod config;
mod driver;
mod engine;
pub mod epochs;
mod process;
mod seeds;
pub mod threshold;

pub use app::{genesis_block, Halt, PlexusApp, Progress, Scheme};
pub use block::ConsensusBlock;
pub use config::{channel, Channels, ValidatorConfig};
pub use engine::start_validator;
pub use epochs::{EpochKey, EpochKeys, GenesisKeys, PlexusEpocher};
pub use process::{
    consensus_key_from_hex, consensus_key_to_hex, generate_consensus_key, public_key_hex,
    ValidatorProcess,
};
pub use seeds::{SeedTap, Seeds};
pub use threshold::{deal_for_genesis, deal_threshold_key, ThresholdKey};

use commonware_cryptography::ed25519;
use plexus_types::{Address, Hash};

/// Namespace of every signature validators make for consensus.
pub const NAMESPACE: &[u8] = b"_PLEXUS_CONSENSUS";

/// The address a validator's blocks name as proposer, derived from its consensus key.
pub fn validator_address(key: &ed25519::PublicKey) -> Address {
    let mut input = b"plexus-validator:".to_vec();
    input.extend_from_slice(key.as_ref());
    let hash = Hash::of(&input);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash.0[..20]);
    Address(out)
}
