//! An epoch of simulated evidence scored as the oracle scores it, with
//! [`score_wireless_epoch`]: signatures first, then HIP-119 location trust from the location
//! reports, coverage shares (rules C1–C3) from each Wi-Fi hotspot's modeled coverage, PoC
//! units (rules W1–W4) from beacons and witness reports with the forfeit of a witness whose
//! reports no physics allows, and here also the bytes carried from the data sessions.
//! Only the registry (asserted locations, cells, antennas, owners) and the evidence are used;
//! the behaviours are carried along to label the result, never to decide it.

use crate::cheats::Behaviour;
use crate::city::{City, HotspotKind, SimHotspot};
use crate::evidence::EpochEvidence;
use plexus_rewards::wireless::{
    score_wireless_epoch, EpochHotspot, Fixed, HotspotClass, InvalidReason, WirelessEvidence,
};
use plexus_rewards::Speeds;
use plexus_types::PublicKey;
use serde::Serialize;
use std::collections::BTreeMap;

/// The speed-test means every Wi-Fi hotspot of the simulator reports: the top tier.
pub const SIMULATED_SPEEDS: Speeds = Speeds {
    download_kbps: 300_000,
    upload_kbps: 40_000,
    latency_ms: 20,
};

/// What one hotspot earned and did in an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HotspotEpoch {
    pub index: usize,
    pub key: PublicKey,
    pub kind: HotspotKind,
    pub behaviour: Behaviour,
    /// HIP-119 mean over its location reports (billionths).
    pub location_trust: Fixed,
    /// Σ points × rank multiplier of its coverage claims.
    pub coverage_points: Fixed,
    pub coverage_shares: Fixed,
    /// HIP-15 units, density-scaled.
    pub poc_units: Fixed,
    /// Units × location trust, or 0 when it forfeited.
    pub poc_shares: Fixed,
    /// Whether it sent witness reports no physics allows (rule E5 of `plexus_rewards::wireless::epoch`).
    pub poc_forfeited: bool,
    pub witnesses_valid: u64,
    /// Its witness reports that did not count, by reason.
    pub witnesses_invalid: BTreeMap<InvalidReason, u64>,
    /// Bytes up and down of its data sessions.
    pub bytes_carried: u64,
    /// Of those, bytes its own owner paid for.
    pub bytes_self_paid: u64,
}

impl HotspotEpoch {
    /// Whether it earned any coverage or PoC shares.
    pub fn earned(&self) -> bool {
        self.coverage_shares.0 > 0 || self.poc_shares.0 > 0
    }
}

/// Why an epoch could not be scored (the evidence contradicts the registry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreError(pub String);

impl std::fmt::Display for ScoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScoreError {}

/// A hotspot of the city as its registration on chain describes it.
pub fn epoch_hotspot(h: &SimHotspot) -> EpochHotspot {
    let (class, speeds) = match h.kind {
        HotspotKind::WifiIndoor => (HotspotClass::IndoorWifi, Some(SIMULATED_SPEEDS)),
        HotspotKind::WifiOutdoor => (HotspotClass::OutdoorWifi, Some(SIMULATED_SPEEDS)),
        HotspotKind::Lora => (HotspotClass::Lora, None),
    };
    EpochHotspot {
        key: h.public,
        class,
        asserted: h.asserted,
        cell: h.asserted_cell,
        antenna: h.antenna,
        seniority_height: h.asserted_height,
        speeds,
    }
}

/// Scores one epoch of `evidence` against the registry of `city`; one entry per hotspot, in
/// the city's order.
pub fn score_epoch(city: &City, evidence: &EpochEvidence) -> Result<Vec<HotspotEpoch>, ScoreError> {
    let hotspots: Vec<EpochHotspot> = city.hotspots.iter().map(epoch_hotspot).collect();
    let scored = score_wireless_epoch(
        &hotspots,
        &WirelessEvidence {
            location_reports: &evidence.location_reports,
            beacons: &evidence.beacons,
            witnesses: &evidence.witnesses,
        },
    )
    .map_err(|e| ScoreError(e.to_string()))?;
    let mut scored: BTreeMap<PublicKey, _> = scored.into_iter().map(|s| (s.key, s)).collect();

    let owners: BTreeMap<PublicKey, PublicKey> =
        city.hotspots.iter().map(|h| (h.public, h.owner)).collect();
    let mut carried: BTreeMap<PublicKey, (u64, u64)> = BTreeMap::new();
    for s in &evidence.sessions {
        let bytes = s.bytes_up + s.bytes_down;
        let e = carried.entry(s.hotspot).or_default();
        e.0 += bytes;
        if owners.get(&s.hotspot) == Some(&s.payer) {
            e.1 += bytes;
        }
    }

    city.hotspots
        .iter()
        .map(|h| {
            let s = scored
                .remove(&h.public)
                .ok_or_else(|| ScoreError(format!("hotspot {} was not scored", h.public)))?;
            let (bytes_carried, bytes_self_paid) =
                carried.get(&h.public).copied().unwrap_or_default();
            Ok(HotspotEpoch {
                index: h.index,
                key: h.public,
                kind: h.kind,
                behaviour: h.behaviour,
                location_trust: s.location_trust,
                coverage_points: s.coverage_points,
                coverage_shares: s.coverage_shares,
                poc_units: s.poc_units,
                poc_shares: s.poc_shares,
                poc_forfeited: s.poc_forfeited,
                witnesses_valid: s.witnesses_valid,
                witnesses_invalid: s.witnesses_invalid,
                bytes_carried,
                bytes_self_paid,
            })
        })
        .collect()
}
