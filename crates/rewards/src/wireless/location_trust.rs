//! Location trust (HIP-119): a radio is paid in full only where it says it is. The distance
//! between a location it reports (from its own positioning, with each heartbeat) and the
//! location asserted on chain sets a multiplier: up to 300 m ×1, up to 400 m ×0.25, beyond
//! that ×0. A radio's multiplier for the epoch is the mean over its reports, so one bad fix
//! costs a share, and a device reporting from elsewhere earns nothing.

use super::fixed::Fixed;
use super::geo::{distance_m, Position};

/// Within this distance of the asserted location, trust is full (HIP-119).
pub const FULL_TRUST_M: u64 = 300;
/// Within this distance, trust is a quarter (HIP-119); beyond it, none.
pub const PARTIAL_TRUST_M: u64 = 400;

/// HIP-119's step function of the distance between reported and asserted locations.
pub fn trust_by_distance(distance_m: u64) -> Fixed {
    if distance_m <= FULL_TRUST_M {
        Fixed::ONE
    } else if distance_m <= PARTIAL_TRUST_M {
        Fixed::ratio(1, 4)
    } else {
        Fixed::ZERO
    }
}

/// The trust of one report: [`trust_by_distance`] of its distance from the assertion.
pub fn location_trust(reported: Position, asserted: Position) -> Fixed {
    trust_by_distance(distance_m(reported, asserted))
}

/// A radio's multiplier over an epoch: the mean trust of its reports (rounded down), 0 with
/// no reports.
pub fn mean_location_trust(reported: &[Position], asserted: Position) -> Fixed {
    if reported.is_empty() {
        return Fixed::ZERO;
    }
    let sum: u64 = reported
        .iter()
        .map(|p| location_trust(*p, asserted).0)
        .sum();
    Fixed(sum / reported.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_steps_down_at_the_hip_119_distances() {
        // HIP-119's table: 0–300 m ×1.0, 301–400 m ×0.25, more ×0.
        assert_eq!(trust_by_distance(0), Fixed::ONE);
        assert_eq!(trust_by_distance(300), Fixed::ONE);
        assert_eq!(trust_by_distance(301), Fixed(250_000_000));
        assert_eq!(trust_by_distance(400), Fixed(250_000_000));
        assert_eq!(trust_by_distance(401), Fixed::ZERO);
    }

    #[test]
    fn a_spoofed_location_far_from_the_assertion_gets_no_trust() {
        let asserted = Position::new(52_520_000, 13_405_000).unwrap();
        assert_eq!(
            location_trust(asserted.offset_m(120, -90), asserted),
            Fixed::ONE
        );
        assert_eq!(
            location_trust(asserted.offset_m(0, 350), asserted),
            Fixed(250_000_000)
        );
        // Reporting from 12 km away, as a device moved to a denser area would.
        let elsewhere = asserted.offset_m(9_000, 8_000);
        assert_eq!(location_trust(elsewhere, asserted), Fixed::ZERO);
        // Mostly honest reports with one far fix: the mean.
        let reports = [asserted, asserted, asserted, elsewhere];
        assert_eq!(mean_location_trust(&reports, asserted), Fixed(750_000_000));
        assert_eq!(mean_location_trust(&[], asserted), Fixed::ZERO);
    }
}
