//! One epoch of LoRa proof of coverage: beacons and witness reports (signatures already
//! checked) become per-hotspot reward units.
//!
//! - W1 (beacons): a beacon counts if its transmitter is registered and it comes at least
//!   [`BEACON_INTERVAL_MS`] after that transmitter's previous counted beacon; a repeated beacon
//!   digest counts once.
//! - W2 (witnesses): each report is checked by [`check_witness`]; a witness's second report of
//!   one beacon is a duplicate; of the valid ones, the earliest [`MAX_WITNESSES_PER_BEACON`]
//!   (by reception time, then witness key) count.
//! - W3 (density): hotspots whose beacons have at least one valid witness are interactive, and
//!   their transmit scale is HIP-17's over the interactive hotspots' cells.
//! - W4 (units): each beacon pays HIP-15 units ([`beacon_units`]) to its transmitter and valid
//!   witnesses, all times the transmitter's scale.
//!
//! The result does not depend on the order of beacons or reports, nor on the number of threads.

use super::beacon_units::beacon_units;
use super::density::{transmit_scales, DensityError, DensityParams};
use super::fixed::Fixed;
use super::witness::{
    check_witness, Beacon, Hotspot, InvalidReason, WitnessReport, MAX_WITNESSES_PER_BEACON,
};
use plexus_types::{Hash, PublicKey};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// A hotspot beacons at most once in this long (Helium: once in 6 hours).
pub const BEACON_INTERVAL_MS: u64 = 6 * 3_600_000;

/// One beacon's reports judged: the beacon if it counted, and each report's index and verdict.
type JudgedGroup = (Option<Hash>, Vec<(u32, Option<InvalidReason>)>);

/// Why an epoch could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PocError {
    #[error("hotspot {0} is registered more than once")]
    DuplicateHotspot(PublicKey),
    #[error(transparent)]
    Density(#[from] DensityError),
    #[error("at most {max} witness reports can be scored in one epoch, found {found}", max = u32::MAX)]
    TooManyReports { found: usize },
}

/// The scored epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PocEpoch {
    /// Units per hotspot with any, in key order.
    pub units: BTreeMap<PublicKey, Fixed>,
    /// For each report, in input order: `None` if it counted, or why not.
    pub verdicts: Vec<Option<InvalidReason>>,
    /// Beacons that counted.
    pub beacons_counted: u64,
    /// Per reason, how many reports it rejected.
    pub rejected: BTreeMap<InvalidReason, u64>,
}

/// Scores an epoch by rules W1–W4 (see the module documentation).
pub fn score_poc_epoch(
    density: &[DensityParams],
    hotspots: &[Hotspot],
    beacons: &[Beacon],
    reports: &[WitnessReport],
) -> Result<PocEpoch, PocError> {
    let mut registry: BTreeMap<PublicKey, &Hotspot> = BTreeMap::new();
    for h in hotspots {
        if registry.insert(h.key, h).is_some() {
            return Err(PocError::DuplicateHotspot(h.key));
        }
    }
    if u32::try_from(reports.len()).is_err() {
        return Err(PocError::TooManyReports {
            found: reports.len(),
        });
    }
    let counted = counted_beacons(&registry, beacons);
    let beacon_ids: BTreeMap<Hash, ()> = beacons.iter().map(|b| (b.id, ())).collect();

    // Rule W2: group the reports by beacon, in a fixed order within each.
    let mut order: Vec<u32> = (0..reports.len() as u32).collect();
    order.par_sort_unstable_by(|&i, &j| {
        let (a, b) = (&reports[i as usize], &reports[j as usize]);
        (a.beacon, a.received_at_ms, a.witness, i).cmp(&(b.beacon, b.received_at_ms, b.witness, j))
    });
    let groups: Vec<&[u32]> = order
        .chunk_by(|&i, &j| reports[i as usize].beacon == reports[j as usize].beacon)
        .collect();
    let judged: Vec<JudgedGroup> = groups
        .par_iter()
        .map(|group| {
            let id = reports[group[0] as usize].beacon;
            match counted.get(&id) {
                Some(beacon) => (Some(id), judge_group(&registry, beacon, reports, group)),
                None => {
                    let reason = if beacon_ids.contains_key(&id) {
                        InvalidReason::InvalidBeacon
                    } else {
                        InvalidReason::UnknownBeacon
                    };
                    (None, group.iter().map(|&i| (i, Some(reason))).collect())
                }
            }
        })
        .collect();

    let mut verdicts = vec![None; reports.len()];
    let mut rejected: BTreeMap<InvalidReason, u64> = BTreeMap::new();
    let mut per_beacon: Vec<BeaconWitnesses> = Vec::new();
    for (id, group) in &judged {
        let mut valid = Vec::new();
        let mut counted_w = 0u32;
        for (i, v) in group {
            verdicts[*i as usize] = *v;
            match v {
                None => {
                    valid.push(reports[*i as usize].witness);
                    counted_w += 1;
                }
                Some(reason) => {
                    *rejected.entry(*reason).or_default() += 1;
                    if reason.counts_towards_w() {
                        counted_w += 1;
                    }
                }
            }
        }
        if let Some(id) = id {
            per_beacon.push((counted[id], valid, counted_w));
        }
    }
    let units = pay_units(density, &registry, &per_beacon)?;
    Ok(PocEpoch {
        units,
        verdicts,
        beacons_counted: counted.len() as u64,
        rejected,
    })
}

