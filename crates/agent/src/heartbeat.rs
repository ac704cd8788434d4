//! The heartbeat duty: proves the device alive to every oracle, once per interval, with a
//! heartbeat the device key signs over the oracle's current interval and beacon.

use crate::context::DeviceContext;
use crate::error::AgentError;
use plexus_client::{HeartbeatReceipt, OracleApi, OracleStatus};
use plexus_types::epoch_clock::{EpochClock, IntervalId};
use plexus_types::heartbeat::{Heartbeat, SignedHeartbeat};
use plexus_types::SecretKey;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The shortest period the duty heartbeats at, however short the chain's intervals.
const MIN_PERIOD: Duration = Duration::from_millis(50);
/// Heartbeats per interval the duty aims at: more than one, so that a round delayed by a busy
/// host or a slow oracle still lands in every interval, and few, since every device sends each
/// one to every oracle.
const ROUNDS_PER_INTERVAL: u32 = 2;

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
    pace: Arc<Mutex<Pace>>,
}

/// Blocks the rate is measured over before the measurement starts again, so that the pace
/// follows a chain whose blocks come faster or slower than they did.
const PACE_WINDOW_BLOCKS: u64 = 64;

/// How long the chain's intervals last, learnt from the heights oracles report over time (the
/// chain's parameters count intervals in blocks, and only the running network knows how long
/// a block takes).
#[derive(Debug, Default)]
struct Pace {
    /// The height the measurement started at, and when.
    first: Option<(u64, Duration)>,
    interval: Option<Duration>,
}

impl Pace {
    fn observe(&mut self, status: &OracleStatus, now: Duration) {
        let Some((h0, t0)) = self.first else {
            self.first = Some((status.height, now));
            return;
        };
        let blocks = status.height.saturating_sub(h0);
        if blocks < 2 || status.intervals_per_epoch == 0 {
            return;
        }
        let per_block = now.saturating_sub(t0) / u32::try_from(blocks).unwrap_or(u32::MAX);
        let blocks_per_interval =
            (status.epoch_blocks / u64::from(status.intervals_per_epoch)).max(1);
        self.interval =
            Some(per_block.saturating_mul(u32::try_from(blocks_per_interval).unwrap_or(u32::MAX)));
        if blocks >= PACE_WINDOW_BLOCKS {
            self.first = Some((status.height, now));
        }
    }
}

impl Heartbeats {
    pub fn new(source: Arc<dyn HeartbeatSource>) -> Heartbeats {
        Heartbeats {
            source,
            pace: Default::default(),
        }
    }

    /// How long to wait between rounds: `longest`, or half an interval when the chain's
    /// intervals are shorter than two of those, so that no interval goes without a heartbeat.
    pub fn period(&self, longest: Duration) -> Duration {
        let interval = self.pace.lock().expect("heartbeat pace").interval;
        interval.map_or(longest, |i| {
            (i / ROUNDS_PER_INTERVAL).clamp(MIN_PERIOD, longest.max(MIN_PERIOD))
        })
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
        self.pace
            .lock()
            .expect("heartbeat pace")
            .observe(&status, ctx.clock().now());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn status(height: u64, epoch_blocks: u64) -> OracleStatus {
        OracleStatus {
            chain_id: "plexus-test".into(),
            height,
            epoch: 1,
            interval: 0,
            beacon: plexus_types::Hash([0; 32]),
            epoch_blocks,
            intervals_per_epoch: 8,
        }
    }

    #[test]
    fn the_period_shrinks_to_half_an_interval_when_intervals_are_short() {
        let beats = Heartbeats::new(Arc::new(FreshHeartbeats));
        let longest = Duration::from_secs(1);
        // Nothing learnt yet: the configured period.
        assert_eq!(beats.period(longest), longest);
        let ms = Duration::from_millis;
        // 250 ms blocks, 2-block intervals: 500 ms, so a heartbeat every 250 ms.
        beats.pace.lock().unwrap().observe(&status(10, 16), ms(0));
        beats.pace.lock().unwrap().observe(&status(11, 16), ms(250));
        assert_eq!(beats.period(longest), longest, "one block is not a rate");
        beats
            .pace
            .lock()
            .unwrap()
            .observe(&status(30, 16), ms(5_000));
        assert_eq!(beats.period(longest), ms(250));

        // 40-block intervals of 10 s: the configured period is short enough.
        let slow = Heartbeats::new(Arc::new(FreshHeartbeats));
        slow.pace.lock().unwrap().observe(&status(10, 320), ms(0));
        slow.pace
            .lock()
            .unwrap()
            .observe(&status(30, 320), ms(5_000));
        assert_eq!(slow.period(longest), longest);

        // Blocks that come twice as fast after a window: the pace follows them.
        beats
            .pace
            .lock()
            .unwrap()
            .observe(&status(100, 16), ms(22_500));
        beats
            .pace
            .lock()
            .unwrap()
            .observe(&status(164, 16), ms(30_500));
        assert_eq!(beats.period(longest), ms(125));

        // A chain of 1-block intervals faster than the floor: the floor.
        let fast = Heartbeats::new(Arc::new(FreshHeartbeats));
        fast.pace.lock().unwrap().observe(&status(0, 8), ms(0));
        fast.pace
            .lock()
            .unwrap()
            .observe(&status(100, 8), ms(1_000));
        assert_eq!(fast.period(longest), MIN_PERIOD);
    }
}
