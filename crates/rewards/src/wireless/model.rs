//! Modeled coverage of Wi-Fi radios (rule M): from a radio's asserted resolution-12 cell, its
//! kind and its antenna, the res-12 hexes it covers, each with a [`SignalLevel`] and a modeled
//! signal power. The oracle computes it to make [`CoverageClaim`]s, and anyone recomputes it
//! bit for bit: only integers, H3's integer grid arithmetic (disks and local IJ coordinates,
//! never a cell's latitude and longitude) and the integer logarithm of [`fspl`](super::fspl).
//!
//! The model, per hex within [`max_rings`] of the radio's cell:
//! - distance: hex centres are [`RES12_CELL_SPACING_DM`] apart (the mean res-12 edge × √3);
//!   the horizontal distance comes from the hex's local IJ offset (axes 120° apart), and the
//!   path is the straight line to the antenna's elevation, at least 1 m;
//! - path loss (log-distance): [`REFERENCE_LOSS_CDB`] at 1 m plus 10·n·log10(d / 1 m), with
//!   n = [`INDOOR_EXPONENT_TENTHS`] or [`OUTDOOR_EXPONENT_TENTHS`];
//! - signal: transmit power ([`INDOOR_TX_POWER_CDBM`], [`OUTDOOR_TX_POWER_CDBM`]) plus the
//!   antenna's gain, less the path loss, less (outdoor only) the off-axis loss
//!   [`FRONT_TO_BACK_CDB`] × (1 − cos θ) / 2, θ the angle between the antenna's azimuth and
//!   the hex; indoor radios are omnidirectional;
//! - level: High from [`HIGH_CDBM`], Medium from [`MEDIUM_CDBM`], Low from [`LOW_CDBM`],
//!   below that the hex is not covered; indoor radios have no Medium level (rule C1), so their
//!   Medium hexes are Low.
//!
//! The azimuth is measured in the grid's own frame around the asserted cell (0° along the
//! local i axis, counter-clockwise), not from true north: how H3's icosahedron faces turn
//! that frame only floating-point projection can tell, and this rule must not depend on
//! floating point. A planner converts a compass bearing once, when the radio is registered.

use super::coverage::{CoverageClaim, RadioKind, SignalLevel};
use super::fspl::log10_micro;
use super::geo::cos_q30;
use h3o::{CellIndex, Resolution};
use plexus_types::PublicKey;
use serde::Serialize;

/// Path loss at 1 m: free space at 5.18 GHz (Wi-Fi channel 36), 46.73 dB.
pub const REFERENCE_LOSS_CDB: i64 = 4_673;
/// Path-loss exponent indoors (walls and furniture), in tenths: 4.0.
pub const INDOOR_EXPONENT_TENTHS: i64 = 40;
/// Path-loss exponent outdoors (street level in a city), in tenths: 3.0.
pub const OUTDOOR_EXPONENT_TENTHS: i64 = 30;
/// Conducted transmit power of an indoor radio: 20 dBm.
pub const INDOOR_TX_POWER_CDBM: i64 = 2_000;
/// Conducted transmit power of an outdoor radio: 27 dBm.
pub const OUTDOOR_TX_POWER_CDBM: i64 = 2_700;
/// Loss straight behind an outdoor antenna, relative to its boresight: 20 dB.
pub const FRONT_TO_BACK_CDB: i64 = 2_000;
/// High signal from −65 dBm.
pub const HIGH_CDBM: i64 = -6_500;
/// Medium signal from −75 dBm.
pub const MEDIUM_CDBM: i64 = -7_500;
/// Low signal from −90 dBm; weaker is no coverage.
pub const LOW_CDBM: i64 = -9_000;
/// Distance between neighbouring res-12 hex centres in decimetres: √3 × the mean edge of
/// 9.4155 m.
pub const RES12_CELL_SPACING_DM: i64 = 163;
/// The most rings an indoor radio is modeled over (37 hexes, about 50 m).
pub const INDOOR_MAX_RINGS: u32 = 3;
/// The most rings an outdoor radio is modeled over (1 801 hexes, about 390 m).
pub const OUTDOOR_MAX_RINGS: u32 = 24;
/// The highest antenna an assertion may carry: 300 m.
pub const MAX_ELEVATION_M: u32 = 300;
/// The largest antenna gain an assertion may carry: 20 dBi.
pub const MAX_GAIN_CDBI: i32 = 2_000;

/// √3 × 2³⁰.
const SQRT3_Q30: i128 = 1_859_775_393;
const Q30: i128 = 1 << 30;

