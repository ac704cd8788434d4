//! A device's day as it sends it: its readings of the day (a station's with the lead-in its
//! quality rules read before the day) in the wire form of a signed reading batch.

use crate::field::Field;
use crate::region::{Device, DeviceKind};
use crate::{meter, station, vehicle, DAY_S};
use plexus_rewards::sensors::weather::WS1000;
use plexus_rewards::sensors::wire;
use plexus_types::proto;
use plexus_types::readings::Readings;

/// What `device` read over the day starting at `day_start_s` (Unix seconds), with the field's
/// day 0 at `origin_s`.
pub fn day_readings(
    field: &Field,
    seed: u64,
    device: &Device,
    origin_s: u64,
    day_start_s: u64,
) -> Readings {
    let end = day_start_s + DAY_S;
    match device.kind {
        DeviceKind::Weather => {
            let from = day_start_s.saturating_sub(u64::from(WS1000.lead_in_s));
            Readings::Weather(
                station::readings(field, seed, device, origin_s, from, end)
                    .iter()
                    .map(wire::weather_to_wire)
                    .collect(),
            )
        }
        DeviceKind::EnergyMeter => Readings::Meter(
            meter::readings(field, seed, device, origin_s, day_start_s, end)
                .iter()
                .map(|h| proto::MeterReading {
                    hour_start_s: h.hour_start_s,
                    produced_wh: h.produced_wh,
                    consumed_wh: h.consumed_wh,
                })
                .collect(),
        ),
        DeviceKind::Vehicle => Readings::Vehicle(
            vehicle::readings(seed, device, origin_s, day_start_s, end)
                .iter()
                .map(|r| proto::VehicleReading {
                    at_s: r.at_s,
                    lat_e6: r.position.lat_e6,
                    lon_e6: r.position.lon_e6,
                    speed_cms: r.speed_cms,
                    odometer_m: r.odometer_m,
                })
                .collect(),
        ),
    }
}
