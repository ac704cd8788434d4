//! Agreement with the neighbourhood: a station far from what the stations around it measured
//! scores lower, whatever its own checks say (a station indoors, or one that reports
//! plausible values made up).
//!
//! - N1 (neighbours): the stations within `radius_m` of a station's asserted position.
//! - N2 (robust z-score): for each hour and each compared parameter where the station and at
//!   least `min_neighbours` neighbours have a counted hourly mean (rule W5), let m be the
//!   neighbours' median and MAD the median of their distances from m; the hour agrees when
//!   |x − m| ≤ `z_limit` × max(1.4826 × MAD, the parameter's floor). The floor keeps a
//!   neighbourhood of near-identical readings from calling a tenth of a degree an outlier.
//! - N3 (agreement): the share of compared hours that agree, in millionths; a station with no
//!   compared hour (too few neighbours) agrees fully, since nothing contradicts it.

use super::weather::{DailyQod, WeatherParameter, PPM};
use crate::wireless::geo::{distance_m, Position};
use serde::{Deserialize, Serialize};

/// The neighbour check's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeighbourParams {
    pub radius_m: u64,
    pub min_neighbours: usize,
    /// The largest robust z-score that agrees, in thousandths.
    pub z_limit_milli: u64,
    /// Compared parameters and the least spread each is judged with, in its unit.
    pub compared: Vec<(WeatherParameter, i64)>,
}

/// 10 km, at least 3 neighbours, z ≤ 3.5 (the usual robust outlier bound), on temperature
/// (spread at least 1 °C) and humidity (at least 5 %). Pressure is left out: it falls with
/// altitude, which neighbours do not share.
pub fn default_params() -> NeighbourParams {
    NeighbourParams {
        radius_m: 10_000,
        min_neighbours: 3,
        z_limit_milli: 3_500,
        compared: vec![
            (WeatherParameter::Temperature, 100),
            (WeatherParameter::Humidity, 50),
        ],
    }
}

/// One station's day as the neighbour check reads it.
#[derive(Debug, Clone, Copy)]
pub struct StationDay<'a> {
    pub position: Position,
    pub qod: &'a DailyQod,
}

/// What rule N3 found for one station.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub compared_hours: u32,
    pub agreeing_hours: u32,
    pub ppm: u32,
}

/// 1.4826, the factor that makes the MAD of a normal sample estimate its deviation, in
/// ten-thousandths.
const MAD_SCALE: i128 = 14_826;

fn median(values: &mut [i64]) -> i64 {
    let mid = (values.len() - 1) / 2;
    *values.select_nth_unstable(mid).1
}

/// Rules N1–N3 for every station, in the order given.
pub fn agreement(params: &NeighbourParams, stations: &[StationDay<'_>]) -> Vec<Agreement> {
    // Stations by latitude, so that each looks only at those within the radius north-south.
    let mut by_lat: Vec<usize> = (0..stations.len()).collect();
    by_lat.sort_by_key(|&i| (stations[i].position.lat_e6, i));
    // The radius in millionths of a degree of latitude, rounded up.
    let lat_span = (params.radius_m.min(20_000_000) as i64 * 1_000_000 + 111_193) / 111_194 + 1;
    let mut neighbours: Vec<usize> = Vec::new();
    let mut values: Vec<i64> = Vec::new();
    let mut spreads: Vec<i64> = Vec::new();
    stations
        .iter()
        .enumerate()
        .map(|(me, station)| {
            let lat = i64::from(station.position.lat_e6);
            let from = by_lat
                .partition_point(|&i| i64::from(stations[i].position.lat_e6) < lat - lat_span);
            neighbours.clear();
            for &i in &by_lat[from..] {
                if i64::from(stations[i].position.lat_e6) > lat + lat_span {
                    break;
                }
                if i != me && distance_m(station.position, stations[i].position) <= params.radius_m
                {
                    neighbours.push(i);
                }
            }
            let mut result = Agreement::default();
            for &(parameter, floor) in &params.compared {
                let own = &station.qod.parameter(parameter).hour_means;
                for (hour, x) in own.iter().enumerate() {
                    let Some(x) = *x else { continue };
                    values.clear();
                    values.extend(
                        neighbours
                            .iter()
                            .filter_map(|&i| stations[i].qod.parameter(parameter).hour_means[hour]),
                    );
                    if values.len() < params.min_neighbours {
                        continue;
                    }
                    let m = median(&mut values);
                    spreads.clear();
                    spreads.extend(values.iter().map(|v| (v - m).abs()));
                    let mad = median(&mut spreads);
                    // |x − m| ≤ z × max(1.4826 × MAD, floor), all in ten-thousandths.
                    let scale = (i128::from(mad) * MAD_SCALE).max(i128::from(floor) * 10_000);
                    let deviation = i128::from((x - m).abs()) * 10_000 * 1_000;
                    result.compared_hours += 1;
                    if deviation <= scale * i128::from(params.z_limit_milli) {
                        result.agreeing_hours += 1;
                    }
                }
            }
            result.ppm = if result.compared_hours == 0 {
                PPM
            } else {
                (u64::from(result.agreeing_hours) * u64::from(PPM)
                    / u64::from(result.compared_hours)) as u32
            };
            result
        })
        .collect()
}
