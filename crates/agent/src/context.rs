//! What every duty of one device shares: the device's key, the owner's transaction sender,
//! the ports to the world, and the chain's parameters once read.

use crate::error::AgentError;
use crate::identity::DeviceIdentity;
use crate::ports::{Ports, Sender};
use plexus_client::views::ChainView;
use plexus_client::{Clock, CommittedTx};
use plexus_types::{Address, Body};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// One device's view of the world, handed to each duty's `once`.
pub struct DeviceContext {
    pub ports: Ports,
    pub device: DeviceIdentity,
    pub sender: Arc<Sender>,
    chain: OnceCell<ChainView>,
}

impl DeviceContext {
    pub fn new(ports: Ports, device: DeviceIdentity, sender: Arc<Sender>) -> DeviceContext {
        DeviceContext {
            ports,
            device,
            sender,
            chain: OnceCell::new(),
        }
    }

    pub fn owner(&self) -> Address {
        self.sender.address()
    }

    pub fn clock(&self) -> &dyn Clock {
        self.ports.clock.as_ref()
    }

    /// The chain's parameters, read once from the node: they are fixed at genesis.
    pub async fn chain(&self) -> Result<&ChainView, AgentError> {
        self.chain
            .get_or_try_init(|| async { self.ports.node.chain_params().await })
            .await
            .map_err(AgentError::from)
    }

    /// Sends `body` signed by the owner and waits for it. A committed transaction that
    /// failed is an error.
    pub async fn send_tx(&self, body: Body) -> Result<CommittedTx, AgentError> {
        let committed = self.sender.send(body).await?;
        if !committed.succeeded() {
            return Err(AgentError::TxFailed {
                hash: committed.hash,
                code: committed.code,
                log: committed.log,
            });
        }
        Ok(committed)
    }
}

/// Runs `duty` every `period` of `clock` forever, logging its failures. A round that takes
/// longer than the period is followed by the next at once.
pub async fn repeat<T, E, F, Fut>(clock: &dyn Clock, name: &'static str, period: Duration, duty: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    repeat_paced(clock, name, || period, duty).await
}

/// [`repeat`], with the period asked of `period` after each round.
pub async fn repeat_paced<T, E, F, Fut>(
    clock: &dyn Clock,
    name: &'static str,
    period: impl Fn() -> Duration,
    duty: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut duty = duty;
    loop {
        let started = clock.now();
        if let Err(e) = duty().await {
            tracing::warn!(duty = name, error = %e, "duty failed; trying again next period");
        }
        let took = clock.now().saturating_sub(started);
        if let Some(rest) = period().checked_sub(took) {
            clock.sleep(rest).await;
        }
    }
}
