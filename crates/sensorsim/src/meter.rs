//! What a rooftop solar meter reports: each hour, the energy its roof made from the sun the
//! field shines on it (at 80 % of the panels' rating, as real roofs run), and what the house
//! used; an inflating meter reports 2.5 times what it made.

use crate::field::Field;
use crate::region::{Behaviour, Device};
use crate::station::normal;
use plexus_rewards::sensors::meter::MeterHour;

/// Samples of the sun per hour.
const SAMPLES: u64 = 12;

/// The hours the meter reports from `from_s` to `to_s` (whole hours from `origin_s`).
pub fn readings(
    field: &Field,
    seed: u64,
    device: &Device,
    origin_s: u64,
    from_s: u64,
    to_s: u64,
) -> Vec<MeterHour> {
    let first = from_s.saturating_sub(origin_s).div_ceil(3_600);
    let last = to_s.saturating_sub(origin_s) / 3_600;
    (first..last)
        .map(|hour| {
            let sun: f64 = (0..SAMPLES)
                .map(|k| {
                    let t = (hour * 3_600 + k * 3_600 / SAMPLES + 150) as f64;
                    field.at(device.east, device.north, t).irradiance_w_m2
                })
                .sum::<f64>()
                / SAMPLES as f64;
            let made = device.capacity_w as f64 * sun / 1_000.0
                * 0.8
                * (1.0 + 0.03 * normal(seed, device.index, hour, 11));
            let factor = if device.behaviour == Behaviour::InflatingMeter {
                2.5
            } else {
                1.0
            };
            MeterHour {
                hour_start_s: origin_s + hour * 3_600,
                produced_wh: (made.max(0.0) * factor).round() as u64,
                consumed_wh: (600.0 + 150.0 * normal(seed, device.index, hour, 12)).max(0.0) as u64,
            }
        })
        .collect()
}
