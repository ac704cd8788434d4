//! Consensus drivers, the mempool and the block log.
//!
//! The solo driver is one in-process block producer: it builds a block as soon as the mempool
//! has transactions (or every `block_ms` when idle), appends it to the block log with fsync,
//! executes it and commits. On restart it replays the logged blocks above the ledger's last
//! committed height, so a crash at any moment loses nothing that was committed. Each block it
//! makes carries the next reveal of the operator's beacon hash chain ([`RevealChain`]).

mod blocklog;
mod chain;
pub mod commonware;
mod mempool;
pub mod reveal_chain;

pub use blocklog::{BlockLog, BlockLogError};
pub use chain::{BlockSummary, Chain, ChainError, ChainStatus, SoloConfig};
pub use mempool::{Mempool, MempoolConfig};
pub use reveal_chain::{RevealChain, RevealError};
