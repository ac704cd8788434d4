//! Stations' readings as forecasting data for federated training: each station learns, from
//! its own readings only, to forecast the next hour's temperature from the last 24 hours'.
//!
//! - this module: a station's hourly temperatures (the mean of what it read each hour), its
//!   forecasting examples, and the sponsor's validation and held-out sets, read by reference
//!   stations of the sponsor's own;
//! - [`run`]: the federated task over the stations, some of them poisoners, paid by
//!   contribution as a training task's rounds pay, against the persistence baselines.
//!
//! An example's features are the station's 24 hourly temperatures up to hour t, its target the
//! temperature of hour t + 1, all as deviations from the 24 hours' mean in units of
//! [`SCALE_C`]: the window's mean carries the day's level, which a station's own history gives
//! it, and the deviations the shape of the day that the model learns.

pub mod run;

use crate::field::Field;
use crate::region::{Behaviour, Device, DeviceKind, Region};
use crate::station::readings;
use plexus_learn::data::{shuffled_order, Dataset};

/// Hours of history an example holds.
pub const HISTORY_H: usize = 24;
/// Degrees Celsius per unit of a normalized temperature.
pub const SCALE_C: f64 = 4.0;
const HOUR_S: u64 = 3_600;
/// Participating stations came online over this many days.
pub const STAGGER_DAYS: usize = 3;

/// Where and when the data of a run comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastSetup {
    /// Participating stations.
    pub stations: usize,
    /// The sponsor's reference stations, which read the validation and held-out sets.
    pub reference_stations: usize,
    /// Days the participants' (and the validation set's) readings span, from day 0.
    pub train_days: u64,
    /// Days after those that the held-out set spans.
    pub test_days: u64,
    pub seed: u64,
}

/// A station's mean temperature of each hour `0..hours` after day 0's midnight, °C; `None` for
/// an hour it read nothing in.
pub fn hourly_temperatures(
    field: &Field,
    seed: u64,
    device: &Device,
    hours: u64,
) -> Vec<Option<f64>> {
    let mut sums = vec![(0.0, 0u32); hours as usize];
    for r in readings(field, seed, device, 0, 0, hours * HOUR_S) {
        if let (Some(cc), Some(slot)) = (r.temperature_cc, sums.get_mut((r.at_s / HOUR_S) as usize))
        {
            slot.0 += f64::from(cc) / 100.0;
            slot.1 += 1;
        }
    }
    sums.iter()
        .map(|&(sum, n)| (n > 0).then_some(sum / f64::from(n)))
        .collect()
}

/// The forecasting examples whose target hour lies in `targets` (hours after day 0's midnight),
/// from one station's hourly temperatures; a window with an hour missing gives no example.
pub fn examples(hourly: &[Option<f64>], targets: std::ops::Range<usize>) -> Dataset {
    let mut features = Vec::new();
    let mut values = Vec::new();
    for t in targets.start.max(HISTORY_H)..targets.end.min(hourly.len()) {
        let Some(window) = hourly[t - HISTORY_H..=t]
            .iter()
            .copied()
            .collect::<Option<Vec<f64>>>()
        else {
            continue;
        };
        let (history, target) = window.split_at(HISTORY_H);
        let mean = history.iter().sum::<f64>() / HISTORY_H as f64;
        features.extend(history.iter().map(|c| ((c - mean) / SCALE_C) as f32));
        values.push(((target[0] - mean) / SCALE_C) as f32);
    }
    Dataset::regression(HISTORY_H, features, values)
}

/// Several stations' examples as one set.
fn concatenate(sets: Vec<Dataset>) -> Dataset {
    let mut out = Dataset::regression(HISTORY_H, Vec::new(), Vec::new());
    for set in sets {
        out.features.extend(set.features);
        out.targets.extend(set.targets);
    }
    out
}

