//! One epoch of the wireless classes scored from the hotspots' signed evidence: the one
//! implementation that the oracle, `plexus audit` and the radio simulator all run.
//!
//! - E1 (signatures): a location report, beacon or witness report counts only under its
//!   device's signature; a bad witness signature is reported as
//!   [`InvalidReason::BadSignature`], a badly signed beacon or location report is not seen.
//! - E2 (location trust): each hotspot's HIP-119 multiplier is the mean trust of its
//!   location reports against its assertion, 0 with none.
//! - E3 (coverage): each Wi-Fi hotspot's modeled coverage (rule M, from its asserted cell and
//!   antenna) is scored by rules C1–C3: points × rank × speed multiplier × location trust. A
//!   hotspot whose antenna the model refuses covers nothing (and is told why).
//! - E4 (PoC): LoRa beacons and witness reports are scored by rules W1–W4 (HIP-15 units ×
//!   HIP-17 density scaling); a hotspot's PoC shares are its units × location trust, so a
//!   hotspot reporting from elsewhere than it asserts earns nothing for beaconing either.
//! - E5 (forfeit): a witness that sent reports louder than free space allows at its asserted
//!   distance by more than [`IMPOSSIBLE_EXCESS_CDB`], naming at least
//!   [`MIN_IMPOSSIBLE_BEACONERS`] distinct beaconers, forfeits its PoC shares for the epoch.
//!   No antenna or calibration error explains 20 dB, only an assertion that is false (a
//!   witness ring in one room asserting spread locations sends such reports by the dozen).
//!   The forfeit falls on the witness that sent the report, never on the beaconer it names,
//!   so no one can make an honest beaconer forfeit by reporting its beacon too loud; and one
//!   impossible pair shows only that one of the two lies, not which, so a single staked
//!   hotspot asserting a false location next to an honest one cannot make it forfeit.
//!
//! The result does not depend on the order of the hotspots or of the evidence.

use super::coverage::{radio_shares, CoverageError, Radio, RadioKind, RadioShares};
use super::density::HIP_104;
use super::fixed::Fixed;
use super::geo::{distance_m, Position};
use super::location_report::SignedLocationReport;
use super::location_trust::mean_location_trust;
use super::model::{modeled_claims, Antenna, ModeledRadio};
use super::poc::{score_poc_epoch, PocError};
use super::witness::{
    max_plausible_rssi_cdbm, verify_report_signatures, Beacon, Hotspot, InvalidReason,
    SignedBeacon, SignedWitnessReport, WitnessReport,
};
use crate::speed::{tier_quarters, Speeds};
use crate::ResourceClass;
use plexus_types::{Hash, PublicKey};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How far above the free-space bound (hundredths of a dB) a witness report must be to show
/// a false assertion: 20 dB.
pub const IMPOSSIBLE_EXCESS_CDB: i64 = 2_000;

/// Distinct beaconers a witness's impossible reports must name before it forfeits.
pub const MIN_IMPOSSIBLE_BEACONERS: usize = 2;

/// What a hotspot is: a Wi-Fi radio scored on modeled coverage, or a LoRa one on PoC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HotspotClass {
    IndoorWifi,
    OutdoorWifi,
    Lora,
}

impl HotspotClass {
    /// The hotspot class of a device class that asserts locations: LoRa sells proof of
    /// coverage; a coverage class is outdoor Wi-Fi when its name says `outdoor` (the genesis
    /// `wifi-outdoor`), indoor Wi-Fi otherwise. `None` for a class of another resource.
    pub fn of_device_class(resource: ResourceClass, name: &str) -> Option<HotspotClass> {
        match resource {
            ResourceClass::Poc => Some(HotspotClass::Lora),
            ResourceClass::Coverage if name.contains("outdoor") => Some(HotspotClass::OutdoorWifi),
            ResourceClass::Coverage => Some(HotspotClass::IndoorWifi),
            _ => None,
        }
    }

    /// The coverage rules' kind of a Wi-Fi hotspot; `None` for LoRa.
    pub fn radio_kind(self) -> Option<RadioKind> {
        match self {
            HotspotClass::IndoorWifi => Some(RadioKind::IndoorWifi),
            HotspotClass::OutdoorWifi => Some(RadioKind::OutdoorWifi),
            HotspotClass::Lora => None,
        }
    }
}

/// A hotspot's assertion on chain, as the registry gives it to scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotspotSite {
    pub class: HotspotClass,
    /// The asserted resolution-12 H3 cell.
    pub cell: u64,
    pub antenna: Antenna,
    /// Height of the first assertion in this cell.
    pub seniority_height: u64,
}