/// A counted beacon, its valid witnesses and its w (HIP-15).
type BeaconWitnesses<'a> = (&'a Beacon, Vec<PublicKey>, u32);

/// Rule W1: the beacons that count, by digest.
fn counted_beacons<'a>(
    registry: &BTreeMap<PublicKey, &Hotspot>,
    beacons: &'a [Beacon],
) -> BTreeMap<Hash, &'a Beacon> {
    let mut ordered: Vec<&Beacon> = beacons
        .iter()
        .filter(|b| registry.contains_key(&b.beaconer))
        .collect();
    ordered.sort_unstable_by(|a, b| {
        (a.beaconer, a.sent_at_ms, a.id).cmp(&(b.beaconer, b.sent_at_ms, b.id))
    });
    let mut counted: BTreeMap<Hash, &Beacon> = BTreeMap::new();
    let mut last: Option<(PublicKey, u64)> = None;
    for b in ordered {
        if let Some((who, at)) = last {
            if who == b.beaconer && b.sent_at_ms < at + BEACON_INTERVAL_MS {
                continue;
            }
        }
        if counted.contains_key(&b.id) {
            continue;
        }
        counted.insert(b.id, b);
        last = Some((b.beaconer, b.sent_at_ms));
    }
    counted
}

/// Rule W2 for one counted beacon's reports, sorted by reception time then witness.
fn judge_group(
    registry: &BTreeMap<PublicKey, &Hotspot>,
    beacon: &Beacon,
    reports: &[WitnessReport],
    group: &[u32],
) -> Vec<(u32, Option<InvalidReason>)> {
    let beaconer = registry[&beacon.beaconer];
    let mut seen: Vec<PublicKey> = Vec::with_capacity(group.len());
    let mut valid = 0usize;
    group
        .iter()
        .map(|&i| {
            let r = &reports[i as usize];
            let verdict = if seen.contains(&r.witness) {
                Err(InvalidReason::Duplicate)
            } else {
                seen.push(r.witness);
                match registry.get(&r.witness) {
                    None => Err(InvalidReason::UnknownWitness),
                    Some(w) => check_witness(beacon, beaconer, r, w),
                }
            };
            let verdict = match verdict {
                Ok(()) if valid >= MAX_WITNESSES_PER_BEACON => Err(InvalidReason::OverWitnessLimit),
                Ok(()) => {
                    valid += 1;
                    Ok(())
                }
                Err(e) => Err(e),
            };
            (i, verdict.err())
        })
        .collect()
}