/// A radio's antenna as the chain records it. The model takes gains 0 ..= [`MAX_GAIN_CDBI`],
/// heights 0 ..= [`MAX_ELEVATION_M`] and a boresight in whole degrees (0 ..= 359) in the grid
/// frame (see the module documentation), ignored indoors; it refuses any other antenna.
pub use plexus_types::tx::Antenna;

/// What the model needs of a radio: where it is asserted, what it is, its antenna.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ModeledRadio {
    pub key: PublicKey,
    /// The asserted res-12 H3 cell.
    pub cell: u64,
    pub kind: RadioKind,
    pub antenna: Antenna,
}

/// Why coverage could not be modeled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("{0:#x} is not a resolution-12 H3 cell")]
    NotARes12Cell(u64),
    #[error("antenna gain {0} cdBi is outside 0 ..= {MAX_GAIN_CDBI}")]
    Gain(i32),
    #[error("antenna elevation {0} m is above {MAX_ELEVATION_M} m")]
    Elevation(u32),
    #[error("azimuth {0}° is not below 360")]
    Azimuth(u32),
}

/// Rings of hexes modeled around a radio of `kind`.
pub fn max_rings(kind: RadioKind) -> u32 {
    match kind {
        RadioKind::IndoorWifi => INDOOR_MAX_RINGS,
        RadioKind::OutdoorWifi => OUTDOOR_MAX_RINGS,
    }
}

/// The level of a modeled signal for a radio of `kind`, `None` below [`LOW_CDBM`].
pub fn level_of(kind: RadioKind, signal_cdbm: i64) -> Option<SignalLevel> {
    let level = if signal_cdbm >= HIGH_CDBM {
        SignalLevel::High
    } else if signal_cdbm >= MEDIUM_CDBM {
        SignalLevel::Medium
    } else if signal_cdbm >= LOW_CDBM {
        SignalLevel::Low
    } else {
        return None;
    };
    Some(match (kind, level) {
        (RadioKind::IndoorWifi, SignalLevel::Medium) => SignalLevel::Low,
        (_, level) => level,
    })
}

/// The modeled signal, in hundredths of a dBm, of `radio` in the hex at local IJ offset
/// `(i, j)` from its cell.
pub fn modeled_signal_cdbm(radio: &ModeledRadio, i: i64, j: i64) -> i64 {
    let steps2 = i * i - i * j + j * j;
    let elevation_dm = i64::from(radio.antenna.elevation_m) * 10;
    let path2 =
        RES12_CELL_SPACING_DM * RES12_CELL_SPACING_DM * steps2 + elevation_dm * elevation_dm;
    let path_dm = (path2 as u128).isqrt().max(10);
    // log10 of the distance in metres: the decimetres' less one.
    let log_m = log10_micro(path_dm) as i64 - 1_000_000;
    let (tx, exponent) = match radio.kind {
        RadioKind::IndoorWifi => (INDOOR_TX_POWER_CDBM, INDOOR_EXPONENT_TENTHS),
        RadioKind::OutdoorWifi => (OUTDOOR_TX_POWER_CDBM, OUTDOOR_EXPONENT_TENTHS),
    };
    // 10 · (n / 10) · log10(d) dB = n · log10_micro / 10⁴ hundredths of a dB.
    let loss = REFERENCE_LOSS_CDB + exponent * log_m / 10_000;
    let off_axis = match radio.kind {
        RadioKind::IndoorWifi => 0,
        RadioKind::OutdoorWifi if steps2 == 0 => 0,
        RadioKind::OutdoorWifi => {
            let cos = off_axis_cos_q30(radio.antenna.azimuth_deg, i, j, steps2);
            (FRONT_TO_BACK_CDB as i128 * (Q30 - cos) / (2 * Q30)) as i64
        }
    };
    tx + i64::from(radio.antenna.gain_cdbi) - loss - off_axis
}

/// cos θ × 2³⁰ between the boresight at `azimuth_deg` and the hex at `(i, j)`, `steps2` being
/// i² − ij + j² > 0. In the plane, the hex is at (i − j/2, j·√3/2) hex spacings.
fn off_axis_cos_q30(azimuth_deg: u32, i: i64, j: i64, steps2: i64) -> i128 {
    let (cos_a, sin_a) = cos_sin_q30(azimuth_deg);
    // Twice the hex's coordinates: (2i − j, j·√3).
    let x2 = i128::from(2 * i - j);
    let y2_q30 = i128::from(j) * SQRT3_Q30;
    let dot_q60 = x2 * Q30 * cos_a + y2_q30 * sin_a;
    // |(2x, 2y)| = 2·√steps2, in 2⁻¹⁵ units.
    let norm_q15 = 2 * ((steps2 as u128) << 30).isqrt() as i128;
    (dot_q60 / Q30 * (1 << 15) / norm_q15).clamp(-Q30, Q30)
}

