//! Whether anyone honest paid for the adversaries: an honest device's stake slashed, an honest
//! provider's result shown wrong, an honest compute device unpaid, a wrong result accepted,
//! and how much the honest storage devices hold on disk.

use crate::agents::AgentDevice;
use crate::cheaters::HonestHarm;
use crate::summary::Summary;
use plexus_ledger::query;
use std::path::Path;

/// Bytes of the files under `dir`, 0 when there is none.
pub fn disk_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => disk_bytes(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

/// Reads the harm done to honest agents from the run's summary and the chain; the agents' data
/// live under `agents_dir/agent-I`.
pub fn honest_harm(
    store: &plexus_store::Store,
    summary: &Summary,
    devices: &[AgentDevice],
    agents_dir: &Path,
) -> anyhow::Result<HonestHarm> {
    let honest: Vec<_> = summary
        .devices
        .iter()
        .filter(|d| d.behaviour == "honest")
        .collect();
    let mut results_rejected = 0;
    let mut owners = std::collections::BTreeSet::new();
    for d in &honest {
        if owners.insert(d.owner) {
            results_rejected += query::market_provider(store, &d.owner)?.wrong;
        }
    }
    let stake_slashed = honest
        .iter()
        .filter(|d| d.status.get("slashed").is_some())
        .map(|d| d.id)
        .collect();
    let unpaid = if summary.epochs_finalized >= 2 {
        honest
            .iter()
            .filter(|d| {
                (d.class.starts_with("cpu-") || d.class.starts_with("bw-")) && d.rewards.0 == 0
            })
            .map(|d| d.id)
            .collect()
    } else {
        Vec::new()
    };
    let storage_disk_bytes = devices
        .iter()
        .enumerate()
        .filter(|(_, (key, role))| {
            role == "honest"
                && honest
                    .iter()
                    .any(|d| d.id == *key && d.class.starts_with("storage-"))
        })
        .map(|(i, _)| disk_bytes(&agents_dir.join(format!("agent-{i}"))))
        .sum();
    let wrong_results_accepted = summary
        .jobs
        .as_ref()
        .map_or(0, |j| j.wrong_results_accepted);
    let mut harm = HonestHarm {
        honest_devices: honest.len(),
        stake_slashed,
        results_rejected,
        unpaid,
        wrong_results_accepted,
        storage_disk_bytes,
        unharmed: false,
    };
    harm.unharmed =
        harm.stake_slashed.is_empty() && harm.results_rejected == 0 && harm.unpaid.is_empty();
    Ok(harm)
}
