//! The simulator's devices, scored by the pure sensor rules: honest ones pass, every cheat
//! falls below the paid threshold.

use plexus_rewards::sensors::cells::CELL_PARAMS;
use plexus_rewards::sensors::meter::{meter_quality, reference_irradiance, METER_PARAMS};
use plexus_rewards::sensors::neighbours::{agreement, default_params, StationDay};
use plexus_rewards::sensors::vehicle::{vehicle_quality, VEHICLE_PARAMS};
use plexus_rewards::sensors::weather::{daily_qod, DailyQod, WeatherParameter, WS1000};
use plexus_sensorsim::field::Field;
use plexus_sensorsim::{meter, station, vehicle, Behaviour, DeviceKind, Region, DAY_S};

const ORIGIN_S: u64 = 1_764_806_400;

#[test]
fn honest_devices_pass_the_rules_and_every_cheat_falls_below_the_paid_threshold() {
    let region = Region::new(5, 40, 5);
    let field = Field::default();
    let day = ORIGIN_S + DAY_S;
    let from = day - u64::from(WS1000.lead_in_s);
    let stations: Vec<_> = region
        .devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Weather)
        .collect();
    assert_eq!(stations.len(), 24);
    let days: Vec<DailyQod> = stations
        .iter()
        .map(|d| {
            let readings = station::readings(&field, region.seed, d, ORIGIN_S, from, day + DAY_S);
            daily_qod(&WS1000, day, &readings).unwrap()
        })
        .collect();
    let views: Vec<StationDay> = stations
        .iter()
        .zip(&days)
        .map(|(d, qod)| StationDay {
            position: d.position,
            qod,
        })
        .collect();
    let agreed = agreement(&default_params(), &views);
    let mut cheats = 0;
    for ((d, qod), a) in stations.iter().zip(&days).zip(&agreed) {
        let quality = u64::from(qod.score_ppm) * u64::from(a.ppm) / 1_000_000;
        match d.behaviour {
            Behaviour::Honest => {
                assert!(quality >= 950_000, "station {}: {quality} ({a:?})", d.index);
                assert_eq!(a.ppm, 1_000_000, "station {}", d.index);
            }
            cheat => {
                cheats += 1;
                assert!(
                    quality < u64::from(CELL_PARAMS.min_quality_ppm),
                    "{cheat:?}: {quality}"
                );
            }
        }
    }
    assert_eq!(cheats, 3);
    // The honest stations' illuminance is the meters' reference sun.
    let lux: Vec<&[Option<i64>]> = days
        .iter()
        .zip(&stations)
        .filter(|(_, d)| d.behaviour == Behaviour::Honest)
        .map(|(q, _)| {
            q.parameter(WeatherParameter::Illuminance)
                .hour_means
                .as_slice()
        })
        .collect();
    let sun = reference_irradiance(&METER_PARAMS, &lux);
    for d in region
        .devices
        .iter()
        .filter(|d| d.kind == DeviceKind::EnergyMeter)
    {
        let hours = meter::readings(&field, region.seed, d, ORIGIN_S, day, day + DAY_S);
        let q = meter_quality(&METER_PARAMS, d.capacity_w, day, &sun, &hours);
        match d.behaviour {
            Behaviour::Honest => assert_eq!(q.quality_ppm, 1_000_000, "meter {}: {q:?}", d.index),
            _ => assert_eq!(q.quality_ppm, 0, "inflating meter {}: {q:?}", d.index),
        }
    }
    for d in region
        .devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Vehicle)
    {
        let readings = vehicle::readings(region.seed, d, ORIGIN_S, day, day + DAY_S);
        let q = vehicle_quality(&VEHICLE_PARAMS, &readings);
        match d.behaviour {
            Behaviour::Honest => assert_eq!(q.quality_ppm, 1_000_000, "vehicle {}: {q:?}", d.index),
            _ => assert_eq!(q.quality_ppm, 0, "teleporting vehicle {}: {q:?}", d.index),
        }
    }
}

