//! The wireless action: a hotspot asserts its location (a resolution-12 H3 cell) and how its
//! antenna is mounted. The bounds here are stateless; what the chain charges and records is
//! the ledger's.

use super::fields::{bad, key_field};
use super::{Body, TxError};
use crate::keys::PublicKey;
use crate::proto;
use proto::tx_payload::Body as P;

/// The H3 resolution every asserted location has: cells of about 300 m², the hexes coverage
/// is modeled and ranked in.
pub const ASSERTED_RESOLUTION: u8 = 12;
/// Antenna gains a hotspot may declare, in hundredths of a dBi.
pub const ANTENNA_GAIN_CDBI: std::ops::RangeInclusive<i32> = -1_000..=3_000;
/// Highest antenna elevation above ground, in metres.
pub const MAX_ANTENNA_ELEVATION_M: u32 = 1_000;

/// How a hotspot's antenna is mounted: what the chain records and what the coverage model
/// (`plexus_rewards::wireless::model`) reads.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Antenna {
    /// Gain in hundredths of a dBi (see [`ANTENNA_GAIN_CDBI`]).
    pub gain_cdbi: i32,
    /// Height above ground in metres (at most [`MAX_ANTENNA_ELEVATION_M`]).
    pub elevation_m: u32,
    /// Direction it points, in whole degrees below 360, in the H3 grid frame around the
    /// asserted cell (0° along the local i axis, counter-clockwise), which the coverage model
    /// uses without floating point; `plexus hotspot assert-location` turns a compass bearing
    /// into it.
    pub azimuth_deg: u32,
}

impl Antenna {
    /// Checks the bounds, naming the field that is out of them.
    pub fn check(&self) -> Result<(), TxError> {
        if !ANTENNA_GAIN_CDBI.contains(&self.gain_cdbi) {
            return Err(bad(
                "antenna.gain_cdbi",
                format!(
                    "{} is outside {} to {} hundredths of a dBi",
                    self.gain_cdbi,
                    ANTENNA_GAIN_CDBI.start(),
                    ANTENNA_GAIN_CDBI.end()
                ),
            ));
        }
        if self.elevation_m > MAX_ANTENNA_ELEVATION_M {
            return Err(bad(
                "antenna.elevation_m",
                format!(
                    "{} m is above the highest, {MAX_ANTENNA_ELEVATION_M} m",
                    self.elevation_m
                ),
            ));
        }
        if self.azimuth_deg >= 360 {
            return Err(bad(
                "antenna.azimuth_deg",
                format!("{} is not a bearing from 0 to 359", self.azimuth_deg),
            ));
        }
        Ok(())
    }
}

/// Whether `cell` is an H3 cell index at [`ASSERTED_RESOLUTION`]; says why not.
pub fn check_asserted_cell(cell: u64) -> Result<(), TxError> {
    let index = h3o::CellIndex::try_from(cell)
        .map_err(|e| bad("h3_cell", format!("{cell:#x} is not an H3 cell index: {e}")))?;
    let resolution = u8::from(index.resolution());
    if resolution != ASSERTED_RESOLUTION {
        return Err(bad(
            "h3_cell",
            format!(
                "{index} is a resolution {resolution} cell; a location is asserted at resolution {ASSERTED_RESOLUTION}"
            ),
        ));
    }
    Ok(())
}

pub(super) fn decode_assert_location(a: proto::AssertLocation) -> Result<Body, TxError> {
    let device = key_field("device", &a.device)?;
    check_asserted_cell(a.h3_cell)?;
    let antenna = a.antenna.unwrap_or_default();
    let antenna = Antenna {
        gain_cdbi: antenna.gain_cdbi,
        elevation_m: antenna.elevation_m,
        azimuth_deg: antenna.azimuth_deg,
    };
    antenna.check()?;
    Ok(Body::AssertLocation {
        device,
        h3_cell: a.h3_cell,
        antenna,
    })
}

pub(super) fn encode_assert_location(device: &PublicKey, h3_cell: u64, antenna: &Antenna) -> P {
    P::AssertLocation(proto::AssertLocation {
        device: device.as_bytes().to_vec(),
        h3_cell,
        antenna: Some(proto::Antenna {
            gain_cdbi: antenna.gain_cdbi,
            elevation_m: antenna.elevation_m,
            azimuth_deg: antenna.azimuth_deg,
        }),
    })
}
