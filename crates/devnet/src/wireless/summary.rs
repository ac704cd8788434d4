//! The `wireless` section of a devnet's summary: each hotspot's behaviour, where it stands on
//! chain, what the rules made of its evidence in each epoch (location trust, coverage points,
//! witnesses valid and invalid with the reasons), the data it carried and what it earned; what
//! the data credits burned; and the witness ring's pay next to its counterfactual.

use super::scores::{epoch_scores, ring_check, EpochScore, RingCheck};
use super::{class_of, WirelessLog};
use crate::earnings::FinalizedEpoch;
use plexus_ledger::query;
use plexus_rewards::wireless::{Fixed, InvalidReason};
use plexus_types::{Address, Amount, PublicKey};
use serde::Serialize;
use std::collections::BTreeMap;

/// What one hotspot carried in one epoch, as the chain counted it.
#[derive(Debug, Serialize, Default, Clone, Copy)]
pub struct EpochData {
    pub sessions: u64,
    pub bytes: u128,
    pub credits: u128,
}

#[derive(Debug, Serialize)]
pub struct HotspotSummary {
    pub index: usize,
    pub key: PublicKey,
    pub owner: Address,
    pub class: &'static str,
    pub behaviour: &'static str,
    /// The res-12 cell it asserts, in hex.
    pub h3_cell: String,
    /// Its status on chain; absent when its registration did not commit.
    pub status: Option<serde_json::Value>,
    /// Mean of its epochs' HIP-119 location trust, in billionths (1 000 000 000 is ×1).
    pub location_trust: Fixed,
    /// A Wi-Fi hotspot's link rate in megabits a second, when its backhaul is slow (the
    /// others' links run as fast as loopback goes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backhaul_mbps: Option<u64>,
    /// A Wi-Fi hotspot's lowest speed tier over its scored epochs, in quarters (4 is ×1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_quarters: Option<u32>,
    /// Its witness reports that counted, and those that did not by reason, over the run.
    pub witnesses_valid: u64,
    pub witnesses_invalid: BTreeMap<InvalidReason, u64>,
    /// What the rules made of its evidence in each finalized epoch of its pool.
    pub scores_by_epoch: BTreeMap<u64, EpochScore>,
    /// Data carried, by the epoch the receipts settled in.
    pub data_by_epoch: BTreeMap<u64, EpochData>,
    pub bytes_carried: u128,
    /// What its data claims were paid from the data pool, in uplx.
    pub data_paid: Amount,
    /// Reward earned in each finalized epoch of its pool, in uplx.
    pub rewards_by_epoch: BTreeMap<u64, Amount>,
    pub rewards: Amount,
    /// What its claims have paid so far.
    pub claimed: Amount,
}

#[derive(Debug, Serialize)]
pub struct WirelessSummary {
    pub hotspots: usize,
    pub hotspot_cheaters: usize,
    pub subscribers: usize,
    /// Hotspots whose registration committed.
    pub registered: usize,
    pub receipts_settled: u64,
    /// Reward claims the hotspots' owners made that committed.
    pub claims: u64,
    /// Signed location reports, beacons and witness reports the oracles recorded (each
    /// oracle counted), and those they refused, by code.
    pub records_accepted: u64,
    pub records_refused: BTreeMap<String, u64>,
    /// Receipts, purchases and claims the chain refused, by code.
    pub refused: BTreeMap<String, u64>,
    /// uplx burned for data credits, all payers together, as the chain counts it.
    pub burned_for_credits: Amount,
    /// uplx each self-dealer's owner burned for its own phone's traffic.
    pub self_dealers_burned: BTreeMap<Address, Amount>,
    /// The witness ring's PoC pay next to what honest hotspots at its asserted spots would
    /// have earned; absent without a ring.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring: Option<RingCheck>,
    pub list: Vec<HotspotSummary>,
}

