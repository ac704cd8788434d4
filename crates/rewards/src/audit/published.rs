//! A record as an oracle publishes it in its evidence log: what it counts for in scoring, and
//! the signed bytes that prove it.

use crate::evidence::{ChallengeOutcome, EvidenceRecord};
use crate::wireless::SignedWireless;
use plexus_types::{Hash, PublicKey};
use serde::{Deserialize, Serialize};

/// One record as the oracle publishes it: what it means, and the signed bytes that prove it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PublishedRecord {
    Heartbeat {
        device: PublicKey,
        epoch: u64,
        interval: u32,
        /// Hex of the `SignedHeartbeat` as the device sent it.
        signed: String,
    },
    Challenge {
        device: PublicKey,
        epoch: u64,
        challenge_id: Hash,
        class: String,
        n: u32,
        /// The secret the seed was derived from, revealed once the challenge is over.
        secret: String,
        outcome: ChallengeOutcome,
        /// The committed root and the device's signature over it, when it committed.
        root: Option<Hash>,
        commit_signature: Option<String>,
        /// The rows the oracle asked the device to open.
        rows: Vec<u32>,
    },
    /// A speed test the oracle ran against a bandwidth device.
    SpeedTest {
        device: PublicKey,
        epoch: u64,
        interval: u32,
        /// Where the device said it listens.
        endpoint: String,
        /// The address (IP) the oracle reached that endpoint at; empty in records from before
        /// it was kept, which then count the endpoint's host.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        host: String,
        download_bytes: u64,
        upload_bytes: u64,
        download_kbps: u64,
        upload_kbps: u64,
        latency_ms: u64,
        /// Why a part of the test failed (its figure is then 0, or the timeout for latency).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure: Option<String>,
    },
    /// A hotspot's signed location report.
    LocationReport {
        device: PublicKey,
        epoch: u64,
        /// Hex of the report's canonical bytes and signature, as the hotspot sent them.
        signed: String,
    },
    /// A LoRa hotspot's signed beacon.
    Beacon {
        device: PublicKey,
        epoch: u64,
        /// Hex of the beacon's canonical bytes and signature.
        signed: String,
    },
    /// A LoRa hotspot's signed report of a beacon it heard.
    WitnessReport {
        device: PublicKey,
        epoch: u64,
        /// Hex of the report's canonical bytes and signature.
        signed: String,
    },
    /// A sensor device's signed batch of readings.
    Readings {
        device: PublicKey,
        epoch: u64,
        /// The device class the readings are of (`weather`, `energy-meter`, `vehicle`).
        class: String,
        /// How many readings the batch holds.
        readings: u32,
        /// Hex of the `SignedReadingBatch` as the device sent it.
        signed: String,
    },
}

impl PublishedRecord {
    pub fn epoch(&self) -> u64 {
        match self {
            PublishedRecord::Heartbeat { epoch, .. }
            | PublishedRecord::Challenge { epoch, .. }
            | PublishedRecord::SpeedTest { epoch, .. }
            | PublishedRecord::LocationReport { epoch, .. }
            | PublishedRecord::Beacon { epoch, .. }
            | PublishedRecord::WitnessReport { epoch, .. }
            | PublishedRecord::Readings { epoch, .. } => *epoch,
        }
    }

    /// The record of `signed` (what the hotspot sent) filed under `epoch`.
    pub fn wireless(epoch: u64, signed: &SignedWireless) -> PublishedRecord {
        let (device, signed_hex) = (signed.device(), hex::encode(signed.to_bytes()));
        match signed {
            SignedWireless::Location(_) => PublishedRecord::LocationReport {
                device,
                epoch,
                signed: signed_hex,
            },
            SignedWireless::Beacon(_) => PublishedRecord::Beacon {
                device,
                epoch,
                signed: signed_hex,
            },
            SignedWireless::Witness(_) => PublishedRecord::WitnessReport {
                device,
                epoch,
                signed: signed_hex,
            },
        }
    }