/// A registered hotspot as its assertion on chain describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochHotspot {
    pub key: PublicKey,
    pub class: HotspotClass,
    /// The asserted location that location trust and witness distances are measured from.
    pub asserted: Position,
    /// The asserted resolution-12 H3 cell (coverage model, density scaling).
    pub cell: u64,
    pub antenna: Antenna,
    /// Height of the first assertion in this cell: the earlier, the more senior.
    pub seniority_height: u64,
    /// The figures a Wi-Fi hotspot's speed multiplier is read from (rule C3): the means of
    /// its latest tests this epoch, [`UNTESTED`](crate::speed::UNTESTED) with too few; `None`
    /// for a model run without speed tests (the simulator's), which pays no multiplier.
    pub speeds: Option<Speeds>,
}

/// The signed evidence of one epoch, as the hotspots sent it.
#[derive(Debug, Clone, Copy, Default)]
pub struct WirelessEvidence<'a> {
    pub location_reports: &'a [SignedLocationReport],
    pub beacons: &'a [SignedBeacon],
    pub witnesses: &'a [SignedWitnessReport],
}

/// What one hotspot earned in an epoch, and why: what its owner is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HotspotScore {
    pub key: PublicKey,
    pub class: HotspotClass,
    /// Its location reports with a good signature.
    pub location_reports: u64,
    /// HIP-119 mean over its location reports (billionths).
    pub location_trust: Fixed,
    /// Σ points × rank multiplier of its modeled coverage.
    pub coverage_points: Fixed,
    /// The figures its speed multiplier was read from, when it was speed-tested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speeds: Option<Speeds>,
    /// Its speed tier in quarters (4 is ×1), when it was speed-tested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_quarters: Option<u32>,
    pub coverage_shares: Fixed,
    /// Why its coverage could not be modeled (an antenna outside the model's bounds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_refused: Option<String>,
    /// HIP-15 units, density-scaled.
    pub poc_units: Fixed,
    /// Units × location trust, or 0 when it forfeited.
    pub poc_shares: Fixed,
    /// Whether it sent witness reports no physics allows (rule E5).
    pub poc_forfeited: bool,
    pub witnesses_valid: u64,
    /// Its witness reports that did not count, by reason.
    pub witnesses_invalid: BTreeMap<InvalidReason, u64>,
}

impl HotspotScore {
    /// Whether it earned any coverage or PoC shares.
    pub fn earned(&self) -> bool {
        self.coverage_shares.0 > 0 || self.poc_shares.0 > 0
    }
}

