//! Readings as they arrive (`proto/plexus/v1/sensor.proto`) to readings as the rules read
//! them.

use super::meter::MeterHour;
use super::vehicle::VehicleReading;
use super::weather::WeatherReading;
use crate::wireless::geo::Position;
use plexus_types::proto;

pub fn weather(r: &proto::WeatherReading) -> WeatherReading {
    WeatherReading {
        at_s: r.at_s,
        temperature_cc: r.temperature_cc,
        humidity_dpct: r.humidity_dpct,
        pressure_dhpa: r.pressure_dhpa,
        wind_speed_cms: r.wind_speed_cms,
        wind_direction_deg: r.wind_direction_deg,
        illuminance_lux: r.illuminance_lux,
        precipitation_um: r.precipitation_um,
    }
}

pub fn weather_to_wire(r: &WeatherReading) -> proto::WeatherReading {
    proto::WeatherReading {
        at_s: r.at_s,
        temperature_cc: r.temperature_cc,
        humidity_dpct: r.humidity_dpct,
        pressure_dhpa: r.pressure_dhpa,
        wind_speed_cms: r.wind_speed_cms,
        wind_direction_deg: r.wind_direction_deg,
        illuminance_lux: r.illuminance_lux,
        precipitation_um: r.precipitation_um,
    }
}

pub fn meter(r: &proto::MeterReading) -> MeterHour {
    MeterHour {
        hour_start_s: r.hour_start_s,
        produced_wh: r.produced_wh,
        consumed_wh: r.consumed_wh,
    }
}

/// `None` for a position off the Earth, which no rule can read.
pub fn vehicle(r: &proto::VehicleReading) -> Option<VehicleReading> {
    Some(VehicleReading {
        at_s: r.at_s,
        position: Position::new(r.lat_e6, r.lon_e6)?,
        speed_cms: r.speed_cms,
        odometer_m: r.odometer_m,
    })
}
