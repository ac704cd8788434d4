//! The parameters a station model's readings are checked against, and WeatherXM's published
//! values for its WS1000 station (`obc_sqc/model/initial_params.py` of WeatherXM's open QoD
//! algorithm, version 1.0.6), converted to the integer units of [`WeatherReading`].
//!
//! WeatherXM lists its parameters in the order humidity, temperature, wind direction, wind
//! speed, pressure, illuminance, accumulated precipitation; [`WeatherParameter::ALL`] keeps it,
//! so each table below reads against theirs column by column.

use super::WeatherReading;
use serde::{Deserialize, Serialize};

/// One measured quantity of a weather station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeatherParameter {
    /// Relative humidity, tenths of a percent.
    Humidity,
    /// Air temperature, hundredths of a degree Celsius.
    Temperature,
    /// Wind direction, whole degrees (0 = north).
    WindDirection,
    /// Wind speed, centimetres per second.
    WindSpeed,
    /// Air pressure, tenths of a hectopascal.
    Pressure,
    /// Illuminance, lux.
    Illuminance,
    /// Rain gauge counter, micrometres accumulated since the counter started.
    Precipitation,
}

impl WeatherParameter {
    /// Every parameter, in WeatherXM's order.
    pub const ALL: [WeatherParameter; 7] = [
        WeatherParameter::Humidity,
        WeatherParameter::Temperature,
        WeatherParameter::WindDirection,
        WeatherParameter::WindSpeed,
        WeatherParameter::Pressure,
        WeatherParameter::Illuminance,
        WeatherParameter::Precipitation,
    ];

    /// Position in [`WeatherParameter::ALL`] and in every per-parameter table.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The reading's value of this parameter, in the parameter's unit.
    pub fn value(self, r: &WeatherReading) -> Option<i64> {
        match self {
            WeatherParameter::Humidity => r.humidity_dpct.map(i64::from),
            WeatherParameter::Temperature => r.temperature_cc.map(i64::from),
            WeatherParameter::WindDirection => r.wind_direction_deg.map(i64::from),
            WeatherParameter::WindSpeed => r.wind_speed_cms.map(i64::from),
            WeatherParameter::Pressure => r.pressure_dhpa.map(i64::from),
            WeatherParameter::Illuminance => r.illuminance_lux.map(i64::from),
            WeatherParameter::Precipitation => r.precipitation_um.map(i64::from),
        }
    }
}

/// The checks of one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterRules {
    /// Rule W2: the sensor's range. For precipitation, the range of one timestep's increase
    /// of the counter (the gauge's resolution times the timestep, in WeatherXM's table).
    pub lower: i64,
    pub upper: i64,
    /// Rule W3: the largest change between consecutive readings; `None`: not checked.
    pub jump: Option<i64>,
    /// Rule W3: the share of a median window's slots that must hold readings for its median
    /// to judge a jump, in millionths.
    pub median_availability_ppm: u32,
    /// Rule W4: how long a value may stay exactly the same, in seconds; `None`: not checked.
    pub constant_s: Option<u32>,
    /// Rule W4: how long a value may stay the same even where an exemption applies.
    pub constant_max_s: Option<u32>,
    /// Rule W5: the share of an hour's slots that must hold valid readings for the hour to
    /// count, in millionths.
    pub hour_availability_ppm: u32,
}

/// A station model's checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QodParams {
    /// The station reports once per timestep; the day is cut into slots this long.
    pub timestep_s: u32,
    /// Rule W3: the window of the rolling median that decides which reading of a jump is bad.
    pub median_window_s: u32,
    /// Rule W4: a gap of missing readings this long or shorter does not break a run of equal
    /// values (WeatherXM's "ignoring period").
    pub gap_fill_s: u32,
    /// How far before the day its readings are read, so that windows reaching back from the
    /// day's first slots are full (WeatherXM's preprocessing window).
    pub lead_in_s: u32,
    /// Rule W4: humidity at or above this (tenths of a percent) may stay constant, and so may
    /// the temperature beside it (saturated air).
    pub saturated_humidity_dpct: i64,
    /// Rule W4: in air at least this humid (and above freezing), calm wind may stay constant.
    pub damp_humidity_dpct: i64,
    /// Per parameter, in [`WeatherParameter::ALL`]'s order.
    pub rules: [ParameterRules; 7],
}

impl QodParams {
    pub fn rules(&self, p: WeatherParameter) -> &ParameterRules {
        &self.rules[p.index()]
    }

    /// Slots in one day.
    pub fn day_slots(&self) -> usize {
        (DAY_S / self.timestep_s) as usize
    }

    /// Slots before the day that are read.
    pub fn lead_in_slots(&self) -> usize {
        (self.lead_in_s / self.timestep_s) as usize
    }

    /// Slots in one hour.
    pub fn hour_slots(&self) -> usize {
        (HOUR_S / self.timestep_s) as usize
    }

