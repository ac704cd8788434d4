//! Compass bearings into the coverage model's frame. The chain records an antenna's azimuth
//! in the H3 grid frame around its asserted cell (0° along the local i axis, counter-clockwise;
//! see `plexus_rewards::wireless::model`), which integer rules can use the same way on every
//! machine. People think in compass bearings: this turns one into the other, once, when a
//! hotspot asserts its location, with the floating-point projection the rules avoid.

use anyhow::Context;
use h3o::{CellIndex, CoordIJ, LatLng, LocalIJ};

/// Grid steps to the cells the axes' bearings are measured towards: far enough that the
/// cells' centres give the axes' directions to a fraction of a degree.
const AXIS_STEPS: i32 = 20;

/// The model's azimuth around `cell` that points where compass `bearing` (degrees clockwise
/// from north, 0 to 359) points, rounded to a whole degree.
pub fn grid_azimuth(cell: u64, bearing: u32) -> anyhow::Result<u32> {
    let origin =
        CellIndex::try_from(cell).with_context(|| format!("{cell:x} is not an H3 cell"))?;
    let here = origin
        .to_local_ij(origin)
        .with_context(|| format!("{origin} has no local grid"))?;
    let centre = LatLng::from(origin);
    let toward = |di: i32, dj: i32| -> anyhow::Result<f64> {
        let coord = CoordIJ::new(here.coord.i + di, here.coord.j + dj);
        let cell = CellIndex::try_from(LocalIJ::new(origin, coord))
            .with_context(|| format!("the grid around {origin} crosses a pentagon"))?;
        Ok(compass_bearing(centre, LatLng::from(cell)))
    };
    let i_axis = toward(AXIS_STEPS, 0)?;
    let j_axis = toward(0, AXIS_STEPS)?;
    // The j axis is 120° from the i axis in the model's plane: counter-clockwise on the map
    // when it lies 120° anticlockwise (a smaller bearing), mirrored otherwise.
    let anticlockwise = off_by(j_axis, i_axis - 120.0) < off_by(j_axis, i_axis + 120.0);
    let grid = if anticlockwise {
        i_axis - f64::from(bearing)
    } else {
        f64::from(bearing) - i_axis
    };
    Ok((grid.rem_euclid(360.0).round() as u32) % 360)
}

/// The initial great-circle bearing from `a` to `b`, degrees clockwise from north in [0, 360).
fn compass_bearing(a: LatLng, b: LatLng) -> f64 {
    let (p1, p2) = (a.lat_radians(), b.lat_radians());
    let dl = b.lng_radians() - a.lng_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// How far apart two bearings are, 0 to 180 degrees.
fn off_by(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_rewards::wireless::coverage::RadioKind;
    use plexus_rewards::wireless::model::{modeled_signal_cdbm, Antenna, ModeledRadio};

    /// The modeled signal of an outdoor radio at `cell` pointed at `bearing`, at the hex
    /// `metres` away along compass `towards`.
    fn signal_towards(cell: CellIndex, bearing: u32, towards: f64, metres: f64) -> i64 {
        let centre = LatLng::from(cell);
        let (north, east) = (
            metres * towards.to_radians().cos(),
            metres * towards.to_radians().sin(),
        );
        let there = LatLng::new(
            centre.lat() + north / 111_320.0,
            centre.lng() + east / (111_320.0 * centre.lat_radians().cos()),
        )
        .unwrap()
        .to_cell(h3o::Resolution::Twelve);
        let (a, b) = (
            cell.to_local_ij(cell).unwrap(),
            there.to_local_ij(cell).unwrap(),
        );
        let radio = ModeledRadio {
            key: plexus_types::SecretKey::from_seed([1; 32]).public_key(),
            cell: u64::from(cell),
            kind: RadioKind::OutdoorWifi,
            antenna: Antenna {
                gain_cdbi: 900,
                elevation_m: 12,
                azimuth_deg: grid_azimuth(u64::from(cell), bearing).unwrap(),
            },
        };
        modeled_signal_cdbm(
            &radio,
            i64::from(b.coord.i - a.coord.i),
            i64::from(b.coord.j - a.coord.j),
        )
    }

    #[test]
    fn an_antenna_asserted_towards_a_bearing_covers_that_way_best_on_every_face() {
        // Lisbon, Sydney, Anchorage, Nairobi: different icosahedron faces, turned differently.
        for (lat, lng) in [
            (38.7223, -9.1393),
            (-33.8688, 151.2093),
            (61.2181, -149.9003),
            (-1.2921, 36.8219),
        ] {
            let cell = LatLng::new(lat, lng)
                .unwrap()
                .to_cell(h3o::Resolution::Twelve);
            for bearing in [0, 45, 90, 200, 315] {
                let b = f64::from(bearing);
                let ahead = signal_towards(cell, bearing, b, 150.0);
                let side = signal_towards(cell, bearing, b + 90.0, 150.0);
                let behind = signal_towards(cell, bearing, b + 180.0, 150.0);
                assert!(
                    ahead > side && side > behind,
                    "at {lat},{lng} pointing {bearing}°: ahead {ahead}, side {side}, behind {behind}"
                );
            }
        }
    }

    #[test]
    fn a_bearing_comes_back_from_its_grid_azimuth_to_within_a_degree() {
        let cell = u64::from(
            LatLng::new(38.7223, -9.1393)
                .unwrap()
                .to_cell(h3o::Resolution::Twelve),
        );
        let zero = grid_azimuth(cell, 0).unwrap();
        for bearing in [1, 90, 180, 359] {
            let g = grid_azimuth(cell, bearing).unwrap();
            // One way round or the other, the grid turns with the compass, degree for degree.
            let step = (i64::from(g) - i64::from(zero)).rem_euclid(360);
            let expected = [i64::from(bearing), (360 - i64::from(bearing)) % 360];
            assert!(
                expected
                    .iter()
                    .any(|e| (step - e).abs() <= 1 || (step - e).abs() >= 359),
                "bearing {bearing}: grid {g}, zero at {zero}"
            );
        }
        assert!(grid_azimuth(0, 0).is_err());
    }
}
