//! ed25519 keys and signatures.
//!
//! Verification follows ZIP 215 (ed25519-zebra): the validity of a signature is defined
//! exactly, and batch verification accepts precisely the signatures that one-by-one
//! verification accepts. Replicas can therefore verify in batches or singly and still agree,
//! which a consensus system needs and plain "strict" or "cofactorless" rules do not give.

use ed25519_zebra::{batch, SigningKey, VerificationKey, VerificationKeyBytes};
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum KeyError {
    #[error("public key must be 32 bytes, found {0}")]
    PublicKeyLength(usize),
    #[error("public key is not a valid ed25519 point")]
    InvalidPublicKey,
    #[error("secret key must be 32 bytes, found {0}")]
    SecretKeyLength(usize),
    #[error("signature must be 64 bytes, found {0}")]
    SignatureLength(usize),
    #[error("signature does not verify")]
    BadSignature,
}

/// An ed25519 signing key (its 32-byte seed). Zeroized on drop by ed25519-zebra.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A fresh key from the operating system's randomness.
    pub fn generate() -> SecretKey {
        SecretKey(SigningKey::new(rand::rngs::OsRng))
    }

    /// The key whose seed is `seed` (deterministic: for tests, benchmarks and devnets).
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from(seed))
    }

    pub fn from_slice(bytes: &[u8]) -> Result<SecretKey, KeyError> {
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::SecretKeyLength(bytes.len()))?;
        Ok(SecretKey::from_seed(seed))
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        *self.0.as_bytes()
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(VerificationKeyBytes::from(&self.0).into())
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public={})", self.public_key())
    }
}

/// An ed25519 verification key, kept as its 32-byte encoding. Decoding a transaction does not
/// decompress the curve point (a costly step); verification does, once, and rejects encodings
/// that are not points.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// Checks the length only; see [`PublicKey::validate`] for the point check.
    pub fn from_slice(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let raw: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::PublicKeyLength(bytes.len()))?;
        Ok(PublicKey(raw))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether the encoding is a valid curve point.
    pub fn validate(&self) -> Result<(), KeyError> {
        VerificationKey::try_from(self.0)
            .map(|_| ())
            .map_err(|_| KeyError::InvalidPublicKey)
    }

    /// Verifies `signature` over `message` by the ZIP 215 rules.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let key = VerificationKey::try_from(self.0).map_err(|_| KeyError::InvalidPublicKey)?;
        key.verify(&signature.0, message)
            .map_err(|_| KeyError::BadSignature)
    }

    fn key_bytes(&self) -> VerificationKeyBytes {
        VerificationKeyBytes::from(self.0)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.as_bytes()))
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        PublicKey::from_slice(&bytes).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = hex::decode(s).map_err(|_| KeyError::PublicKeyLength(s.len() / 2))?;
        PublicKey::from_slice(&bytes)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// An ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Signature(ed25519_zebra::Signature);

impl Signature {
    pub fn from_slice(bytes: &[u8]) -> Result<Signature, KeyError> {
        let raw: [u8; 64] = bytes
            .try_into()
            .map_err(|_| KeyError::SignatureLength(bytes.len()))?;
        Ok(Signature(ed25519_zebra::Signature::from_bytes(&raw)))
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }
}

/// Verifies many `(message, signature, key)` triples at once. True exactly when every one of
/// them is valid (ZIP 215); on false, callers check one by one to find the culprits.
pub fn verify_batch(items: &[(&[u8], Signature, PublicKey)]) -> bool {
    let mut verifier = batch::Verifier::new();
    for (message, signature, key) in items {
        verifier.queue((key.key_bytes(), signature.0, message));
    }
    verifier.verify(rand::rngs::OsRng).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_message_and_key() {
        let key = SecretKey::from_seed([1u8; 32]);
        let other = SecretKey::from_seed([2u8; 32]);
        let sig = key.sign(b"hello");
        assert!(key.public_key().verify(b"hello", &sig).is_ok());
        assert_eq!(
            key.public_key().verify(b"hellO", &sig),
            Err(KeyError::BadSignature)
        );
        assert_eq!(
            other.public_key().verify(b"hello", &sig),
            Err(KeyError::BadSignature)
        );
    }

    #[test]
    fn batch_verification_fails_if_any_signature_is_forged() {
        let keys: Vec<SecretKey> = (0..8u8).map(|i| SecretKey::from_seed([i; 32])).collect();
        let msgs: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 10]).collect();
        let mut items: Vec<(&[u8], Signature, PublicKey)> = keys
            .iter()
            .zip(&msgs)
            .map(|(k, m)| (m.as_slice(), k.sign(m), k.public_key()))
            .collect();
        assert!(verify_batch(&items));
        items[3].1 = keys[3].sign(b"something else");
        assert!(!verify_batch(&items));
    }

    #[test]
    fn a_key_round_trips_through_its_seed() {
        let key = SecretKey::generate();
        let back = SecretKey::from_slice(&key.to_bytes()).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let pk = PublicKey::from_slice(key.public_key().as_bytes()).unwrap();
        assert_eq!(pk, key.public_key());
    }
}
