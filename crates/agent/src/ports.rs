//! What the world gives an agent's duties: a clock, the node's API, the oracles' APIs, and a
//! transport for every other HTTP call (blobs, the training coordinator, speed tests).
//!
//! Duties reach time and other services only through these, so the same duty code runs
//! against real HTTP services on the system clock (`plexus agent start`, devnets) and against
//! in-process services on a clock a simulation moves (no sockets, no wall-clock waits).

use plexus_client::{Clock, NodeApi, OracleApi, Transport};
use std::sync::Arc;

pub use plexus_client::ApiFuture as PortFuture;

/// Everything outside the agent that its duties talk to.
#[derive(Clone)]
pub struct Ports {
    pub node: Arc<dyn NodeApi>,
    pub oracles: Vec<Arc<dyn OracleApi>>,
    pub clock: Arc<dyn Clock>,
    /// Carries every HTTP call that is not to the node's or an oracle's API: blob downloads
    /// and uploads, the training coordinator.
    pub transport: Arc<dyn Transport>,
}

/// The owner's transaction sender every duty of one agent shares: one nonce at a time.
pub type Sender = plexus_client::TxSender<Arc<dyn NodeApi>, Arc<dyn Clock>>;
