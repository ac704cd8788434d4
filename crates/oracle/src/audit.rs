//! Recomputing an oracle's manifest from its published evidence: what `plexus audit` runs, so
//! that anyone can check an oracle without trusting it.

use crate::evidence::PublishedRecord;
use plexus_ledger::registry::Device;
use plexus_ledger::{ChainInfo, ResourceClass};
use plexus_rewards::{score_epoch, DeviceInfo, EvidenceRecord, Manifest, ScoringParams};
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
    devices
        .into_iter()
        .filter_map(|d| {
            let class = info.device_class(&d.class)?;
            (class.resource == ResourceClass::Compute).then(|| DeviceInfo {
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

/// The compute manifest that `evidence` yields under the chain's rules and registry.
pub fn recompute_manifest(
    info: &ChainInfo,
    devices: &[Device],
    epoch: u64,
    evidence: &str,
) -> Result<Manifest, AuditError> {
    let records = evidence_from_jsonl(evidence, &info.chain_id)?;
    let infos = compute_devices(info, devices);
    Ok(score_epoch(
        scoring_params(info),
        epoch,
        ResourceClass::Compute.as_str(),
        &infos,
        &records,
    )?
    .manifest)
}
