//! Signed heartbeats: a device's proof that it was alive in one liveness interval.
//!
//! The payload carries the app hash of the block that opened the interval (the beacon), so a
//! heartbeat cannot be made before its interval began, and the epoch and interval, so an old
//! heartbeat replayed later is stale and never counts.

use crate::hash::Hash;
use crate::keys::{PublicKey, SecretKey, Signature};
use crate::proto;
use prost::Message;

/// Largest encoded heartbeat.
pub const MAX_HEARTBEAT_BYTES: usize = 512;
/// Most heartbeats in one batch.
pub const MAX_HEARTBEAT_BATCH: usize = 4_096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    pub chain_id: String,
    pub device: PublicKey,
    pub epoch: u64,
    pub interval: u32,
    pub beacon: Hash,
}

/// A decoded heartbeat with its signature (not yet verified) and exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeartbeat {
    pub heartbeat: Heartbeat,
    pub payload: Vec<u8>,
    pub signature: Signature,
    /// The exact encoded `SignedHeartbeat`, as published in the evidence log.
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum HeartbeatError {
    #[error("heartbeat is {0} bytes, larger than {MAX_HEARTBEAT_BYTES}")]
    Oversize(usize),
    #[error("batch holds {0} heartbeats, more than {MAX_HEARTBEAT_BATCH}")]
    BatchTooLarge(usize),
    #[error("not a valid heartbeat: {0}")]
    Malformed(String),
    #[error("the device signature does not verify")]
    BadSignature,
}

impl HeartbeatError {
    /// A stable validity code for APIs.
    pub fn code(&self) -> &'static str {
        match self {
            HeartbeatError::Oversize(_) => "oversize",
            HeartbeatError::BatchTooLarge(_) => "batch_too_large",
            HeartbeatError::Malformed(_) => "malformed",
            HeartbeatError::BadSignature => "bad_signature",
        }
    }
}

impl Heartbeat {
    pub fn sign(&self, key: &SecretKey) -> SignedHeartbeat {
        let payload = proto::HeartbeatPayload {
            chain_id: self.chain_id.clone(),
            device: self.device.as_bytes().to_vec(),
            epoch: self.epoch,
            interval: self.interval,
            beacon: self.beacon.0.to_vec(),
        }
        .encode_to_vec();
        let signature = key.sign(&payload);
        let bytes = proto::SignedHeartbeat {
            payload: payload.clone(),
            signature: signature.to_bytes().to_vec(),
        }
        .encode_to_vec();
        SignedHeartbeat {
            heartbeat: self.clone(),
            payload,
            signature,
            bytes,
        }
    }
}

impl SignedHeartbeat {
    fn from_proto(raw: proto::SignedHeartbeat) -> Result<SignedHeartbeat, HeartbeatError> {
        let malformed = |e: &dyn std::fmt::Display| HeartbeatError::Malformed(e.to_string());
        let signature = Signature::from_slice(&raw.signature).map_err(|e| malformed(&e))?;
        let p =
            proto::HeartbeatPayload::decode(raw.payload.as_slice()).map_err(|e| malformed(&e))?;
        if p.chain_id.len() > crate::tx::MAX_CHAIN_ID_LEN {
            return Err(HeartbeatError::Malformed("chain id too long".into()));
        }
        let heartbeat = Heartbeat {
            chain_id: p.chain_id,
            device: PublicKey::from_slice(&p.device).map_err(|e| malformed(&e))?,
            epoch: p.epoch,
            interval: p.interval,
            beacon: Hash::from_slice(&p.beacon)
                .ok_or_else(|| HeartbeatError::Malformed("beacon is not 32 bytes".into()))?,
        };
        let bytes = proto::SignedHeartbeat {
            payload: raw.payload.clone(),
            signature: raw.signature,
        }
        .encode_to_vec();
        Ok(SignedHeartbeat {
            heartbeat,
            payload: raw.payload,
            signature,
            bytes,
        })
    }

    /// Decodes one heartbeat, bounds first.
    pub fn decode(bytes: &[u8]) -> Result<SignedHeartbeat, HeartbeatError> {
        if bytes.len() > MAX_HEARTBEAT_BYTES {
            return Err(HeartbeatError::Oversize(bytes.len()));
        }
        let raw = proto::SignedHeartbeat::decode(bytes)
            .map_err(|e| HeartbeatError::Malformed(e.to_string()))?;
        SignedHeartbeat::from_proto(raw)
    }

