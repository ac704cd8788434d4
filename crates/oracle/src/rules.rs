//! The oracle's pure rules: which heartbeats it admits, when it challenges each device, and
//! when a challenge has expired. Each takes the chain's position and the time as arguments and
//! does no I/O, so each can be run at any speed and any time.

use crate::clock::{self, EpochClock};
use crate::evidence::PublishedRecord;
use crate::shared::{Challenge, PendingChallenge, State};
use plexus_client::views::DeviceView;
use plexus_proofs::compute::{class_by_name, ComputeChallenge};
use plexus_rewards::ChallengeOutcome;
use plexus_types::heartbeat::SignedHeartbeat;
use plexus_types::{Hash, PublicKey};
use std::collections::BTreeMap;
use std::time::Duration;

/// Compute challenges per device per epoch.
pub const CHALLENGES_PER_EPOCH: u32 = 2;
pub use plexus_proofs::compute::NETWORK_ALLOWANCE_MS;
/// How long a device has to open the rows it was asked for after committing.
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a heartbeat is refused: (code, message).
pub(crate) type Refusal = (&'static str, String);

/// Whether a heartbeat is admitted, checking everything but its signature (checked
/// beforehand, in batches): `Ok(true)` to record it, `Ok(false)` for one already recorded.
///
/// Admitted: for this chain, from an active registered device, naming the chain's current
/// interval or the one before it, of an epoch not yet closed, with that interval's beacon.
pub(crate) fn admit_heartbeat(
    chain_id: &str,
    clock: &EpochClock,
    state: &State,
    hb: &SignedHeartbeat,
) -> Result<bool, Refusal> {
    let h = &hb.heartbeat;
    if h.chain_id != chain_id {
        return Err((
            "wrong_chain",
            format!("heartbeat for chain {:?}", h.chain_id),
        ));
    }
    let Some(device) = state.devices.get(&h.device) else {
        return Err((
            "unknown_device",
            format!("device {} is not registered", h.device),
        ));
    };
    if !device.is_active() {
        return Err((
            "inactive_device",
            format!("device {} is not active", h.device),
        ));
    }
    let (epoch, interval) = clock::position(clock, state.height);
    let current = (h.epoch, h.interval) == (epoch, interval);
    let previous = if interval > 0 {
        (h.epoch, h.interval) == (epoch, interval - 1)
    } else {
        h.epoch + 1 == epoch && h.interval + 1 == clock.intervals_per_epoch()
    };
    if !current && !previous {
        return Err((
            "stale",
            format!(
                "heartbeat for epoch {} interval {}; the chain is at epoch {epoch} interval {interval}",
                h.epoch, h.interval
            ),
        ));
    }
    if state.closed.contains(&h.epoch) {
        return Err(("stale", format!("epoch {} is closed", h.epoch)));
    }
    let beacon = state
        .beacons
        .get(&clock::beacon(clock, h.epoch, h.interval));
    if beacon != Some(&h.beacon) {
        return Err((
            "bad_beacon",
            "the beacon is not the interval's app hash".into(),
        ));
    }
    Ok(!state.seen.contains(&(h.device, h.epoch, h.interval)))
}

/// Schedules `epoch`'s challenges for every active compute device in `state.devices`.
/// Challenge `k` opens at a block of the k-th part of the epoch (of its part after
/// registration, for a device registered during the epoch) that the device cannot predict, so
/// devices are not all challenged at once; the last interval is left for answers. Where it
/// opens follows from `word` (drawn from the beacon of the epoch's first block); its secret is
/// drawn once that block is committed ([`open_due`]). Every oracle, and an oracle after a
/// restart, schedules the same challenges.
pub(crate) fn schedule(
    state: &mut State,
    clock: &EpochClock,
    epoch: u64,
    word: impl Fn(&PublicKey, u64, u32) -> u64,
) {
    let eb = clock.epoch_blocks();
    let epoch_start = (epoch - 1) * eb;
    let answer_room = eb / clock.intervals_per_epoch() as u64;
    let usable_end = eb.saturating_sub(answer_room).max(1);
    let devices: Vec<DeviceView> = state.devices.values().cloned().collect();
    for device in devices {
        if !device.is_active()
            || device.registered_epoch > epoch
            || state.scheduled.contains(&(device.key, epoch))
        {
            continue;
        }
        let Some(class) = class_by_name(&device.class) else {
            continue;
        };
        state.scheduled.insert((device.key, epoch));
        let start = if device.registered_epoch == epoch {
            device
                .registered_height
                .saturating_sub(epoch_start)
                .min(usable_end - 1)
        } else {
            0
        };
        let part = ((usable_end - start) / CHALLENGES_PER_EPOCH as u64).max(1);
        for k in 0..CHALLENGES_PER_EPOCH {
            let jitter = word(&device.key, epoch, k) % part;
            state.pending.insert(
                (device.key, epoch, k),
                PendingChallenge {
                    opens_at_height: epoch_start + start + k as u64 * part + jitter + 1,
                    class: device.class.clone(),
                    deadline_ms: class.deadline_ms,
                    n: class.n,
                },
            );
        }
    }
}

/// The heights whose beacons the challenges due by `height` are drawn from.
pub(crate) fn due_heights(state: &State, height: u64) -> Vec<u64> {
    let mut heights: Vec<u64> = state
        .pending
        .values()
        .filter(|p| p.opens_at_height <= height)
        .map(|p| p.opens_at_height)
        .collect();
    heights.sort_unstable();
    heights.dedup();
    heights
}

/// Opens the scheduled challenges due by `height` whose block's beacon `beacon` knows: draws
/// each one's secret with `secret` (device, epoch, k, the beacon of its block).
pub(crate) fn open_due(
    state: &mut State,
    height: u64,
    now: Duration,
    beacon: impl Fn(u64) -> Option<Hash>,
    secret: impl Fn(&PublicKey, u64, u32, &Hash) -> [u8; 32],
) {
    let due: Vec<(PublicKey, u64, u32)> = state
        .pending
        .iter()
        .filter(|(_, p)| p.opens_at_height <= height)
        .map(|(key, _)| *key)
        .collect();
    for key in due {
        let (device, epoch, k) = key;
        let opens_at_height = state.pending[&key].opens_at_height;
        let Some(b) = beacon(opens_at_height) else {
            continue;
        };
        let Some(p) = state.pending.remove(&key) else {
            continue;
        };
        let secret = secret(&device, epoch, k, &b);
        let Ok(challenge) = ComputeChallenge::from_secret(&secret, p.n) else {
            continue;
        };
        let id = challenge.id();
        state.challenges.entry(id).or_insert(Challenge {
            id,
            device,
            epoch,
            opens_at_height,
            class: p.class,
            secret,
            challenge,
            deadline_ms: p.deadline_ms,
            opened_at: now,
            fetched_at: None,
            committed: None,
            rows: Vec::new(),
            outcome: None,
        });
    }
}

/// How far a device's clock may be from the oracle's when it asks for its challenges.
pub(crate) const FETCH_CLOCK_SKEW: Duration = Duration::from_secs(30);

/// Whether a challenge request made at `at_ms` (the device's clock) is near enough `now` (the
/// oracle's clock): an old signed request cannot be kept and replayed later.
pub(crate) fn fetch_in_time(at_ms: u64, now: Duration) -> bool {
    Duration::from_millis(at_ms).abs_diff(now) <= FETCH_CLOCK_SKEW
}

/// How long after a challenge opens a device may fetch it before its deadline starts anyway.
/// The seed is drawn from a public beacon, so a device could compute it from the chain and
/// fetch late; its head start is bounded by this grace (agents poll every 100 ms, one oracle
/// after another).
pub(crate) const FETCH_GRACE: Duration = Duration::from_secs(1);

/// When a challenge opened at `opened_at` and fetched at `now` starts its deadline.
pub(crate) fn deadline_start(opened_at: Duration, now: Duration) -> Duration {
    now.min(opened_at + FETCH_GRACE)
}

/// Whether a device that first saw a challenge at `fetched_at` is too late at `now` to commit
/// to it: past the class's deadline plus [`NETWORK_ALLOWANCE_MS`].
pub(crate) fn commit_too_late(fetched_at: Duration, now: Duration, deadline_ms: u64) -> bool {
    now.saturating_sub(fetched_at) > Duration::from_millis(deadline_ms + NETWORK_ALLOWANCE_MS)
}

/// Resolves as missed the challenges whose time is up at `now`: committed but not opened
/// within [`OPEN_TIMEOUT`], fetched but not committed in time, or never fetched before their
/// epoch ended (`last_ended`). Returns the records to log.
pub(crate) fn expire(
    challenges: &mut BTreeMap<Hash, Challenge>,
    now: Duration,
    last_ended: u64,
) -> Vec<PublishedRecord> {
    let mut out = Vec::new();
    for c in challenges.values_mut() {
        if c.outcome.is_some() {
            continue;
        }
        let expired = match (&c.fetched_at, &c.committed) {
            (_, Some((_, _, at))) => now.saturating_sub(*at) > OPEN_TIMEOUT,
            (Some(at), None) => commit_too_late(*at, now, c.deadline_ms),
            (None, None) => c.epoch <= last_ended,
        };
        if expired {
            c.outcome = Some(ChallengeOutcome::Missed);
            out.push(c.record());
        }
    }
    out
}

/// How far a wireless record's own time (a fix, a transmission, a reception) may be from the
/// oracle's clock: a hotspot sends its records as it makes them, and a record kept back and
/// sent later, to stand for a place it has left, is refused.
pub(crate) const WIRELESS_CLOCK_SKEW: Duration = Duration::from_secs(10 * 60);
/// Signed wireless records one request may carry.
pub const MAX_WIRELESS_BATCH: usize = 256;
/// Wireless records one hotspot may have recorded in an epoch (a location report per
/// heartbeat, its beacons and the beacons it hears): the log stays bounded per device.
pub const MAX_WIRELESS_PER_DEVICE_EPOCH: usize = 4_096;

/// Whether a signed wireless record is admitted for `epoch` (the chain's current epoch, not
/// closed), checking everything but its signature (checked beforehand, in batches):
/// `Ok(true)` to record it, `Ok(false)` for one already recorded.
///
/// Admitted: from an active registered device of a class that asserts its location, with
/// an asserted location; beacons and witness reports only from LoRa (proof of coverage)
/// hotspots; stamped within [`WIRELESS_CLOCK_SKEW`] of `now`; within the device's
/// [`MAX_WIRELESS_PER_DEVICE_EPOCH`].
pub(crate) fn admit_wireless(
    info: &plexus_client::views::ChainView,
    state: &State,
    epoch: u64,
    record: &plexus_rewards::wireless::SignedWireless,
    digest: &Hash,
    now: Duration,
) -> Result<bool, Refusal> {
    use plexus_rewards::wireless::SignedWireless;
    use plexus_rewards::ResourceClass;
    let key = record.device();
    let Some(device) = state.devices.get(&key) else {
        return Err(("unknown_device", format!("device {key} is not registered")));
    };
    if !device.is_active() {
        return Err(("inactive_device", format!("device {key} is not active")));
    }
    let class = info.device_class(&device.class);
    let hotspot = class.is_some_and(|c| {
        c.asserts_location() && matches!(c.resource, ResourceClass::Coverage | ResourceClass::Poc)
    });
    if !hotspot || device.location.is_none() {
        return Err((
            "not_wireless",
            format!(
                "device {key} is of class {}, which is not a wireless hotspot with an asserted location",
                device.class
            ),
        ));
    }
    let lora = class.is_some_and(|c| c.resource == ResourceClass::Poc);
    if !lora && !matches!(record, SignedWireless::Location(_)) {
        return Err((
            "not_lora",
            format!("only LoRa hotspots send a {}", record.kind()),
        ));
    }
    if Duration::from_millis(record.at_ms()).abs_diff(now) > WIRELESS_CLOCK_SKEW {
        return Err((
            "stale",
            format!(
                "the {} is stamped {} ms, too far from the oracle's clock ({} ms)",
                record.kind(),
                record.at_ms(),
                now.as_millis()
            ),
        ));
    }
    let recorded = state.wireless_seen.get(&(epoch, key));
    if recorded.is_some_and(|r| r.contains(digest)) {
        return Ok(false);
    }
    if recorded.map_or(0, |r| r.len()) >= MAX_WIRELESS_PER_DEVICE_EPOCH {
        return Err((
            "quota",
            format!("device {key} has sent {MAX_WIRELESS_PER_DEVICE_EPOCH} records this epoch"),
        ));
    }
    Ok(true)
}

/// Reading batches one sensor device may have recorded in an epoch: a station streams its
/// day in a few batches, so the log stays bounded per device.
pub const MAX_READING_BATCHES_PER_DEVICE_EPOCH: usize = 32;
/// Readings one sensor device may have recorded in an epoch, all batches together: a day and
/// its lead-in of a station reading every 16 s is 6 750.
pub const MAX_READINGS_PER_DEVICE_EPOCH: u64 = 8_192;

/// Why a batch's readings do not all fall in the epoch's day (and a station's lead-in), the
/// only times its scoring reads (rule SM1).
fn outside_the_day(
    params: &plexus_rewards::ScoringParams,
    epoch: u64,
    readings: &plexus_types::readings::Readings,
) -> Option<String> {
    use plexus_types::readings::Readings;
    const DAY_S: u64 = 86_400;
    let day = params
        .sensor_origin_s
        .saturating_add(epoch.saturating_mul(DAY_S));
    let end = day.saturating_add(DAY_S);
    let lead_in = u64::from(plexus_rewards::sensors::weather::WS1000.lead_in_s);
    let (from, times): (u64, Vec<u64>) = match readings {
        Readings::Weather(r) => (
            day.saturating_sub(lead_in),
            r.iter().map(|r| r.at_s).collect(),
        ),
        Readings::Meter(r) => (day, r.iter().map(|r| r.hour_start_s).collect()),
        Readings::Vehicle(r) => (day, r.iter().map(|r| r.at_s).collect()),
    };
    let outside = times.iter().find(|t| !(from..end).contains(*t))?;
    Some(format!(
        "a reading at {outside} s falls outside epoch {epoch}'s day ({from}..{end})"
    ))
}

/// Whether a sensor device's signed batch (its signature already checked) is admitted for
/// `epoch`, the chain's current one, not closed: `Ok(true)` to record it, `Ok(false)` for one
/// already recorded.
///
/// Admitted: of `epoch`; from an active registered device of a sensor class with an asserted
/// location; holding readings of its class, at least one, each within the epoch's day (a
/// station's also in the 6 hours before); within the device's
/// [`MAX_READING_BATCHES_PER_DEVICE_EPOCH`] and [`MAX_READINGS_PER_DEVICE_EPOCH`].
pub(crate) fn admit_readings(
    info: &plexus_client::views::ChainView,
    state: &State,
    epoch: u64,
    signed: &plexus_types::readings::SignedReadingBatch,
    digest: &Hash,
) -> Result<bool, Refusal> {
    use plexus_rewards::ResourceClass;
    let batch = &signed.batch;
    let key = batch.device;
    if batch.epoch != epoch || state.closed.contains(&epoch) {
        return Err((
            "stale",
            format!(
                "readings for epoch {}; the chain is in epoch {epoch}",
                batch.epoch
            ),
        ));
    }
    let Some(device) = state.devices.get(&key) else {
        return Err(("unknown_device", format!("device {key} is not registered")));
    };
    if !device.is_active() {
        return Err(("inactive_device", format!("device {key} is not active")));
    }
    let class = info.device_class(&device.class);
    if class.is_none_or(|c| c.resource != ResourceClass::Sensor) || device.location.is_none() {
        return Err((
            "not_sensor",
            format!(
                "device {key} is of class {}, which is not a sensor class with an asserted location",
                device.class
            ),
        ));
    }
    if batch.readings.class() != device.class {
        return Err((
            "wrong_kind",
            format!(
                "a {} device sends {} readings, not {}",
                device.class,
                device.class,
                batch.readings.class()
            ),
        ));
    }
    if batch.readings.is_empty() {
        return Err(("empty", "the batch holds no readings".into()));
    }
    if let Some(why) = outside_the_day(&info.scoring_params(), epoch, &batch.readings) {
        return Err(("out_of_day", why));
    }
    let recorded = state.readings_seen.get(&(epoch, key));
    if recorded.is_some_and(|r| r.digests.contains(digest)) {
        return Ok(false);
    }
    let (batches, readings) = recorded.map_or((0, 0), |r| (r.digests.len(), r.readings));
    if batches >= MAX_READING_BATCHES_PER_DEVICE_EPOCH
        || readings + batch.readings.len() as u64 > MAX_READINGS_PER_DEVICE_EPOCH
    {
        return Err((
            "quota",
            format!(
                "device {key} has sent {batches} batches of {readings} readings this epoch; at most \
                 {MAX_READING_BATCHES_PER_DEVICE_EPOCH} batches of {MAX_READINGS_PER_DEVICE_EPOCH} readings in all"
            ),
        ));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_that_fetches_late_gains_no_more_than_the_grace() {
        let opened = Duration::from_secs(100);
        // On time: the deadline runs from the fetch.
        let soon = opened + Duration::from_millis(150);
        assert_eq!(deadline_start(opened, soon), soon);
        // Late (it computed the public seed first): the deadline ran from the grace's end,
        // so a commitment now is too late whatever its class.
        let late = opened + Duration::from_secs(30);
        let start = deadline_start(opened, late);
        assert_eq!(start, opened + FETCH_GRACE);
        assert!(commit_too_late(start, late, 2_000));
    }
}
