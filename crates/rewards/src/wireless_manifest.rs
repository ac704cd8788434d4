//! The coverage and PoC manifests of an epoch from an oracle's evidence records: the hotspots
//! of the registry with their assertions, the signed wireless records of the epoch, scored by
//! [`score_wireless_epoch`](crate::wireless::score_wireless_epoch).
//!
//! - A record counts once however often the logs repeat it, and only if it decodes and names
//!   the device it is filed under (its signature is checked by rule E1).
//! - A Wi-Fi hotspot's speed multiplier (rule C3) is read from the oracle's speed tests of it
//!   in the epoch, as a bandwidth device's (rules B2 and B5 of `bandwidth`): the worst figures
//!   of each tested interval, the means of the latest [`LATEST_TESTS`]; with fewer than
//!   [`MIN_TESTS`] tests its tier is 0, so a Wi-Fi hotspot the oracle cannot reach earns no
//!   coverage. One address may serve several Wi-Fi hotspots (a venue's access points share a
//!   backhaul): rule B8 does not apply, each is paid for its own coverage.
//! - A hotspot's units are its shares in billionths: coverage shares in the coverage manifest,
//!   PoC shares in the PoC manifest. Devices without an assertion are not scored.
//! - The evidence root commits to the distinct records of the epoch's registered hotspots
//!   (signed records and, for coverage, speed tests), in the order of their hashes, so it does
//!   not depend on the order of the logs.

use crate::error::RewardsError;
use crate::evidence::{evidence_record_hash, EvidenceRecord};
use crate::manifest::{check_resource, Manifest, ManifestLeaf};
use crate::scoring::DeviceInfo;
use crate::speed::{SpeedTests, Speeds, UNTESTED};
#[cfg(doc)]
use crate::speed::{LATEST_TESTS, MIN_TESTS};
use crate::wireless::epoch::{
    score_wireless_epoch, EpochHotspot, HotspotClass, HotspotScore, WirelessEvidence,
};
use crate::wireless::geo::cell_position;
use crate::wireless::signed::SignedWireless;
use plexus_types::{merkle_root, Hash, PublicKey};
use std::collections::{BTreeMap, BTreeSet};

/// Which of a hotspot's shares a manifest pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WirelessPool {
    /// Wi-Fi modeled coverage.
    Coverage,
    /// LoRa proof of coverage.
    Poc,
}

/// A scored wireless epoch: the manifest and why each hotspot earned what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoredWireless {
    pub manifest: Manifest,
    pub hotspots: Vec<HotspotScore>,
}

/// The manifest of `pool` for `epoch`, named `resource`, from `records` for the registered
/// `devices` (those whose class sells the pool's resource).
pub fn score_wireless_manifest(
    epoch: u64,
    resource: &str,
    pool: WirelessPool,
    devices: &[DeviceInfo],
    records: &[EvidenceRecord],
) -> Result<ScoredWireless, RewardsError> {
    check_resource(resource)?;
    let mut registry: BTreeMap<PublicKey, (&DeviceInfo, EpochHotspot)> = BTreeMap::new();
    for d in devices {
        let Some(site) = d.site else { continue };
        let Some(asserted) = cell_position(site.cell) else {
            continue;
        };
        let wanted = match pool {
            WirelessPool::Coverage => site.class != HotspotClass::Lora,
            WirelessPool::Poc => site.class == HotspotClass::Lora,
        };
        if !wanted {
            continue;
        }
        let hotspot = EpochHotspot {
            key: d.device,
            class: site.class,
            asserted,
            cell: site.cell,
            antenna: site.antenna,
            seniority_height: site.seniority_height,
            speeds: None,
        };
        if registry.insert(d.device, (d, hotspot)).is_some() {
            return Err(RewardsError::DuplicateDevice(d.device));
        }
    }

    let mut admitted: BTreeMap<Hash, SignedWireless> = BTreeMap::new();
    let (tests, mut digests) = match pool {
        WirelessPool::Coverage => speed_tests(epoch, |d| registry.contains_key(d), records),
        WirelessPool::Poc => Default::default(),
    };
    for r in records {
        let EvidenceRecord::Wireless {
            device,
            epoch: e,
            signed,
        } = r
        else {
            continue;
        };
        if *e != epoch || !registry.contains_key(device) {
            continue;
        }
        let Some(decoded) = hex::decode(signed)
            .ok()
            .and_then(|b| SignedWireless::from_bytes(&b).ok())
        else {
            continue;
        };
        if decoded.device() == *device {
            admitted.insert(evidence_record_hash(r), decoded);
        }
    }
    let mut location_reports = Vec::new();
    let mut beacons = Vec::new();
    let mut witnesses = Vec::new();
    for r in admitted.values() {
        match r {
            SignedWireless::Location(l) => location_reports.push(*l),
            SignedWireless::Beacon(b) => beacons.push(*b),
            SignedWireless::Witness(w) => witnesses.push(*w),
        }
    }
    let hotspots: Vec<EpochHotspot> = registry
        .values()
        .map(|(_, h)| EpochHotspot {
            speeds: (pool == WirelessPool::Coverage)
                .then(|| tests.get(&h.key).map_or(UNTESTED, SpeedTests::scored)),
            ..*h
        })
        .collect();
    let scored = score_wireless_epoch(
        &hotspots,
        &WirelessEvidence {
            location_reports: &location_reports,
            beacons: &beacons,
            witnesses: &witnesses,
        },
    )?;

    let mut leaves = Vec::new();
    for s in &scored {
        let shares = match pool {
            WirelessPool::Coverage => s.coverage_shares,
            WirelessPool::Poc => s.poc_shares,
        };
        if shares.0 > 0 {
            leaves.push(ManifestLeaf {
                device: s.key,
                owner: registry[&s.key].0.owner,
                units: u128::from(shares.0),
            });
        }
    }
    digests.extend(admitted.keys().copied());
    let manifest = Manifest::from_leaves(
        epoch,
        resource,
        leaves,
        merkle_root(digests.into_iter().collect()),
    )?;
    Ok(ScoredWireless {
        manifest,
        hotspots: scored,
    })
}

