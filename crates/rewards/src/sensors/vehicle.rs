//! Vehicles: a trip is believed when it is physically possible.
//!
//! - V1 (order): readings are taken in time order (ties by value); a second reading at the
//!   same second is ignored.
//! - V2 (segments): between consecutive readings `dt` seconds apart, with `d` the straight
//!   distance between their positions, a segment is consistent when
//!   d ≤ max_speed × dt + gps_slack (no faster than a car), the odometer did not fall, the
//!   odometer rose by at least d − gps_slack (a road is never shorter than the straight line)
//!   and at most max_speed × dt + gps_slack, and the reported speed is at most max_speed.
//! - V3 (quality): the share of consistent segments, in millionths; a day with a segment
//!   faster than twice max_speed (a teleport) scores 0, and so does a day with less than
//!   `min_driven_m` of consistent road (a car not driven is paid nothing, as DIMO's rule
//!   says, and a parked car proves no trip).

use super::PPM;
use crate::wireless::geo::{distance_m, Position};
use serde::{Deserialize, Serialize};

/// One reading of a vehicle's device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VehicleReading {
    pub at_s: u64,
    pub position: Position,
    /// Centimetres per second.
    pub speed_cms: u32,
    pub odometer_m: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleParams {
    /// Centimetres per second.
    pub max_speed_cms: u64,
    /// Metres of position error a segment may carry.
    pub gps_slack_m: u64,
    /// Metres of consistent road a day needs to count at all.
    pub min_driven_m: u64,
}

/// 70 m/s (252 km/h), 50 m of GPS error, 500 m driven.
pub const VEHICLE_PARAMS: VehicleParams = VehicleParams {
    max_speed_cms: 7_000,
    gps_slack_m: 50,
    min_driven_m: 500,
};

/// What rule V3 found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleDay {
    pub segments: u32,
    pub consistent: u32,
    pub teleports: u32,
    /// The odometer's rise over consistent segments.
    pub driven_m: u64,
    pub quality_ppm: u32,
}

/// Rules V1–V3 over a day's readings, in any order.
pub fn vehicle_quality(params: &VehicleParams, readings: &[VehicleReading]) -> VehicleDay {
    let mut sorted = readings.to_vec();
    sorted.sort_unstable();
    sorted.dedup_by_key(|r| r.at_s);
    let mut day = VehicleDay::default();
    for pair in sorted.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let dt = b.at_s - a.at_s;
        let d = distance_m(a.position, b.position);
        let reach = params.max_speed_cms.saturating_mul(dt) / 100;
        let slack = params.gps_slack_m;
        day.segments += 1;
        if d > reach.saturating_mul(2).saturating_add(slack) {
            day.teleports += 1;
            continue;
        }
        let rise = b.odometer_m.checked_sub(a.odometer_m);
        let consistent = d <= reach + slack
            && rise.is_some_and(|rise| rise + slack >= d && rise <= reach + slack)
            && u64::from(b.speed_cms) <= params.max_speed_cms;
        if consistent {
            day.consistent += 1;
            day.driven_m += rise.unwrap_or(0);
        }
    }
    day.quality_ppm = if day.teleports > 0 || day.driven_m < params.min_driven_m {
        0
    } else {
        (u64::from(day.consistent) * u64::from(PPM) / u64::from(day.segments)) as u32
    };
    day
}
