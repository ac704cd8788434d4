//! The radio simulator: a city of wireless hotspots for the devnet and the tests.
//!
//! - [`city`]: a city laid on H3 around a real coordinate, with indoor and outdoor Wi-Fi and
//!   LoRa hotspots (true and asserted positions, antennas, keys) and subscribers who walk;
//! - [`propagation`]: the true environment, log-distance path loss with log-normal shadowing;
//! - [`cheats`]: the behaviours of cheating hotspots (spoofer, witness ring, self-dealer,
//!   silent);
//! - [`evidence`]: one epoch of what an oracle would receive from the city;
//! - [`score`]: that evidence scored with the pure rules of `plexus_rewards::wireless`;
//! - [`report`]: a run of many epochs, with totals per hotspot and per behaviour.
//!
//! The simulator uses floating point and seeded randomness (ChaCha) freely: it is not the
//! ledger. What it emits is integers and keys, and a run is reproduced exactly by its seed.

pub mod cheats;
pub mod city;
pub mod evidence;
pub mod propagation;
pub mod report;
pub mod score;

pub use cheats::Behaviour;
pub use city::{City, CityConfig, HotspotKind};
pub use report::{run_city, simulate, SimReport};
