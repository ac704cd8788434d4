//! Token amounts: integer base units (1 uplx = 10⁻⁶ PLX) in a `u128`, with checked arithmetic.
//! JSON carries them as decimal strings so no client loses precision.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Base units per PLX.
pub const UPLX_PER_PLX: u128 = 1_000_000;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Amount(pub u128);

#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum AmountError {
    #[error("invalid amount {0:?}: expected base units (digits only)")]
    NotDigits(String),
    #[error("invalid amount {0:?}: too large")]
    Overflow(String),
    #[error("invalid amount {0:?}: PLX has at most 6 decimal places")]
    TooPrecise(String),
    #[error(
        "invalid amount {0:?}: expected a number followed by `plx` or `uplx` (for example 2.5plx)"
    )]
    BadDenomination(String),
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub fn uplx(units: u128) -> Amount {
        Amount(units)
    }

    /// Whole PLX; panics only on overflow of a constant, so meant for genesis and tests.
    pub fn plx(whole: u64) -> Amount {
        Amount(whole as u128 * UPLX_PER_PLX)
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// Parses a canonical base-unit string: ASCII digits only, as written on the wire.
    pub fn from_base_units(s: &str) -> Result<Amount, AmountError> {
        if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::NotDigits(s.to_string()));
        }
        s.parse::<u128>()
            .map(Amount)
            .map_err(|_| AmountError::Overflow(s.to_string()))
    }

    /// Parses what a person types: `2.5plx`, `10 PLX`, `2500uplx`, or bare base units.
    pub fn parse_human(input: &str) -> Result<Amount, AmountError> {
        let s = input.trim().to_ascii_lowercase();
        let s = s.replace('_', "");
        if let Some(units) = s.strip_suffix("uplx") {
            return Amount::from_base_units(units.trim());
        }
        if let Some(plx) = s.strip_suffix("plx") {
            let plx = plx.trim();
            let (whole, frac) = plx.split_once('.').unwrap_or((plx, ""));
            if whole.is_empty() && frac.is_empty() {
                return Err(AmountError::BadDenomination(input.to_string()));
            }
            if frac.len() > 6 {
                return Err(AmountError::TooPrecise(input.to_string()));
            }
            let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
            if !digits_ok(whole) || !digits_ok(frac) {
                return Err(AmountError::BadDenomination(input.to_string()));
            }
            let whole: u128 = if whole.is_empty() {
                0
            } else {
                whole
                    .parse()
                    .map_err(|_| AmountError::Overflow(input.to_string()))?
            };
            let frac_units: u128 = if frac.is_empty() {
                0
            } else {
                format!("{frac:0<6}").parse().expect("six digits fit")
            };
            return whole
                .checked_mul(UPLX_PER_PLX)
                .and_then(|w| w.checked_add(frac_units))
                .map(Amount)
                .ok_or_else(|| AmountError::Overflow(input.to_string()));
        }
        if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
            return Amount::from_base_units(&s);
        }
        Err(AmountError::BadDenomination(input.to_string()))
    }

    /// `12.5 PLX` style, for people.
    pub fn to_plx_string(&self) -> String {
        let whole = self.0 / UPLX_PER_PLX;
        let frac = self.0 % UPLX_PER_PLX;
        if frac == 0 {
            format!("{whole} PLX")
        } else {
            let frac = format!("{frac:06}");
            format!("{whole}.{} PLX", frac.trim_end_matches('0'))
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::from_base_units(s)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Amount::from_base_units(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_can_write_amounts_in_plx_or_uplx() {
        assert_eq!(Amount::parse_human("2.5plx").unwrap(), Amount(2_500_000));
        assert_eq!(Amount::parse_human("10 PLX").unwrap(), Amount(10_000_000));
        assert_eq!(Amount::parse_human("2500uplx").unwrap(), Amount(2500));
        assert_eq!(Amount::parse_human("42").unwrap(), Amount(42));
        assert_eq!(Amount::parse_human(".5plx").unwrap(), Amount(500_000));
    }

    #[test]
    fn malformed_amounts_are_rejected() {
        assert!(Amount::parse_human("1.0000001plx").is_err());
        assert!(Amount::parse_human("-5").is_err());
        assert!(Amount::parse_human("5 eth").is_err());
        assert!(Amount::parse_human("plx").is_err());
        assert!(Amount::from_base_units("1e6").is_err());
        assert!(Amount::from_base_units("").is_err());
        assert!(Amount::from_base_units("340282366920938463463374607431768211456").is_err());
    }

    #[test]
    fn amounts_are_decimal_strings_in_json() {
        let a = Amount(u128::MAX);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{}\"", u128::MAX));
        assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), a);
    }

    #[test]
    fn plx_string_drops_trailing_zeros() {
        assert_eq!(Amount(2_500_000).to_plx_string(), "2.5 PLX");
        assert_eq!(Amount(3_000_000).to_plx_string(), "3 PLX");
    }
}
