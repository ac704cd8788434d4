//! Recomputing an oracle's manifest from its published evidence: what `plexus audit` runs and
//! what the oracle itself scores with, so that anyone can check an oracle without trusting it.
//!
//! The inputs are the chain's scoring parameters, the devices of the scored resource, and the
//! evidence as the oracle published it (JSON lines of [`PublishedRecord`]); every heartbeat's
//! and every wireless record's device signature is checked before it counts.

mod published;

pub use published::{endpoint_host, PublishedRecord};

use crate::sensors::manifest::score_sensor_manifest;
use crate::wireless::SignedWireless;
use crate::wireless_manifest::{score_wireless_manifest, WirelessPool};
use crate::{
    score_bandwidth_epoch, score_epoch, DeviceInfo, EvidenceRecord, Manifest, RewardsError,
    ScoringParams,
};
use plexus_types::heartbeat::SignedHeartbeat;
use plexus_types::readings::SignedReadingBatch;

/// Why published evidence could not be scored.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("evidence line {line}: {reason}")]
    BadEvidence { line: usize, reason: String },
    #[error("scoring: {0}")]
    Scoring(#[from] RewardsError),
}

/// The resources an oracle scores from its own evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScoredResource {
    /// Uptime and compute challenges (rules R1–R11).
    Compute,
    /// Uptime and speed tests (the bandwidth tiers).
    Bandwidth,
    /// Wi-Fi modeled coverage × location trust (`wireless::epoch`, rules E1–E3).
    Coverage,
    /// LoRa proof of coverage × location trust (`wireless::epoch`, rules E1, E2, E4, E5).
    Poc,
    /// Sensor readings' quality × proof of location (`sensors::manifest`, rules SM1–SM4).
    Sensor,
}

/// The resources an oracle scores, in the order it closes them.
pub const SCORED_RESOURCES: [ScoredResource; 5] = [
    ScoredResource::Compute,
    ScoredResource::Bandwidth,
    ScoredResource::Coverage,
    ScoredResource::Poc,
    ScoredResource::Sensor,
];

impl ScoredResource {
    /// The resource's name on chain and in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            ScoredResource::Compute => "compute",
            ScoredResource::Bandwidth => "bandwidth",
            ScoredResource::Coverage => "coverage",
            ScoredResource::Poc => "poc",
            ScoredResource::Sensor => "sensor",
        }
    }

    pub fn parse(name: &str) -> Option<ScoredResource> {
        SCORED_RESOURCES.into_iter().find(|r| r.as_str() == name)
    }
}

impl std::fmt::Display for ScoredResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses published evidence (JSON lines), checking every heartbeat's and wireless record's
/// device signature and that its signed bytes say what the record claims.
pub fn evidence_from_jsonl(text: &str, chain_id: &str) -> Result<Vec<EvidenceRecord>, AuditError> {
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let bad = |reason: String| AuditError::BadEvidence {
            line: i + 1,
            reason,
        };
        let record: PublishedRecord =
            serde_json::from_str(line).map_err(|e| bad(format!("not a record: {e}")))?;
        if let PublishedRecord::Heartbeat {
            device,
            epoch,
            interval,
            signed,
        } = &record
        {
            let bytes = hex::decode(signed).map_err(|e| bad(e.to_string()))?;
            let hb = SignedHeartbeat::decode(&bytes).map_err(|e| bad(e.to_string()))?;
            hb.verify().map_err(|e| bad(e.to_string()))?;
            let h = &hb.heartbeat;
            if h.device != *device
                || h.epoch != *epoch
                || h.interval != *interval
                || h.chain_id != chain_id
            {
                return Err(bad("the signed heartbeat says something else".into()));
            }
        }
        if let Some((device, signed)) = record.wireless_parts() {
            let bytes = hex::decode(signed).map_err(|e| bad(e.to_string()))?;
            if hex::encode(&bytes) != signed {
                return Err(bad("signed bytes must be lower-case hex".into()));
            }
            let r = SignedWireless::from_bytes(&bytes).map_err(|e| bad(e.to_string()))?;
            if r.device() != *device || r.kind() != record.kind() {
                return Err(bad("the signed record says something else".into()));
            }
            if !r.verify() {
                return Err(bad(format!("bad signature by {device}")));
            }
        }
        if let PublishedRecord::Readings {
            device,
            epoch,
            class,
            readings,
            signed,
        } = &record
        {
            let bytes = hex::decode(signed).map_err(|e| bad(e.to_string()))?;
            if hex::encode(&bytes) != *signed {
                return Err(bad("signed bytes must be lower-case hex".into()));
            }
            let b = SignedReadingBatch::decode(&bytes).map_err(|e| bad(e.to_string()))?;
            let said = &b.batch;
            if said.device != *device
                || said.epoch != *epoch
                || said.chain_id != chain_id
                || said.readings.class() != class
                || said.readings.len() != *readings as usize
            {
                return Err(bad("the signed batch says something else".into()));
            }
        }
        out.push(record.evidence());
    }
    Ok(out)
}

