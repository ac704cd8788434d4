//! Sensor networks: the quality of what weather stations, energy meters and vehicles report,
//! and how a class pool is shared among them.
//!
//! Each class has its own pure rules, documented in its module: [`weather`] (W1–W6, after
//! WeatherXM's QoD), [`neighbours`] (N1–N3, agreement with nearby stations), [`meter`]
//! (M1–M3), [`vehicle`] (V1–V3) with DIMO's weekly connection streak in [`streak`] (S1–S3),
//! and [`cells`] (C1–C3: at most so many paid devices per H3 cell, and their units). Scores
//! are in millionths ([`PPM`]); no float, clock or hash map takes part.

pub mod cells;
pub mod meter;
pub mod neighbours;
pub mod streak;
pub mod vehicle;
pub mod weather;
pub mod wire;

pub use weather::PPM;

#[cfg(test)]
mod tests;