/// The data of a run: each participating station's examples over the training days, from its
/// own readings; the validation set, of the reference stations over the same days; the
/// held-out set, of the reference stations over the test days. Stations stand where a
/// [`Region`] of `seed` puts its weather stations, the participants first.
///
/// Participating station i came online on day i mod [`STAGGER_DAYS`] and holds the examples
/// whose whole window it read, in an order of its own (drawn from the seed and i), as its
/// local SGD would visit them. Stations of one small region read nearly the same weather, and
/// had they all held the same days in time order, their honest updates would have been
/// within the Sybil rule's cosine of one another: each round would have taken most of them
/// for copies and paid them nothing. `train_days` must exceed `STAGGER_DAYS`.
pub fn forecast_data(setup: &ForecastSetup) -> plexus_learn::simulate::FederatedData {
    let wanted = setup.stations + setup.reference_stations;
    // A region's first three in five devices are its weather stations.
    let region = Region::new(setup.seed, wanted * 5 / 3 + 2, 0);
    let stations: Vec<&Device> = region
        .devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Weather && d.behaviour == Behaviour::Honest)
        .take(wanted)
        .collect();
    let field = Field::default();
    let train_h = (setup.train_days * 24) as usize;
    let all_h = (setup.train_days + setup.test_days) * 24;
    let hourly: Vec<Vec<Option<f64>>> = stations
        .iter()
        .map(|d| hourly_temperatures(&field, setup.seed, d, all_h))
        .collect();
    let (own, reference) = hourly.split_at(setup.stations.min(hourly.len()));
    plexus_learn::simulate::FederatedData {
        parts: own
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let since = (i % STAGGER_DAYS) * 24;
                let mine = examples(h, since + HISTORY_H..train_h);
                mine.subset(&shuffled_order(mine.len(), setup.seed ^ ((i as u64) << 8)))
            })
            .collect(),
        validation: concatenate(reference.iter().map(|h| examples(h, 0..train_h)).collect()),
        held_out: concatenate(
            reference
                .iter()
                .map(|h| examples(h, train_h..all_h as usize))
                .collect(),
        ),
    }
}

/// The mean squared error, in normalized units, of forecasting each example of `data` by one
/// of its own features: feature 0 (the reading 24 hours before the target: tomorrow's reading
/// is today's) or feature 23 (the last hour's reading).
pub fn persistence_mse(data: &Dataset, feature: usize) -> f64 {
    let squared: f64 = (0..data.len())
        .map(|i| f64::from(data.example(i)[feature] - data.targets[i]).powi(2))
        .sum();
    squared / data.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_example_is_the_last_day_and_the_next_hour_around_the_day_s_mean() {
        let hourly: Vec<Option<f64>> = (0..30).map(|h| Some(f64::from(h))).collect();
        let data = examples(&hourly, 0..30);
        // Targets at hours 24 to 29.
        assert_eq!(data.len(), 6);
        // Hours 0..24 around their mean 11.5, and hour 24.
        let first = data.example(0);
        assert_eq!(first[0], (-11.5 / SCALE_C) as f32);
        assert_eq!(first[23], (11.5 / SCALE_C) as f32);
        assert_eq!(data.targets[0], (12.5 / SCALE_C) as f32);
        // The last hour's reading is off by one hour, the day before's by 24.
        assert!((persistence_mse(&data, 23) - (1.0 / SCALE_C).powi(2)).abs() < 1e-6);
        assert!((persistence_mse(&data, 0) - (24.0 / SCALE_C).powi(2)).abs() < 1e-4);
        let mut gap = hourly.clone();
        gap[26] = None;
        // Every window through hour 26 is lost: targets 26 to 29.
        assert_eq!(examples(&gap, 0..30).len(), 2);
    }

    #[test]
    fn each_station_s_data_is_its_own_and_the_held_out_days_are_other_days() {
        let setup = ForecastSetup {
            stations: 3,
            reference_stations: 2,
            train_days: 4,
            test_days: 2,
            seed: 5,
        };
        let data = forecast_data(&setup);
        assert_eq!(data.parts.len(), 3);
        // Targets from the end of each station's first day online to the end of day 4.
        for (part, hours) in data.parts.iter().zip([72, 48, 24]) {
            assert!((hours - 2..=hours).contains(&part.len()), "{}", part.len());
        }
        assert!((140..=144).contains(&data.validation.len()));
        assert!((92..=96).contains(&data.held_out.len()));
        assert_eq!(forecast_data(&setup), data);
    }
}
