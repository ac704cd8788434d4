//! Fixed-point fractions for the wireless rules: multipliers and reward units as integers in
//! billionths, so that every machine computes the same bits. Each operation rounds down once.

use serde::Serialize;

/// A non-negative fraction in billionths: `Fixed(ONE)` is 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Fixed(pub u64);

impl Fixed {
    /// The denominator: 10⁹.
    pub const SCALE: u64 = 1_000_000_000;
    pub const ZERO: Fixed = Fixed(0);
    pub const ONE: Fixed = Fixed(Self::SCALE);

    /// floor(num / den) as a fraction; `den` must not be zero (callers pass counts ≥ 1).
    pub const fn ratio(num: u64, den: u64) -> Fixed {
        Fixed(((num as u128 * Self::SCALE as u128) / den as u128) as u64)
    }

    /// A whole number.
    pub const fn whole(n: u64) -> Fixed {
        Fixed(n * Self::SCALE)
    }

    /// floor(self × other).
    pub const fn mul_floor(self, other: Fixed) -> Fixed {
        Fixed(((self.0 as u128 * other.0 as u128) / Self::SCALE as u128) as u64)
    }

    /// floor(self × n) for a whole `n`.
    pub const fn times(self, n: u64) -> Fixed {
        Fixed(self.0 * n)
    }

    /// floor(self / n) for a whole `n ≥ 1`.
    pub const fn div_floor(self, n: u64) -> Fixed {
        Fixed(self.0 / n)
    }

    pub const fn saturating_sub(self, other: Fixed) -> Fixed {
        Fixed(self.0.saturating_sub(other.0))
    }

    pub const fn plus(self, other: Fixed) -> Fixed {
        Fixed(self.0 + other.0)
    }

    /// floor(self × 10ᵈ): the value in units that a manifest can carry.
    pub const fn scaled(self, units_per_one: u128) -> u128 {
        self.0 as u128 * units_per_one / Self::SCALE as u128
    }
}

impl std::fmt::Display for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:09}", self.0 / Self::SCALE, self.0 % Self::SCALE)
    }
}
