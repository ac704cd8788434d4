//! An epoch of simulated evidence scored with the pure wireless rules, as the oracle would:
//! signatures first, then HIP-119 location trust from the location reports, coverage shares
//! (rules C1–C3) from the modeled claims, PoC units (rules W1–W4) from beacons and witness
//! reports, and bytes carried from the data sessions.
//!
//! PoC shares are a hotspot's units times its location trust, as coverage shares are: a
//! hotspot that reports from elsewhere than it asserts earns nothing for beaconing either.
//! And a hotspot that sent, in the epoch, a witness report louder than free space allows at
//! its asserted distance by more than [`IMPOSSIBLE_EXCESS_CDB`] forfeits its PoC shares for
//! the epoch: no antenna or calibration error explains 20 dB, only an assertion that is false
//! (a witness ring in one room asserting spread locations sends such reports by the dozen).
//! The forfeit falls on the witness that sent the report, never on the beaconer it names, so
//! that no one can make an honest beaconer forfeit by reporting its beacon too loud. And it
//! takes such reports naming at least [`MIN_IMPOSSIBLE_BEACONERS`] distinct beaconers: one
//! impossible pair shows that one of the two lies about its location, not which, so a single
//! staked hotspot that asserts a false location next to an honest one cannot make it forfeit
//! (a framer must bond and place that many, each earning nothing from the victim's reports).
//! Only the registry (asserted locations, cells, gains, owners) and the evidence are used;
//! the behaviours are carried along to label the result, never to decide it.

use crate::cheats::Behaviour;
use crate::city::{City, HotspotKind};
use crate::evidence::EpochEvidence;
use plexus_rewards::wireless::witness::max_plausible_rssi_cdbm;
use plexus_rewards::wireless::{
    distance_m, mean_location_trust, radio_shares, score_poc_epoch, verify_report_signatures,
    Beacon, Fixed, Hotspot, InvalidReason, Position, Radio, WitnessReport, HIP_104,
};
use plexus_rewards::Speeds;
use plexus_types::{Hash, PublicKey};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The speed-test means every Wi-Fi hotspot of the simulator reports: the top tier.
pub const SIMULATED_SPEEDS: Speeds = Speeds {
    download_kbps: 300_000,
    upload_kbps: 40_000,
    latency_ms: 20,
};

/// How far above the free-space bound (hundredths of a dB) a witness report must be to show
/// a false assertion: 20 dB.
pub const IMPOSSIBLE_EXCESS_CDB: i64 = 2_000;

/// Distinct beaconers a witness's impossible reports must name before it forfeits.
pub const MIN_IMPOSSIBLE_BEACONERS: usize = 2;

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
    /// Whether it sent a witness report no physics allows (see the module documentation).
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

/// Scores one epoch of `evidence` against the registry of `city`; one entry per hotspot, in
/// the city's order.
pub fn score_epoch(city: &City, evidence: &EpochEvidence) -> Result<Vec<HotspotEpoch>, ScoreError> {
    let mut reported: BTreeMap<PublicKey, Vec<Position>> = BTreeMap::new();
    for r in evidence.location_reports.iter().filter(|r| r.verify()) {
        reported
            .entry(r.report.radio)
            .or_default()
            .push(r.report.position);
    }
    let trust: BTreeMap<PublicKey, Fixed> = city
        .hotspots
        .iter()
        .map(|h| {
            let fixes = reported.get(&h.public).map_or(&[][..], |v| v.as_slice());
            (h.public, mean_location_trust(fixes, h.asserted))
        })
        .collect();

    let radios: Vec<Radio> = city
        .hotspots
        .iter()
        .filter_map(|h| {
            Some(Radio {
                key: h.public,
                kind: h.kind.radio_kind()?,
                asserted_height: h.asserted_height,
                speeds: SIMULATED_SPEEDS,
                location_trust: trust[&h.public],
            })
        })
        .collect();
    let coverage =
        radio_shares(&radios, &evidence.coverage).map_err(|e| ScoreError(e.to_string()))?;

    let signed_ok = verify_report_signatures(&evidence.witnesses);
    let mut invalid: BTreeMap<PublicKey, BTreeMap<InvalidReason, u64>> = BTreeMap::new();
    let mut good: Vec<WitnessReport> = Vec::new();
    for (r, ok) in evidence.witnesses.iter().zip(&signed_ok) {
        if *ok {
            good.push(r.report);
        } else {
            *invalid
                .entry(r.report.witness)
                .or_default()
                .entry(InvalidReason::BadSignature)
                .or_default() += 1;
        }
    }
    let lora: Vec<_> = city
        .hotspots
        .iter()
        .filter(|h| h.kind == HotspotKind::Lora)
        .map(|h| city.registered(h))
        .collect();
    let poc = score_poc_epoch(&HIP_104, &lora, &evidence.beacons, &good)
        .map_err(|e| ScoreError(e.to_string()))?;
    let forfeited = impossible_witnesses(&lora, evidence, &good, &poc.verdicts);
    let mut valid: BTreeMap<PublicKey, u64> = BTreeMap::new();
    for (r, verdict) in good.iter().zip(&poc.verdicts) {
        match verdict {
            None => *valid.entry(r.witness).or_default() += 1,
            Some(reason) => {
                *invalid
                    .entry(r.witness)
                    .or_default()
                    .entry(*reason)
                    .or_default() += 1
            }
        }
    }

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

    Ok(city
        .hotspots
        .iter()
        .map(|h| {
            let c = coverage.get(&h.public).copied().unwrap_or_default();
            let units = poc.units.get(&h.public).copied().unwrap_or_default();
            let t = trust[&h.public];
            let forfeit = forfeited.contains(&h.public);
            let (bytes_carried, bytes_self_paid) =
                carried.get(&h.public).copied().unwrap_or_default();
            HotspotEpoch {
                index: h.index,
                key: h.public,
                kind: h.kind,
                behaviour: h.behaviour,
                location_trust: t,
                coverage_points: c.ranked_points,
                coverage_shares: c.shares,
                poc_units: units,
                poc_shares: if forfeit {
                    Fixed::ZERO
                } else {
                    units.mul_floor(t)
                },
                poc_forfeited: forfeit,
                witnesses_valid: valid.get(&h.public).copied().unwrap_or(0),
                witnesses_invalid: invalid.remove(&h.public).unwrap_or_default(),
                bytes_carried,
                bytes_self_paid,
            }
        })
        .collect())
}