/// The speed tests of `epoch` of each hotspot that `scored` accepts, and the hashes of their
/// records.
fn speed_tests(
    epoch: u64,
    scored: impl Fn(&PublicKey) -> bool,
    records: &[EvidenceRecord],
) -> (BTreeMap<PublicKey, SpeedTests>, BTreeSet<Hash>) {
    let mut tests: BTreeMap<PublicKey, SpeedTests> = BTreeMap::new();
    let mut digests = BTreeSet::new();
    for r in records {
        if let EvidenceRecord::SpeedTest {
            device,
            epoch: e,
            interval,
            download_kbps,
            upload_kbps,
            latency_ms,
            ..
        } = r
        {
            if *e == epoch && scored(device) {
                let measured = Speeds {
                    download_kbps: *download_kbps,
                    upload_kbps: *upload_kbps,
                    latency_ms: *latency_ms,
                };
                tests.entry(*device).or_default().add(*interval, measured);
                digests.insert(evidence_record_hash(r));
            }
        }
    }
    (tests, digests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wireless::epoch::HotspotSite;
    use crate::wireless::location_report::LocationReport;
    use crate::wireless::model::Antenna;
    use crate::wireless::*;
    use h3o::{LatLng, Resolution};
    use plexus_types::{Address, SecretKey};

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed([n; 32])
    }

    fn hotspot(n: u8, class: HotspotClass, lat: f64) -> DeviceInfo {
        // Test fixture only: the cell of a coordinate, through h3o's float conversion.
        let cell = LatLng::new(lat, -9.1393)
            .unwrap()
            .to_cell(Resolution::Twelve);
        DeviceInfo {
            device: key(n).public_key(),
            owner: Address::from_public_key(&key(100 + n).public_key()),
            class: "hotspot".into(),
            capacity_units: 1,
            site: Some(HotspotSite {
                class,
                cell: u64::from(cell),
                antenna: Antenna {
                    gain_cdbi: 0,
                    elevation_m: 0,
                    azimuth_deg: 0,
                },
                seniority_height: u64::from(n),
            }),
            sensor: None,
        }
    }

    fn reported(n: u8, d: &DeviceInfo) -> EvidenceRecord {
        let at = cell_position(d.site.unwrap().cell).unwrap();
        let signed = SignedWireless::Location(
            LocationReport {
                radio: key(n).public_key(),
                at_ms: 7,
                position: at,
            }
            .sign(&key(n)),
        );
        EvidenceRecord::Wireless {
            device: key(n).public_key(),
            epoch: 3,
            signed: hex::encode(signed.to_bytes()),
        }
    }

    fn speed_test(n: u8, interval: u32, down_mbps: u64, latency_ms: u64) -> EvidenceRecord {
        EvidenceRecord::SpeedTest {
            device: key(n).public_key(),
            epoch: 3,
            interval,
            download_kbps: down_mbps * 1000,
            upload_kbps: 50_000,
            latency_ms,
            host: "127.0.0.1".into(),
        }
    }

    /// Two full-tier speed tests of each of hotspots 1 and 2.
    fn fast_tests() -> Vec<EvidenceRecord> {
        [1, 2]
            .iter()
            .flat_map(|n| [speed_test(*n, 0, 300, 5), speed_test(*n, 1, 300, 5)])
            .collect()
    }

    #[test]
    fn the_manifest_ignores_repeats_order_misfiled_records_and_the_other_pool() {
        let devices = [
            hotspot(1, HotspotClass::IndoorWifi, 38.7223),
            hotspot(2, HotspotClass::OutdoorWifi, 38.7323),
            hotspot(3, HotspotClass::Lora, 38.7423),
        ];
        let mut records = vec![
            reported(1, &devices[0]),
            reported(2, &devices[1]),
            reported(3, &devices[2]),
        ];
        records.extend(fast_tests());
        let score = |records: &[EvidenceRecord]| {
            score_wireless_manifest(3, "coverage", WirelessPool::Coverage, &devices, records)
                .unwrap()
        };
        let scored = score(&records);
        let paid: Vec<PublicKey> = scored.manifest.leaves().iter().map(|l| l.device).collect();
        assert_eq!(
            paid.len(),
            2,
            "the LoRa hotspot is not in the coverage manifest"
        );
        assert!(!paid.contains(&key(3).public_key()));
        assert_eq!(scored.hotspots.len(), 2);

        let mut again = records.clone();
        again.reverse();
        again.extend(records.clone());
        assert_eq!(score(&again), scored);

        // A record filed under another device, or under another epoch, does not count.
        let mut misfiled = records.clone();
        if let EvidenceRecord::Wireless { device, .. } = &mut misfiled[0] {
            *device = key(2).public_key();
        }
        if let EvidenceRecord::Wireless { epoch, .. } = &mut misfiled[1] {
            *epoch = 4;
        }
        let m = score(&misfiled).manifest;
        assert!(m.leaves().is_empty(), "{:?}", m.leaves());
        assert_ne!(m.evidence_root(), scored.manifest.evidence_root());

        let poc = score_wireless_manifest(3, "poc", WirelessPool::Poc, &devices, &records).unwrap();
        assert_eq!(poc.hotspots.len(), 1);
        // Reporting is not enough for PoC: without beacons and witnesses, no units.
        assert!(poc.manifest.leaves().is_empty());
    }

    #[test]
    fn wifi_coverage_pays_by_the_speed_tier_and_nothing_without_two_tests() {
        let devices = [
            hotspot(1, HotspotClass::IndoorWifi, 38.7223),
            hotspot(2, HotspotClass::IndoorWifi, 38.7323),
        ];
        let located = vec![reported(1, &devices[0]), reported(2, &devices[1])];
        let score = |tests: Vec<EvidenceRecord>| {
            let mut records = located.clone();
            records.extend(tests);
            let scored =
                score_wireless_manifest(3, "coverage", WirelessPool::Coverage, &devices, &records)
                    .unwrap();
            let units = |n: u8| {
                let leaf = scored
                    .manifest
                    .leaves()
                    .iter()
                    .find(|l| l.device == key(n).public_key());
                leaf.map_or(0, |l| l.units)
            };
            (units(1), units(2), scored)
        };
        let quarters = |scored: &ScoredWireless, n: u8| {
            let h = scored
                .hotspots
                .iter()
                .find(|h| h.key == key(n).public_key());
            h.unwrap().speed_quarters
        };

        let (fast1, fast2, scored) = score(fast_tests());
        assert!(fast1 > 0 && fast2 > 0);
        assert_eq!(quarters(&scored, 1), Some(4));

        // Hotspot 2 measured at 60 Mbps: tier 2 of 4, half the shares.
        let slower = vec![
            speed_test(1, 0, 300, 5),
            speed_test(1, 1, 300, 5),
            speed_test(2, 0, 60, 5),
            speed_test(2, 1, 60, 5),
        ];
        let (_, half, scored) = score(slower.clone());
        assert_eq!(half, fast2 / 2);
        assert_eq!(quarters(&scored, 2), Some(2));

        // A replayed good test does not hide a bad one of the same interval.
        let mut replayed = slower.clone();
        replayed.push(speed_test(2, 1, 300, 5));
        replayed.push(speed_test(2, 0, 300, 5));
        assert_eq!(score(replayed).1, half);

        // One test, or none, is not enough: the hotspot earns nothing, the other is unchanged.
        let (one1, one2, scored) = score(vec![
            speed_test(1, 0, 300, 5),
            speed_test(1, 1, 300, 5),
            speed_test(2, 0, 300, 5),
        ]);
        assert_eq!((one1, one2), (fast1, 0));
        assert_eq!(quarters(&scored, 2), Some(0));
        let (none1, none2, _) = score(Vec::new());
        assert_eq!((none1, none2), (0, 0));

        // The tests are evidence: changing one changes the root.
        let mut changed = fast_tests();
        if let EvidenceRecord::SpeedTest { latency_ms, .. } = &mut changed[0] {
            *latency_ms = 6;
        }
        assert_ne!(
            score(changed).2.manifest.evidence_root(),
            score(fast_tests()).2.manifest.evidence_root()
        );
    }
}
