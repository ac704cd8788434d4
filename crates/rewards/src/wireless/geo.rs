//! Positions and distances in integers: latitude and longitude in millionths of a degree
//! (about 0.11 m), distances in whole metres.
//!
//! The distance is the equirectangular approximation on a sphere of Earth's mean radius
//! (6 371 009 m): east-west degrees are shrunk by the cosine of the mean latitude, and the
//! result is the straight line in that plane. Up to the 100 km that a witness may be from a
//! beacon its error is well under 1 % away from the poles, far finer than the thresholds
//! (300 m, 400 m, 8 res-11 cells, 100 km) it decides. The cosine is a fixed-point Taylor
//! series and the square root an integer one, so the figure is the same on every machine.

use serde::{Deserialize, Serialize};

/// A point on Earth in millionths of a degree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "RawPosition")]
pub struct Position {
    /// −90 000 000 ..= 90 000 000.
    pub lat_e6: i32,
    /// −180 000 000 ..= 180 000 000.
    pub lon_e6: i32,
}

/// A position as read, before its range is checked.
#[derive(Deserialize)]
struct RawPosition {
    lat_e6: i32,
    lon_e6: i32,
}

impl TryFrom<RawPosition> for Position {
    type Error = String;

    fn try_from(raw: RawPosition) -> Result<Position, String> {
        Position::new(raw.lat_e6, raw.lon_e6).ok_or_else(|| {
            format!(
                "latitude {} and longitude {} (millionths of a degree) are out of range",
                raw.lat_e6, raw.lon_e6
            )
        })
    }
}

/// Metres per degree along a great circle: 2π × 6 371 009 m / 360, in thousandths.
const MILLIMETRES_PER_DEGREE: i128 = 111_194_926;
/// π × 2³⁰.
const PI_Q30: i128 = 3_373_259_426;
const Q30: i128 = 1 << 30;

impl Position {
    /// `None` when a coordinate is out of range.
    pub fn new(lat_e6: i32, lon_e6: i32) -> Option<Position> {
        ((-90_000_000..=90_000_000).contains(&lat_e6)
            && (-180_000_000..=180_000_000).contains(&lon_e6))
        .then_some(Position { lat_e6, lon_e6 })
    }

    /// The position `north_m` metres north and `east_m` metres east of this one (the inverse
    /// of [`distance_m`] in the same approximation, rounded to millionths of a degree).
    pub fn offset_m(self, north_m: i64, east_m: i64) -> Position {
        let dlat = i128::from(north_m) * 1_000 * 1_000_000 / MILLIMETRES_PER_DEGREE;
        let lat = (i128::from(self.lat_e6) + dlat).clamp(-90_000_000, 90_000_000);
        let cos = cos_q30(lat as i32).max(1);
        let dlon = i128::from(east_m) * 1_000 * 1_000_000 * Q30 / MILLIMETRES_PER_DEGREE / cos;
        let lon =
            (i128::from(self.lon_e6) + dlon + 180_000_000).rem_euclid(360_000_000) - 180_000_000;
        Position {
            lat_e6: lat as i32,
            lon_e6: lon as i32,
        }
    }
}

/// The centre of an H3 cell, rounded to millionths of a degree; `None` for a value that is not
/// a cell. This is where a hotspot's assertion stands for location trust and witness
/// distances. h3o computes it in floating point (IEEE-754 arithmetic and the platform's
/// trigonometry); rounded to 0.11 m, a last-bit difference between machines could move it by
/// one millionth of a degree, which changes a decision only for a report within a metre of
/// the 300 m, 400 m or 344 m thresholds.
pub fn cell_position(cell: u64) -> Option<Position> {
    let centre = h3o::LatLng::from(h3o::CellIndex::try_from(cell).ok()?);
    Position::new(
        (centre.lat() * 1e6).round() as i32,
        (centre.lng() * 1e6).round() as i32,
    )
}

