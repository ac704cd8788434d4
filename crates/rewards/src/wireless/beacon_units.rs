//! HIP-15 reward units for a beacon: a beacon heard by `w` witnesses pays N + 1 units in all
//! once w ≥ N (N the desired redundancy), so that crowding more witnesses into one spot adds
//! nothing; the transmitter's share grows towards 2 units as witnesses beyond N expose
//! over-coverage, at decay rate r.
//!
//! - w ≤ N: each witness 1 unit, the transmitter w / N.
//! - w > N: the transmitter 1 + (1 − r^(w−N)) (below 2), each witness
//!   (N + 1 − transmitter) / w.
//! - Witnesses rejected for their signal (not for distance) count towards w but earn nothing,
//!   and the transmitter's units are scaled by valid / w.

use super::fixed::Fixed;

/// Desired redundancy N (HIP-15).
pub const REDUNDANCY: u32 = 4;
/// Decay rate r = 0.8 (HIP-15).
pub const DECAY: Fixed = Fixed(800_000_000);
/// The transmitter's units never exceed this.
pub const TRANSMITTER_CAP: Fixed = Fixed::whole(2);

/// Units of one beacon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeaconUnits {
    pub transmitter: Fixed,
    /// For each valid witness; invalid ones earn 0.
    pub per_witness: Fixed,
}

/// HIP-15 units for a beacon with `counted` witnesses towards w, of which `valid` are valid.
pub fn beacon_units(valid: u32, counted: u32) -> BeaconUnits {
    let w = counted.max(valid);
    if w == 0 {
        return BeaconUnits {
            transmitter: Fixed::ZERO,
            per_witness: Fixed::ZERO,
        };
    }
    let n = REDUNDANCY;
    let (transmitter, per_witness) = if w <= n {
        (Fixed::ratio(u64::from(w), u64::from(n)), Fixed::ONE)
    } else {
        let mut decayed = Fixed::ONE;
        for _ in 0..(w - n) {
            decayed = decayed.mul_floor(DECAY);
        }
        let tx = Fixed::ONE
            .plus(Fixed::ONE.saturating_sub(decayed))
            .min(TRANSMITTER_CAP);
        let rx = Fixed::whole(u64::from(n) + 1)
            .saturating_sub(tx)
            .div_floor(u64::from(w));
        (tx, rx)
    };
    BeaconUnits {
        transmitter: Fixed((u128::from(transmitter.0) * u128::from(valid) / u128::from(w)) as u64),
        per_witness,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rounded to hundredths, as HIP-15 prints its tables.
    fn hundredths(f: Fixed) -> u64 {
        (f.0 + Fixed::SCALE / 200) / (Fixed::SCALE / 100)
    }

    #[test]
    fn units_reproduce_the_hip_15_table_for_n_4_and_r_0_8() {
        // HIP-15, "Example Reward Distribution" (N = 4, r = 0.8), witnesses 1 to 15.
        let rx = [
            100, 100, 100, 100, 76, 61, 50, 43, 37, 33, 29, 26, 24, 22, 21,
        ];
        let tx = [
            25, 50, 75, 100, 120, 136, 149, 159, 167, 174, 179, 183, 187, 189, 191,
        ];
        for w in 1..=15u32 {
            let u = beacon_units(w, w);
            let i = (w - 1) as usize;
            assert_eq!(hundredths(u.per_witness), rx[i], "per witness at w = {w}");
            assert_eq!(hundredths(u.transmitter), tx[i], "transmitter at w = {w}");
            if w >= REDUNDANCY {
                // N + 1 units in all, up to rounding.
                let total = u.transmitter.0 + u.per_witness.0 * u64::from(w);
                assert!(Fixed::whole(5).0 - total < 100, "w = {w}: {total}");
            }
        }
        // The transmitter's share approaches 2 and stops there.
        assert!(beacon_units(40, 40).transmitter < TRANSMITTER_CAP);
        assert_eq!(beacon_units(500, 500).transmitter, TRANSMITTER_CAP);
        assert_eq!(beacon_units(0, 0).transmitter, Fixed::ZERO);
    }

    #[test]
    fn invalid_witnesses_count_towards_w_and_scale_the_transmitter() {
        // HIP-15, "examples of beacons with invalid witnesses".
        let u = beacon_units(10, 12);
        assert_eq!(hundredths(u.per_witness), 26);
        assert_eq!(hundredths(u.transmitter), 153);
        // The HIP prints 2.65 here, ten times its rounded 0.265; unrounded, 10 × 0.26398 is 2.64.
        assert_eq!(hundredths(u.per_witness.times(10)), 264);
        let u = beacon_units(2, 12);
        // The HIP prints 0.30: its rounded 1.83 × 2/12 is 0.305; unrounded, 1.8322 × 2/12 is
        // 0.3054.
        assert_eq!(hundredths(u.transmitter), 31);
        assert_eq!(hundredths(u.per_witness.times(2)), 53);
        let u = beacon_units(3, 4);
        assert_eq!(hundredths(u.transmitter), 75);
        assert_eq!(u.per_witness, Fixed::ONE);
        // "4 witns. 3 invalid": tx scale 1/4 of 1 unit. (The HIP's table prints 0.125 for this
        // column, which contradicts its own tx scale row; 1 × 1/4 is what its rule gives.)
        assert_eq!(beacon_units(1, 4).transmitter, Fixed(250_000_000));
    }
}
