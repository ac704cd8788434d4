//! What the world gives an agent's duties: a clock, the node's API, the oracles' APIs, a
//! transport for every other HTTP call (blobs, the training coordinator, speed tests), and a
//! host for the device's own service.
//!
//! Duties reach time and other services only through these, so the same duty code runs
//! against real HTTP services on the system clock (`plexus agent start`, devnets) and against
//! in-process services on a clock a simulation moves (no sockets, no wall-clock waits).

use crate::error::AgentError;
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
    /// Where the device's own service (a storage device's blobs, a bandwidth device's speed
    /// tests) is served for others to reach.
    pub services: Arc<dyn ServiceHost>,
}

/// Hosts a device's own service where oracles and other devices reach it through their
/// transports.
///
/// `serve` is called at most once per agent, before the device registers: it must start
/// serving `router` before it returns (a request sent to the returned endpoint right after is
/// answered), keep serving for as long as the agent lives, and return the endpoint the device
/// declares on chain (`http://host:port`). `what` names the service for logs. A host that
/// cannot serve returns the error, and the agent does not register an endpoint it lacks.
pub trait ServiceHost: Send + Sync {
    fn serve(
        &self,
        what: &'static str,
        router: axum::Router,
    ) -> PortFuture<'_, Result<String, AgentError>>;
}

/// The owner's transaction sender every duty of one agent shares: one nonce at a time.
pub type Sender = plexus_client::TxSender<Arc<dyn NodeApi>, Arc<dyn Clock>>;
