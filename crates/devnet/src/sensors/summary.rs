//! The `sensors` section of the devnet's summary: every device with its behaviour, its
//! quality in each finalized epoch (scored again from an oracle's sealed evidence with the
//! public rules, as `plexus audit` does), and what the sensor pool paid it.

use super::SensorLog;
use crate::earnings::FinalizedEpoch;
use plexus_ledger::{query, ResourceClass};
use plexus_rewards::sensors::cells::Selection;
use plexus_rewards::sensors::manifest::{score_sensor_manifest, SensorScore};
use plexus_sensorsim::Behaviour;
use plexus_types::{Amount, PublicKey};
use serde::Serialize;
use std::collections::BTreeMap;

/// One device over the run.
#[derive(Debug, Serialize, Clone)]
pub struct SensorDeviceSummary {
    pub device: PublicKey,
    pub class: &'static str,
    pub behaviour: Behaviour,
    pub registered: bool,
    /// Its quality in each finalized epoch it reported in, in millionths.
    pub quality_by_epoch: BTreeMap<u64, u32>,
    /// Finalized epochs it reported in, and those the pool paid it in.
    pub epochs_reported: usize,
    pub epochs_paid: usize,
    /// Why it was not paid, by epoch, where it was not.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unpaid: BTreeMap<u64, Selection>,
    /// What the sensor pools of the finalized epochs paid it, in uplx, and what its claims
    /// took.
    pub earned: Amount,
    pub claimed: Amount,
}

/// Devices of one behaviour.
#[derive(Debug, Serialize, Clone)]
pub struct BehaviourSummary {
    pub devices: usize,
    /// The mean of their qualities over the epochs they reported in, in millionths.
    pub mean_quality: u32,
    /// What they earned on average, in uplx.
    pub mean_earned: Amount,
    /// `mean_earned` in percent of the honest devices' mean.
    pub percent_of_honest: f64,
}

#[derive(Debug, Serialize, Clone)]
pub struct SensorSummary {
    pub sensors: usize,
    pub sensor_cheaters: usize,
    pub registered: usize,
    /// Epochs whose sensor manifest is final on chain.
    pub finalized_epochs: Vec<u64>,
    pub readings_sent: u64,
    pub batches_accepted: u64,
    pub batches_refused: BTreeMap<String, u64>,
    pub refused: BTreeMap<String, u64>,
    /// Every honest device that reported was paid in every finalized epoch it reported in.
    pub honest_paid_every_epoch: bool,
    /// No cheat earned more than 10 % of the honest mean.
    pub cheats_held_to_ten_percent: bool,
    /// What the finalized sensor pools held, what their manifests pay, and whether the one
    /// covers the other in every epoch.
    pub pools: Amount,
    pub paid: Amount,
    pub pools_balanced: bool,
    pub by_behaviour: BTreeMap<String, BehaviourSummary>,
    pub list: Vec<SensorDeviceSummary>,
}

