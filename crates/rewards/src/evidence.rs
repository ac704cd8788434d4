//! The evidence an oracle gathers about devices in an epoch, and its canonical encodings.
//!
//! Records reach this crate with their signatures already checked; the oracle publishes them
//! as JSON lines (one [`EvidenceRecord`] per line), and anyone can rescore an epoch from them.
//! The binary encodings below are what hashes commit to; JSON is only the transport.

use plexus_types::{Hash, PublicKey};
use serde::{Deserialize, Serialize};

/// How a device answered one challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeOutcome {
    /// A correct answer before the deadline.
    Passed,
    /// The deadline passed without an answer, or the answer came late.
    Missed,
    /// A signed answer that is provably wrong: fraud, not bad luck.
    Wrong,
}

impl ChallengeOutcome {
    /// The byte that stands for the outcome in hashed encodings. Larger is worse, which rule R6
    /// relies on when one challenge has conflicting records.
    pub fn code(self) -> u8 {
        match self {
            ChallengeOutcome::Passed => 0,
            ChallengeOutcome::Missed => 1,
            ChallengeOutcome::Wrong => 2,
        }
    }
}

/// One fact about one device in one epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EvidenceRecord {
    /// The device was alive during heartbeat interval `interval` of `epoch`.
    Heartbeat {
        #[serde(with = "crate::json::public_key")]
        device: PublicKey,
        epoch: u64,
        interval: u32,
    },
    /// The oracle issued challenge `challenge_id` to the device and judged the answer.
    Challenge {
        #[serde(with = "crate::json::public_key")]
        device: PublicKey,
        epoch: u64,
        challenge_id: Hash,
        outcome: ChallengeOutcome,
    },
    /// The oracle's timed transfers with a bandwidth device in heartbeat interval `interval`:
    /// what it measured (zeros and the timeout as latency when the device did not answer).
    SpeedTest {
        #[serde(with = "crate::json::public_key")]
        device: PublicKey,
        epoch: u64,
        interval: u32,
        /// Oracle → device, kilobits per second.
        download_kbps: u64,
        /// Device → oracle, kilobits per second.
        upload_kbps: u64,
        /// Round trip of an empty request, milliseconds.
        latency_ms: u64,
        /// The network address (IP) the oracle reached the device at; empty when unknown.
        /// Devices tested at one address are one link (rule B8).
        #[serde(default)]
        host: String,
    },
    /// A signed location report, beacon or witness report a hotspot sent: the bytes of
    /// [`SignedWireless::to_bytes`](crate::wireless::SignedWireless::to_bytes) in lower-case
    /// hex, scored by `wireless::epoch`, which checks the signature.
    Wireless {
        #[serde(with = "crate::json::public_key")]
        device: PublicKey,
        epoch: u64,
        signed: String,
    },
    /// A sensor device's signed batch of readings: the bytes of
    /// [`SignedReadingBatch`](plexus_types::readings::SignedReadingBatch) in lower-case hex,
    /// scored by `sensors::manifest`, which checks the signature.
    Readings {
        #[serde(with = "crate::json::public_key")]
        device: PublicKey,
        epoch: u64,
        signed: String,
    },
}

impl EvidenceRecord {
    pub fn device(&self) -> &PublicKey {
        match self {
            EvidenceRecord::Heartbeat { device, .. }
            | EvidenceRecord::Challenge { device, .. }
            | EvidenceRecord::SpeedTest { device, .. }
            | EvidenceRecord::Wireless { device, .. }
            | EvidenceRecord::Readings { device, .. } => device,
        }
    }

    pub fn epoch(&self) -> u64 {
        match self {
            EvidenceRecord::Heartbeat { epoch, .. }
            | EvidenceRecord::Challenge { epoch, .. }
            | EvidenceRecord::SpeedTest { epoch, .. }
            | EvidenceRecord::Wireless { epoch, .. }
            | EvidenceRecord::Readings { epoch, .. } => *epoch,
        }
    }
}

const RECORD_DOMAIN: &[u8] = b"plexus/rewards/evidence-record/v1";
const DEVICE_EVIDENCE_DOMAIN: &[u8] = b"plexus/rewards/device-evidence/v1";
const HEARTBEAT_TAG: u8 = 0;
const CHALLENGE_TAG: u8 = 1;
const SPEED_TEST_TAG: u8 = 2;
const WIRELESS_TAG: u8 = 3;
const READINGS_TAG: u8 = 4;

/// The content address of one record in an oracle's evidence log: blake3 over a domain tag and
/// the record's fixed-layout encoding (kind byte, device, epoch, then the interval as u32 LE,
/// the challenge id and outcome code, the speed test's figures, or the length-prefixed hex of
/// a signed wireless record or reading batch). Two records hash alike exactly when they are equal.
pub fn evidence_record_hash(record: &EvidenceRecord) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(RECORD_DOMAIN);
    match record {
        EvidenceRecord::Heartbeat {
            device,
            epoch,
            interval,
        } => {
            h.update(&[HEARTBEAT_TAG]);
            h.update(device.as_bytes());
            h.update(&epoch.to_le_bytes());
            h.update(&interval.to_le_bytes());
        }
        EvidenceRecord::Challenge {
            device,
            epoch,
            challenge_id,
            outcome,
        } => {
            h.update(&[CHALLENGE_TAG]);
            h.update(device.as_bytes());
            h.update(&epoch.to_le_bytes());
            h.update(challenge_id.as_bytes());
            h.update(&[outcome.code()]);
        }
        EvidenceRecord::SpeedTest {
            device,
            epoch,
            interval,
            download_kbps,
            upload_kbps,
            latency_ms,
            host,
        } => {
            h.update(&[SPEED_TEST_TAG]);
            h.update(device.as_bytes());
            h.update(&epoch.to_le_bytes());
            h.update(&interval.to_le_bytes());
            h.update(&download_kbps.to_le_bytes());
            h.update(&upload_kbps.to_le_bytes());
            h.update(&latency_ms.to_le_bytes());
            h.update(&(host.len() as u64).to_le_bytes());
            h.update(host.as_bytes());
        }
        EvidenceRecord::Wireless {
            device,
            epoch,
            signed,
        }
        | EvidenceRecord::Readings {
            device,
            epoch,
            signed,
        } => {
            let tag = if matches!(record, EvidenceRecord::Wireless { .. }) {
                WIRELESS_TAG
            } else {
                READINGS_TAG
            };
            h.update(&[tag]);
            h.update(device.as_bytes());
            h.update(&epoch.to_le_bytes());
            h.update(&(signed.len() as u64).to_le_bytes());
            h.update(signed.as_bytes());
        }
    }
    Hash(*h.finalize().as_bytes())
}

