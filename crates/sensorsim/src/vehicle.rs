//! What a vehicle's device reports: two trips a day along a grid of streets (home to a
//! destination in the morning, back in the evening) at about 12 m/s, a reading every 10 s
//! while it drives, the odometer counting the road actually driven. A teleporting vehicle's
//! reading halfway through each trip, and every tenth, lands 40 km away.

use crate::region::{Behaviour, Device};
use crate::station::unit;
use plexus_rewards::sensors::vehicle::VehicleReading;

/// Seconds between readings while driving.
pub const READING_EVERY_S: u64 = 10;
/// Street grid spacing, metres.
const BLOCK_M: f64 = 400.0;
const SPEED_MS: f64 = 12.0;

/// A trip along the grid: east first, then north.
fn position_along(from: (f64, f64), to: (f64, f64), driven: f64) -> (f64, f64) {
    let east = to.0 - from.0;
    if driven <= east.abs() {
        return (from.0 + driven * east.signum(), from.1);
    }
    let north = to.1 - from.1;
    let rest = (driven - east.abs()).min(north.abs());
    (to.0, from.1 + rest * north.signum())
}

/// The readings of the vehicle's trips on each day from `from_s` to `to_s`.
pub fn readings(
    seed: u64,
    device: &Device,
    origin_s: u64,
    from_s: u64,
    to_s: u64,
) -> Vec<VehicleReading> {
    let snap = |v: f64| (v / BLOCK_M).round() * BLOCK_M;
    let home = (snap(device.east), snap(device.north));
    let mut out = Vec::new();
    let first_day = from_s.saturating_sub(origin_s) / crate::DAY_S;
    let last_day = to_s.saturating_sub(origin_s).div_ceil(crate::DAY_S);
    for day in first_day..last_day {
        let u = |channel: u64| unit(seed, device.index, day, channel);
        let mut away = (
            snap(home.0 + (u(1) - 0.5) * 8_000.0),
            snap(home.1 + (u(2) - 0.5) * 8_000.0),
        );
        if away == home {
            away.0 += BLOCK_M;
        }
        let length = (away.0 - home.0).abs() + (away.1 - home.1).abs();
        // The odometer before the day: every earlier day's two trips.
        let mut odometer = 20_000.0 + day as f64 * 2.0 * 9_000.0;
        for (start_h, from, to) in [(8.0, home, away), (18.0, away, home)] {
            let start = day * crate::DAY_S + ((start_h + u(3)) * 3_600.0) as u64;
            let steps = (length / SPEED_MS / READING_EVERY_S as f64).ceil() as u64;
            for step in 0..=steps {
                let at = start + step * READING_EVERY_S;
                let driven = (step as f64 * READING_EVERY_S as f64 * SPEED_MS).min(length);
                let (mut east, north) = position_along(from, to, driven);
                // Mid-trip and every tenth reading after, so that every trip jumps.
                let jump = step == steps / 2 || step % 10 == 5;
                if device.behaviour == Behaviour::Teleporting && jump && steps > 0 {
                    east += 40_000.0;
                }
                let at_s = origin_s + at;
                if at_s < from_s || at_s >= to_s {
                    continue;
                }
                out.push(VehicleReading {
                    at_s,
                    position: crate::region::ATHENS
                        .offset_m(north.round() as i64, east.round() as i64),
                    speed_cms: if driven < length {
                        (SPEED_MS * 100.0) as u32
                    } else {
                        0
                    },
                    odometer_m: (odometer + driven).round() as u64,
                });
            }
            odometer += length.max(1.0);
        }
    }
    out
}
