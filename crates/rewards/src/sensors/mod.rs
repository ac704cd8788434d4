//! Sensor networks: the quality of what weather stations, energy meters and vehicles report,
//! and how a class pool is shared among them.
//!
//! Each class has its own pure rules, documented in its module: [`weather`] (W1–W6, after
//! WeatherXM's QoD), [`neighbours`] (N1–N3, agreement with nearby stations), [`meter`]
//! (M1–M3), [`vehicle`] (V1–V3) with DIMO's weekly connection streak in [`streak`] (S1–S3),
//! and [`cells`] (C1–C3: at most so many paid devices per H3 cell, and their units). Scores
//! are in millionths ([`PPM`]); no float, clock or hash map takes part.

pub mod cells;
pub mod data_sets;
pub mod manifest;
pub mod meter;
pub mod neighbours;
pub mod streak;
pub mod vehicle;
pub mod weather;
pub mod wire;

use serde::{Deserialize, Serialize};
pub use weather::PPM;

/// Unix seconds at which epoch 0's sensor day begins on a chain made at `genesis_time_ms`:
/// the genesis's UTC midnight (rule SM1).
pub fn sensor_origin_s(genesis_time_ms: u64) -> u64 {
    genesis_time_ms / 1_000 / 86_400 * 86_400
}

/// Where a sensor device asserted it stands, as the chain records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorSite {
    /// The asserted resolution-12 H3 cell.
    pub cell: u64,
    /// Height of the latest assertion.
    pub asserted_height: u64,
    /// Height of the first assertion in this cell: the earlier, the more senior.
    pub seniority_height: u64,
    /// An energy meter's roof, watts peak; 0 for other devices.
    #[serde(default)]
    pub rated_watts: u64,
}

#[cfg(test)]
mod tests;
