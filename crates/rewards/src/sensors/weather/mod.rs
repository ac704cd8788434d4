//! Quality of data for weather stations, after WeatherXM's QoD (its open `obc_sqc`
//! algorithm): every parameter of every reading is checked, each hour gets the share of its
//! slots that hold valid readings, and the day's score is the mean over parameters and hours.
//!
//! - W1 (slots): the day, and a lead-in before it, is cut into slots of one timestep; a slot
//!   holds the least reading that falls in it (readings are ordered by time, then by value),
//!   so the score depends on the set of readings, not their order or repeats. A slot without
//!   a value of a parameter is a fault of that parameter.
//! - W2 (out of bounds): a value outside the sensor's range is a fault; for the rain gauge,
//!   an increase of its counter outside the range per elapsed slot, or a fall.
//! - W3 (jumps): of two consecutive values further apart than the parameter's threshold, the
//!   one farther from its 10-minute rolling median is a fault (both where the median cannot be
//!   taken), and so are later values equal to it.
//! - W4 (constant values): a value held longer than the parameter's window is a fault over the
//!   whole run, except where WeatherXM exempts it (saturated air, night, calm damp air).
//! - W5 (hours): an hour of a parameter scores the share of its slots without a fault, in
//!   millionths; an hour below the parameter's availability scores 0.
//! - W6 (day): the day's score is the mean of the 7 × 24 hour scores, rounded down.
//!
//! Where this differs from WeatherXM's code: its minute-average checks are not run (the raw
//! checks above decide), an hour below availability scores 0 instead of its share, and a run
//! of values equal to a jump fault stays a fault to its end (their docstring's intent; their
//! vectorised code marks only the first).

mod checks;
pub mod params;

use checks::Series;
pub use params::{ParameterRules, QodParams, WeatherParameter, PPM, WS1000};
use serde::{Deserialize, Serialize};

/// One reading of a weather station, in integer units; a sensor that gave no value leaves
/// its field empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WeatherReading {
    /// When it was taken, seconds since the Unix epoch.
    pub at_s: u64,
    /// Hundredths of a degree Celsius.
    pub temperature_cc: Option<i32>,
    /// Tenths of a percent relative humidity.
    pub humidity_dpct: Option<u32>,
    /// Tenths of a hectopascal.
    pub pressure_dhpa: Option<u32>,
    /// Centimetres per second.
    pub wind_speed_cms: Option<u32>,
    /// Degrees, 0 = north.
    pub wind_direction_deg: Option<u32>,
    /// Lux.
    pub illuminance_lux: Option<u32>,
    /// The rain gauge's counter, micrometres since it started.
    pub precipitation_um: Option<u32>,
}

/// How one parameter fared over the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterDay {
    pub parameter: WeatherParameter,
    /// Rule W5: each hour's score, millionths.
    pub hours_ppm: Vec<u32>,
    /// The mean of the hour's valid values, for hours that count (for the neighbour check).
    pub hour_means: Vec<Option<i64>>,
    /// Slots of the day with each fault (a slot may have several).
    pub missing: u32,
    pub out_of_bounds: u32,
    pub jumps: u32,
    pub constant: u32,
}

/// A station's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyQod {
    /// Rule W6: millionths.
    pub score_ppm: u32,
    pub parameters: Vec<ParameterDay>,
    /// Readings placed in a slot.
    pub readings_used: u32,
    /// Readings outside the day and its lead-in, or second readings of a slot.
    pub readings_ignored: u32,
}

impl DailyQod {
    pub fn parameter(&self, p: WeatherParameter) -> &ParameterDay {
        &self.parameters[p.index()]
    }
}

/// Scores the day starting at `day_start_s` (Unix seconds) from `readings`, in any order,
/// which should cover the day and the lead-in before it. Refuses invalid parameters.
pub fn daily_qod(
    params: &QodParams,
    day_start_s: u64,
    readings: &[WeatherReading],
) -> Result<DailyQod, String> {
    params.validate()?;
    let lead = params.lead_in_slots();
    let slots = lead + params.day_slots();
    let start = day_start_s
        .checked_sub(u64::from(params.lead_in_s))
        .ok_or("the day starts before the lead-in can")?;
    // Rule W1: the least reading of each slot.
    let mut grid: Vec<Option<&WeatherReading>> = vec![None; slots];
    let mut ignored = 0u32;
    for r in readings {
        let Some(slot) = r
            .at_s
            .checked_sub(start)
            .map(|d| (d / u64::from(params.timestep_s)) as usize)
            .filter(|s| *s < slots)
        else {
            ignored += 1;
            continue;
        };
        match &mut grid[slot] {
            Some(held) if *held <= r => ignored += 1,
            Some(held) => {
                *held = r;
                ignored += 1;
            }
            empty => *empty = Some(r),
        }
    }
    let used = readings.len() as u32 - ignored;
    let series: Series =
        WeatherParameter::ALL.map(|p| grid.iter().map(|r| r.and_then(|r| p.value(r))).collect());
    let parameters: Vec<ParameterDay> = WeatherParameter::ALL
        .iter()
        .map(|&p| score_parameter(params, p, &series, lead))
        .collect();
    let sum: u64 = parameters
        .iter()
        .flat_map(|d| d.hours_ppm.iter())
        .map(|&h| u64::from(h))
        .sum();
    let hours = (parameters.len() * 24) as u64;
    Ok(DailyQod {
        score_ppm: (sum / hours) as u32,
        parameters,
        readings_used: used,
        readings_ignored: ignored,
    })
}

/// Rules W1–W5 for one parameter; `lead` slots precede the day.
fn score_parameter(
    params: &QodParams,
    p: WeatherParameter,
    series: &Series,
    lead: usize,
) -> ParameterDay {
    let rules = params.rules(p);
    let values = &series[p.index()];
    let mut faults = vec![0u8; values.len()];
    if p == WeatherParameter::Precipitation {
        checks::check_precipitation(values, rules, &mut faults);
    } else {
        checks::check_bounds(values, rules, &mut faults);
        checks::check_jumps(params, values, rules, &mut faults);
        checks::check_constant(params, p, series, &mut faults);
    }
    let day = &faults[lead..];
    let count = |bit: u8| day.iter().filter(|f| *f & bit != 0).count() as u32;
    let per_hour = params.hour_slots();
    let mut hours_ppm = Vec::with_capacity(24);
    let mut hour_means = Vec::with_capacity(24);
    for (h, hour) in day.chunks(per_hour).enumerate() {
        let offset = lead + h * per_hour;
        let (mut valid, mut total) = (0u64, 0i128);
        for (i, f) in hour.iter().enumerate() {
            if *f == 0 {
                valid += 1;
                total += i128::from(values[offset + i].expect("a slot without faults has a value"));
            }
        }
        let share = valid * u64::from(PPM) / per_hour as u64;
        if share >= u64::from(rules.hour_availability_ppm) && valid > 0 {
            hours_ppm.push(share as u32);
            hour_means.push(Some(total.div_euclid(i128::from(valid)) as i64));
        } else {
            hours_ppm.push(0);
            hour_means.push(None);
        }
    }
    ParameterDay {
        parameter: p,
        hours_ppm,
        hour_means,
        missing: count(checks::MISSING),
        out_of_bounds: count(checks::OUT_OF_BOUNDS),
        jumps: count(checks::JUMP),
        constant: count(checks::CONSTANT),
    }
}

#[cfg(test)]
mod tests;
