//! Energy meters on rooftop solar: production is believed as far as the sun allowed it.
//!
//! - M1 (reading): a meter reports, per hour, the energy it produced and consumed, in watt
//!   hours; a second report of an hour is ignored (the least one stands).
//! - M2 (plausibility): an hour's production is plausible when it is at most
//!   capacity × irradiance / 1 000 W/m² × (1 + tolerance) + allowance, where irradiance is the
//!   median, over the weather stations near the meter, of their hourly mean illuminance
//!   divided by 122 lx per W/m² (the daylight efficacy WeatherXM's charts use). Without a
//!   reference for the hour, only an hour that produced at most the allowance is plausible.
//! - M3 (quality): the share of the day's 24 hours that were reported and are plausible, in
//!   millionths; a meter with more than `max_implausible_hours` implausible hours in the day
//!   scores 0, since an honest meter is at most clipped by a passing cloud.

use super::PPM;
use serde::{Deserialize, Serialize};

/// One hour of a meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MeterHour {
    /// The start of the hour, seconds since the Unix epoch; a report that does not start on
    /// an hour of the day scored is ignored.
    pub hour_start_s: u64,
    pub produced_wh: u64,
    pub consumed_wh: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterParams {
    /// Lux per W/m² of sunlight.
    pub lux_per_w_m2: u64,
    /// Tolerance over the reference, in millionths.
    pub tolerance_ppm: u64,
    /// What any hour may produce, as a share of capacity, in millionths.
    pub allowance_ppm: u64,
    pub max_implausible_hours: u32,
}

/// 122 lx per W/m², 25 % tolerance, 2 % of capacity allowed in any hour, 2 implausible hours.
pub const METER_PARAMS: MeterParams = MeterParams {
    lux_per_w_m2: 122,
    tolerance_ppm: 250_000,
    allowance_ppm: 20_000,
    max_implausible_hours: 2,
};

/// Rule M2's reference for each hour: the median over nearby stations' hourly mean
/// illuminance (each `None` where the station's hour did not count), as W/m².
pub fn reference_irradiance(
    params: &MeterParams,
    stations: &[&[Option<i64>]],
) -> [Option<u64>; 24] {
    let mut out = [None; 24];
    let mut values = Vec::with_capacity(stations.len());
    for (hour, slot) in out.iter_mut().enumerate() {
        values.clear();
        values.extend(
            stations
                .iter()
                .filter_map(|s| s.get(hour).copied().flatten()),
        );
        if values.is_empty() {
            continue;
        }
        let mid = (values.len() - 1) / 2;
        let lux = (*values.select_nth_unstable(mid).1).max(0) as u64;
        *slot = Some(lux / params.lux_per_w_m2);
    }
    out
}

/// What rule M3 found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterDay {
    pub reported_hours: u32,
    pub implausible_hours: u32,
    pub produced_wh: u64,
    pub quality_ppm: u32,
}

/// Rules M1–M3 for a meter of `capacity_w` watts peak, over the day starting at
/// `day_start_s`.
pub fn meter_quality(
    params: &MeterParams,
    capacity_w: u64,
    day_start_s: u64,
    irradiance_w_m2: &[Option<u64>; 24],
    hours: &[MeterHour],
) -> MeterDay {
    let mut by_hour: [Option<MeterHour>; 24] = [None; 24];
    for h in hours {
        let Some(offset) = h.hour_start_s.checked_sub(day_start_s) else {
            continue;
        };
        if !offset.is_multiple_of(3_600) {
            continue;
        }
        if let Some(slot) = by_hour.get_mut((offset / 3_600).min(24) as usize) {
            if slot.is_none_or(|held| *h < held) {
                *slot = Some(*h);
            }
        }
    }
    let allowance = capacity_w.saturating_mul(params.allowance_ppm) / 1_000_000;
    let mut day = MeterDay::default();
    for (hour, h) in by_hour.iter().enumerate() {
        let Some(h) = h else { continue };
        day.reported_hours += 1;
        day.produced_wh = day.produced_wh.saturating_add(h.produced_wh);
        let ceiling = match irradiance_w_m2[hour] {
            Some(sun) => {
                let clear = u128::from(capacity_w) * u128::from(sun) / 1_000;
                let tolerated = clear * u128::from(1_000_000 + params.tolerance_ppm) / 1_000_000;
                u64::try_from(tolerated)
                    .unwrap_or(u64::MAX)
                    .saturating_add(allowance)
            }
            None => allowance,
        };
        if h.produced_wh > ceiling {
            day.implausible_hours += 1;
        }
    }
    day.quality_ppm =
        if day.reported_hours == 0 || day.implausible_hours > params.max_implausible_hours {
            0
        } else {
            let plausible = u64::from(day.reported_hours - day.implausible_hours);
            (plausible * u64::from(PPM) / 24) as u32
        };
    day
}