/// The manifest of `resource` that `records` yield for `devices`, the registered devices whose
/// class sells `resource`.
pub fn score_resource(
    params: ScoringParams,
    devices: &[DeviceInfo],
    epoch: u64,
    records: &[EvidenceRecord],
    resource: ScoredResource,
) -> Result<Manifest, AuditError> {
    let name = resource.as_str();
    Ok(match resource {
        ScoredResource::Bandwidth => {
            score_bandwidth_epoch(params, epoch, name, devices, records)?
                .scored
                .manifest
        }
        ScoredResource::Compute => score_epoch(params, epoch, name, devices, records)?.manifest,
        ScoredResource::Coverage => {
            score_wireless_manifest(epoch, name, WirelessPool::Coverage, devices, records)?.manifest
        }
        ScoredResource::Poc => {
            score_wireless_manifest(epoch, name, WirelessPool::Poc, devices, records)?.manifest
        }
        ScoredResource::Sensor => {
            score_sensor_manifest(params, epoch, name, devices, records)?.manifest
        }
    })
}

/// The manifest of `resource` that published `evidence` yields for `devices` (those whose
/// class sells `resource`); heartbeat signatures are checked against `chain_id`.
pub fn recompute_manifest(
    params: ScoringParams,
    chain_id: &str,
    devices: &[DeviceInfo],
    epoch: u64,
    evidence: &str,
    resource: ScoredResource,
) -> Result<Manifest, AuditError> {
    let records = evidence_from_jsonl(evidence, chain_id)?;
    score_resource(params, devices, epoch, &records, resource)
}

/// The data sets (rules D1–D3) that published `evidence` yields for the sensor `devices`.
pub fn recompute_data_sets(
    params: ScoringParams,
    chain_id: &str,
    devices: &[DeviceInfo],
    epoch: u64,
    evidence: &str,
) -> Result<Vec<crate::sensors::data_sets::DataSet>, AuditError> {
    let records = evidence_from_jsonl(evidence, chain_id)?;
    let name = ScoredResource::Sensor.as_str();
    Ok(score_sensor_manifest(params, epoch, name, devices, &records)?.data_sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compute_bandwidth_coverage_and_poc_are_scored_from_evidence() {
        assert_eq!(
            ScoredResource::parse("bandwidth"),
            Some(ScoredResource::Bandwidth)
        );
        assert_eq!(
            ScoredResource::parse("compute"),
            Some(ScoredResource::Compute)
        );
        assert_eq!(
            ScoredResource::parse("coverage"),
            Some(ScoredResource::Coverage)
        );
        assert_eq!(ScoredResource::parse("poc"), Some(ScoredResource::Poc));
        assert_eq!(
            ScoredResource::parse("sensor"),
            Some(ScoredResource::Sensor)
        );
        assert_eq!(ScoredResource::parse("storage"), None);
    }

    #[test]
    fn a_line_that_is_not_a_record_is_named_by_its_number() {
        let err = evidence_from_jsonl("\n{\"kind\":\"nonsense\"}\n", "plexus-test").unwrap_err();
        assert!(
            matches!(err, AuditError::BadEvidence { line: 2, .. }),
            "{err}"
        );
    }
}