/// Why an epoch could not be scored: the registry is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WirelessEpochError {
    #[error("hotspot {0} is listed more than once")]
    DuplicateHotspot(PublicKey),
    #[error(transparent)]
    Coverage(#[from] CoverageError),
    #[error(transparent)]
    Poc(#[from] PocError),
}

/// Scores one epoch by rules E1–E5 (see the module documentation); one entry per hotspot, in
/// key order.
pub fn score_wireless_epoch(
    hotspots: &[EpochHotspot],
    evidence: &WirelessEvidence,
) -> Result<Vec<HotspotScore>, WirelessEpochError> {
    let mut registry: BTreeMap<PublicKey, &EpochHotspot> = BTreeMap::new();
    for h in hotspots {
        if registry.insert(h.key, h).is_some() {
            return Err(WirelessEpochError::DuplicateHotspot(h.key));
        }
    }

    // E1, E2.
    let mut reported: BTreeMap<PublicKey, Vec<Position>> = BTreeMap::new();
    for r in evidence.location_reports.iter().filter(|r| r.verify()) {
        reported
            .entry(r.report.radio)
            .or_default()
            .push(r.report.position);
    }
    let trust: BTreeMap<PublicKey, Fixed> = registry
        .values()
        .map(|h| {
            let fixes = reported.get(&h.key).map_or(&[][..], |v| v.as_slice());
            (h.key, mean_location_trust(fixes, h.asserted))
        })
        .collect();

    // E3.
    let (coverage, mut refused) = wifi_coverage(&registry, &trust)?;

    // E1 and E4.
    let lora: Vec<Hotspot> = registry
        .values()
        .filter(|h| h.class == HotspotClass::Lora)
        .map(|h| Hotspot {
            key: h.key,
            asserted: h.asserted,
            cell: h.cell,
            asserted_height: h.seniority_height,
            gain_cdbi: h.antenna.gain_cdbi,
        })
        .collect();
    let beacons: Vec<Beacon> = evidence
        .beacons
        .iter()
        .filter(|b| b.verify())
        .map(|b| b.beacon)
        .collect();
    let signed_ok = verify_report_signatures(evidence.witnesses);
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
    let poc = score_poc_epoch(&HIP_104, &lora, &beacons, &good)?;
    let forfeited = impossible_witnesses(&lora, &beacons, &good, &poc.verdicts);
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

    Ok(registry
        .values()
        .map(|h| {
            let c = coverage.get(&h.key).copied().unwrap_or_default();
            let units = poc.units.get(&h.key).copied().unwrap_or_default();
            let t = trust[&h.key];
            let forfeit = forfeited.contains(&h.key);
            HotspotScore {
                key: h.key,
                class: h.class,
                location_reports: reported.get(&h.key).map_or(0, |v| v.len() as u64),
                location_trust: t,
                coverage_points: c.ranked_points,
                speeds: h.speeds,
                speed_quarters: h.speeds.as_ref().map(tier_quarters),
                coverage_shares: c.shares,
                coverage_refused: refused.remove(&h.key),
                poc_units: units,
                poc_shares: if forfeit {
                    Fixed::ZERO
                } else {
                    units.mul_floor(t)
                },
                poc_forfeited: forfeit,
                witnesses_valid: valid.get(&h.key).copied().unwrap_or(0),
                witnesses_invalid: invalid.remove(&h.key).unwrap_or_default(),
            }
        })
        .collect())
}

/// Rule E3: the Wi-Fi hotspots' modeled coverage shares (points × speed × trust), and the
/// hotspots whose antenna the model refused, with the reason (they cover nothing; the epoch
/// goes on).
#[allow(clippy::type_complexity)]
fn wifi_coverage(
    registry: &BTreeMap<PublicKey, &EpochHotspot>,
    trust: &BTreeMap<PublicKey, Fixed>,
) -> Result<
    (
        BTreeMap<PublicKey, RadioShares>,
        BTreeMap<PublicKey, String>,
    ),
    WirelessEpochError,
> {
    let wifi: Vec<(&EpochHotspot, RadioKind)> = registry
        .values()
        .filter_map(|h| Some((*h, h.class.radio_kind()?)))
        .collect();
    let modeled: Vec<ModeledRadio> = wifi
        .iter()
        .map(|(h, kind)| ModeledRadio {
            key: h.key,
            cell: h.cell,
            kind: *kind,
            antenna: h.antenna,
        })
        .collect();
    // An antenna the model refuses earns that hotspot no coverage; it does not stop the epoch.
    let mut claims = Vec::new();
    let mut refused: BTreeMap<PublicKey, String> = BTreeMap::new();
    for m in &modeled {
        match modeled_claims(std::slice::from_ref(m)) {
            Ok(c) => claims.extend(c),
            Err(e) => {
                refused.insert(m.key, e.to_string());
            }
        }
    }
    let radios: Vec<Radio> = wifi
        .iter()
        .map(|(h, kind)| Radio {
            key: h.key,
            kind: *kind,
            asserted_height: h.seniority_height,
            speeds: h.speeds,
            location_trust: trust[&h.key],
        })
        .collect();
    Ok((radio_shares(&radios, &claims)?, refused))
}

/// The witnesses that sent reports rejected as too strong by more than
/// [`IMPOSSIBLE_EXCESS_CDB`] over the free-space bound at the asserted distance, naming at
/// least [`MIN_IMPOSSIBLE_BEACONERS`] distinct beaconers.
fn impossible_witnesses(
    lora: &[Hotspot],
    beacons: &[Beacon],
    reports: &[WitnessReport],
    verdicts: &[Option<InvalidReason>],
) -> BTreeSet<PublicKey> {
    let registry: BTreeMap<PublicKey, &Hotspot> = lora.iter().map(|h| (h.key, h)).collect();
    let beacons: BTreeMap<Hash, &Beacon> = beacons.iter().map(|b| (b.id, b)).collect();
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

/// Rule E5 on (witness, beaconer) pairs of impossible reports: the witnesses that name at
/// least [`MIN_IMPOSSIBLE_BEACONERS`] distinct beaconers.
pub fn forfeiting(pairs: impl Iterator<Item = (PublicKey, PublicKey)>) -> BTreeSet<PublicKey> {
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
    use super::*;
    use crate::wireless::location_report::LocationReport;
    use h3o::{LatLng, Resolution};
    use plexus_types::SecretKey;

    fn key(i: u8) -> PublicKey {
        SecretKey::from_seed([i; 32]).public_key()
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

    fn wifi(n: u8, at: Position) -> EpochHotspot {
        // Test fixture only: the cell of a coordinate, through h3o's float conversion.
        let cell = LatLng::new(f64::from(at.lat_e6) / 1e6, f64::from(at.lon_e6) / 1e6)
            .unwrap()
            .to_cell(Resolution::Twelve);
        EpochHotspot {
            key: key(n),
            class: HotspotClass::IndoorWifi,
            asserted: at,
            cell: u64::from(cell),
            antenna: Antenna {
                gain_cdbi: 300,
                elevation_m: 3,
                azimuth_deg: 0,
            },
            seniority_height: u64::from(n),
            speeds: None,
        }
    }

    fn reports(n: u8, at: Position) -> Vec<SignedLocationReport> {
        (0..4)
            .map(|i| {
                LocationReport {
                    radio: key(n),
                    at_ms: 1_000 * i,
                    position: at,
                }
                .sign(&SecretKey::from_seed([n; 32]))
            })
            .collect()
    }

    #[test]
    fn a_wifi_hotspot_reporting_from_its_assertion_earns_and_a_spoofer_does_not() {
        let lisbon = Position::new(38_722_300, -9_139_300).unwrap();
        let porto = Position::new(41_157_900, -8_629_100).unwrap();
        let honest = wifi(1, lisbon);
        let spoofer = wifi(2, porto);
        let mut sent = reports(1, lisbon.offset_m(20, 10));
        // The spoofer asserts Porto but its positioning puts it in Lisbon.
        sent.extend(reports(2, lisbon));
        let evidence = WirelessEvidence {
            location_reports: &sent,
            ..Default::default()
        };
        let scored = score_wireless_epoch(&[spoofer, honest], &evidence).unwrap();
        let by_key: BTreeMap<PublicKey, &HotspotScore> =
            scored.iter().map(|s| (s.key, s)).collect();
        let h = by_key[&key(1)];
        assert_eq!(h.location_trust, Fixed::ONE);
        assert!(h.coverage_shares.0 > 0, "{h:?}");
        assert_eq!(h.coverage_shares, h.coverage_points);
        let s = by_key[&key(2)];
        assert_eq!(s.location_reports, 4);
        assert_eq!(s.location_trust, Fixed::ZERO);
        assert!(s.coverage_points.0 > 0);
        assert_eq!(s.coverage_shares, Fixed::ZERO);
        assert!(!s.earned());
        // The same evidence in another order scores the same.
        sent.reverse();
        let evidence = WirelessEvidence {
            location_reports: &sent,
            ..Default::default()
        };
        assert_eq!(
            score_wireless_epoch(&[honest, spoofer], &evidence).unwrap(),
            scored
        );
    }

    #[test]
    fn an_antenna_the_model_refuses_costs_that_hotspot_its_coverage_only() {
        let lisbon = Position::new(38_722_300, -9_139_300).unwrap();
        let mut tall = wifi(2, lisbon.offset_m(2_000, 0));
        tall.antenna.elevation_m = 5_000;
        let mut sent = reports(1, lisbon);
        sent.extend(reports(2, lisbon.offset_m(2_000, 0)));
        let evidence = WirelessEvidence {
            location_reports: &sent,
            ..Default::default()
        };
        let scored = score_wireless_epoch(&[wifi(1, lisbon), tall], &evidence).unwrap();
        let refused = scored.iter().find(|s| s.key == key(2)).unwrap();
        assert!(refused.coverage_refused.is_some());
        assert_eq!(refused.coverage_shares, Fixed::ZERO);
        assert!(scored.iter().find(|s| s.key == key(1)).unwrap().earned());
    }

    #[test]
    fn a_forged_location_report_is_not_counted() {
        let lisbon = Position::new(38_722_300, -9_139_300).unwrap();
        let mut sent = reports(1, lisbon);
        for r in sent.iter_mut() {
            r.signature = SecretKey::from_seed([9; 32]).sign(&r.report.signing_bytes());
        }
        let evidence = WirelessEvidence {
            location_reports: &sent,
            ..Default::default()
        };
        let scored = score_wireless_epoch(&[wifi(1, lisbon)], &evidence).unwrap();
        assert_eq!(scored[0].location_reports, 0);
        assert_eq!(scored[0].coverage_shares, Fixed::ZERO);
    }

    #[test]
    fn a_hotspot_listed_twice_is_refused() {
        let lisbon = Position::new(38_722_300, -9_139_300).unwrap();
        let h = wifi(1, lisbon);
        assert_eq!(
            score_wireless_epoch(&[h, h], &WirelessEvidence::default()),
            Err(WirelessEpochError::DuplicateHotspot(h.key))
        );
    }
}
