//! Why each hotspot earned what it did: every finalized coverage and PoC epoch scored again
//! from an oracle's sealed evidence with the public rules (`plexus audit` runs the same), and
//! the witness ring's pay next to what honest hotspots at the spots it asserts would have been
//! paid from the same pools.

use crate::earnings::FinalizedEpoch;
use plexus_ledger::ResourceClass;
use plexus_radio::Behaviour;
use plexus_rewards::speed::Speeds;
use plexus_rewards::wireless::{Fixed, InvalidReason};
use plexus_rewards::wireless_manifest::{score_wireless_manifest, WirelessPool};
use plexus_types::{Amount, PublicKey};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the rules made of one hotspot's evidence in one epoch.
#[derive(Debug, Serialize, Clone, Default)]
pub struct EpochScore {
    /// HIP-119 location trust, in billionths (1 000 000 000 is ×1).
    pub location_trust: Fixed,
    /// Σ points × rank of its modeled Wi-Fi coverage, in billionths.
    pub coverage_points: Fixed,
    /// A Wi-Fi hotspot's speed-test figures (means of its latest tests; 0 down and up with
    /// fewer than two tests) and their tier in quarters (4 is ×1), which multiply its coverage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speeds: Option<Speeds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_quarters: Option<u32>,
    /// HIP-15 units, density-scaled, in billionths.
    pub poc_units: Fixed,
    /// Whether it sent witness reports no physics allows, and so forfeited its PoC shares.
    pub poc_forfeited: bool,
    pub witnesses_valid: u64,
    /// Its witness reports that did not count, by reason.
    pub witnesses_invalid: BTreeMap<InvalidReason, u64>,
}

/// Each hotspot's score in each finalized epoch of its pool, read from the sealed evidence
/// that the manifest final on chain was computed from.
pub fn epoch_scores(
    oracle_dirs: &[PathBuf],
    info: &plexus_ledger::ChainInfo,
    registry: &[plexus_ledger::registry::Device],
    finalized: &[(ResourceClass, Vec<FinalizedEpoch>)],
) -> anyhow::Result<BTreeMap<PublicKey, BTreeMap<u64, EpochScore>>> {
    // The chain's parameters and registry as the API shows them, which scoring reads.
    let view: plexus_client::views::ChainView =
        serde_json::from_value(serde_json::to_value(info)?)?;
    let registry: Vec<plexus_client::views::DeviceView> =
        serde_json::from_value(serde_json::to_value(registry)?)?;
    let mut out: BTreeMap<PublicKey, BTreeMap<u64, EpochScore>> = BTreeMap::new();
    for (resource, epochs) in finalized {
        let pool = match resource {
            ResourceClass::Coverage => WirelessPool::Coverage,
            ResourceClass::Poc => WirelessPool::Poc,
            _ => continue,
        };
        let devices = view.scored_devices(&registry, *resource);
        for (e, _, closed) in epochs {
            let Some(closed) = closed else { continue };
            let Some(text) = sealed_evidence(oracle_dirs, &closed.evidence_segment) else {
                continue;
            };
            let records = plexus_rewards::audit::evidence_from_jsonl(&text, &info.chain_id)?;
            let scored = score_wireless_manifest(*e, resource.as_str(), pool, &devices, &records)?;
            for s in scored.hotspots {
                out.entry(s.key).or_default().insert(
                    *e,
                    EpochScore {
                        location_trust: s.location_trust,
                        coverage_points: s.coverage_points,
                        speeds: s.speeds,
                        speed_quarters: s.speed_quarters,
                        poc_units: s.poc_units,
                        poc_forfeited: s.poc_forfeited,
                        witnesses_valid: s.witnesses_valid,
                        witnesses_invalid: s.witnesses_invalid,
                    },
                );
            }
        }
    }
    Ok(out)
}

/// The sealed evidence file named `segment`, from whichever oracle kept it.
pub(crate) fn sealed_evidence(
    oracle_dirs: &[PathBuf],
    segment: &plexus_types::Hash,
) -> Option<String> {
    oracle_dirs.iter().find_map(|dir| {
        let path: &Path = &dir
            .join("evidence")
            .join("sealed")
            .join(format!("{}.jsonl", segment.to_hex()));
        std::fs::read_to_string(path).ok()
    })
}

/// The witness ring's pay against its counterfactual.
#[derive(Debug, Serialize, Clone)]
pub struct RingCheck {
    pub members: usize,
    /// What its members earned from the PoC pools of the finalized epochs, in uplx.
    pub earned: Amount,
    /// What the same pools would have paid them had each been an honest hotspot really at the
    /// spot it asserts: the simulator's counterfactual city, scored by the same rules over
    /// the same epochs.
    pub honest_at_claimed_spread: Amount,
    /// `earned` in percent of `honest_at_claimed_spread`.
    pub percent: f64,
}

/// The ring's check over the finalized PoC epochs, or `None` when the city has no ring.
/// `earned` is what each hotspot earned from the PoC pools.
pub fn ring_check(
    city: &plexus_radio::City,
    finalized_poc: &[FinalizedEpoch],
    earned: &BTreeMap<PublicKey, Amount>,
) -> anyhow::Result<Option<RingCheck>> {
    let ring: Vec<PublicKey> = city
        .hotspots
        .iter()
        .filter(|h| h.behaviour == Behaviour::WitnessRing)
        .map(|h| h.public)
        .collect();
    if ring.is_empty() {
        return Ok(None);
    }
    let mut honest_city = city.ring_placed_honestly();
    let mut counterfactual = 0u128;
    for (e, pool, closed) in finalized_poc {
        if closed.is_none() {
            continue;
        }
        let evidence = plexus_radio::evidence::epoch_evidence(&mut honest_city, *e);
        let scores = plexus_radio::score::score_epoch(&honest_city, &evidence)
            .map_err(|e| anyhow::anyhow!("scoring the ring's counterfactual: {e}"))?;
        let total: u128 = scores.iter().map(|s| u128::from(s.poc_shares.0)).sum();
        let theirs: u128 = scores
            .iter()
            .filter(|s| ring.contains(&s.key))
            .map(|s| u128::from(s.poc_shares.0))
            .sum();
        if total > 0 {
            counterfactual += plexus_rewards::payout(pool.0, theirs, total).unwrap_or(0);
        }
    }
    let paid: u128 = ring.iter().map(|k| earned.get(k).map_or(0, |a| a.0)).sum();
    Ok(Some(RingCheck {
        members: ring.len(),
        earned: Amount(paid),
        honest_at_claimed_spread: Amount(counterfactual),
        percent: if counterfactual == 0 {
            0.0
        } else {
            paid as f64 * 100.0 / counterfactual as f64
        },
    }))
}
