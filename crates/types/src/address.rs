//! Account addresses: the first 20 bytes of blake3(public key), shown as bech32 with the
//! human-readable part `plx` (`plx1…`).

use crate::keys::PublicKey;
use bech32::{Bech32, Hrp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Human-readable part of every Plexus address.
pub const ADDRESS_HRP: &str = "plx";
/// Length of an address in bytes.
pub const ADDRESS_LEN: usize = 20;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub [u8; ADDRESS_LEN]);

#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum AddressError {
    #[error("invalid address {0:?}: not valid bech32 ({1})")]
    Bech32(String, String),
    #[error("invalid address {0:?}: expected prefix `plx`, found `{1}`")]
    WrongPrefix(String, String),
    #[error("invalid address: expected {ADDRESS_LEN} bytes, found {0}")]
    WrongLength(usize),
}

impl Address {
    /// The address that belongs to `key`.
    pub fn from_public_key(key: &PublicKey) -> Address {
        let digest = blake3::hash(key.as_bytes());
        let mut out = [0u8; ADDRESS_LEN];
        out.copy_from_slice(&digest.as_bytes()[..ADDRESS_LEN]);
        Address(out)
    }

    /// A module account that no key controls, derived from its name (for example the fee pool).
    pub fn module(name: &str) -> Address {
        let digest = blake3::derive_key("plexus module account v1", name.as_bytes());
        let mut out = [0u8; ADDRESS_LEN];
        out.copy_from_slice(&digest[..ADDRESS_LEN]);
        Address(out)
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Address, AddressError> {
        <[u8; ADDRESS_LEN]>::try_from(bytes)
            .map(Address)
            .map_err(|_| AddressError::WrongLength(bytes.len()))
    }

    pub fn as_bytes(&self) -> &[u8; ADDRESS_LEN] {
        &self.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = Hrp::parse_unchecked(ADDRESS_HRP);
        let s = bech32::encode::<Bech32>(hrp, &self.0).map_err(|_| fmt::Error)?;
        f.write_str(&s)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (hrp, data) =
            bech32::decode(s).map_err(|e| AddressError::Bech32(s.to_string(), e.to_string()))?;
        if hrp.as_str() != ADDRESS_HRP {
            return Err(AddressError::WrongPrefix(
                s.to_string(),
                hrp.as_str().to_string(),
            ));
        }
        Address::from_slice(&data)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;

    #[test]
    fn address_round_trips_through_bech32() {
        let key = SecretKey::from_seed([7u8; 32]);
        let addr = Address::from_public_key(&key.public_key());
        let text = addr.to_string();
        assert!(text.starts_with("plx1"), "{text}");
        assert_eq!(text.parse::<Address>().unwrap(), addr);
    }

    #[test]
    fn address_with_a_typo_is_rejected() {
        let key = SecretKey::from_seed([7u8; 32]);
        let mut text = Address::from_public_key(&key.public_key()).to_string();
        let last = text.pop().unwrap();
        text.push(if last == 'q' { 'p' } else { 'q' });
        assert!(matches!(
            text.parse::<Address>(),
            Err(AddressError::Bech32(..))
        ));
    }

    #[test]
    fn address_with_another_prefix_is_rejected() {
        let hrp = Hrp::parse("cosmos").unwrap();
        let other = bech32::encode::<Bech32>(hrp, &[1u8; 20]).unwrap();
        assert!(matches!(
            other.parse::<Address>(),
            Err(AddressError::WrongPrefix(..))
        ));
    }
}
