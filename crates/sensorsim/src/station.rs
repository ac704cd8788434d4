//! What a weather station reports: the field at its position every 16 s, read through its
//! sensors' noise and resolution, or a cheat's inventions.
//!
//! Every reading is a pure function of the station and its slot, so a day read twice, or a
//! lead-in read again as the end of the previous day, is the same readings.

use crate::field::Field;
use crate::region::{Behaviour, Device};
use plexus_rewards::sensors::weather::WeatherReading;

/// Seconds between readings: WeatherXM's WS1000.
pub const TIMESTEP_S: u64 = 16;
/// Share of slots an honest station misses (a lost packet), in thousandths.
const MISSED_PER_MILLE: u64 = 5;

/// A reproducible draw in [0, 1) for the station's `slot` and `channel`.
pub(crate) fn unit(seed: u64, device: usize, slot: u64, channel: u64) -> f64 {
    let mut x = seed
        ^ (device as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ slot.wrapping_mul(0xbf58_476d_1ce4_e5b9)
        ^ channel.wrapping_mul(0x94d0_49bb_1331_11eb);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// An approximately normal draw with deviation 1 (the sum of four uniforms).
pub(crate) fn normal(seed: u64, device: usize, slot: u64, channel: u64) -> f64 {
    let sum: f64 = (0..4)
        .map(|k| unit(seed, device, slot, channel * 4 + k))
        .sum();
    (sum - 2.0) * 3f64.sqrt()
}

/// Rain gauge resolution, millimetres.
const GAUGE_MM: f64 = 0.254;

/// Millimetres of rain at the station from midnight to slot `k` of the day (exclusive).
fn rain_so_far(field: &Field, device: &Device, day_start_s: u64, k: u64) -> f64 {
    (0..k)
        .map(|j| {
            let t = (day_start_s + j * TIMESTEP_S) as f64;
            field.at(device.east, device.north, t).rain_mm_h * TIMESTEP_S as f64 / 3_600.0
        })
        .sum()
}

/// The readings the station reports for the slots in `from_s..to_s` (Unix seconds, from the
/// field's day 0 at `origin_s`).
pub fn readings(
    field: &Field,
    seed: u64,
    device: &Device,
    origin_s: u64,
    from_s: u64,
    to_s: u64,
) -> Vec<WeatherReading> {
    let first = from_s.saturating_sub(origin_s).div_ceil(TIMESTEP_S);
    let last = to_s.saturating_sub(origin_s).div_ceil(TIMESTEP_S);
    let slots_per_day = crate::DAY_S / TIMESTEP_S;
    // The gauge's counter: whole days of rain (each day's front is the same), then the day so
    // far, kept up slot by slot.
    let day_total = rain_so_far(field, device, origin_s, slots_per_day);
    let mut day = u64::MAX;
    let mut rain = 0.0;
    let mut out = Vec::with_capacity((last - first) as usize);
    for slot in first..last {
        let t = slot * TIMESTEP_S;
        if slot / slots_per_day != day {
            day = slot / slots_per_day;
            rain = day as f64 * day_total
                + rain_so_far(
                    field,
                    device,
                    origin_s + day * crate::DAY_S,
                    slot % slots_per_day,
                );
        }
        let w = field.at(device.east, device.north, t as f64);
        rain += w.rain_mm_h * TIMESTEP_S as f64 / 3_600.0;
        let at_s = origin_s + t;
        let n = |channel: u64| normal(seed, device.index, slot, channel);
        let reading = match device.behaviour {
            Behaviour::MadeUp => made_up(seed, device.index, slot, at_s),
            Behaviour::Constant => WeatherReading {
                at_s,
                ..made_up(seed, device.index, 0, at_s)
            },
            Behaviour::Indoor => WeatherReading {
                at_s,
                temperature_cc: Some(((22.0 + 0.1 * n(1)) * 100.0).round() as i32),
                humidity_dpct: Some(((45.0 + 0.3 * n(2)) * 10.0).round() as u32),
                pressure_dhpa: Some(((w.pressure_hpa + 0.05 * n(3)) * 10.0).round() as u32),
                wind_speed_cms: Some(0),
                wind_direction_deg: Some(0),
                illuminance_lux: Some(if (7..23).contains(&((t % crate::DAY_S) / 3_600)) {
                    (150.0 + 3.0 * n(6)).round() as u32
                } else {
                    0
                }),
                precipitation_um: Some(0),
            },
            _ => {
                if unit(seed, device.index, slot, 99) * 1_000.0 < MISSED_PER_MILLE as f64 {
                    continue;
                }
                WeatherReading {
                    at_s,
                    temperature_cc: Some(((w.temperature_c + 0.05 * n(1)) * 100.0).round() as i32),
                    humidity_dpct: Some(
                        ((w.humidity_pct + 0.4 * n(2)).clamp(1.0, 100.0) * 10.0).round() as u32,
                    ),
                    pressure_dhpa: Some(((w.pressure_hpa + 0.05 * n(3)) * 10.0).round() as u32),
                    wind_speed_cms: Some(
                        ((w.wind_speed_ms * (1.0 + 0.15 * n(4)) + 0.2 * n(5)).max(0.0) * 100.0)
                            .round() as u32,
                    ),
                    wind_direction_deg: Some(
                        (w.wind_direction_deg + 15.0 * n(7)).rem_euclid(360.0) as u32,
                    ),
                    illuminance_lux: Some(
                        (w.illuminance_lux * (1.0 + 0.02 * n(6))).max(0.0).round() as u32,
                    ),
                    precipitation_um: Some(((rain / GAUGE_MM).floor() * 254.0) as u32),
                }
            }
        };
        out.push(reading);
    }
    out
}

/// Values drawn at random within the WS1000's ranges.
fn made_up(seed: u64, device: usize, slot: u64, at_s: u64) -> WeatherReading {
    let u = |channel: u64| unit(seed, device, slot, channel);
    WeatherReading {
        at_s,
        temperature_cc: Some((u(1) * 10_000.0 - 4_000.0) as i32),
        humidity_dpct: Some(100 + (u(2) * 890.0) as u32),
        pressure_dhpa: Some(3_000 + (u(3) * 8_000.0) as u32),
        wind_speed_cms: Some((u(4) * 5_000.0) as u32),
        wind_direction_deg: Some((u(5) * 360.0) as u32),
        illuminance_lux: Some((u(6) * 400_000.0) as u32),
        precipitation_um: Some((u(7) * 10_000.0) as u32),
    }
}
