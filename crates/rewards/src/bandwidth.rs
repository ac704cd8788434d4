//! Bandwidth scoring: the oracle times transfers with each bandwidth device (one speed test per
//! heartbeat interval), and a device's epoch is paid by the tier of its measured speeds, as
//! Helium pays hotspots by their speed tests.
//!
//! Rules, over one epoch's evidence and the registry of the bandwidth class:
//!
//! - B1 (epoch, registry, interval range): as rules R1–R3 of compute scoring; challenge
//!   records are not scored here (`other_kind`).
//! - B2 (replays): heartbeats count once per (device, interval); several speed tests for one
//!   (device, interval) count as one, with the worst figures among them (lowest download and
//!   upload, highest latency), so that a replayed good test cannot hide a bad one.
//! - B3 (uptime): as rule R5.
//! - B4 (enough tests): a device with fewer than [`MIN_TESTS`] tests earns 0 (unchallenged).
//! - B5 (tier): the device's figures are the means over its latest [`LATEST_TESTS`] tests (by
//!   interval); its tier is the worst of the three tiers in [`tier_quarters`].
//! - B6 (units): units = floor(capacity_units × [`UNIT_SCALE`] × quarters × seen
//!   / (4 × `intervals_per_epoch`)).
//! - B7 (evidence root): one digest per device with admitted evidence, over its distinct
//!   intervals and its speed tests (after B2), in key order.
//! - B8 (one link, one device): the devices with a passing test (any figure above 0) at one
//!   address are one link: only the one with the lowest key counts its tests there, the others'
//!   tests at that address are set aside (`shared_host`). One server posing as many devices is
//!   paid as one; a device that points at another's server fails its signed tests there and
//!   cannot claim the address.
//!
//! The result does not depend on the order or repetition of the records.

use crate::error::RewardsError;
use crate::evidence::EvidenceRecord;
use crate::manifest::{check_resource, Manifest, ManifestLeaf};
use crate::scoring::{DeviceInfo, ScoredEpoch, ScoringParams, ScoringStats, Verdict, UNIT_SCALE};
use crate::speed::SpeedTests;
pub use crate::speed::{tier_quarters, Speeds, LATEST_TESTS, MIN_TESTS};
use plexus_types::{merkle_root, Hash, PublicKey};
use std::collections::BTreeMap;

const DEVICE_EVIDENCE_DOMAIN: &[u8] = b"plexus/rewards/bandwidth-evidence/v1";

/// What one bandwidth device earned in an epoch, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandwidthDevice {
    pub device: PublicKey,
    pub intervals_seen: u64,
    pub tests: u64,
    /// Means over the latest tests, when there were any.
    pub speeds: Option<Speeds>,
    pub quarters: u32,
    pub units: u128,
    pub verdict: Verdict,
}

/// A scored bandwidth epoch: the manifest, the figures, and each device's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoredBandwidth {
    pub scored: ScoredEpoch,
    pub devices: Vec<BandwidthDevice>,
}

#[derive(Default)]
struct Evidence {
    intervals: Vec<u32>,
    /// The worst figures recorded for each interval (rule B2).
    tests: SpeedTests,
    test_records: u64,
}

/// The devices by key; a key listed twice is an error.
fn registry_of(devices: &[DeviceInfo]) -> Result<BTreeMap<PublicKey, &DeviceInfo>, RewardsError> {
    let mut registry = BTreeMap::new();
    for d in devices {
        if registry.insert(d.device, d).is_some() {
            return Err(RewardsError::DuplicateDevice(d.device));
        }
    }
    Ok(registry)
}