    /// The record of a device's signed reading batch, filed under the batch's epoch.
    pub fn readings(signed: &plexus_types::readings::SignedReadingBatch) -> PublishedRecord {
        PublishedRecord::Readings {
            device: signed.batch.device,
            epoch: signed.batch.epoch,
            class: signed.batch.readings.class().to_owned(),
            readings: signed.batch.readings.len() as u32,
            signed: hex::encode(&signed.bytes),
        }
    }

    /// The kind's name as published (the `kind` field).
    pub fn kind(&self) -> &'static str {
        match self {
            PublishedRecord::Heartbeat { .. } => "heartbeat",
            PublishedRecord::Challenge { .. } => "challenge",
            PublishedRecord::SpeedTest { .. } => "speed_test",
            PublishedRecord::LocationReport { .. } => "location_report",
            PublishedRecord::Beacon { .. } => "beacon",
            PublishedRecord::WitnessReport { .. } => "witness_report",
            PublishedRecord::Readings { .. } => "readings",
        }
    }

    /// The device and signed hex of a wireless record.
    pub fn wireless_parts(&self) -> Option<(&PublicKey, &str)> {
        match self {
            PublishedRecord::LocationReport { device, signed, .. }
            | PublishedRecord::Beacon { device, signed, .. }
            | PublishedRecord::WitnessReport { device, signed, .. } => Some((device, signed)),
            _ => None,
        }
    }

    /// What the record counts for in scoring.
    pub fn evidence(&self) -> EvidenceRecord {
        match self {
            PublishedRecord::Heartbeat {
                device,
                epoch,
                interval,
                ..
            } => EvidenceRecord::Heartbeat {
                device: *device,
                epoch: *epoch,
                interval: *interval,
            },
            PublishedRecord::Challenge {
                device,
                epoch,
                challenge_id,
                outcome,
                ..
            } => EvidenceRecord::Challenge {
                device: *device,
                epoch: *epoch,
                challenge_id: *challenge_id,
                outcome: *outcome,
            },
            PublishedRecord::SpeedTest {
                device,
                epoch,
                interval,
                download_kbps,
                upload_kbps,
                latency_ms,
                endpoint,
                host,
                ..
            } => EvidenceRecord::SpeedTest {
                device: *device,
                epoch: *epoch,
                interval: *interval,
                download_kbps: *download_kbps,
                upload_kbps: *upload_kbps,
                latency_ms: *latency_ms,
                host: if host.is_empty() {
                    endpoint_host(endpoint).to_string()
                } else {
                    host.clone()
                },
            },
            PublishedRecord::LocationReport {
                device,
                epoch,
                signed,
            }
            | PublishedRecord::Beacon {
                device,
                epoch,
                signed,
            }
            | PublishedRecord::WitnessReport {
                device,
                epoch,
                signed,
            } => EvidenceRecord::Wireless {
                device: *device,
                epoch: *epoch,
                signed: signed.clone(),
            },
            PublishedRecord::Readings {
                device,
                epoch,
                signed,
                ..
            } => EvidenceRecord::Readings {
                device: *device,
                epoch: *epoch,
                signed: signed.clone(),
            },
        }
    }
}

/// The host of an endpoint URL (`http://10.0.0.7:8080/x` → `10.0.0.7`, `http://[::1]:80` →
/// `::1`), in ASCII lower case; empty when it names none.
pub fn endpoint_host(endpoint: &str) -> String {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.to_ascii_lowercase()
}

#[cfg(test)]
mod host_tests {
    use super::endpoint_host;

    #[test]
    fn an_endpoint_host_is_read_without_scheme_port_path_or_case() {
        assert_eq!(endpoint_host("http://10.0.0.7:8080/x"), "10.0.0.7");
        assert_eq!(endpoint_host("https://User@Example.COM/a?b"), "example.com");
        assert_eq!(endpoint_host("http://[::1]:80/"), "::1");
        assert_eq!(endpoint_host("127.0.0.2:9"), "127.0.0.2");
        assert_eq!(endpoint_host(""), "");
    }
}
