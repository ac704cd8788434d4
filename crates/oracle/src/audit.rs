//! Recomputing an oracle's manifest from its published evidence: what `plexus audit` runs, so
//! that anyone can check an oracle without trusting it.

use crate::evidence::PublishedRecord;
use plexus_ledger::registry::Device;
use plexus_ledger::{ChainInfo, ResourceClass};
use plexus_rewards::{
    score_bandwidth_epoch, score_epoch, DeviceInfo, EvidenceRecord, Manifest, ScoringParams,
};
use plexus_types::heartbeat::SignedHeartbeat;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("evidence line {line}: {reason}")]
    BadEvidence { line: usize, reason: String },
    #[error("scoring: {0}")]
    Scoring(#[from] plexus_rewards::RewardsError),
}

/// Parses published evidence (JSON lines), checking every heartbeat's device signature and
/// that its signed bytes say what the record claims.
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
        out.push(record.evidence());
    }
    Ok(out)
}

/// What scoring needs of each registered compute device.
pub fn compute_devices<'a>(
    info: &ChainInfo,
    devices: impl IntoIterator<Item = &'a Device>,
) -> Vec<DeviceInfo> {
    devices_of(info, devices, ResourceClass::Compute)
}

/// What scoring needs of each registered device whose class sells `resource`.
pub fn devices_of<'a>(
    info: &ChainInfo,
    devices: impl IntoIterator<Item = &'a Device>,
    resource: ResourceClass,
) -> Vec<DeviceInfo> {
    devices
        .into_iter()
        .filter_map(|d| {
            let class = info.device_class(&d.class)?;
            (class.resource == resource).then(|| DeviceInfo {
                device: d.key,
                owner: d.owner,
                class: d.class.clone(),
                capacity_units: class.capacity_units,
            })
        })
        .collect()
}

/// The chain's scoring parameters.
pub fn scoring_params(info: &ChainInfo) -> ScoringParams {
    ScoringParams {
        intervals_per_epoch: info.rewards.intervals_per_epoch,
        min_uptime_percent: info.rewards.min_uptime_percent,
    }
}

/// The resources an oracle scores from its evidence, in the order it closes them.
pub const SCORED_RESOURCES: [ResourceClass; 2] = [ResourceClass::Compute, ResourceClass::Bandwidth];

/// The manifest of `resource` that `records` yield under the chain's rules and registry.
pub fn score_resource<'a>(
    info: &ChainInfo,
    devices: impl IntoIterator<Item = &'a Device>,
    epoch: u64,
    records: &[EvidenceRecord],
    resource: ResourceClass,
) -> Result<Manifest, AuditError> {
    let infos = devices_of(info, devices, resource);
    let params = scoring_params(info);
    let name = resource.as_str();
    Ok(match resource {
        ResourceClass::Bandwidth => {
            score_bandwidth_epoch(params, epoch, name, &infos, records)?
                .scored
                .manifest
        }
        _ => score_epoch(params, epoch, name, &infos, records)?.manifest,
    })
}

/// Every scored resource's manifest for `epoch`, in [`SCORED_RESOURCES`] order.
pub fn score_resources<'a>(
    info: &ChainInfo,
    devices: impl IntoIterator<Item = &'a Device> + Clone,
    epoch: u64,
    records: &[EvidenceRecord],
) -> Result<Vec<Manifest>, AuditError> {
    SCORED_RESOURCES
        .into_iter()
        .map(|r| score_resource(info, devices.clone(), epoch, records, r))
        .collect()
}

/// The manifest of `resource` that published `evidence` yields under the chain's rules and
/// registry; heartbeat signatures are checked.
pub fn recompute_manifest(
    info: &ChainInfo,
    devices: &[Device],
    epoch: u64,
    evidence: &str,
    resource: ResourceClass,
) -> Result<Manifest, AuditError> {
    let records = evidence_from_jsonl(evidence, &info.chain_id)?;
    score_resource(info, devices, epoch, &records, resource)
}
