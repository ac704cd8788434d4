//! How device keys and 128-bit quantities appear in JSON: keys as 64 lowercase hex characters
//! (as `PublicKey` displays them), units as decimal strings, because JSON numbers lose
//! precision past 2⁵³ in most readers.

use plexus_types::{Hash, PublicKey};
use serde::{de, Deserialize, Deserializer, Serializer};

pub mod public_key {
    use super::*;

    pub fn serialize<S: Serializer>(key: &PublicKey, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(key)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PublicKey, D::Error> {
        let text = String::deserialize(d)?;
        // A key is 32 bytes, like a digest, so the digest's strict hex parser serves both.
        let raw = Hash::from_hex(&text)
            .map_err(|e| de::Error::custom(format!("device key {text:?}: {e}")))?;
        PublicKey::from_slice(raw.as_bytes()).map_err(de::Error::custom)
    }
}

pub mod decimal_u128 {
    use super::*;

    pub fn serialize<S: Serializer>(value: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        // `u128::from_str` also takes a leading '+' and zeros; one value has one spelling.
        let canonical = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit())
            && (text == "0" || !text.starts_with('0'));
        if !canonical {
            return Err(de::Error::custom(format!(
                "expected a decimal string without leading zeros, found {text:?}"
            )));
        }
        text.parse()
            .map_err(|e| de::Error::custom(format!("{text:?}: {e}")))
    }
}
