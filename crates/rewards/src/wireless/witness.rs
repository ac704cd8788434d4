//! LoRa proof of coverage: signed witness reports, their canonical encoding, and the checks a
//! witness must pass to count for a beacon (the checks of Helium's PoC verifier). Every
//! rejection carries an [`InvalidReason`], since owners are shown why a witness did not count.

use super::fspl::fspl_cdb;
use super::geo::{distance_m, Position};
use super::location_trust::location_trust;
use plexus_types::{Hash, PublicKey, Signature};
use serde::Serialize;

/// Domain tag that opens the signed bytes of a witness report.
const WITNESS_DOMAIN: &[u8] = b"plexus/wireless/witness/v1";
/// Length of [`WitnessReport::signing_bytes`].
pub const WITNESS_REPORT_BYTES: usize = WITNESS_DOMAIN.len() + 32 + 32 + 8 + 8 + 4 + 4 + 4 + 4;

/// A witness may hear the beacon at most this far from its frequency (100 kHz).
pub const MAX_FREQUENCY_DELTA_HZ: u64 = 100_000;
/// Centre spacing of neighbouring resolution-11 H3 cells: √3 × the mean edge of 24.91 m.
pub const RES11_CELL_SPACING_M: u64 = 43;
/// A witness nearer than 8 resolution-11 cells proves nothing about coverage (344 m).
pub const MIN_WITNESS_DISTANCE_M: u64 = 8 * RES11_CELL_SPACING_M;
/// Beyond 100 km a LoRa witness is not plausible.
pub const MAX_WITNESS_DISTANCE_M: u64 = 100_000;
/// Slack on the strongest signal free space allows, in hundredths of a dB: antenna patterns
/// and radio calibration differ from the assumed gains by a few dB.
pub const SIGNAL_MARGIN_CDB: i64 = 600;
/// A witness's reception time may differ from the beacon's transmission by this much (clock
/// error of the two hotspots).
pub const MAX_CLOCK_SKEW_MS: u64 = 2_000;
/// Witnesses counted per beacon: the earliest this many valid ones.
pub const MAX_WITNESSES_PER_BEACON: usize = 14;

/// A hotspot as asserted on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Hotspot {
    pub key: PublicKey,
    /// The asserted location.
    pub asserted: Position,
    /// The H3 cell of the asserted location (resolution 10 or finer), for density scaling.
    pub cell: u64,
    /// Height of the assertion: the earlier, the more senior.
    pub asserted_height: u64,
    /// Antenna gain in hundredths of a dBi.
    pub gain_cdbi: i32,
}

/// A beacon as reported by its transmitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Beacon {
    /// Digest of the beacon's payload: what witnesses name.
    pub id: Hash,
    pub beaconer: PublicKey,
    pub frequency_hz: u64,
    /// Conducted transmit power in hundredths of a dBm.
    pub tx_power_cdbm: i32,
    pub sent_at_ms: u64,
}

/// Domain tag that opens the signed bytes of a beacon.
const BEACON_DOMAIN: &[u8] = b"plexus/wireless/beacon/v1";
/// Length of [`Beacon::signing_bytes`].
pub const BEACON_BYTES: usize = BEACON_DOMAIN.len() + 32 + 32 + 8 + 4 + 8;

/// A beacon with its transmitter's signature over [`Beacon::signing_bytes`]: only the
/// beaconer can say it sent a beacon, so no one can make it beacon too often (rule W1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedBeacon {
    pub beacon: Beacon,
    pub signature: Signature,
}

impl Beacon {
    /// The canonical encoding: the domain tag, then each field in order, fixed width, little
    /// endian.
    pub fn signing_bytes(&self) -> [u8; BEACON_BYTES] {
        let mut out = [0u8; BEACON_BYTES];
        let fields: [&[u8]; 6] = [
            BEACON_DOMAIN,
            self.id.as_bytes(),
            self.beaconer.as_bytes(),
            &self.frequency_hz.to_le_bytes(),
            &self.tx_power_cdbm.to_le_bytes(),
            &self.sent_at_ms.to_le_bytes(),
        ];
        let mut at = 0;
        for f in fields {
            out[at..at + f.len()].copy_from_slice(f);
            at += f.len();
        }
        out
    }

