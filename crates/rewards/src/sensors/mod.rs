//! Sensor networks: the quality of what weather stations, energy meters and vehicles report,
//! and how a class pool is shared among them.
//!
//! Each class has its own pure rules, documented in its module: [`weather`] (W1–W6, after
//! WeatherXM's QoD). Scores are in millionths ([`PPM`]); no float, clock or hash map takes
//! part.

pub mod weather;

pub use weather::PPM;