/// The witnesses that sent reports rejected as too strong by more than
/// [`IMPOSSIBLE_EXCESS_CDB`] over the free-space bound at the asserted distance, naming at
/// least [`MIN_IMPOSSIBLE_BEACONERS`] distinct beaconers.
fn impossible_witnesses(
    lora: &[Hotspot],
    evidence: &EpochEvidence,
    reports: &[WitnessReport],
    verdicts: &[Option<InvalidReason>],
) -> BTreeSet<PublicKey> {
    let registry: BTreeMap<PublicKey, &Hotspot> = lora.iter().map(|h| (h.key, h)).collect();
    let beacons: BTreeMap<Hash, &Beacon> = evidence.beacons.iter().map(|b| (b.id, b)).collect();
    let pairs = reports
        .iter()
        .zip(verdicts)
        .filter(|(_, v)| **v == Some(InvalidReason::SignalTooStrong))
        .filter_map(|(r, _)| {
            let beacon = beacons.get(&r.beacon)?;
            let tx = registry.get(&beacon.beaconer)?;
            let rx = registry.get(&r.witness)?;
            let bound =
                max_plausible_rssi_cdbm(beacon, tx, rx, distance_m(tx.asserted, rx.asserted));
            (i64::from(r.rssi_cdbm) - bound > IMPOSSIBLE_EXCESS_CDB)
                .then_some((r.witness, beacon.beaconer))
        });
    forfeiting(pairs)
}

/// From (witness, beaconer) pairs of impossible reports, the witnesses that name at least
/// [`MIN_IMPOSSIBLE_BEACONERS`] distinct beaconers.
fn forfeiting(pairs: impl Iterator<Item = (PublicKey, PublicKey)>) -> BTreeSet<PublicKey> {
    let mut named: BTreeMap<PublicKey, BTreeSet<PublicKey>> = BTreeMap::new();
    for (witness, beaconer) in pairs {
        named.entry(witness).or_default().insert(beaconer);
    }
    named
        .into_iter()
        .filter(|(_, beaconers)| beaconers.len() >= MIN_IMPOSSIBLE_BEACONERS)
        .map(|(witness, _)| witness)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::forfeiting;
    use plexus_types::PublicKey;

    fn key(i: u8) -> PublicKey {
        plexus_types::SecretKey::from_seed([i; 32]).public_key()
    }

    #[test]
    fn one_framer_next_to_an_honest_witness_does_not_make_it_forfeit() {
        // The honest witness 1 hears the framer 9 impossibly loud, many times.
        let pairs = (0..10).map(|_| (key(1), key(9)));
        assert!(forfeiting(pairs).is_empty());
    }

    #[test]
    fn a_ring_whose_members_witness_each_other_forfeits_whole() {
        let ring: Vec<PublicKey> = (1..=5).map(key).collect();
        let pairs = ring
            .iter()
            .flat_map(|w| ring.iter().filter(move |b| *b != w).map(move |b| (*w, *b)));
        let out = forfeiting(pairs);
        assert_eq!(out.len(), 5);
        assert!(ring.iter().all(|k| out.contains(k)));
    }

    #[test]
    fn two_framers_are_needed_to_make_a_witness_forfeit() {
        let pairs = [(key(1), key(8)), (key(1), key(9)), (key(2), key(9))];
        let out = forfeiting(pairs.into_iter());
        assert!(out.contains(&key(1)));
        assert!(!out.contains(&key(2)));
    }
}