    /// Decodes [`Self::signing_bytes`], length first.
    pub fn decode(bytes: &[u8]) -> Result<Beacon, DecodeError> {
        if bytes.len() != BEACON_BYTES {
            return Err(DecodeError::Length(bytes.len()));
        }
        let (domain, rest) = bytes.split_at(BEACON_DOMAIN.len());
        if domain != BEACON_DOMAIN {
            return Err(DecodeError::Domain);
        }
        let (id, rest) = rest.split_at(32);
        let (beaconer, rest) = rest.split_at(32);
        let (frequency, rest) = rest.split_at(8);
        let (power, sent) = rest.split_at(4);
        Ok(Beacon {
            id: Hash::from_slice(id).ok_or(DecodeError::Length(bytes.len()))?,
            beaconer: PublicKey::from_slice(beaconer).map_err(|_| DecodeError::Key)?,
            frequency_hz: u64::from_le_bytes(frequency.try_into().unwrap_or([0; 8])),
            tx_power_cdbm: i32::from_le_bytes(power.try_into().unwrap_or([0; 4])),
            sent_at_ms: u64::from_le_bytes(sent.try_into().unwrap_or([0; 8])),
        })
    }

    pub fn sign(self, key: &plexus_types::SecretKey) -> SignedBeacon {
        SignedBeacon {
            signature: key.sign(&self.signing_bytes()),
            beacon: self,
        }
    }
}

impl SignedBeacon {
    /// Whether the signature is the beaconer's over the canonical encoding.
    pub fn verify(&self) -> bool {
        self.beacon
            .beaconer
            .verify(&self.beacon.signing_bytes(), &self.signature)
            .is_ok()
    }
}

/// What a witness says it heard, signed by the witness's key over [`Self::signing_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WitnessReport {
    pub witness: PublicKey,
    pub beacon: Hash,
    pub received_at_ms: u64,
    pub frequency_hz: u64,
    /// Received signal strength in hundredths of a dBm.
    pub rssi_cdbm: i32,
    /// Signal to noise ratio in hundredths of a dB.
    pub snr_cdb: i32,
    /// Where the witness's own positioning puts it.
    pub reported: Position,
}

/// A report with its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedWitnessReport {
    pub report: WitnessReport,
    pub signature: Signature,
}

/// Why a canonical encoding was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("a signed record of this kind cannot be {0} bytes long")]
    Length(usize),
    #[error("not a record of this kind (wrong domain tag)")]
    Domain,
    #[error("the witness key is not a valid ed25519 key")]
    Key,
    #[error("the reported position is out of range")]
    Position,
}

impl WitnessReport {
    /// The canonical encoding: the domain tag, then each field in order, fixed width, little
    /// endian. The same report always gives the same bytes.
    pub fn signing_bytes(&self) -> [u8; WITNESS_REPORT_BYTES] {
        let mut out = [0u8; WITNESS_REPORT_BYTES];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(WITNESS_DOMAIN);
        put(self.witness.as_bytes());
        put(self.beacon.as_bytes());
        put(&self.received_at_ms.to_le_bytes());
        put(&self.frequency_hz.to_le_bytes());
        put(&self.rssi_cdbm.to_le_bytes());
        put(&self.snr_cdb.to_le_bytes());
        put(&self.reported.lat_e6.to_le_bytes());
        put(&self.reported.lon_e6.to_le_bytes());
        out
    }

    /// Decodes [`Self::signing_bytes`], length first.
    pub fn decode(bytes: &[u8]) -> Result<WitnessReport, DecodeError> {
        if bytes.len() != WITNESS_REPORT_BYTES {
            return Err(DecodeError::Length(bytes.len()));
        }
        let (domain, mut rest) = bytes.split_at(WITNESS_DOMAIN.len());
        if domain != WITNESS_DOMAIN {
            return Err(DecodeError::Domain);
        }
        let mut take = |n: usize| {
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head
        };
        let witness = PublicKey::from_slice(take(32)).map_err(|_| DecodeError::Key)?;
        let beacon = Hash::from_slice(take(32)).ok_or(DecodeError::Length(bytes.len()))?;
        let u64_of = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        let i32_of = |b: &[u8]| i32::from_le_bytes(b.try_into().unwrap_or([0; 4]));
        let received_at_ms = u64_of(take(8));
        let frequency_hz = u64_of(take(8));
        let rssi_cdbm = i32_of(take(4));
        let snr_cdb = i32_of(take(4));
        let lat = i32_of(take(4));
        let lon = i32_of(take(4));
        let reported = Position::new(lat, lon).ok_or(DecodeError::Position)?;
        Ok(WitnessReport {
            witness,
            beacon,
            received_at_ms,
            frequency_hz,
            rssi_cdbm,
            snr_cdb,
            reported,
        })
    }