/// Scores `epoch` of the bandwidth class by rules B1–B7 (see the module documentation).
pub fn score_bandwidth_epoch(
    params: ScoringParams,
    epoch: u64,
    resource: &str,
    devices: &[DeviceInfo],
    records: &[EvidenceRecord],
) -> Result<ScoredBandwidth, RewardsError> {
    params.validate()?;
    check_resource(resource)?;
    let registry = registry_of(devices)?;
    let mut stats = ScoringStats {
        records: records.len() as u64,
        ..ScoringStats::default()
    };
    let holders = host_holders(epoch, &registry, records);
    let mut evidence: BTreeMap<PublicKey, Evidence> = BTreeMap::new();
    for record in records {
        // Rule B1.
        if record.epoch() != epoch {
            stats.other_epoch += 1;
            continue;
        }
        if !registry.contains_key(record.device()) {
            stats.unknown_device += 1;
            continue;
        }
        match record {
            EvidenceRecord::Heartbeat {
                device, interval, ..
            } => {
                if *interval >= params.intervals_per_epoch {
                    stats.interval_out_of_range += 1;
                } else {
                    evidence
                        .entry(*device)
                        .or_default()
                        .intervals
                        .push(*interval);
                }
            }
            EvidenceRecord::SpeedTest {
                device,
                interval,
                download_kbps,
                upload_kbps,
                latency_ms,
                host,
                ..
            } => {
                if *interval >= params.intervals_per_epoch {
                    stats.interval_out_of_range += 1;
                    continue;
                }
                // Rule B8.
                if holders.get(host.as_str()).is_some_and(|h| h != device) {
                    stats.shared_host += 1;
                    continue;
                }
                let e = evidence.entry(*device).or_default();
                e.test_records += 1;
                let measured = Speeds {
                    download_kbps: *download_kbps,
                    upload_kbps: *upload_kbps,
                    latency_ms: *latency_ms,
                };
                // Rule B2: the worst figures stand.
                e.tests.add(*interval, measured);
            }
            EvidenceRecord::Challenge { .. }
            | EvidenceRecord::Wireless { .. }
            | EvidenceRecord::Readings { .. } => stats.other_kind += 1,
        }
    }

    let mut leaves = Vec::new();
    let mut digests = Vec::new();
    let mut results = Vec::with_capacity(registry.len());
    let mut total_units = 0u128;
    for (key, info) in &registry {
        stats.devices += 1;
        let mut e = evidence.remove(key).unwrap_or_default();
        e.intervals.sort_unstable();
        let before = e.intervals.len();
        e.intervals.dedup();
        stats.duplicate_heartbeats += (before - e.intervals.len()) as u64;
        stats.duplicate_challenges += e.test_records - e.tests.len() as u64;
        if !e.intervals.is_empty() || !e.tests.is_empty() {
            stats.devices_with_evidence += 1;
            digests.push(device_digest(epoch, key, &e));
        }
        let result = score_device(&params, info, &e);
        stats.count_verdict(result.verdict);
        if result.units > 0 {
            total_units = total_units
                .checked_add(result.units)
                .ok_or(RewardsError::TotalUnitsOverflow)?;
            leaves.push(ManifestLeaf {
                device: *key,
                owner: info.owner,
                units: result.units,
            });
        }
        results.push(result);
    }
    let manifest = Manifest::from_leaves(epoch, resource, leaves, merkle_root(digests))?;
    Ok(ScoredBandwidth {
        scored: ScoredEpoch { manifest, stats },
        devices: results,
    })
}

/// Rule B8: for each address with a passing test of a registered device in `epoch`, the lowest
/// such device key.
fn host_holders<'a>(
    epoch: u64,
    registry: &BTreeMap<PublicKey, &DeviceInfo>,
    records: &'a [EvidenceRecord],
) -> BTreeMap<&'a str, PublicKey> {
    let mut holders: BTreeMap<&str, PublicKey> = BTreeMap::new();
    for record in records {
        let EvidenceRecord::SpeedTest {
            device,
            epoch: e,
            download_kbps,
            upload_kbps,
            host,
            ..
        } = record
        else {
            continue;
        };
        let passing = *download_kbps > 0 || *upload_kbps > 0;
        if *e != epoch || host.is_empty() || !passing || !registry.contains_key(device) {
            continue;
        }
        holders
            .entry(host.as_str())
            .and_modify(|h| *h = (*h).min(*device))
            .or_insert(*device);
    }
    holders
}

fn score_device(params: &ScoringParams, info: &DeviceInfo, e: &Evidence) -> BandwidthDevice {
    let seen = e.intervals.len() as u64;
    let speeds = e.tests.latest_means();
    let quarters = speeds.as_ref().map_or(0, tier_quarters);
    let mut out = BandwidthDevice {
        device: info.device,
        intervals_seen: seen,
        tests: e.tests.len() as u64,
        speeds,
        quarters,
        units: 0,
        verdict: Verdict::Rewarded,
    };
    // Rule B3 (uptime), as R5.
    if seen * 100 < u64::from(params.min_uptime_percent) * u64::from(params.intervals_per_epoch) {
        out.verdict = Verdict::BelowMinUptime;
        return out;
    }
    // Rule B4 (enough tests).
    if e.tests.len() < MIN_TESTS {
        out.verdict = Verdict::Unchallenged;
        return out;
    }
    // Rule B6 (units): capacity × scale < 2⁸⁵, quarters ≤ 4 and seen ≤ intervals < 2³², so the
    // product fits in 128 bits.
    let units =
        u128::from(info.capacity_units) * UNIT_SCALE * u128::from(quarters) * u128::from(seen)
            / (4 * u128::from(params.intervals_per_epoch));
    out.units = units;
    if units == 0 {
        out.verdict = Verdict::NothingProven;
    }
    out
}

