//! Reward rules of the wireless classes, as pure functions in integer and fixed-point
//! arithmetic (no floating point decides an amount, so every machine computes the same bits):
//!
//! - [`location_trust`](mod@location_trust): HIP-119's multiplier by distance from the
//!   asserted location;
//! - [`coverage`]: modeled Wi-Fi coverage points per res-12 hex, ranked, times the speed-test
//!   tier and location trust;
//! - [`witness`]: signed LoRa witness reports and the checks each must pass, with a reason for
//!   every rejection;
//! - [`beacon_units`](mod@beacon_units): HIP-15's reward units per beacon;
//! - [`density`]: HIP-17's hex density scaling with HIP-104's parameters;
//! - [`poc`]: an epoch of beacons and witnesses scored with all of the above;
//! - [`epoch`]: an epoch of hotspots scored from their signed evidence (location trust,
//!   coverage, PoC and the forfeit rule): what the oracle, `plexus audit` and the simulator
//!   run;
//! - [`model`]: the modeled coverage of a Wi-Fi radio from its asserted cell and antenna;
//! - [`location_report`]: the signed positions that location trust is computed from;
//! - [`manifest`]: the coverage and PoC manifests of an epoch from an oracle's evidence;
//! - [`signed`]: those records, beacons and witness reports in the one byte form that the
//!   oracle publishes and `plexus audit` verifies.
//! - [`data`]: hotspots paid from the data pool for the data credits their traffic burned.
//!
//! Positions are millionths of a degree and distances whole metres ([`geo`]); signal levels
//! are hundredths of a dB(m) and path loss is computed with an integer logarithm ([`fspl`]).

pub mod beacon_units;
pub mod bench;
pub mod coverage;
pub mod data;
pub mod density;
pub mod epoch;
pub mod fixed;
pub mod fspl;
pub mod geo;
pub mod location_report;
pub mod location_trust;
pub mod model;
pub mod poc;
pub mod signed;
pub mod witness;

pub use beacon_units::{beacon_units, BeaconUnits};
pub use bench::{bench_wireless, WirelessBenchReport};
pub use coverage::{
    hex_points, radio_shares, rank_multiplier, CoverageClaim, Radio, RadioKind, SignalLevel,
};
pub use data::{
    credits_value, data_pool_split, data_share, pay_data_transfer, DataPayment, DataPayout,
    DataPoolSplit, DataRewardError,
};
pub use density::{transmit_scales, DensityParams, HIP_104};
pub use epoch::{
    score_wireless_epoch, EpochHotspot, HotspotClass, HotspotScore, HotspotSite,
    WirelessEpochError, WirelessEvidence,
};
pub use fixed::Fixed;
pub use geo::{cell_position, distance_m, Position};
pub use location_report::{LocationReport, SignedLocationReport};
pub use location_trust::{location_trust, mean_location_trust, trust_by_distance};
pub use model::{modeled_claims, modeled_coverage, Antenna, ModelError, ModeledRadio};
pub use poc::{score_poc_epoch, PocEpoch};
pub use signed::SignedWireless;
pub use witness::{
    check_witness, verify_report_signatures, Beacon, Hotspot, InvalidReason, SignedBeacon,
    SignedWitnessReport, WitnessReport,
};