    /// Refuses a timestep that does not divide an hour, or windows that are not whole slots.
    pub fn validate(&self) -> Result<(), String> {
        let t = self.timestep_s;
        if t == 0 || !HOUR_S.is_multiple_of(t) || !self.lead_in_s.is_multiple_of(t) {
            return Err(format!(
                "a timestep of {t} s must divide an hour and the lead-in"
            ));
        }
        if self.median_window_s < t || self.gap_fill_s > self.lead_in_s {
            return Err(
                "the median window must hold a slot and the gap fill fit the lead-in".into(),
            );
        }
        for r in &self.rules {
            if r.lower > r.upper || r.median_availability_ppm > PPM || r.hour_availability_ppm > PPM
            {
                return Err("a parameter's range or availability is out of order".into());
            }
        }
        Ok(())
    }
}

pub const HOUR_S: u32 = 3_600;
pub const DAY_S: u32 = 86_400;
/// Millionths: the unit of every score.
pub const PPM: u32 = 1_000_000;

/// WeatherXM's rain gauge resolution, 0.254 mm, in micrometres.
pub const RAIN_GAUGE_UM: i64 = 254;

/// WeatherXM's WS1000: a reading every 16 s.
///
/// | parameter | range | jump | median availability | constant | constant max | hour availability |
/// |---|---|---|---|---|---|---|
/// | humidity | 10–99 % | 5 % | 0.67 | 360 min | – | 0.67 |
/// | temperature | −40–60 °C | 2 °C | 0.67 | 240 min | 1 440 min | 0.67 |
/// | wind direction | 0–359° | – | 0.75 | 360 min | 1 440 min | 0.75 |
/// | wind speed | 0–50 m/s | 20 m/s | 0.75 | 360 min | 1 440 min | 0.75 |
/// | pressure | 300–1 100 hPa | 0.8 hPa | 0.67 | 120 min | 1 440 min | 0.67 |
/// | illuminance | 0–400 000 lx | 97 600 lx | 0.67 | 120 min | – | 0.67 |
/// | precipitation | 0–0.254 mm × 16 a step | – | – | – | – | 0.85 |
///
/// The rolling median spans 10 minutes, gaps up to 60 s are bridged, the lead-in is 6 hours,
/// humidity of 95 % exempts humidity and temperature from the constant check, and 85 % calm
/// wind (all as WeatherXM's parameters).
pub const WS1000: QodParams = QodParams {
    timestep_s: 16,
    median_window_s: 600,
    gap_fill_s: 60,
    lead_in_s: 360 * 60,
    saturated_humidity_dpct: 950,
    damp_humidity_dpct: 850,
    rules: [
        // Humidity, tenths of a percent.
        ParameterRules {
            lower: 100,
            upper: 990,
            jump: Some(50),
            median_availability_ppm: 670_000,
            constant_s: Some(360 * 60),
            constant_max_s: None,
            hour_availability_ppm: 670_000,
        },
        // Temperature, hundredths of a degree.
        ParameterRules {
            lower: -4_000,
            upper: 6_000,
            jump: Some(200),
            median_availability_ppm: 670_000,
            constant_s: Some(240 * 60),
            constant_max_s: Some(1_440 * 60),
            hour_availability_ppm: 670_000,
        },
        // Wind direction, degrees.
        ParameterRules {
            lower: 0,
            upper: 359,
            jump: None,
            median_availability_ppm: 750_000,
            constant_s: Some(360 * 60),
            constant_max_s: Some(1_440 * 60),
            hour_availability_ppm: 750_000,
        },
        // Wind speed, centimetres per second.
        ParameterRules {
            lower: 0,
            upper: 5_000,
            jump: Some(2_000),
            median_availability_ppm: 750_000,
            constant_s: Some(360 * 60),
            constant_max_s: Some(1_440 * 60),
            hour_availability_ppm: 750_000,
        },
        // Pressure, tenths of a hectopascal.
        ParameterRules {
            lower: 3_000,
            upper: 11_000,
            jump: Some(8),
            median_availability_ppm: 670_000,
            constant_s: Some(120 * 60),
            constant_max_s: Some(1_440 * 60),
            hour_availability_ppm: 670_000,
        },
        // Illuminance, lux.
        ParameterRules {
            lower: 0,
            upper: 400_000,
            jump: Some(97_600),
            median_availability_ppm: 670_000,
            constant_s: Some(120 * 60),
            constant_max_s: None,
            hour_availability_ppm: 670_000,
        },
        // Precipitation: the counter's increase per 16 s step, micrometres.
        ParameterRules {
            lower: 0,
            upper: RAIN_GAUGE_UM * 16,
            jump: None,
            median_availability_ppm: 0,
            constant_s: None,
            constant_max_s: None,
            hour_availability_ppm: 850_000,
        },
    ],
};