fn behaviour_name(b: Behaviour) -> String {
    serde_json::to_value(b)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Each device's score in each finalized epoch, from the sealed evidence its manifest came
/// from.
fn epoch_scores(
    oracle_dirs: &[std::path::PathBuf],
    store: &plexus_store::Store,
    finalized: &[FinalizedEpoch],
) -> anyhow::Result<BTreeMap<PublicKey, BTreeMap<u64, SensorScore>>> {
    let info = query::chain_info(store)?.ok_or_else(|| anyhow::anyhow!("no genesis"))?;
    let view: plexus_client::views::ChainView =
        serde_json::from_value(serde_json::to_value(&info)?)?;
    let registry: Vec<plexus_client::views::DeviceView> =
        serde_json::from_value(serde_json::to_value(query::devices(store)?)?)?;
    let devices = view.scored_devices(&registry, ResourceClass::Sensor);
    let mut out: BTreeMap<PublicKey, BTreeMap<u64, SensorScore>> = BTreeMap::new();
    for (e, _, closed) in finalized {
        let Some(closed) = closed else { continue };
        let Some(text) =
            crate::wireless::scores::sealed_evidence(oracle_dirs, &closed.evidence_segment)
        else {
            continue;
        };
        let records = plexus_rewards::audit::evidence_from_jsonl(&text, &info.chain_id)?;
        let scored =
            score_sensor_manifest(view.scoring_params(), *e, "sensor", &devices, &records)?;
        for s in scored.scores {
            out.entry(s.device).or_default().insert(*e, s);
        }
    }
    Ok(out)
}

/// The sensors section from the workload's log, the chain's store and the finalized epochs of
/// the sensor pool.
pub fn summarize(
    log: &SensorLog,
    store: &plexus_store::Store,
    oracle_dirs: &[std::path::PathBuf],
    finalized: &[FinalizedEpoch],
) -> anyhow::Result<Option<SensorSummary>> {
    let Some(region) = &log.region else {
        return Ok(None);
    };
    let mut scores = epoch_scores(oracle_dirs, store, finalized)?;
    let mut list = Vec::with_capacity(region.devices.len());
    for d in &region.devices {
        let key = d.key.public_key();
        let earnings = crate::earnings::earnings(store, &key, ResourceClass::Sensor, finalized)?;
        let by_epoch = scores.remove(&key).unwrap_or_default();
        list.push(SensorDeviceSummary {
            device: key,
            class: d.kind.class(),
            behaviour: d.behaviour,
            registered: query::device(store, &key)?.is_some(),
            quality_by_epoch: by_epoch.iter().map(|(e, s)| (*e, s.quality_ppm)).collect(),
            epochs_reported: by_epoch.len(),
            epochs_paid: by_epoch.values().filter(|s| s.units > 0).count(),
            unpaid: by_epoch
                .iter()
                .filter(|(_, s)| s.units == 0)
                .map(|(e, s)| (*e, s.selection))
                .collect(),
            earned: earnings.total,
            claimed: earnings.claimed,
        });
    }
    let mut groups: BTreeMap<String, (usize, u64, u64, u128)> = BTreeMap::new();
    for s in &list {
        let g = groups.entry(behaviour_name(s.behaviour)).or_default();
        g.0 += 1;
        g.1 += s
            .quality_by_epoch
            .values()
            .map(|q| u64::from(*q))
            .sum::<u64>();
        g.2 += s.quality_by_epoch.len() as u64;
        g.3 += s.earned.0;
    }
    let mean_earned = |g: &(usize, u64, u64, u128)| g.3 / g.0.max(1) as u128;
    let honest_mean = groups.get("honest").map_or(0, mean_earned);
    let by_behaviour: BTreeMap<String, BehaviourSummary> = groups
        .iter()
        .map(|(name, g)| {
            let mean = mean_earned(g);
            (
                name.clone(),
                BehaviourSummary {
                    devices: g.0,
                    mean_quality: (g.1 / g.2.max(1)) as u32,
                    mean_earned: Amount(mean),
                    percent_of_honest: if honest_mean == 0 {
                        0.0
                    } else {
                        mean as f64 * 100.0 / honest_mean as f64
                    },
                },
            )
        })
        .collect();
    let honest_paid_every_epoch = list
        .iter()
        .filter(|s| s.behaviour == Behaviour::Honest)
        .all(|s| s.epochs_reported > 0 && s.epochs_paid == s.epochs_reported);
    let cheats_held_to_ten_percent = by_behaviour
        .iter()
        .filter(|(name, _)| name.as_str() != "honest")
        .all(|(_, b)| b.percent_of_honest <= 10.0);
    let pools: u128 = finalized.iter().map(|(_, pool, _)| pool.0).sum();
    let mut paid = 0u128;
    let mut pools_balanced = true;
    for (_, pool, closed) in finalized {
        let Some(c) = closed else { continue };
        let total = c.manifest.total_units();
        let epoch_paid: u128 = c
            .manifest
            .leaves()
            .iter()
            .map(|l| plexus_rewards::payout(pool.0, l.units, total).unwrap_or(0))
            .sum();
        pools_balanced &= epoch_paid <= pool.0;
        paid += epoch_paid;
    }
    Ok(Some(SensorSummary {
        sensors: region.devices.len(),
        sensor_cheaters: list
            .iter()
            .filter(|s| s.behaviour != Behaviour::Honest)
            .count(),
        registered: log.registered,
        finalized_epochs: finalized.iter().map(|(e, _, _)| *e).collect(),
        readings_sent: log.readings_sent,
        batches_accepted: log.batches_accepted,
        batches_refused: log.batches_refused.clone(),
        refused: log.refused.clone(),
        honest_paid_every_epoch,
        cheats_held_to_ten_percent,
        pools: Amount(pools),
        paid: Amount(paid),
        pools_balanced,
        by_behaviour,
        list,
    }))
}

/// The section in human form.
pub fn print(s: &SensorSummary) {
    println!(
        "sensors: {} devices ({} cheating, {} registered) · {} finalized epochs · {} readings sent · {} batches recorded",
        s.sensors,
        s.sensor_cheaters,
        s.registered,
        s.finalized_epochs.len(),
        s.readings_sent,
        s.batches_accepted
    );
    println!(
        "  honest paid every epoch: {} · cheats at most 10% of the honest mean: {} · pools {} paid {} ({})",
        s.honest_paid_every_epoch,
        s.cheats_held_to_ten_percent,
        s.pools.to_plx_string(),
        s.paid.to_plx_string(),
        crate::balance_word(s.pools_balanced)
    );
    for (name, b) in &s.by_behaviour {
        println!(
            "  {name}: {} devices · mean quality {:.3} · mean earned {} ({:.1}% of honest)",
            b.devices,
            f64::from(b.mean_quality) / 1e6,
            b.mean_earned.to_plx_string(),
            b.percent_of_honest
        );
    }
}
