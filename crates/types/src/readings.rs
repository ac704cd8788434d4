//! Signed batches of sensor readings: what a weather station, an energy meter or a vehicle
//! sends the oracles. The device signs the encoded batch (under its own domain tag, see
//! [`crate::statements::reading_batch`]), so the oracle can publish the exact bytes and anyone
//! can check that the device said them.

use crate::keys::{PublicKey, SecretKey, Signature};
use crate::proto;
use prost::Message;

/// Largest encoded signed batch.
pub const MAX_BATCH_BYTES: usize = 512 * 1024;
/// Most readings in one batch: more than a day of a station reading every 16 s.
pub const MAX_READINGS: usize = 8_192;

/// A batch's readings, of one kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Readings {
    Weather(Vec<proto::WeatherReading>),
    Meter(Vec<proto::MeterReading>),
    Vehicle(Vec<proto::VehicleReading>),
}

impl Readings {
    pub fn len(&self) -> usize {
        match self {
            Readings::Weather(r) => r.len(),
            Readings::Meter(r) => r.len(),
            Readings::Vehicle(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The device class that sends this kind of reading.
    pub fn class(&self) -> &'static str {
        match self {
            Readings::Weather(_) => "weather",
            Readings::Meter(_) => "energy-meter",
            Readings::Vehicle(_) => "vehicle",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReadingBatch {
    pub chain_id: String,
    pub device: PublicKey,
    pub epoch: u64,
    /// The device's own count of its batches.
    pub seq: u64,
    pub readings: Readings,
}

/// A decoded batch whose signature has been checked, with its exact bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedReadingBatch {
    pub batch: ReadingBatch,
    pub signature: Signature,
    /// The encoded `SignedReadingBatch`, as the oracle publishes it.
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum ReadingError {
    #[error("the batch is {0} bytes, larger than {MAX_BATCH_BYTES}")]
    Oversize(usize),
    #[error("the batch holds {0} readings, more than {MAX_READINGS}")]
    TooManyReadings(usize),
    #[error("not a valid reading batch: {0}")]
    Malformed(String),
    #[error("the device signature does not verify")]
    BadSignature,
}

impl ReadingError {
    /// A stable validity code for APIs.
    pub fn code(&self) -> &'static str {
        match self {
            ReadingError::Oversize(_) => "oversize",
            ReadingError::TooManyReadings(_) => "too_many_readings",
            ReadingError::Malformed(_) => "malformed",
            ReadingError::BadSignature => "bad_signature",
        }
    }
}

impl ReadingBatch {
    fn to_proto(&self) -> proto::ReadingBatch {
        use proto::reading_batch::Readings as P;
        proto::ReadingBatch {
            chain_id: self.chain_id.clone(),
            device: self.device.as_bytes().to_vec(),
            epoch: self.epoch,
            seq: self.seq,
            readings: Some(match &self.readings {
                Readings::Weather(r) => P::Weather(proto::WeatherReadings {
                    readings: r.clone(),
                }),
                Readings::Meter(r) => P::Meter(proto::MeterReadings {
                    readings: r.clone(),
                }),
                Readings::Vehicle(r) => P::Vehicle(proto::VehicleReadings {
                    readings: r.clone(),
                }),
            }),
        }
    }

    /// Signs the batch with the device's key.
    pub fn sign(&self, key: &SecretKey) -> SignedReadingBatch {
        let batch = self.to_proto().encode_to_vec();
        let signature = key.sign(&crate::statements::reading_batch(&batch));
        let bytes = proto::SignedReadingBatch {
            batch,
            signature: signature.to_bytes().to_vec(),
        }
        .encode_to_vec();
        SignedReadingBatch {
            batch: self.clone(),
            signature,
            bytes,
        }
    }
}

impl SignedReadingBatch {
    /// Decodes a signed batch, bounds first, and checks the device's signature.
    pub fn decode(bytes: &[u8]) -> Result<SignedReadingBatch, ReadingError> {
        use proto::reading_batch::Readings as P;
        if bytes.len() > MAX_BATCH_BYTES {
            return Err(ReadingError::Oversize(bytes.len()));
        }
        let malformed = |e: &dyn std::fmt::Display| ReadingError::Malformed(e.to_string());
        let raw = proto::SignedReadingBatch::decode(bytes).map_err(|e| malformed(&e))?;
        let signature = Signature::from_slice(&raw.signature).map_err(|e| malformed(&e))?;
        let p = proto::ReadingBatch::decode(raw.batch.as_slice()).map_err(|e| malformed(&e))?;
        if p.chain_id.len() > crate::tx::MAX_CHAIN_ID_LEN {
            return Err(ReadingError::Malformed("chain id too long".into()));
        }
        let device = PublicKey::from_slice(&p.device).map_err(|e| malformed(&e))?;
        let readings = match p.readings {
            Some(P::Weather(r)) => Readings::Weather(r.readings),
            Some(P::Meter(r)) => Readings::Meter(r.readings),
            Some(P::Vehicle(r)) => Readings::Vehicle(r.readings),
            None => {
                return Err(ReadingError::Malformed(
                    "the batch holds no readings".into(),
                ))
            }
        };
        if readings.len() > MAX_READINGS {
            return Err(ReadingError::TooManyReadings(readings.len()));
        }
        if device
            .verify(&crate::statements::reading_batch(&raw.batch), &signature)
            .is_err()
        {
            return Err(ReadingError::BadSignature);
        }
        // The bytes as received: what the device signed, re-encoded would be the same, but the
        // published evidence is what came in.
        Ok(SignedReadingBatch {
            batch: ReadingBatch {
                chain_id: p.chain_id,
                device,
                epoch: p.epoch,
                seq: p.seq,
                readings,
            },
            signature,
            bytes: bytes.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(key: &SecretKey) -> ReadingBatch {
        ReadingBatch {
            chain_id: "plexus-test".into(),
            device: key.public_key(),
            epoch: 3,
            seq: 1,
            readings: Readings::Weather(vec![proto::WeatherReading {
                at_s: 1_000,
                temperature_cc: Some(-250),
                humidity_dpct: Some(800),
                ..Default::default()
            }]),
        }
    }

    #[test]
    fn a_signed_batch_decodes_to_what_was_signed() {
        let key = SecretKey::from_seed([4; 32]);
        let signed = batch(&key).sign(&key);
        let back = SignedReadingBatch::decode(&signed.bytes).unwrap();
        assert_eq!(back.batch, batch(&key));
        assert_eq!(back.bytes, signed.bytes);
    }

    #[test]
    fn a_changed_reading_or_another_key_fails_the_signature() {
        let key = SecretKey::from_seed([4; 32]);
        let signed = batch(&key).sign(&key);
        let mut raw = proto::SignedReadingBatch::decode(signed.bytes.as_slice()).unwrap();
        let mut inner = proto::ReadingBatch::decode(raw.batch.as_slice()).unwrap();
        if let Some(proto::reading_batch::Readings::Weather(w)) = &mut inner.readings {
            w.readings[0].temperature_cc = Some(2_500);
        }
        raw.batch = inner.encode_to_vec();
        assert_eq!(
            SignedReadingBatch::decode(&raw.encode_to_vec()),
            Err(ReadingError::BadSignature)
        );
        let other = SecretKey::from_seed([5; 32]);
        let forged = batch(&key).sign(&other);
        assert_eq!(
            SignedReadingBatch::decode(&forged.bytes),
            Err(ReadingError::BadSignature)
        );
    }

    #[test]
    fn oversize_batches_and_garbage_are_refused_with_their_codes() {
        assert_eq!(
            SignedReadingBatch::decode(&vec![0; MAX_BATCH_BYTES + 1])
                .unwrap_err()
                .code(),
            "oversize"
        );
        assert_eq!(
            SignedReadingBatch::decode(b"\xff\xff\xff")
                .unwrap_err()
                .code(),
            "malformed"
        );
        let key = SecretKey::from_seed([4; 32]);
        let mut many = batch(&key);
        many.readings = Readings::Vehicle(vec![proto::VehicleReading::default(); MAX_READINGS + 1]);
        assert_eq!(
            SignedReadingBatch::decode(&many.sign(&key).bytes)
                .unwrap_err()
                .code(),
            "too_many_readings"
        );
    }
}
