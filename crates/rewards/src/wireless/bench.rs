//! The `wireless` benchmark: a synthetic epoch of signed LoRa witness reports, checked
//! (signatures on every core, then the witness checks and HIP-15/HIP-17 scoring), next to one
//! core batch-verifying the same signatures in the same run, since the machines this runs on
//! are small and noisy and only the ratio travels.
//!
//! The only code in the wireless rules that reads a clock; they never call it.

use super::density::HIP_104;
use super::fspl::fspl_cdb;
use super::geo::{distance_m, Position};
use super::poc::{score_poc_epoch, PocError};
use super::witness::{
    verify_report_signatures, Beacon, Hotspot, InvalidReason, SignedWitnessReport, WitnessReport,
    WITNESS_REPORT_BYTES,
};
use h3o::{LatLng, Resolution};
use plexus_types::{Hash, PublicKey, SecretKey, Signature};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// Witnesses per beacon in the synthetic epoch.
const WITNESSES_PER_BEACON: usize = 10;
/// Grid spacing of the synthetic hotspots.
const SPACING_M: i64 = 700;
/// Neighbours on the grid that witness a beacon (in grid steps north, east).
const NEIGHBOURS: [(i64, i64); WITNESSES_PER_BEACON] = [
    (0, 1),
    (1, 0),
    (0, -1),
    (-1, 0),
    (1, 1),
    (-1, -1),
    (1, -1),
    (-1, 1),
    (0, 2),
    (2, 0),
];

/// What one run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WirelessBenchReport {
    pub reports: usize,
    pub hotspots: usize,
    pub beacons: usize,
    /// Threads in rayon's pool, which the checks spread over.
    pub threads: usize,
    /// Signature checks of every report (all cores).
    pub verify_secs: f64,
    /// Witness checks, HIP-17 densities and HIP-15 units for the epoch.
    pub scoring_secs: f64,
    /// Reports checked and scored per second, signatures included.
    pub reports_per_sec: f64,
    /// Baseline: ed25519 signatures of the same reports batch-verified per second on one core.
    pub baseline_batch_verify_per_sec_one_core: f64,
    pub ratio_to_baseline: f64,
    /// Reports that counted, and the rest by reason.
    pub valid: u64,
    pub rejected: BTreeMap<InvalidReason, u64>,
    /// Hotspots with units.
    pub paid_hotspots: usize,
}

/// Synthesizes an epoch of about `reports` signed witness reports, deterministically, and
/// times checking and scoring them against one core batch-verifying their signatures.
pub fn bench_wireless(reports: usize) -> Result<WirelessBenchReport, PocError> {
    let beacons_n = reports.div_ceil(WITNESSES_PER_BEACON).max(1);
    let (keys, hotspots) = synthesize_hotspots(beacons_n.max(WITNESSES_PER_BEACON + 1));
    let side = (hotspots.len() as f64).sqrt().ceil() as i64;
    let beacons: Vec<Beacon> = (0..beacons_n)
        .map(|i| Beacon {
            id: Hash::of(&(i as u64).to_le_bytes()),
            beaconer: hotspots[i].key,
            frequency_hz: 904_300_000,
            tx_power_cdbm: 2_700,
            sent_at_ms: 1_000 + i as u64 * 10,
        })
        .collect();
    let signed: Vec<SignedWitnessReport> = (0..reports)
        .into_par_iter()
        .map(|n| {
            let b = &beacons[n / WITNESSES_PER_BEACON];
            let i = n / WITNESSES_PER_BEACON;
            let (dn, de) = NEIGHBOURS[n % WITNESSES_PER_BEACON];
            let (row, col) = (i as i64 / side, i as i64 % side);
            let mut j = ((row + dn).rem_euclid(side) * side + (col + de).rem_euclid(side)) as usize;
            // Neighbours wrap around the grid's edges (a few too far away, rejected as such);
            // past the last row, the next hotspots in order stand in (a few repeats).
            if j >= hotspots.len() {
                j = (i + 1 + n % WITNESSES_PER_BEACON) % hotspots.len();
            }
            let (tx, rx) = (&hotspots[i], &hotspots[j]);
            let d = distance_m(tx.asserted, rx.asserted);
            let honest = i64::from(b.tx_power_cdbm) + 240 - fspl_cdb(d, b.frequency_hz) - 1_000;
            // One report in 50 is louder than free space allows, as a ring's would be.
            let rssi = if mix(n as u64).is_multiple_of(50) {
                -3_000
            } else {
                honest
            };
            WitnessReport {
                witness: rx.key,
                beacon: b.id,
                received_at_ms: b.sent_at_ms + 20,
                frequency_hz: b.frequency_hz,
                rssi_cdbm: rssi.clamp(-15_000, 0) as i32,
                snr_cdb: 500,
                reported: rx.asserted,
            }
            .sign(&keys[j])
        })
        .collect();

    let baseline = baseline_batch_verify(&signed);

    let start = Instant::now();
    let ok = verify_report_signatures(&signed);
    let verified: Vec<WitnessReport> = signed
        .iter()
        .zip(&ok)
        .filter(|(_, ok)| **ok)
        .map(|(s, _)| s.report)
        .collect();
    let verify_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let scored = score_poc_epoch(&HIP_104, &hotspots, &beacons, &verified)?;
    let scoring_secs = start.elapsed().as_secs_f64();

    let mut rejected = scored.rejected.clone();
    let bad = ok.iter().filter(|v| !**v).count() as u64;
    if bad > 0 {
        rejected.insert(InvalidReason::BadSignature, bad);
    }
    let reports_per_sec = reports as f64 / (verify_secs + scoring_secs);
    Ok(WirelessBenchReport {
        reports,
        hotspots: hotspots.len(),
        beacons: beacons.len(),
        threads: rayon::current_num_threads(),
        verify_secs,
        scoring_secs,
        reports_per_sec,
        baseline_batch_verify_per_sec_one_core: baseline,
        ratio_to_baseline: reports_per_sec / baseline,
        valid: scored.verdicts.iter().filter(|v| v.is_none()).count() as u64,
        rejected,
        paid_hotspots: scored.units.len(),
    })
}