fn device_digest(epoch: u64, device: &PublicKey, e: &Evidence) -> Hash {
    let mut buf = Vec::with_capacity(64 + 4 * e.intervals.len() + 28 * e.tests.len());
    buf.extend_from_slice(DEVICE_EVIDENCE_DOMAIN);
    buf.extend_from_slice(&epoch.to_le_bytes());
    buf.extend_from_slice(device.as_bytes());
    buf.extend_from_slice(&(e.intervals.len() as u64).to_le_bytes());
    for i in &e.intervals {
        buf.extend_from_slice(&i.to_le_bytes());
    }
    buf.extend_from_slice(&(e.tests.len() as u64).to_le_bytes());
    for (interval, s) in e.tests.iter() {
        buf.extend_from_slice(&interval.to_le_bytes());
        buf.extend_from_slice(&s.download_kbps.to_le_bytes());
        buf.extend_from_slice(&s.upload_kbps.to_le_bytes());
        buf.extend_from_slice(&s.latency_ms.to_le_bytes());
    }
    Hash::of(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::Address;

    const PARAMS: ScoringParams = ScoringParams {
        intervals_per_epoch: 12,
        min_uptime_percent: 50,
        sensor_origin_s: 0,
    };

    fn speeds(down_mbps: u64, up_mbps: u64, latency_ms: u64) -> Speeds {
        Speeds {
            download_kbps: down_mbps * 1000,
            upload_kbps: up_mbps * 1000,
            latency_ms,
        }
    }

    #[test]
    fn tiers_follow_the_helium_steps_and_the_worst_figure_decides() {
        assert_eq!(tier_quarters(&speeds(100, 10, 49)), 4);
        assert_eq!(tier_quarters(&speeds(1000, 100, 1)), 4);
        assert_eq!(tier_quarters(&speeds(99, 10, 10)), 3);
        assert_eq!(tier_quarters(&speeds(100, 10, 50)), 3);
        assert_eq!(tier_quarters(&speeds(75, 8, 59)), 3);
        assert_eq!(tier_quarters(&speeds(500, 5, 10)), 2);
        assert_eq!(tier_quarters(&speeds(500, 50, 74)), 2);
        assert_eq!(tier_quarters(&speeds(30, 50, 10)), 1);
        assert_eq!(tier_quarters(&speeds(500, 2, 99)), 1);
        assert_eq!(tier_quarters(&speeds(29, 50, 10)), 0);
        assert_eq!(tier_quarters(&speeds(500, 1, 10)), 0);
        assert_eq!(tier_quarters(&speeds(500, 50, 100)), 0);
    }

    fn key(n: u8) -> PublicKey {
        plexus_types::SecretKey::from_seed([n; 32]).public_key()
    }

    fn info(n: u8) -> DeviceInfo {
        DeviceInfo {
            device: key(n),
            owner: Address::from_public_key(&key(n)),
            class: "bw-home".into(),
            capacity_units: 10,
            site: None,
            sensor: None,
        }
    }

    fn heartbeats(n: u8, intervals: std::ops::Range<u32>) -> Vec<EvidenceRecord> {
        intervals
            .map(|interval| EvidenceRecord::Heartbeat {
                device: key(n),
                epoch: 3,
                interval,
            })
            .collect()
    }

    fn test(n: u8, interval: u32, s: Speeds) -> EvidenceRecord {
        test_at(n, interval, s, &format!("10.0.0.{n}"))
    }

    fn test_at(n: u8, interval: u32, s: Speeds, host: &str) -> EvidenceRecord {
        EvidenceRecord::SpeedTest {
            device: key(n),
            epoch: 3,
            interval,
            download_kbps: s.download_kbps,
            upload_kbps: s.upload_kbps,
            latency_ms: s.latency_ms,
            host: host.to_string(),
        }
    }

    #[test]
    fn devices_posing_on_one_link_are_paid_as_one_and_a_failed_test_claims_no_address() {
        let devices = [info(1), info(2), info(3), info(4)];
        let mut records = Vec::new();
        for n in 1..=4 {
            records.extend(heartbeats(n, 0..12));
        }
        let fast = speeds(300, 40, 8);
        for i in 0..12 {
            // 1, 2 and 3: one server, declared three times.
            for n in 1..=3 {
                records.push(test_at(n, i, fast, "192.0.2.1"));
            }
            // 4 is honest on its own link; the lowest key of the three points at it too, and
            // fails there (its tests are signed by 4's key, not its own).
            records.push(test_at(4, i, fast, "192.0.2.9"));
            records.push(test_at(1, i, speeds(0, 0, 10_000), "192.0.2.9"));
        }
        let scored = score_bandwidth_epoch(PARAMS, 3, "bandwidth", &devices, &records).unwrap();
        let paid: Vec<PublicKey> = scored
            .devices
            .iter()
            .filter(|d| d.units > 0)
            .map(|d| d.device)
            .collect();
        let lowest = [key(1), key(2), key(3)].into_iter().min().unwrap();
        assert_eq!(paid.len(), 2, "{paid:?}");
        assert!(paid.contains(&lowest) && paid.contains(&key(4)));
        // Two of the three at the shared server, and the failed tests at 4's.
        assert_eq!(scored.scored.stats.shared_host, 3 * 12);
        let four = scored.devices.iter().find(|d| d.device == key(4)).unwrap();
        assert_eq!(
            four.units,
            10 * UNIT_SCALE,
            "the honest link is paid in full"
        );
    }

    #[test]
    fn a_device_is_paid_by_the_tier_of_its_latest_tests_and_uptime() {
        let devices = [info(1), info(2), info(3), info(4)];
        let mut records = Vec::new();
        // 1: fast, full uptime. 2: fast early, slow in the latest six. 3: one test only.
        // 4: fast but up for a third of the epoch.
        records.extend(heartbeats(1, 0..12));
        records.extend(heartbeats(2, 0..12));
        records.extend(heartbeats(3, 0..12));
        records.extend(heartbeats(4, 0..4));
        for i in 0..12 {
            records.push(test(1, i, speeds(300, 40, 8)));
            let slow = if i >= 6 {
                speeds(40, 40, 8)
            } else {
                speeds(300, 40, 8)
            };
            records.push(test(2, i, slow));
        }
        records.push(test(3, 5, speeds(300, 40, 8)));
        for i in 0..4 {
            records.push(test(4, i, speeds(300, 40, 8)));
        }
        let scored = score_bandwidth_epoch(PARAMS, 3, "bandwidth", &devices, &records).unwrap();
        let by_key: BTreeMap<_, _> = scored.devices.iter().map(|d| (d.device, d)).collect();
        let full = 10 * UNIT_SCALE;
        assert_eq!(by_key[&key(1)].units, full);
        assert_eq!(by_key[&key(1)].quarters, 4);
        assert_eq!(by_key[&key(2)].quarters, 1, "40 Mbps down is the 0.25 tier");
        assert_eq!(by_key[&key(2)].units, full / 4);
        assert_eq!(by_key[&key(3)].verdict, Verdict::Unchallenged);
        assert_eq!(by_key[&key(4)].verdict, Verdict::BelowMinUptime);
        assert_eq!(scored.scored.manifest.total_units(), full + full / 4);

        // Order and replays change nothing; a replayed fast test does not hide a slow one.
        let mut shuffled = records.clone();
        shuffled.reverse();
        shuffled.push(test(2, 11, speeds(900, 90, 1)));
        shuffled.extend(heartbeats(1, 0..12));
        let again = score_bandwidth_epoch(PARAMS, 3, "bandwidth", &devices, &shuffled).unwrap();
        assert_eq!(again.scored.manifest.root(), scored.scored.manifest.root());
        assert_eq!(
            again.scored.manifest.evidence_root(),
            scored.scored.manifest.evidence_root()
        );
        assert_eq!(again.scored.stats.duplicate_challenges, 1);

        // A changed measurement changes the evidence root.
        let mut changed = records.clone();
        changed[12] = test(1, 0, speeds(301, 40, 8));
        let other = score_bandwidth_epoch(PARAMS, 3, "bandwidth", &devices, &changed).unwrap();
        assert_ne!(
            other.scored.manifest.evidence_root(),
            scored.scored.manifest.evidence_root()
        );
    }
}