/// Rules W3 and W4: transmit scales over the interactive hotspots, then HIP-15 units.
fn pay_units(
    density: &[DensityParams],
    registry: &BTreeMap<PublicKey, &Hotspot>,
    per_beacon: &[BeaconWitnesses],
) -> Result<BTreeMap<PublicKey, Fixed>, PocError> {
    let mut interactive: BTreeMap<PublicKey, Fixed> = BTreeMap::new();
    for (b, valid, _) in per_beacon {
        if !valid.is_empty() {
            interactive.insert(b.beaconer, Fixed::ZERO);
        }
    }
    let cells: Vec<u64> = interactive.keys().map(|k| registry[k].cell).collect();
    let scales = transmit_scales(density, &cells)?;
    for (scale, slot) in scales.into_iter().zip(interactive.values_mut()) {
        *slot = scale;
    }

    let mut units: BTreeMap<PublicKey, Fixed> = BTreeMap::new();
    for (b, valid, counted_w) in per_beacon {
        let Some(scale) = interactive.get(&b.beaconer) else {
            continue;
        };
        let u = beacon_units(valid.len() as u32, *counted_w);
        let tx = units.entry(b.beaconer).or_default();
        *tx = tx.plus(u.transmitter.mul_floor(*scale));
        let rx_units = u.per_witness.mul_floor(*scale);
        for w in valid {
            let e = units.entry(*w).or_default();
            *e = e.plus(rx_units);
        }
    }
    units.retain(|_, u| u.0 > 0);
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wireless::density::HIP_104;
    use crate::wireless::fspl::fspl_cdb;
    use crate::wireless::geo::{distance_m, Position};
    use h3o::{LatLng, Resolution};
    use plexus_types::SecretKey;

    fn key(n: u32) -> PublicKey {
        let mut seed = [7u8; 32];
        seed[..4].copy_from_slice(&n.to_le_bytes());
        SecretKey::from_seed(seed).public_key()
    }

    /// Test fixtures only: the cell of a position, through h3o's float conversion.
    fn cell_of(p: Position) -> u64 {
        let ll = LatLng::new(f64::from(p.lat_e6) / 1e6, f64::from(p.lon_e6) / 1e6).unwrap();
        u64::from(ll.to_cell(Resolution::Twelve))
    }

    fn hotspot(n: u32, at: Position) -> Hotspot {
        Hotspot {
            key: key(n),
            asserted: at,
            cell: cell_of(at),
            asserted_height: u64::from(n),
            gain_cdbi: 120,
        }
    }

    fn beacon(tx: &Hotspot, n: u8, at_ms: u64) -> Beacon {
        Beacon {
            id: Hash::of(&[tx.key.as_bytes().as_slice(), &[n]].concat()),
            beaconer: tx.key,
            frequency_hz: 904_300_000,
            tx_power_cdbm: 2_700,
            sent_at_ms: at_ms,
        }
    }

    fn heard(b: &Beacon, tx: &Hotspot, rx: &Hotspot, delay_ms: u64) -> WitnessReport {
        let d = distance_m(tx.asserted, rx.asserted);
        WitnessReport {
            witness: rx.key,
            beacon: b.id,
            received_at_ms: b.sent_at_ms + delay_ms,
            frequency_hz: b.frequency_hz,
            rssi_cdbm: (i64::from(b.tx_power_cdbm) + 240 - fspl_cdb(d, b.frequency_hz) - 1_200)
                as i32,
            snr_cdb: 400,
            reported: rx.asserted,
        }
    }

    fn town() -> Vec<Hotspot> {
        let centre = Position::new(40_000_000, -3_700_000).unwrap();
        (0..20)
            .map(|i| {
                hotspot(
                    i,
                    centre.offset_m(1_000 * i64::from(i % 5), 1_100 * i64::from(i / 5)),
                )
            })
            .collect()
    }

    #[test]
    fn witnesses_beyond_fourteen_and_cheats_are_unpaid_and_the_result_ignores_order() {
        let hs = town();
        let b = beacon(&hs[0], 0, 5_000_000);
        let mut reports: Vec<WitnessReport> = (1..20)
            .map(|i| heard(&b, &hs[0], &hs[i], 10 + i as u64))
            .collect();
        // A repeat of the earliest witness, a self-witness and a report of no beacon.
        reports.push(heard(&b, &hs[0], &hs[1], 500));
        reports.push(WitnessReport {
            witness: hs[0].key,
            ..reports[0]
        });
        reports.push(WitnessReport {
            beacon: Hash::of(b"none"),
            ..reports[2]
        });
        // A second beacon of hs[0] an hour later: too soon.
        let again = beacon(&hs[0], 1, 5_000_000 + 3_600_000);
        reports.push(heard(&again, &hs[0], &hs[3], 5));
        let scored = score_poc_epoch(&HIP_104, &hs, &[b, again], &reports).unwrap();
        assert_eq!(scored.beacons_counted, 1);
        let reasons = &scored.rejected;
        assert_eq!(
            reasons.get(&InvalidReason::OverWitnessLimit),
            Some(&5),
            "{reasons:?}"
        );
        assert_eq!(reasons.get(&InvalidReason::Duplicate), Some(&1));
        assert_eq!(reasons.get(&InvalidReason::SelfWitness), Some(&1));
        assert_eq!(reasons.get(&InvalidReason::UnknownBeacon), Some(&1));
        assert_eq!(reasons.get(&InvalidReason::InvalidBeacon), Some(&1));
        // The earliest fourteen (hotspots 1–14) are paid HIP-15's per-witness units for w = 14.
        let per = beacon_units(14, 14).per_witness;
        assert_eq!(scored.units[&hs[1].key], per);
        assert_eq!(scored.units[&hs[14].key], per);
        assert!(!scored.units.contains_key(&hs[15].key));
        assert_eq!(scored.units[&hs[0].key], beacon_units(14, 14).transmitter);

        let mut shuffled = reports.clone();
        shuffled.reverse();
        let again_scored = score_poc_epoch(&HIP_104, &hs, &[again, b], &shuffled).unwrap();
        assert_eq!(again_scored.units, scored.units);
        assert_eq!(again_scored.rejected, scored.rejected);
    }

    #[test]
    fn a_witness_ring_earns_nothing_while_honest_neighbours_do() {
        let mut hs = town();
        // Four ring members sit in one room at hs[0]'s spot but assert spread locations; they
        // beacon and witness one another at the strength of a few metres.
        let room = hs[0].asserted;
        let ring: Vec<Hotspot> = (0..4)
            .map(|i| hotspot(100 + i, room.offset_m(-5_000 - 800 * i64::from(i), -4_000)))
            .collect();
        hs.extend(ring.iter().copied());
        let mut beacons = Vec::new();
        let mut reports = Vec::new();
        for (n, tx) in ring.iter().enumerate() {
            let b = beacon(tx, n as u8, 1_000 + n as u64);
            for rx in ring.iter().filter(|r| r.key != tx.key) {
                reports.push(WitnessReport {
                    rssi_cdbm: -4_000,
                    ..heard(&b, tx, rx, 3)
                });
            }
            beacons.push(b);
        }
        let honest = beacon(&hs[6], 9, 50_000);
        for i in [1usize, 5, 7, 11] {
            reports.push(heard(&honest, &hs[6], &hs[i], 8));
        }
        beacons.push(honest);
        let scored = score_poc_epoch(&HIP_104, &hs, &beacons, &reports).unwrap();
        for r in &ring {
            assert!(!scored.units.contains_key(&r.key), "ring member paid");
        }
        assert_eq!(
            scored.rejected.get(&InvalidReason::SignalTooStrong),
            Some(&12)
        );
        assert_eq!(
            scored.units[&hs[6].key],
            Fixed::ONE,
            "4 witnesses: 1 unit, full scale"
        );
        assert_eq!(scored.units[&hs[5].key], Fixed::ONE);
    }
}