/// Baseline: one core batch-verifying the same signatures, 64 at a time, over bytes encoded
/// beforehand; signatures per second.
fn baseline_batch_verify(signed: &[SignedWitnessReport]) -> f64 {
    let bytes: Vec<[u8; WITNESS_REPORT_BYTES]> =
        signed.iter().map(|s| s.report.signing_bytes()).collect();
    let start = Instant::now();
    let mut all_valid = true;
    for (chunk, msgs) in signed.chunks(64).zip(bytes.chunks(64)) {
        let items: Vec<(&[u8], Signature, PublicKey)> = chunk
            .iter()
            .zip(msgs)
            .map(|(s, m)| (m.as_slice(), s.signature, s.report.witness))
            .collect();
        all_valid &= plexus_types::keys::verify_batch(&items);
    }
    std::hint::black_box(all_valid);
    signed.len() as f64 / start.elapsed().as_secs_f64()
}

/// `n` hotspots on a square grid around one town, keys derived from their index.
fn synthesize_hotspots(n: usize) -> (Vec<SecretKey>, Vec<Hotspot>) {
    let side = (n as f64).sqrt().ceil() as i64;
    let origin = Position {
        lat_e6: 46_000_000,
        lon_e6: 6_000_000,
    };
    (0..n)
        .into_par_iter()
        .map(|i| {
            let mut seed = *blake3::hash(&(i as u64).to_le_bytes()).as_bytes();
            seed[0] ^= 0x57;
            let key = SecretKey::from_seed(seed);
            let (row, col) = (i as i64 / side, i as i64 % side);
            let at = origin.offset_m(row * SPACING_M, col * SPACING_M);
            // The asserted cell is computed once at assertion (here, from the synthetic
            // coordinates); scoring only reads it.
            let cell = LatLng::new(f64::from(at.lat_e6) / 1e6, f64::from(at.lon_e6) / 1e6)
                .map(|ll| u64::from(ll.to_cell(Resolution::Twelve)))
                .unwrap_or(0);
            let hotspot = Hotspot {
                key: key.public_key(),
                asserted: at,
                cell,
                asserted_height: i as u64,
                gain_cdbi: 120,
            };
            (key, hotspot)
        })
        .unzip()
}

/// splitmix64: a fixed scramble that picks which reports misbehave, the same on every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_bench_epoch_pays_most_reports_and_rejects_the_loud_ones() {
        let r = bench_wireless(2_000).unwrap();
        assert_eq!(r.reports, 2_000);
        assert_eq!(r.beacons, 200);
        let rejected: u64 = r.rejected.values().sum();
        assert_eq!(r.valid + rejected, 2_000);
        assert!(r
            .rejected
            .get(&InvalidReason::SignalTooStrong)
            .is_some_and(|n| *n > 0));
        assert!(r.valid > 1_800, "{r:?}");
        assert!(r.paid_hotspots > 150);
    }
}