/// (cos, sin) × 2³⁰ of whole degrees, from [`cos_q30`] (defined on ±90°).
fn cos_sin_q30(deg: u32) -> (i128, i128) {
    let cos = |d: i32| -> i128 {
        // Fold to [0, 180], then cos(d) = −cos(180 − d) past 90.
        let d = d.rem_euclid(360);
        let d = if d > 180 { 360 - d } else { d };
        if d > 90 {
            -cos_q30((180 - d) * 1_000_000)
        } else {
            cos_q30(d * 1_000_000)
        }
    };
    // Below 360 once the antenna is checked; folded again for any other.
    let d = (deg % 360) as i32;
    (cos(d), cos(90 - d))
}

fn check(radio: &ModeledRadio) -> Result<CellIndex, ModelError> {
    let cell = CellIndex::try_from(radio.cell)
        .ok()
        .filter(|c| c.resolution() == Resolution::Twelve)
        .ok_or(ModelError::NotARes12Cell(radio.cell))?;
    let a = radio.antenna;
    if !(0..=MAX_GAIN_CDBI).contains(&a.gain_cdbi) {
        return Err(ModelError::Gain(a.gain_cdbi));
    }
    if a.elevation_m > MAX_ELEVATION_M {
        return Err(ModelError::Elevation(a.elevation_m));
    }
    if a.azimuth_deg >= 360 {
        return Err(ModelError::Azimuth(a.azimuth_deg));
    }
    Ok(cell)
}

/// Rule M for one radio: its covered hexes in increasing hex order. A hex whose local IJ
/// offset H3 cannot give (across a pentagon's distortion) is left out.
pub fn modeled_coverage(radio: &ModeledRadio) -> Result<Vec<CoverageClaim>, ModelError> {
    let origin = check(radio)?;
    let here = origin
        .to_local_ij(origin)
        .map_err(|_| ModelError::NotARes12Cell(radio.cell))?;
    let mut out: Vec<CoverageClaim> = origin
        .grid_disk_safe(max_rings(radio.kind))
        .filter_map(|hex| {
            let ij = hex.to_local_ij(origin).ok()?;
            let (i, j) = (
                i64::from(ij.coord.i - here.coord.i),
                i64::from(ij.coord.j - here.coord.j),
            );
            let signal = modeled_signal_cdbm(radio, i, j);
            let level = level_of(radio.kind, signal)?;
            Some(CoverageClaim {
                radio: radio.key,
                hex: u64::from(hex),
                level,
                signal_cdbm: signal as i32,
            })
        })
        .collect();
    out.sort_by_key(|c| c.hex);
    Ok(out)
}

