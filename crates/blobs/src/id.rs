//! The blob id: the blake3 hash (bao root) of the blob's bytes, written as 64 hex digits.

use std::fmt;
use std::str::FromStr;

/// A blob's id: its blake3 hash. The same bytes always have the same id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(pub [u8; 32]);

impl BlobId {
    pub fn of(bytes: &[u8]) -> BlobId {
        BlobId(*blake3::hash(bytes).as_bytes())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub(crate) fn hash(&self) -> blake3::Hash {
        blake3::Hash::from_bytes(self.0)
    }
}

impl From<blake3::Hash> for BlobId {
    fn from(h: blake3::Hash) -> BlobId {
        BlobId(*h.as_bytes())
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.to_hex())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a blob id is 64 hex digits (a blake3 hash), got {0:?}")]
pub struct ParseBlobIdError(String);

impl FromStr for BlobId {
    type Err = ParseBlobIdError;
    fn from_str(s: &str) -> Result<BlobId, ParseBlobIdError> {
        let shown: String = s.chars().take(80).collect();
        if s.len() != 64 {
            return Err(ParseBlobIdError(shown));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| ParseBlobIdError(shown))?;
        Ok(BlobId(out))
    }
}

impl serde::Serialize for BlobId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for BlobId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<BlobId, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_hex_and_reject_garbage() {
        let id = BlobId::of(b"hello");
        assert_eq!(id.to_hex().parse::<BlobId>().unwrap(), id);
        assert!("abc".parse::<BlobId>().is_err());
        assert!("zz".repeat(32).parse::<BlobId>().is_err());
    }
}