    /// Decodes a batch; one result per heartbeat, or an error for the whole batch if it is
    /// oversize or not a batch.
    pub fn decode_batch(
        bytes: &[u8],
    ) -> Result<Vec<Result<SignedHeartbeat, HeartbeatError>>, HeartbeatError> {
        let max = MAX_HEARTBEAT_BATCH * (MAX_HEARTBEAT_BYTES + 8);
        if bytes.len() > max {
            return Err(HeartbeatError::BatchTooLarge(
                bytes.len() / MAX_HEARTBEAT_BYTES,
            ));
        }
        let raw = proto::HeartbeatBatch::decode(bytes)
            .map_err(|e| HeartbeatError::Malformed(e.to_string()))?;
        if raw.heartbeats.len() > MAX_HEARTBEAT_BATCH {
            return Err(HeartbeatError::BatchTooLarge(raw.heartbeats.len()));
        }
        Ok(raw
            .heartbeats
            .into_iter()
            .map(|h| {
                let size = h.encoded_len();
                if size > MAX_HEARTBEAT_BYTES {
                    Err(HeartbeatError::Oversize(size))
                } else {
                    SignedHeartbeat::from_proto(h)
                }
            })
            .collect())
    }

    /// Encodes heartbeats as one batch body.
    pub fn encode_batch(heartbeats: &[SignedHeartbeat]) -> Vec<u8> {
        proto::HeartbeatBatch {
            heartbeats: heartbeats
                .iter()
                .map(|h| proto::SignedHeartbeat {
                    payload: h.payload.clone(),
                    signature: h.signature.to_bytes().to_vec(),
                })
                .collect(),
        }
        .encode_to_vec()
    }

    pub fn verify(&self) -> Result<(), HeartbeatError> {
        self.heartbeat
            .device
            .verify(&self.payload, &self.signature)
            .map_err(|_| HeartbeatError::BadSignature)
    }

    /// Verifies many heartbeats with batch verification on every core; one result each.
    pub fn verify_many(heartbeats: &[SignedHeartbeat]) -> Vec<Result<(), HeartbeatError>> {
        use rayon::prelude::*;
        heartbeats
            .par_chunks(64)
            .flat_map_iter(|chunk| {
                let items: Vec<(&[u8], Signature, PublicKey)> = chunk
                    .iter()
                    .map(|h| (h.payload.as_slice(), h.signature, h.heartbeat.device))
                    .collect();
                let results: Vec<Result<(), HeartbeatError>> = if crate::keys::verify_batch(&items)
                {
                    vec![Ok(()); chunk.len()]
                } else {
                    chunk.iter().map(|h| h.verify()).collect()
                };
                results.into_iter()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(key: &SecretKey, interval: u32) -> SignedHeartbeat {
        Heartbeat {
            chain_id: "c".into(),
            device: key.public_key(),
            epoch: 3,
            interval,
            beacon: Hash([7; 32]),
        }
        .sign(key)
    }

    #[test]
    fn a_heartbeat_round_trips_and_verifies_only_unchanged() {
        let key = SecretKey::from_seed([1; 32]);
        let hb = beat(&key, 2);
        let back = SignedHeartbeat::decode(&hb.bytes).unwrap();
        assert_eq!(back, hb);
        assert!(back.verify().is_ok());
        let mut forged = back.clone();
        forged.signature = SecretKey::from_seed([2; 32]).sign(&forged.payload);
        assert_eq!(forged.verify(), Err(HeartbeatError::BadSignature));
    }

    #[test]
    fn batches_are_bounded_and_decoded_one_by_one() {
        let key = SecretKey::from_seed([1; 32]);
        let beats: Vec<SignedHeartbeat> = (0..10).map(|i| beat(&key, i)).collect();
        let body = SignedHeartbeat::encode_batch(&beats);
        let decoded = SignedHeartbeat::decode_batch(&body).unwrap();
        assert_eq!(decoded.len(), 10);
        assert!(decoded.iter().all(|d| d.is_ok()));
        let verdicts = SignedHeartbeat::verify_many(&beats);
        assert!(verdicts.iter().all(|v| v.is_ok()));
        assert_eq!(
            SignedHeartbeat::decode(&[0xff; 600]).unwrap_err().code(),
            "oversize"
        );
        assert_eq!(
            SignedHeartbeat::decode(&[0xff; 6]).unwrap_err().code(),
            "malformed"
        );
    }
}
