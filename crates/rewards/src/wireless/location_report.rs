//! Signed location reports: the position a radio's own positioning gives, sent with its
//! heartbeats, which [`mean_location_trust`](super::location_trust::mean_location_trust)
//! compares with its asserted location (HIP-119). Signed by the radio's key over a
//! domain-separated, fixed-width encoding, so that a report cannot be replayed as any other
//! signed message and a relay cannot move it.

use super::geo::Position;
use super::witness::DecodeError;
use plexus_types::{PublicKey, SecretKey, Signature};
use serde::Serialize;

/// Domain tag that opens the signed bytes of a location report.
const LOCATION_DOMAIN: &[u8] = b"plexus/wireless/location/v1";
/// Length of [`LocationReport::signing_bytes`].
pub const LOCATION_REPORT_BYTES: usize = LOCATION_DOMAIN.len() + 32 + 8 + 4 + 4;

/// Where a radio's positioning put it, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LocationReport {
    pub radio: PublicKey,
    /// Milliseconds since the Unix epoch of the fix.
    pub at_ms: u64,
    pub position: Position,
}

/// A report with its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedLocationReport {
    pub report: LocationReport,
    pub signature: Signature,
}

impl LocationReport {
    /// The canonical encoding: the domain tag, then each field in order, fixed width, little
    /// endian.
    pub fn signing_bytes(&self) -> [u8; LOCATION_REPORT_BYTES] {
        let mut out = [0u8; LOCATION_REPORT_BYTES];
        let fields: [&[u8]; 5] = [
            LOCATION_DOMAIN,
            self.radio.as_bytes(),
            &self.at_ms.to_le_bytes(),
            &self.position.lat_e6.to_le_bytes(),
            &self.position.lon_e6.to_le_bytes(),
        ];
        let mut at = 0;
        for f in fields {
            out[at..at + f.len()].copy_from_slice(f);
            at += f.len();
        }
        out
    }

    /// Decodes [`Self::signing_bytes`], length first.
    pub fn decode(bytes: &[u8]) -> Result<LocationReport, DecodeError> {
        if bytes.len() != LOCATION_REPORT_BYTES {
            return Err(DecodeError::Length(bytes.len()));
        }
        let (domain, rest) = bytes.split_at(LOCATION_DOMAIN.len());
        if domain != LOCATION_DOMAIN {
            return Err(DecodeError::Domain);
        }
        let (radio, rest) = rest.split_at(32);
        let (at, rest) = rest.split_at(8);
        let (lat, lon) = rest.split_at(4);
        let i32_of = |b: &[u8]| i32::from_le_bytes(b.try_into().unwrap_or([0; 4]));
        Ok(LocationReport {
            radio: PublicKey::from_slice(radio).map_err(|_| DecodeError::Key)?,
            at_ms: u64::from_le_bytes(at.try_into().unwrap_or([0; 8])),
            position: Position::new(i32_of(lat), i32_of(lon)).ok_or(DecodeError::Position)?,
        })
    }

    pub fn sign(self, key: &SecretKey) -> SignedLocationReport {
        SignedLocationReport {
            signature: key.sign(&self.signing_bytes()),
            report: self,
        }
    }
}

impl SignedLocationReport {
    /// Whether the signature is the reporting radio's over the canonical encoding.
    pub fn verify(&self) -> bool {
        self.report
            .radio
            .verify(&self.report.signing_bytes(), &self.signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_verifies_under_its_radio_key_only_and_not_once_moved() {
        let key = SecretKey::from_seed([4; 32]);
        let report = LocationReport {
            radio: key.public_key(),
            at_ms: 1_700_000_000_000,
            position: Position::new(38_722_300, -9_139_300).unwrap(),
        };
        let signed = report.sign(&key);
        assert!(signed.verify());
        let mut moved = signed;
        moved.report.position.lat_e6 += 1;
        assert!(!moved.verify());
        let mut claimed = signed;
        claimed.report.radio = SecretKey::from_seed([5; 32]).public_key();
        assert!(!claimed.verify());
        // The same report always encodes to the same bytes, opened by the domain tag.
        assert_eq!(report.signing_bytes(), report.signing_bytes());
        assert!(report.signing_bytes().starts_with(LOCATION_DOMAIN));
        assert_eq!(report.signing_bytes().len(), LOCATION_REPORT_BYTES);
        assert_eq!(LocationReport::decode(&report.signing_bytes()), Ok(report));
    }
}