/// cos(latitude) × 2³⁰ for a latitude in millionths of a degree within ±90°: the Taylor
/// series to the x¹⁴ term, whose remainder at π/2 is below 10⁻⁹.
pub fn cos_q30(lat_e6: i32) -> i128 {
    let theta = i128::from(lat_e6).abs() * PI_Q30 / 180_000_000;
    let theta2 = theta * theta / Q30;
    let mut term = Q30;
    let mut sum = Q30;
    for k in 1..=7i128 {
        term = -term * theta2 / Q30 / ((2 * k - 1) * (2 * k));
        sum += term;
    }
    sum.max(0)
}

/// Distance in whole metres (rounded down) between two positions.
pub fn distance_m(a: Position, b: Position) -> u64 {
    let dlat = i128::from(b.lat_e6) - i128::from(a.lat_e6);
    let mut dlon = i128::from(b.lon_e6) - i128::from(a.lon_e6);
    if dlon > 180_000_000 {
        dlon -= 360_000_000;
    } else if dlon < -180_000_000 {
        dlon += 360_000_000;
    }
    let mean_lat = ((i64::from(a.lat_e6) + i64::from(b.lat_e6)) / 2) as i32;
    // East-west in millionths of a degree of a great circle, times 2³⁰.
    let x = dlon * cos_q30(mean_lat);
    let y = dlat * Q30;
    // |x|, |y| < 2⁶⁰, so the sum of squares fits in 128 bits unsigned.
    let r = ((x * x) as u128 + (y * y) as u128).isqrt();
    // r is in 2⁻³⁰ millionths of a degree.
    (r * MILLIMETRES_PER_DEGREE as u128 / (Q30 as u128 * 1_000 * 1_000_000)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn haversine_f64(a: Position, b: Position) -> f64 {
        let r = 6_371_009.0f64;
        let (la1, la2) = (
            (a.lat_e6 as f64 / 1e6).to_radians(),
            (b.lat_e6 as f64 / 1e6).to_radians(),
        );
        let dla = la2 - la1;
        let dlo = ((b.lon_e6 - a.lon_e6) as f64 / 1e6).to_radians();
        let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        2.0 * r * h.sqrt().asin()
    }

    #[test]
    fn the_integer_cosine_agrees_with_the_float_one_to_a_billionth() {
        for deg in (-90_000_000..=90_000_000).step_by(1_234_567) {
            let exact = (deg as f64 / 1e6).to_radians().cos();
            let ours = cos_q30(deg) as f64 / (1u64 << 30) as f64;
            assert!((exact - ours).abs() < 1e-8, "{deg}: {exact} vs {ours}");
        }
    }

    #[test]
    fn distances_agree_with_haversine_within_half_a_percent_up_to_100_km() {
        let places = [
            (37_774_900, -122_419_400),
            (-33_868_800, 151_209_300),
            (60_170_000, 24_940_000),
            (0, 179_999_000),
        ];
        for (lat, lon) in places {
            let a = Position::new(lat, lon).unwrap();
            for (north, east) in [
                (0, 300),
                (300, 0),
                (212, 212),
                (399, -10),
                (-5_000, 3_000),
                (70_000, -70_000),
                (0, 100_000),
            ] {
                let b = a.offset_m(north, east);
                let ours = distance_m(a, b) as f64;
                let exact = haversine_f64(a, b);
                assert!(
                    (ours - exact).abs() <= 1.0 + exact * 0.005,
                    "{a:?}→{b:?}: {ours} vs {exact}"
                );
                assert_eq!(distance_m(a, b), distance_m(b, a));
            }
        }
    }

    #[test]
    fn out_of_range_coordinates_are_refused() {
        assert!(Position::new(90_000_001, 0).is_none());
        assert!(Position::new(0, -180_000_001).is_none());
        assert!(Position::new(-90_000_000, 180_000_000).is_some());
    }
}