#[test]
fn a_day_read_again_is_the_same_readings() {
    let region = Region::new(9, 10, 0);
    let field = Field::default();
    let d = &region.devices[0];
    let day = ORIGIN_S + 3 * DAY_S;
    let whole = station::readings(&field, 9, d, ORIGIN_S, day - 3_600, day + 3_600);
    let later = station::readings(&field, 9, d, ORIGIN_S, day, day + 3_600);
    assert_eq!(&whole[whole.len() - later.len()..], later.as_slice());
    assert_eq!(
        Region::new(9, 10, 0).devices[3].position,
        region.devices[3].position
    );
}

/// The region's day as an oracle would hold it: each device's signed batch as evidence, and
/// the registry's view of each device.
fn epoch_evidence(
    region: &Region,
    epoch: u64,
    origin_s: u64,
) -> (
    Vec<plexus_rewards::DeviceInfo>,
    Vec<plexus_rewards::EvidenceRecord>,
) {
    use plexus_rewards::audit::PublishedRecord;
    use plexus_rewards::sensors::SensorSite;
    use plexus_types::readings::ReadingBatch;
    let field = Field::default();
    let day = origin_s + epoch * DAY_S;
    let mut infos = Vec::new();
    let mut records = Vec::new();
    for d in &region.devices {
        infos.push(plexus_rewards::DeviceInfo {
            device: d.key.public_key(),
            owner: plexus_types::Address([d.index as u8; 20]),
            class: d.kind.class().into(),
            capacity_units: 1,
            site: None,
            sensor: Some(SensorSite {
                cell: d.cell(),
                asserted_height: 1,
                seniority_height: 1 + d.index as u64,
                rated_watts: d.capacity_w,
            }),
        });
        let readings = plexus_sensorsim::batch::day_readings(&field, region.seed, d, origin_s, day);
        let signed = ReadingBatch {
            chain_id: "plexus-test".into(),
            device: d.key.public_key(),
            epoch,
            seq: epoch,
            readings,
        }
        .sign(&d.key);
        records.push(PublishedRecord::readings(&signed).evidence());
    }
    (infos, records)
}

#[test]
fn the_sensor_manifest_pays_honest_devices_by_quality_and_no_cheat() {
    use plexus_rewards::sensors::cells::Selection;
    use plexus_rewards::sensors::manifest::score_sensor_manifest;
    let region = Region::new(3, 30, 5);
    let params = plexus_rewards::ScoringParams {
        intervals_per_epoch: 12,
        min_uptime_percent: 50,
        sensor_origin_s: ORIGIN_S,
    };
    let (infos, mut records) = epoch_evidence(&region, 2, ORIGIN_S);
    let scored = score_sensor_manifest(params, 2, "sensor", &infos, &records).unwrap();
    assert_eq!(scored.scores.len(), 30);
    for d in &region.devices {
        let s = scored
            .scores
            .iter()
            .find(|s| s.device == d.key.public_key())
            .unwrap();
        if d.behaviour == Behaviour::Honest {
            assert_eq!(s.selection, Selection::Paid, "{:?} {s:?}", d.kind);
            assert!(s.quality_ppm >= 950_000, "{:?} {s:?}", d.kind);
        } else {
            assert_eq!(
                s.selection,
                Selection::BelowQuality,
                "{:?} {s:?}",
                d.behaviour
            );
            assert_eq!(s.units, 0);
        }
    }
    // The same evidence in another order, with a batch repeated and one of another epoch,
    // gives the same manifest.
    let again = records.clone();
    records.reverse();
    records.push(again[0].clone());
    let (_, other_epoch) = epoch_evidence(&region, 3, ORIGIN_S);
    records.push(other_epoch[1].clone());
    let reordered = score_sensor_manifest(params, 2, "sensor", &infos, &records).unwrap();
    assert_eq!(reordered.manifest.root(), scored.manifest.root());
    assert_eq!(
        reordered.manifest.evidence_root(),
        scored.manifest.evidence_root()
    );
    // A batch dropped changes the evidence root and unpays its device.
    let dropped = score_sensor_manifest(params, 2, "sensor", &infos, &again[1..]).unwrap();
    assert_ne!(
        dropped.manifest.evidence_root(),
        scored.manifest.evidence_root()
    );
    assert!(dropped
        .manifest
        .leaf(&region.devices[0].key.public_key())
        .is_none());
}
