//! The true weather: what a perfect sensor at a point would read at a time.
//!
//! Temperature follows the sun (coolest near dawn, warmest mid-afternoon) around a mean set by
//! the day; humidity moves against it; a cold front crosses the region once a day, from the
//! west at 25 km/h, bringing cloud, rain, a pressure trough, wind, and air 4 °C colder and
//! more humid behind it. A small fixed gradient over the region keeps neighbours alike but
//! not identical.

use std::f64::consts::PI;

/// The weather at one point and time, in natural units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weather {
    pub temperature_c: f64,
    pub humidity_pct: f64,
    pub pressure_hpa: f64,
    pub wind_speed_ms: f64,
    pub wind_direction_deg: f64,
    pub illuminance_lux: f64,
    /// Rain rate, millimetres per hour.
    pub rain_mm_h: f64,
    /// Sunlight on a horizontal surface, W/m² (what drives a solar roof).
    pub irradiance_w_m2: f64,
}

/// The field's constants for one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// Mean temperature of the region's days, °C.
    pub mean_c: f64,
    /// Front speed, metres per second, west to east.
    pub front_speed_ms: f64,
    /// Where the front is at midnight of day 0, metres east of the centre.
    pub front_start_m: f64,
}

impl Default for Field {
    fn default() -> Field {
        Field {
            mean_c: 15.0,
            front_speed_ms: 25_000.0 / 3_600.0,
            front_start_m: -150_000.0,
        }
    }
}

/// Width of the front's transition, metres.
const FRONT_WIDTH_M: f64 = 12_000.0;
/// Width of the rain band, metres.
const RAIN_BAND_M: f64 = 20_000.0;

impl Field {
    /// The weather at `east`, `north` metres from the centre, `t` seconds after midnight of
    /// day 0 (UTC, taken as local solar time).
    pub fn at(&self, east: f64, north: f64, t: f64) -> Weather {
        let day = (t / 86_400.0).floor();
        let hour = (t - day * 86_400.0) / 3_600.0;
        // The front crosses once a day: it starts again from the west each midnight.
        let front = self.front_start_m + (t % 86_400.0) * self.front_speed_ms;
        let behind = 0.5 * (1.0 + ((front - east) / FRONT_WIDTH_M).tanh());
        let rain_band = (-((east - front) / RAIN_BAND_M).powi(2)).exp();
        let day_mean = self.mean_c + 2.0 * (day * 0.9).sin();
        let diurnal = -(2.0 * PI * (hour - 15.0) / 24.0).cos();
        let gradient = 0.00002 * east - 0.00003 * north;
        let temperature_c = day_mean + 6.0 * diurnal + gradient - 4.0 * behind;
        let humidity_pct =
            (62.0 - 18.0 * diurnal + 18.0 * behind + 10.0 * rain_band).clamp(12.0, 98.0);
        let pressure_hpa = 1_014.0 - 7.0 * rain_band - 2.0 * behind + 0.00001 * north;
        let wind_speed_ms = 2.5 + 1.5 * (diurnal + 1.0) + 5.0 * rain_band;
        let wind_direction_deg = (230.0 + 60.0 * behind).rem_euclid(360.0);
        let sun = ((hour - 6.0) / 12.0 * PI).sin().max(0.0);
        let cloud = 1.0 - 0.75 * rain_band - 0.2 * behind;
        let irradiance_w_m2 = 950.0 * sun * cloud;
        Weather {
            temperature_c,
            humidity_pct,
            pressure_hpa,
            wind_speed_ms,
            wind_direction_deg,
            illuminance_lux: irradiance_w_m2 * 122.0,
            rain_mm_h: 3.0 * rain_band * (rain_band > 0.3) as u8 as f64,
            irradiance_w_m2,
        }
    }
}