/// The wireless section from the workload's log, the chain's store and the finalized epochs of
/// the hotspots' pools.
pub fn summarize(
    log: &WirelessLog,
    store: &plexus_store::Store,
    oracle_dirs: &[std::path::PathBuf],
    finalized: &[(plexus_ledger::ResourceClass, Vec<FinalizedEpoch>)],
) -> anyhow::Result<Option<WirelessSummary>> {
    let Some(city) = &log.city else {
        return Ok(None);
    };
    let info = query::chain_info(store)?.ok_or_else(|| anyhow::anyhow!("no genesis"))?;
    let mut scores = epoch_scores(oracle_dirs, &info, &query::devices(store)?, finalized)?;
    let mut poc_earned = BTreeMap::new();
    let mut data = data_by_hotspot(store)?;
    let mut list = Vec::with_capacity(city.hotspots.len());
    let mut self_dealers_burned = BTreeMap::new();
    for h in &city.hotspots {
        let owner = Address::from_public_key(&h.owner);
        let device = query::device(store, &h.public)?;
        let class = class_of(h.kind);
        let pool = device
            .as_ref()
            .and_then(|d| info.device_class(&d.class).map(|c| c.resource));
        let crate::earnings::Earnings {
            by_epoch: rewards_by_epoch,
            total: rewards,
            claimed,
        } = match finalized.iter().find(|(r, _)| Some(*r) == pool) {
            Some((resource, epochs)) => {
                crate::earnings::earnings(store, &h.public, *resource, epochs)?
            }
            None => Default::default(),
        };
        if pool == Some(plexus_ledger::ResourceClass::Poc) {
            poc_earned.insert(h.public, rewards);
        }
        let scores_by_epoch = scores.remove(&h.public).unwrap_or_default();
        let mut witnesses_invalid: BTreeMap<InvalidReason, u64> = BTreeMap::new();
        for s in scores_by_epoch.values() {
            for (reason, n) in &s.witnesses_invalid {
                *witnesses_invalid.entry(*reason).or_default() += n;
            }
        }
        let data_by_epoch = data.remove(&h.public).unwrap_or_default();
        let mut data_paid = Amount::ZERO;
        for e in data_by_epoch.keys() {
            if let Some(paid) =
                plexus_ledger::data_credits::query::data_claim(store, *e, &h.public)?
            {
                data_paid = data_paid.checked_add(paid).unwrap_or(data_paid);
            }
        }
        if h.behaviour == plexus_radio::Behaviour::SelfDealer {
            self_dealers_burned.insert(
                owner,
                log.burned_by.get(&owner).copied().unwrap_or(Amount::ZERO),
            );
        }
        list.push(HotspotSummary {
            index: h.index,
            key: h.public,
            owner,
            class,
            behaviour: h.behaviour.name(),
            h3_cell: format!("{:x}", h.asserted_cell),
            status: device.map(|d| serde_json::to_value(d.status)).transpose()?,
            location_trust: mean_trust(&scores_by_epoch),
            backhaul_mbps: super::backhaul::link_rate(city, h).map(|bytes| bytes * 8 / 1_000_000),
            speed_quarters: scores_by_epoch
                .values()
                .filter_map(|s| s.speed_quarters)
                .min(),
            witnesses_valid: scores_by_epoch.values().map(|s| s.witnesses_valid).sum(),
            witnesses_invalid,
            scores_by_epoch,
            bytes_carried: data_by_epoch.values().map(|d| d.bytes).sum(),
            data_by_epoch,
            data_paid,
            rewards_by_epoch,
            rewards,
            claimed,
        });
    }
    Ok(Some(WirelessSummary {
        hotspots: city.config.hotspots,
        hotspot_cheaters: city.config.cheaters,
        subscribers: city.config.subscribers,
        registered: log.registered,
        receipts_settled: log.receipts_settled,
        claims: log.claims,
        records_accepted: log.records_accepted,
        records_refused: log.records_refused.clone(),
        refused: log.refused.clone(),
        burned_for_credits: plexus_ledger::data_credits::query::data_credit_totals(store)?.burned,
        self_dealers_burned,
        ring: ring_check(city, finalized_poc(finalized), &poc_earned)?,
        list,
    }))
}

/// The data each hotspot carried, by epoch, as the chain counted it (every page read).
fn data_by_hotspot(
    store: &plexus_store::Store,
) -> anyhow::Result<BTreeMap<PublicKey, BTreeMap<u64, EpochData>>> {
    let mut data: BTreeMap<PublicKey, BTreeMap<u64, EpochData>> = BTreeMap::new();
    for e in 1..=query::last_epoch(store)? + 1 {
        let mut from = 0;
        loop {
            let page = plexus_ledger::data_credits::query::epoch_data_page(store, e, from, 1000)?;
            for h in &page.hotspots {
                data.entry(h.device).or_default().insert(
                    e,
                    EpochData {
                        sessions: h.sessions,
                        bytes: h.bytes,
                        credits: h.credits,
                    },
                );
            }
            match page.next {
                Some(next) => from = next,
                None => break,
            }
        }
    }
    Ok(data)
}

fn finalized_poc(
    finalized: &[(plexus_ledger::ResourceClass, Vec<FinalizedEpoch>)],
) -> &[FinalizedEpoch] {
    finalized
        .iter()
        .find(|(r, _)| *r == plexus_ledger::ResourceClass::Poc)
        .map_or(&[], |(_, e)| e.as_slice())
}

/// The mean location trust over the epochs scored (0 with none).
fn mean_trust(scores: &BTreeMap<u64, EpochScore>) -> Fixed {
    if scores.is_empty() {
        return Fixed::ZERO;
    }
    let sum: u64 = scores.values().map(|s| s.location_trust.0).sum();
    Fixed(sum / scores.len() as u64)
}

/// The wireless section for people: one line for the city, one per hotspot.
pub fn print(w: &WirelessSummary) {
    let refused: Vec<String> = w.refused.iter().map(|(c, n)| format!("{n} {c}")).collect();
    println!(
        "wireless: {} hotspots ({} cheating, {} registered) · {} subscribers · {} receipts settled{} · {} burned for data credits",
        w.hotspots,
        w.hotspot_cheaters,
        w.registered,
        w.subscribers,
        w.receipts_settled,
        if refused.is_empty() {
            String::new()
        } else {
            format!(" ({} refused)", refused.join(", "))
        },
        w.burned_for_credits.to_plx_string()
    );
    if let Some(r) = &w.ring {
        println!(
            "  witness ring of {}: earned {} · honest hotspots at its asserted spots: {} ({:.1}%)",
            r.members,
            r.earned.to_plx_string(),
            r.honest_at_claimed_spread.to_plx_string(),
            r.percent
        );
    }
    for h in &w.list {
        let speed = h.speed_quarters.map_or(String::new(), |q| {
            let link = h
                .backhaul_mbps
                .map_or(String::new(), |m| format!(" on {m} Mbps"));
            format!(" · speed ×{:.2}{link}", f64::from(q) / 4.0)
        });
        println!(
            "  {}  {:<12} {:<12} cell {} · trust {:.2}{speed} · witnesses {} valid, {} invalid · carried {:>12} bytes, paid {:>12} · earned {:>14} · claimed {:>14}",
            &h.key.to_string()[..16],
            h.class,
            h.behaviour,
            h.h3_cell,
            h.location_trust.0 as f64 / 1e9,
            h.witnesses_valid,
            h.witnesses_invalid.values().sum::<u64>(),
            h.bytes_carried,
            h.data_paid.to_plx_string(),
            h.rewards.to_plx_string(),
            h.claimed.to_plx_string()
        );
    }
}
