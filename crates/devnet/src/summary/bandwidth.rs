//! The bandwidth devices' speed tests and tiers per finalized epoch, scored again from the
//! oracle's sealed evidence with the public rules.

use super::FinalizedEpoch;
use crate::agents::AgentDevice;
use plexus_ledger::ResourceClass;
use plexus_node::NodeFiles;
use plexus_types::Amount;
use serde::Serialize;

#[derive(Serialize)]
pub struct BandwidthDeviceSummary {
    pub device: plexus_types::PublicKey,
    pub behaviour: String,
    /// Per finalized epoch: the speed tests counted, their mean figures and the tier
    /// multiplier they earned (1, 0.75, 0.5, 0.25 or 0).
    pub epochs: std::collections::BTreeMap<u64, BandwidthEpoch>,
    /// Earned from the bandwidth pool over the finalized epochs.
    pub rewards: Amount,
}

#[derive(Serialize)]
pub struct BandwidthEpoch {
    pub tests: u64,
    pub download_mbps: f64,
    pub upload_mbps: f64,
    pub latency_ms: u64,
    pub tier: f64,
    pub earned: Amount,
}

/// Each bandwidth device's speed tests and tier per finalized epoch, scored again from the
/// oracle's sealed evidence with the public rules.
pub fn summarize_bandwidth(
    files: &NodeFiles,
    info: &plexus_ledger::ChainInfo,
    registry: &[plexus_ledger::registry::Device],
    agent_devices: &[AgentDevice],
    finalized: &[FinalizedEpoch],
) -> anyhow::Result<Vec<BandwidthDeviceSummary>> {
    let bandwidth: Vec<&AgentDevice> = agent_devices
        .iter()
        .filter(|(k, _)| registry.iter().any(|d| d.key == *k && d.class == "bw-home"))
        .collect();
    if bandwidth.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<BandwidthDeviceSummary> = bandwidth
        .iter()
        .map(|(k, b)| BandwidthDeviceSummary {
            device: *k,
            behaviour: b.clone(),
            epochs: Default::default(),
            rewards: Amount::ZERO,
        })
        .collect();
    for (e, pool, closed) in finalized {
        let Some(closed) = closed else { continue };
        let sealed = files
            .home
            .join("oracle")
            .join("evidence")
            .join("sealed")
            .join(format!("{}.jsonl", closed.evidence_segment.to_hex()));
        let Ok(text) = std::fs::read_to_string(&sealed) else {
            continue;
        };
        let records = plexus_rewards::audit::evidence_from_jsonl(&text, &info.chain_id)?;
        // The chain's parameters and registry as the API shows them, which scoring reads.
        let view: plexus_client::views::ChainView =
            serde_json::from_value(serde_json::to_value(info)?)?;
        let registry_view: Vec<plexus_client::views::DeviceView> =
            serde_json::from_value(serde_json::to_value(registry)?)?;
        let devices = view.scored_devices(
            &registry_view,
            plexus_client::views::ResourceClass::Bandwidth,
        );
        let scored = plexus_rewards::score_bandwidth_epoch(
            view.scoring_params(),
            *e,
            ResourceClass::Bandwidth.as_str(),
            &devices,
            &records,
        )?;
        let total = scored.scored.manifest.total_units();
        for summary in &mut out {
            let Some(d) = scored.devices.iter().find(|d| d.device == summary.device) else {
                continue;
            };
            let earned = if total == 0 {
                Amount::ZERO
            } else {
                Amount(plexus_rewards::payout(pool.0, d.units, total).unwrap_or(0))
            };
            summary.rewards = summary
                .rewards
                .checked_add(earned)
                .unwrap_or(summary.rewards);
            let s = d.speeds;
            summary.epochs.insert(
                *e,
                BandwidthEpoch {
                    tests: d.tests,
                    download_mbps: s.map_or(0.0, |s| s.download_kbps as f64 / 1000.0),
                    upload_mbps: s.map_or(0.0, |s| s.upload_kbps as f64 / 1000.0),
                    latency_ms: s.map_or(0, |s| s.latency_ms),
                    tier: f64::from(d.quarters) / 4.0,
                    earned,
                },
            );
        }
    }
    Ok(out)
}