    pub fn sign(self, key: &plexus_types::SecretKey) -> SignedWitnessReport {
        SignedWitnessReport {
            signature: key.sign(&self.signing_bytes()),
            report: self,
        }
    }
}

/// Checks the signatures of many reports by batch verification (64 at a time, on every core),
/// falling back to one by one in a batch that fails; one answer per report.
pub fn verify_report_signatures(reports: &[SignedWitnessReport]) -> Vec<bool> {
    use rayon::prelude::*;
    reports
        .par_chunks(64)
        .flat_map_iter(|chunk| {
            let bytes: Vec<[u8; WITNESS_REPORT_BYTES]> =
                chunk.iter().map(|r| r.report.signing_bytes()).collect();
            let items: Vec<(&[u8], Signature, PublicKey)> = chunk
                .iter()
                .zip(&bytes)
                .map(|(r, b)| (b.as_slice(), r.signature, r.report.witness))
                .collect();
            let answers: Vec<bool> = if plexus_types::keys::verify_batch(&items) {
                vec![true; chunk.len()]
            } else {
                items
                    .iter()
                    .map(|(m, s, k)| k.verify(m, s).is_ok())
                    .collect()
            };
            answers.into_iter()
        })
        .collect()
}

/// Why a witness report does not count. Shown to owners as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidReason {
    /// The signature does not verify under the witness's key.
    BadSignature,
    /// No beacon of this epoch has the digest the report names.
    UnknownBeacon,
    /// The beacon's transmitter is not a registered hotspot, or beaconed too often.
    InvalidBeacon,
    /// The witness is not a registered hotspot with an asserted location.
    UnknownWitness,
    /// The transmitter reported hearing its own beacon.
    SelfWitness,
    /// The same witness reported the same beacon more than once; the earliest counts.
    Duplicate,
    /// Received outside [`MAX_CLOCK_SKEW_MS`] of the beacon's transmission.
    OutsideTimeWindow,
    /// Heard more than [`MAX_FREQUENCY_DELTA_HZ`] away from the beacon's frequency.
    FrequencyMismatch,
    /// The witness's own position is far from its asserted location (HIP-119 trust 0).
    LocationMismatch,
    /// Asserted nearer to the transmitter than [`MIN_WITNESS_DISTANCE_M`].
    TooClose,
    /// Asserted farther from the transmitter than [`MAX_WITNESS_DISTANCE_M`].
    TooFar,
    /// Stronger than free-space path loss over the asserted distance allows.
    SignalTooStrong,
    /// Valid, but after the earliest [`MAX_WITNESSES_PER_BEACON`].
    OverWitnessLimit,
}

impl InvalidReason {
    /// HIP-15: witnesses rejected for what they heard count towards w (and earn 0), while
    /// those that are not witnesses of coverage at all (too close, duplicates, over the
    /// limit, unverifiable) do not.
    pub fn counts_towards_w(self) -> bool {
        matches!(
            self,
            InvalidReason::FrequencyMismatch
                | InvalidReason::LocationMismatch
                | InvalidReason::TooFar
                | InvalidReason::SignalTooStrong
                | InvalidReason::OutsideTimeWindow
        )
    }

    pub const ALL: [InvalidReason; 13] = [
        InvalidReason::BadSignature,
        InvalidReason::UnknownBeacon,
        InvalidReason::InvalidBeacon,
        InvalidReason::UnknownWitness,
        InvalidReason::SelfWitness,
        InvalidReason::Duplicate,
        InvalidReason::OutsideTimeWindow,
        InvalidReason::FrequencyMismatch,
        InvalidReason::LocationMismatch,
        InvalidReason::TooClose,
        InvalidReason::TooFar,
        InvalidReason::SignalTooStrong,
        InvalidReason::OverWitnessLimit,
    ];
}

/// The strongest signal, in hundredths of a dBm, that a witness at `distance_m` can receive
/// from `beacon`: transmit power plus both antenna gains, minus free-space path loss, plus
/// [`SIGNAL_MARGIN_CDB`].
pub fn max_plausible_rssi_cdbm(
    beacon: &Beacon,
    beaconer: &Hotspot,
    witness: &Hotspot,
    distance_m: u64,
) -> i64 {
    i64::from(beacon.tx_power_cdbm) + i64::from(beaconer.gain_cdbi) + i64::from(witness.gain_cdbi)
        - fspl_cdb(distance_m, beacon.frequency_hz)
        + SIGNAL_MARGIN_CDB
}