/// A challenge record reduced to what scoring needs, small and fixed-size so that an epoch's
/// worth of them sorts quickly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ChallengeEntry {
    pub id: [u8; 32],
    pub outcome: u8,
}

/// The digest of everything admitted about one device in one epoch, the leaf of the evidence
/// tree. Callers pass the distinct intervals ascending and the distinct (id, outcome) pairs
/// ascending, so the encoding (domain, epoch, device, count-prefixed intervals as u32 LE,
/// count-prefixed challenges as id and outcome code) is canonical: equal evidence, whatever
/// its order or repetitions in the log, gives an equal digest.
///
/// One digest per device rather than one per record keeps the tree at one leaf per device, which
/// is what makes an epoch of 10⁶ devices and tens of millions of records cheap to commit to.
pub(crate) fn device_evidence_hash(
    epoch: u64,
    device: &PublicKey,
    intervals: &[u32],
    challenges: &[ChallengeEntry],
    scratch: &mut Vec<u8>,
) -> Hash {
    // Encoded into a reused buffer and hashed in one call: a million devices an epoch make
    // per-field hashing calls a measurable cost.
    scratch.clear();
    scratch.extend_from_slice(DEVICE_EVIDENCE_DOMAIN);
    scratch.extend_from_slice(&epoch.to_le_bytes());
    scratch.extend_from_slice(device.as_bytes());
    scratch.extend_from_slice(&(intervals.len() as u64).to_le_bytes());
    for interval in intervals {
        scratch.extend_from_slice(&interval.to_le_bytes());
    }
    scratch.extend_from_slice(&(challenges.len() as u64).to_le_bytes());
    for c in challenges {
        scratch.extend_from_slice(&c.id);
        scratch.push(c.outcome);
    }
    Hash::of(scratch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> PublicKey {
        PublicKey::from_slice(&[n; 32]).unwrap()
    }

    #[test]
    fn records_round_trip_through_json_lines() {
        let records = vec![
            EvidenceRecord::Heartbeat {
                device: key(1),
                epoch: 7,
                interval: 3,
            },
            EvidenceRecord::Challenge {
                device: key(2),
                epoch: 7,
                challenge_id: Hash::of(b"c"),
                outcome: ChallengeOutcome::Wrong,
            },
        ];
        for r in &records {
            let line = serde_json::to_string(r).unwrap();
            assert!(!line.contains('\n'));
            assert_eq!(&serde_json::from_str::<EvidenceRecord>(&line).unwrap(), r);
        }
        let line = serde_json::to_string(&records[0]).unwrap();
        assert_eq!(
            line,
            format!(
                r#"{{"kind":"heartbeat","device":"{}","epoch":7,"interval":3}}"#,
                "01".repeat(32)
            )
        );
    }

    #[test]
    fn a_record_with_a_malformed_key_or_an_unknown_field_is_refused() {
        let short = r#"{"kind":"heartbeat","device":"0101","epoch":7,"interval":3}"#;
        assert!(serde_json::from_str::<EvidenceRecord>(short).is_err());
        let extra = format!(
            r#"{{"kind":"heartbeat","device":"{}","epoch":7,"interval":3,"weight":9}}"#,
            "01".repeat(32)
        );
        assert!(serde_json::from_str::<EvidenceRecord>(&extra).is_err());
    }

    #[test]
    fn records_that_differ_in_any_field_hash_differently() {
        let base = EvidenceRecord::Challenge {
            device: key(1),
            epoch: 7,
            challenge_id: Hash::of(b"c"),
            outcome: ChallengeOutcome::Passed,
        };
        let variants = [
            EvidenceRecord::Challenge {
                device: key(2),
                epoch: 7,
                challenge_id: Hash::of(b"c"),
                outcome: ChallengeOutcome::Passed,
            },
            EvidenceRecord::Challenge {
                device: key(1),
                epoch: 8,
                challenge_id: Hash::of(b"c"),
                outcome: ChallengeOutcome::Passed,
            },
            EvidenceRecord::Challenge {
                device: key(1),
                epoch: 7,
                challenge_id: Hash::of(b"d"),
                outcome: ChallengeOutcome::Passed,
            },
            EvidenceRecord::Challenge {
                device: key(1),
                epoch: 7,
                challenge_id: Hash::of(b"c"),
                outcome: ChallengeOutcome::Missed,
            },
            EvidenceRecord::Heartbeat {
                device: key(1),
                epoch: 7,
                interval: 0,
            },
        ];
        let h = evidence_record_hash(&base);
        assert_eq!(h, evidence_record_hash(&base.clone()));
        for v in &variants {
            assert_ne!(h, evidence_record_hash(v), "{v:?}");
        }
    }
}