/// Rule M for many radios: every claim, ordered by radio key then hex, so that the result is
/// the same whatever the radios' order.
pub fn modeled_claims(radios: &[ModeledRadio]) -> Result<Vec<CoverageClaim>, ModelError> {
    let mut out = Vec::new();
    for r in radios {
        out.extend(modeled_coverage(r)?);
    }
    out.sort_by_key(|c| (c.radio, c.hex));
    out.dedup_by(|a, b| (a.radio, a.hex) == (b.radio, b.hex));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wireless::fspl::fspl_cdb;
    use h3o::LatLng;
    use plexus_types::SecretKey;

    fn lisbon_cell() -> u64 {
        // Test fixture only: the cell of a coordinate, through h3o's float conversion.
        u64::from(
            LatLng::new(38.7223, -9.1393)
                .unwrap()
                .to_cell(Resolution::Twelve),
        )
    }

    fn radio(n: u8, kind: RadioKind, azimuth_deg: u32) -> ModeledRadio {
        ModeledRadio {
            key: SecretKey::from_seed([n; 32]).public_key(),
            cell: lisbon_cell(),
            kind,
            antenna: Antenna {
                gain_cdbi: if kind == RadioKind::IndoorWifi {
                    300
                } else {
                    900
                },
                elevation_m: if kind == RadioKind::IndoorWifi { 3 } else { 12 },
                azimuth_deg,
            },
        }
    }

    #[test]
    fn the_reference_loss_is_free_space_at_one_metre_on_channel_36() {
        assert!((fspl_cdb(1, 5_180_000_000) - REFERENCE_LOSS_CDB).abs() <= 1);
    }

    #[test]
    fn nearer_hexes_are_never_weaker_in_any_one_direction() {
        for r in [
            radio(1, RadioKind::IndoorWifi, 0),
            radio(2, RadioKind::OutdoorWifi, 0),
            radio(3, RadioKind::OutdoorWifi, 135),
        ] {
            for (di, dj) in [(1, 0), (0, 1), (1, 1), (-1, 0), (0, -1), (-1, -1), (2, 1)] {
                let along: Vec<i64> = (0..30)
                    .map(|k| modeled_signal_cdbm(&r, k * di, k * dj))
                    .collect();
                assert!(
                    along.windows(2).all(|w| w[0] >= w[1]),
                    "{:?} towards ({di}, {dj}): {along:?}",
                    r.kind
                );
            }
        }
        // An omnidirectional radio is never weaker nearer, whatever the direction.
        let indoor = radio(1, RadioKind::IndoorWifi, 0);
        let mut by_distance: Vec<(i64, i64)> = (-6..=6i64)
            .flat_map(|i| (-6..=6i64).map(move |j| (i, j)))
            .map(|(i, j)| (i * i - i * j + j * j, modeled_signal_cdbm(&indoor, i, j)))
            .collect();
        by_distance.sort();
        assert!(by_distance.windows(2).all(|w| w[0].1 >= w[1].1));
    }

    #[test]
    fn an_outdoor_antenna_is_stronger_in_front_than_behind() {
        let r = radio(2, RadioKind::OutdoorWifi, 0);
        // Azimuth 0 points along +i.
        let front = modeled_signal_cdbm(&r, 5, 0);
        let back = modeled_signal_cdbm(&r, -5, 0);
        assert!(
            (front - back - FRONT_TO_BACK_CDB).abs() <= 1,
            "{front} {back}"
        );
        let turned = radio(2, RadioKind::OutdoorWifi, 180);
        assert!((modeled_signal_cdbm(&turned, -5, 0) - front).abs() <= 1);
    }

    #[test]
    fn indoor_radios_cover_fewer_hexes_than_outdoor_ones_and_levels_follow_the_table() {
        let indoor = modeled_coverage(&radio(1, RadioKind::IndoorWifi, 0)).unwrap();
        let outdoor = modeled_coverage(&radio(2, RadioKind::OutdoorWifi, 90)).unwrap();
        assert!(!indoor.is_empty());
        assert!(
            indoor.len() * 5 < outdoor.len(),
            "{} vs {}",
            indoor.len(),
            outdoor.len()
        );
        let own = lisbon_cell();
        assert_eq!(
            indoor.iter().find(|c| c.hex == own).map(|c| c.level),
            Some(SignalLevel::High)
        );
        assert!(indoor.iter().all(|c| c.level != SignalLevel::Medium));
        for c in indoor.iter().chain(&outdoor) {
            assert!(i64::from(c.signal_cdbm) >= LOW_CDBM);
        }
        assert!(outdoor.iter().any(|c| c.level == SignalLevel::Medium));
    }

    #[test]
    fn the_claims_do_not_depend_on_the_radios_order_and_repeat_byte_for_byte() {
        let radios = [
            radio(1, RadioKind::IndoorWifi, 0),
            radio(2, RadioKind::OutdoorWifi, 45),
            radio(3, RadioKind::OutdoorWifi, 300),
        ];
        let claims = modeled_claims(&radios).unwrap();
        let mut reversed = radios;
        reversed.reverse();
        assert_eq!(modeled_claims(&reversed).unwrap(), claims);
        let bytes = |cs: &[CoverageClaim]| -> Vec<u8> {
            cs.iter()
                .flat_map(|c| {
                    [
                        c.radio.as_bytes().to_vec(),
                        c.hex.to_le_bytes().to_vec(),
                        c.signal_cdbm.to_le_bytes().to_vec(),
                        vec![c.level as u8],
                    ]
                    .concat()
                })
                .collect()
        };
        assert_eq!(bytes(&modeled_claims(&radios).unwrap()), bytes(&claims));
    }

    #[test]
    fn malformed_radios_are_refused_with_a_reason() {
        let mut r = radio(1, RadioKind::OutdoorWifi, 0);
        r.cell = u64::from(
            CellIndex::try_from(r.cell)
                .unwrap()
                .parent(Resolution::Ten)
                .unwrap(),
        );
        assert!(matches!(
            modeled_coverage(&r),
            Err(ModelError::NotARes12Cell(_))
        ));
        let mut r = radio(1, RadioKind::OutdoorWifi, 360);
        assert_eq!(modeled_coverage(&r), Err(ModelError::Azimuth(360)));
        r.antenna.azimuth_deg = 0;
        r.antenna.gain_cdbi = -1;
        assert_eq!(modeled_coverage(&r), Err(ModelError::Gain(-1)));
    }
}