/// The checks of one witness of one beacon, in order: self-witness, time window, frequency,
/// the witness's location trust, distance (at least 8 res-11 cells, at most 100 km) and the
/// free-space bound on its signal.
pub fn check_witness(
    beacon: &Beacon,
    beaconer: &Hotspot,
    report: &WitnessReport,
    witness: &Hotspot,
) -> Result<(), InvalidReason> {
    if report.witness == beacon.beaconer {
        return Err(InvalidReason::SelfWitness);
    }
    if report.received_at_ms.abs_diff(beacon.sent_at_ms) > MAX_CLOCK_SKEW_MS {
        return Err(InvalidReason::OutsideTimeWindow);
    }
    if report.frequency_hz.abs_diff(beacon.frequency_hz) > MAX_FREQUENCY_DELTA_HZ {
        return Err(InvalidReason::FrequencyMismatch);
    }
    if location_trust(report.reported, witness.asserted).0 == 0 {
        return Err(InvalidReason::LocationMismatch);
    }
    let distance = distance_m(beaconer.asserted, witness.asserted);
    if distance < MIN_WITNESS_DISTANCE_M {
        return Err(InvalidReason::TooClose);
    }
    if distance > MAX_WITNESS_DISTANCE_M {
        return Err(InvalidReason::TooFar);
    }
    if i64::from(report.rssi_cdbm) > max_plausible_rssi_cdbm(beacon, beaconer, witness, distance) {
        return Err(InvalidReason::SignalTooStrong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::SecretKey;

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed([n; 32])
    }

    pub(crate) fn hotspot(n: u8, at: Position) -> Hotspot {
        Hotspot {
            key: key(n).public_key(),
            asserted: at,
            cell: 0,
            asserted_height: u64::from(n),
            gain_cdbi: 120,
        }
    }

    fn beacon(from: &Hotspot) -> Beacon {
        Beacon {
            id: Hash::of(b"beacon"),
            beaconer: from.key,
            frequency_hz: 868_100_000,
            tx_power_cdbm: 2_700,
            sent_at_ms: 1_000_000,
        }
    }

    /// What an honest witness at `at` reports: the free-space signal less 10 dB of clutter.
    fn heard(b: &Beacon, tx: &Hotspot, rx: &Hotspot, at: Position) -> WitnessReport {
        let d = distance_m(tx.asserted, at);
        let rssi = i64::from(b.tx_power_cdbm) + 240 - fspl_cdb(d, b.frequency_hz) - 1_000;
        WitnessReport {
            witness: rx.key,
            beacon: b.id,
            received_at_ms: b.sent_at_ms + 40,
            frequency_hz: b.frequency_hz + 20_000,
            rssi_cdbm: rssi.max(-14_000) as i32,
            snr_cdb: 550,
            reported: at,
        }
    }

    fn origin() -> Position {
        Position::new(45_500_000, -73_560_000).unwrap()
    }

    #[test]
    fn a_beacon_is_signed_by_its_beaconer_only_and_its_encoding_round_trips() {
        let tx = hotspot(1, Position::new(38_722_300, -9_139_300).unwrap());
        let b = beacon(&tx);
        let signed = b.sign(&key(1));
        assert!(signed.verify());
        assert_eq!(Beacon::decode(&b.signing_bytes()), Ok(b));
        let mut louder = signed;
        louder.beacon.tx_power_cdbm += 100;
        assert!(!louder.verify());
        assert!(!b.sign(&key(2)).verify());
        assert_eq!(
            Beacon::decode(&b.signing_bytes()[1..]),
            Err(DecodeError::Length(BEACON_BYTES - 1))
        );
    }

    #[test]
    fn the_canonical_encoding_round_trips_and_is_signed_by_the_witness() {
        let tx = hotspot(1, origin());
        let rx = hotspot(2, origin().offset_m(2_000, 0));
        let report = heard(&beacon(&tx), &tx, &rx, rx.asserted);
        let bytes = report.signing_bytes();
        assert_eq!(WitnessReport::decode(&bytes), Ok(report));
        assert_eq!(
            WitnessReport::decode(&bytes[1..]),
            Err(DecodeError::Length(WITNESS_REPORT_BYTES - 1))
        );
        let mut other = bytes;
        other[0] ^= 1;
        assert_eq!(WitnessReport::decode(&other), Err(DecodeError::Domain));

        let honest = report.sign(&key(2));
        let forged = report.sign(&key(3));
        let mut tampered = honest;
        tampered.report.rssi_cdbm += 100;
        let many: Vec<SignedWitnessReport> = std::iter::repeat_n(honest, 70)
            .chain([forged, tampered])
            .collect();
        let ok = verify_report_signatures(&many);
        assert_eq!(ok.iter().filter(|v| **v).count(), 70);
        assert!(!ok[70] && !ok[71]);
    }

    #[test]
    fn an_honest_witness_passes_and_each_check_names_its_reason() {
        let tx = hotspot(1, origin());
        let rx = hotspot(2, origin().offset_m(1_500, 2_000));
        let b = beacon(&tx);
        let good = heard(&b, &tx, &rx, rx.asserted);
        assert_eq!(check_witness(&b, &tx, &good, &rx), Ok(()));

        let own = WitnessReport {
            witness: tx.key,
            ..good
        };
        assert_eq!(
            check_witness(&b, &tx, &own, &tx),
            Err(InvalidReason::SelfWitness)
        );
        let late = WitnessReport {
            received_at_ms: b.sent_at_ms + 60_000,
            ..good
        };
        assert_eq!(
            check_witness(&b, &tx, &late, &rx),
            Err(InvalidReason::OutsideTimeWindow)
        );
        let off = WitnessReport {
            frequency_hz: b.frequency_hz + 200_000,
            ..good
        };
        assert_eq!(
            check_witness(&b, &tx, &off, &rx),
            Err(InvalidReason::FrequencyMismatch)
        );
        let loud = WitnessReport {
            rssi_cdbm: -3_000,
            ..good
        };
        assert_eq!(
            check_witness(&b, &tx, &loud, &rx),
            Err(InvalidReason::SignalTooStrong)
        );

        let near = hotspot(3, origin().offset_m(300, 0));
        let near_report = heard(&b, &tx, &near, near.asserted);
        assert_eq!(
            check_witness(
                &b,
                &tx,
                &WitnessReport {
                    witness: near.key,
                    ..near_report
                },
                &near
            ),
            Err(InvalidReason::TooClose)
        );
        let far = hotspot(4, origin().offset_m(0, 120_000));
        let far_report = WitnessReport {
            witness: far.key,
            ..heard(&b, &tx, &far, far.asserted)
        };
        assert_eq!(
            check_witness(&b, &tx, &far_report, &far),
            Err(InvalidReason::TooFar)
        );
    }

    #[test]
    fn a_spoofed_witness_far_from_its_assertion_is_invalid_with_a_reason() {
        // Asserted 3 km from the beacon; its own positioning puts it 40 km away, where it
        // relays what a confederate hears.
        let tx = hotspot(1, origin());
        let rx = hotspot(2, origin().offset_m(3_000, 0));
        let b = beacon(&tx);
        let actually = origin().offset_m(40_000, 0);
        let mut report = heard(&b, &tx, &rx, rx.asserted);
        report.reported = actually;
        assert_eq!(location_trust(actually, rx.asserted).0, 0);
        assert_eq!(
            check_witness(&b, &tx, &report, &rx),
            Err(InvalidReason::LocationMismatch)
        );
    }

    #[test]
    fn a_witness_ring_in_one_room_asserting_spread_locations_is_caught() {
        // Five hotspots on one table, asserted 0.4–4 km apart on a line; each hears the others
        // at what a few metres of air gives (−35 dBm), and reports its asserted location.
        let room = origin();
        let ring: Vec<Hotspot> = (0..5u8)
            .map(|i| hotspot(10 + i, room.offset_m(0, 400 + 900 * i64::from(i))))
            .collect();
        let mut reasons = Vec::new();
        for tx in &ring {
            let b = beacon(tx);
            for rx in ring.iter().filter(|h| h.key != tx.key) {
                let report = WitnessReport {
                    witness: rx.key,
                    beacon: b.id,
                    received_at_ms: b.sent_at_ms + 5,
                    frequency_hz: b.frequency_hz,
                    rssi_cdbm: -3_500,
                    snr_cdb: 900,
                    reported: rx.asserted,
                };
                reasons.push(check_witness(&b, tx, &report, rx));
            }
        }
        assert_eq!(reasons.len(), 20);
        assert!(
            reasons.iter().all(|r| matches!(
                r,
                Err(InvalidReason::SignalTooStrong | InvalidReason::TooClose)
            )),
            "{reasons:?}"
        );
        assert!(reasons.contains(&Err(InvalidReason::SignalTooStrong)));
    }
}
