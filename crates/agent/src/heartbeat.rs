//! The heartbeat duty: proves the device alive to every oracle, once per interval, with a
//! heartbeat the device key signs over the oracle's current interval and beacon.

use crate::context::DeviceContext;
use crate::error::AgentError;
use plexus_client::{HeartbeatReceipt, OracleApi, OracleStatus};
use plexus_types::epoch_clock::{EpochClock, IntervalId};
use plexus_types::heartbeat::{Heartbeat, SignedHeartbeat};
use plexus_types::SecretKey;
use std::sync::Arc;

/// Which signed heartbeat the device sends for the interval an oracle names.
///
/// Called once per oracle per round with the heartbeat the oracle's status asks for; the
/// result is sent as is. An honest source signs `fresh`.
pub trait HeartbeatSource: Send + Sync {
    fn heartbeat(&self, fresh: Heartbeat, device: &SecretKey) -> SignedHeartbeat;
}

/// Signs the heartbeat of the current interval.
#[derive(Debug, Clone, Copy, Default)]
pub struct FreshHeartbeats;

impl HeartbeatSource for FreshHeartbeats {
    fn heartbeat(&self, fresh: Heartbeat, device: &SecretKey) -> SignedHeartbeat {
        fresh.sign(device)
    }
}

/// The heartbeat duty of one device.
#[derive(Clone)]
pub struct Heartbeats {
    source: Arc<dyn HeartbeatSource>,
}

impl Heartbeats {
    pub fn new(source: Arc<dyn HeartbeatSource>) -> Heartbeats {
        Heartbeats { source }
    }

    /// Sends one heartbeat for the current interval to every oracle. Fails only when no
    /// oracle took it; the others' failures are logged.
    pub async fn once(&self, ctx: &DeviceContext) -> Result<Vec<HeartbeatReceipt>, AgentError> {
        let mut receipts = Vec::new();
        let mut first_error = None;
        for oracle in &ctx.ports.oracles {
            match self.send_to(ctx, oracle.as_ref()).await {
                Ok(receipt) => receipts.push(receipt),
                Err(e) => {
                    tracing::warn!(oracle = oracle.name(), error = %e, "heartbeat not taken");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) if receipts.is_empty() => Err(e),
            _ => Ok(receipts),
        }
    }

    async fn send_to(
        &self,
        ctx: &DeviceContext,
        oracle: &dyn OracleApi,
    ) -> Result<HeartbeatReceipt, AgentError> {
        let chain = ctx.chain().await?;
        let status = oracle.status().await?;
        if status.chain_id != chain.chain_id {
            return Err(AgentError::WrongChain {
                oracle: oracle.name().to_string(),
                oracle_chain: status.chain_id,
                node_chain: chain.chain_id.clone(),
            });
        }
        warn_if_clock_disagrees(oracle, &status);
        let fresh = Heartbeat {
            chain_id: status.chain_id.clone(),
            device: ctx.device.public_key(),
            epoch: status.epoch,
            interval: status.interval,
            beacon: status.beacon,
        };
        let heartbeat = self.source.heartbeat(fresh, ctx.device.secret_key());
        let (epoch, interval) = (heartbeat.heartbeat.epoch, heartbeat.heartbeat.interval);
        let receipt = oracle.send_heartbeat(&heartbeat).await?;
        tracing::debug!(
            oracle = oracle.name(),
            epoch,
            interval,
            ?receipt,
            "heartbeat sent"
        );
        Ok(receipt)
    }
}

fn warn_if_clock_disagrees(oracle: &dyn OracleApi, status: &OracleStatus) {
    let named = IntervalId {
        epoch: status.epoch,
        interval: status.interval,
    };
    let derived = EpochClock::new(status.epoch_blocks, status.intervals_per_epoch)
        .ok()
        .and_then(|clock| clock.interval_of(status.height));
    if status.height > 0 && derived != Some(named) {
        tracing::debug!(
            oracle = oracle.name(),
            height = status.height,
            ?named,
            ?derived,
            "the oracle names an interval that its own height does not fall in"
        );
    }
}
