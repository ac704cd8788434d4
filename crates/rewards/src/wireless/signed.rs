//! The signed wireless records a hotspot sends the oracle, as one type with one byte form:
//! the record's canonical encoding (which opens with its domain tag, so the kind is read from
//! the bytes) followed by the 64-byte signature. The oracle publishes this form in hex and
//! `plexus audit` decodes and verifies it, so an auditor checks every signature itself.

use super::location_report::{LocationReport, SignedLocationReport, LOCATION_REPORT_BYTES};
use super::witness::{
    Beacon, DecodeError, SignedBeacon, SignedWitnessReport, WitnessReport, BEACON_BYTES,
    WITNESS_REPORT_BYTES,
};
use plexus_types::{PublicKey, Signature};

/// Length of an ed25519 signature.
const SIGNATURE_BYTES: usize = 64;
/// The longest record's byte form.
pub const MAX_SIGNED_WIRELESS_BYTES: usize = SIGNATURE_BYTES + WITNESS_REPORT_BYTES;

/// A location report, beacon or witness report with its device's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedWireless {
    Location(SignedLocationReport),
    Beacon(SignedBeacon),
    Witness(SignedWitnessReport),
}

impl SignedWireless {
    /// The device that signed it: the reporting radio, the beaconer or the witness.
    pub fn device(&self) -> PublicKey {
        match self {
            SignedWireless::Location(r) => r.report.radio,
            SignedWireless::Beacon(b) => b.beacon.beaconer,
            SignedWireless::Witness(w) => w.report.witness,
        }
    }

    /// When the device says it happened: the fix, the transmission or the reception.
    pub fn at_ms(&self) -> u64 {
        match self {
            SignedWireless::Location(r) => r.report.at_ms,
            SignedWireless::Beacon(b) => b.beacon.sent_at_ms,
            SignedWireless::Witness(w) => w.report.received_at_ms,
        }
    }

    /// Whether the signature is the device's over the canonical encoding.
    pub fn verify(&self) -> bool {
        match self {
            SignedWireless::Location(r) => r.verify(),
            SignedWireless::Beacon(b) => b.verify(),
            SignedWireless::Witness(w) => w
                .report
                .witness
                .verify(&w.report.signing_bytes(), &w.signature)
                .is_ok(),
        }
    }

    /// The canonical encoding, then the signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (mut out, signature) = match self {
            SignedWireless::Location(r) => (r.report.signing_bytes().to_vec(), r.signature),
            SignedWireless::Beacon(b) => (b.beacon.signing_bytes().to_vec(), b.signature),
            SignedWireless::Witness(w) => (w.report.signing_bytes().to_vec(), w.signature),
        };
        out.extend_from_slice(&signature.to_bytes());
        out
    }

    /// Decodes [`Self::to_bytes`]: the kind from the length, then the record (domain tag
    /// first) and the signature. The signature is not checked here ([`Self::verify`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<SignedWireless, DecodeError> {
        let Some(body_len) = bytes.len().checked_sub(SIGNATURE_BYTES) else {
            return Err(DecodeError::Length(bytes.len()));
        };
        let (body, signature) = bytes.split_at(body_len);
        let signature = Signature::from_slice(signature).map_err(|_| DecodeError::Key)?;
        Ok(match body_len {
            LOCATION_REPORT_BYTES => SignedWireless::Location(SignedLocationReport {
                report: LocationReport::decode(body)?,
                signature,
            }),
            BEACON_BYTES => SignedWireless::Beacon(SignedBeacon {
                beacon: Beacon::decode(body)?,
                signature,
            }),
            WITNESS_REPORT_BYTES => SignedWireless::Witness(SignedWitnessReport {
                report: WitnessReport::decode(body)?,
                signature,
            }),
            _ => return Err(DecodeError::Length(bytes.len())),
        })
    }

    /// The name of its kind, as published (`location_report`, `beacon`, `witness_report`).
    pub fn kind(&self) -> &'static str {
        match self {
            SignedWireless::Location(_) => "location_report",
            SignedWireless::Beacon(_) => "beacon",
            SignedWireless::Witness(_) => "witness_report",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wireless::geo::Position;
    use plexus_types::{Hash, SecretKey};

    #[test]
    fn each_kind_round_trips_through_its_bytes_and_a_changed_byte_fails_its_signature() {
        let key = SecretKey::from_seed([3; 32]);
        let at = Position::new(38_722_300, -9_139_300).unwrap();
        let beacon = Beacon {
            id: Hash::of(b"b"),
            beaconer: key.public_key(),
            frequency_hz: 868_100_000,
            tx_power_cdbm: 2_700,
            sent_at_ms: 5,
        };
        let records = [
            SignedWireless::Location(
                LocationReport {
                    radio: key.public_key(),
                    at_ms: 7,
                    position: at,
                }
                .sign(&key),
            ),
            SignedWireless::Beacon(beacon.sign(&key)),
            SignedWireless::Witness(
                WitnessReport {
                    witness: key.public_key(),
                    beacon: beacon.id,
                    received_at_ms: 9,
                    frequency_hz: 868_100_000,
                    rssi_cdbm: -9_000,
                    snr_cdb: 500,
                    reported: at,
                }
                .sign(&key),
            ),
        ];
        // Location report and beacon differ in length, so the kind is never ambiguous.
        assert_ne!(LOCATION_REPORT_BYTES, BEACON_BYTES);
        assert_ne!(BEACON_BYTES, WITNESS_REPORT_BYTES);
        for r in records {
            let bytes = r.to_bytes();
            assert!(bytes.len() <= MAX_SIGNED_WIRELESS_BYTES);
            let back = SignedWireless::from_bytes(&bytes).unwrap();
            assert_eq!(back, r);
            assert!(back.verify());
            assert_eq!(back.device(), key.public_key());
            let mut changed = bytes.clone();
            let last_field = changed.len() - SIGNATURE_BYTES - 1;
            changed[last_field] ^= 1;
            let c = SignedWireless::from_bytes(&changed).unwrap();
            assert!(!c.verify(), "{}", r.kind());
        }
        assert_eq!(
            SignedWireless::from_bytes(&[0; 10]),
            Err(DecodeError::Length(10))
        );
    }
}
