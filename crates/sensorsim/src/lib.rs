//! The sensor simulator: a region of weather stations, rooftop solar meters and vehicles for
//! the devnet, the tests and `plexus bench sensors`.
//!
//! - [`field`]: the true weather over the region, a diurnal cycle with a front that crosses it;
//! - [`region`]: the devices, where they are, their keys, and how each behaves;
//! - [`station`], [`meter`], [`vehicle`]: a day of what each kind of device reports, honest or
//!   cheating, and [`batch`]: a device's day in the wire form it sends;
//! - [`forecast`]: stations' own readings as forecasting data, and the federated training task
//!   that pays them for a forecaster trained on it.
//!
//! The simulator uses floating point and seeded randomness (ChaCha) freely: it is not the
//! ledger. What it emits is integer readings, and a run is reproduced exactly by its seed.

pub mod batch;
pub mod field;
pub mod forecast;
pub mod meter;
pub mod region;
pub mod station;
pub mod vehicle;

pub use region::{Behaviour, Device, DeviceKind, Region};

/// Seconds in a day: the simulator's days are UTC days.
pub const DAY_S: u64 = 86_400;
