//! The sensor pool's manifest for an epoch: each device's readings scored by its class's
//! rules, weather stations checked against their neighbours, meters against the sun the
//! stations saw, and the pool's units given by rules C1–C3.
//!
//! - SM1 (the day): epoch e scores the UTC day starting `sensor_origin_s` + e days; a weather
//!   station's batch for the epoch covers that day and the lead-in before it (rule W1 places
//!   each reading, ignoring the rest).
//! - SM2 (evidence): a batch counts when it decodes, is signed by the registered device that
//!   it names, is of the epoch, and holds readings of the device's class. Batches count once,
//!   whatever their order or repeats; the evidence root is the Merkle root of their record
//!   digests, sorted.
//! - SM3 (quality): a station's quality is its QoD (W1–W6) times its agreement (N1–N3); a
//!   meter's is M1–M3 against the stations of quality at least the paid threshold within the
//!   neighbour radius; a vehicle's is V1–V3 over the day.
//! - SM4 (units): weather stations compete per resolution-7 cell for its 10 places; meters and
//!   vehicles are not capped. Units are quality × proof of location (rule C3), where a
//!   device with an asserted location has a full proof.

use super::cells::{select, Candidate, CellParams, Selection, CELL_PARAMS};
use super::data_sets::{data_sets, Contribution, DataSet};
use super::meter::{meter_quality, reference_irradiance, MeterHour, METER_PARAMS};
use super::neighbours::{agreement, default_params, StationDay};
use super::vehicle::{vehicle_quality, VehicleReading, VEHICLE_PARAMS};
use super::weather::{daily_qod, DailyQod, WeatherParameter, WeatherReading, WS1000};
use super::{wire, PPM};
use crate::evidence::{evidence_record_hash, EvidenceRecord};
use crate::manifest::Manifest;
use crate::wireless::geo::{cell_position, distance_m, Position};
use crate::{DeviceInfo, RewardsError, ScoringParams};
use plexus_types::readings::{Readings, SignedReadingBatch};
use plexus_types::{merkle_root, Hash, PublicKey};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The resolution of the cells weather stations compete in (WeatherXM's).
pub const CELL_RESOLUTION: u8 = 7;
const DAY_S: u64 = 86_400;

/// How one device fared in the epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensorScore {
    pub device: PublicKey,
    pub class: String,
    pub readings: u32,
    /// A station's QoD (rule W6); absent for other classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qod_ppm: Option<u32>,
    /// A station's agreement with its neighbours (rule N3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_ppm: Option<u32>,
    pub quality_ppm: u32,
    pub selection: Selection,
    pub units: u128,
}

/// A scored epoch of the sensor pool.
#[derive(Debug, Clone)]
pub struct ScoredSensors {
    pub manifest: Manifest,
    /// Devices with readings this epoch, by key.
    pub scores: Vec<SensorScore>,
    /// What the data market sells of the epoch (rules D1–D3), by resource name.
    pub data_sets: Vec<DataSet>,
}

/// One device's admitted readings.
#[derive(Default)]
struct Held {
    weather: Vec<WeatherReading>,
    meter: Vec<MeterHour>,
    vehicle: Vec<VehicleReading>,
    readings: u32,
    /// The digests of its batches that counted.
    records: Vec<Hash>,
}

/// Rule SM2 over `records`: the readings of each registered sensor device, and the digests
/// of the batches that counted.
fn admit(
    epoch: u64,
    devices: &BTreeMap<PublicKey, &DeviceInfo>,
    records: &[EvidenceRecord],
) -> (BTreeMap<PublicKey, Held>, Vec<Hash>) {
    let mut seen: Vec<&EvidenceRecord> = records
        .iter()
        .filter(|r| matches!(r, EvidenceRecord::Readings { epoch: e, .. } if *e == epoch))
        .collect();
    seen.sort_by_key(|r| evidence_record_hash(r));
    seen.dedup_by_key(|r| evidence_record_hash(r));
    let mut held: BTreeMap<PublicKey, Held> = BTreeMap::new();
    let mut digests = Vec::new();
    for record in seen {
        let EvidenceRecord::Readings { device, signed, .. } = record else {
            continue;
        };
        let Some(info) = devices.get(device) else {
            continue;
        };
        let Some(batch) = hex::decode(signed)
            .ok()
            .and_then(|b| SignedReadingBatch::decode(&b).ok())
        else {
            continue;
        };
        let b = &batch.batch;
        if b.device != *device || b.epoch != epoch || b.readings.class() != info.class {
            continue;
        }
        let entry = held.entry(*device).or_default();
        entry.readings = entry.readings.saturating_add(b.readings.len() as u32);
        match &b.readings {
            Readings::Weather(r) => entry.weather.extend(r.iter().map(wire::weather)),
            Readings::Meter(r) => entry.meter.extend(r.iter().map(wire::meter)),
            Readings::Vehicle(r) => entry.vehicle.extend(r.iter().filter_map(wire::vehicle)),
        }
        let digest = evidence_record_hash(record);
        entry.records.push(digest);
        digests.push(digest);
    }
    (held, digests)
}

/// The asserted position of a sensor device.
fn position(info: &DeviceInfo) -> Option<Position> {
    cell_position(info.sensor?.cell)
}

/// A station's evidence of the epoch: its device, what it sent, where it stands.
type Station<'a> = (&'a DeviceInfo, &'a Held, Position);

fn candidate(info: &DeviceInfo, cell: u64, quality: u32) -> Candidate {
    Candidate {
        device: info.device,
        owner: info.owner,
        cell,
        quality_ppm: quality,
        location_ppm: PPM,
        since: info.sensor.map_or(0, |s| s.seniority_height),
    }
}

fn score_of(info: &DeviceInfo, held: &Held, quality: u32) -> SensorScore {
    SensorScore {
        device: info.device,
        class: info.class.clone(),
        readings: held.readings,
        qod_ppm: None,
        agreement_ppm: None,
        quality_ppm: quality,
        selection: Selection::BelowQuality,
        units: 0,
    }
}

/// Rule SM3 for stations: QoD, then agreement. Returns each station's day and quality, with
/// its score and candidate.
fn score_stations(
    day_start: u64,
    stations: &[Station<'_>],
    scores: &mut Vec<SensorScore>,
    candidates: &mut Vec<Candidate>,
) -> (Vec<DailyQod>, Vec<u32>) {
    let days: Vec<DailyQod> = stations
        .par_iter()
        .map(|(_, h, _)| daily_qod(&WS1000, day_start, &h.weather).expect("WS1000 is valid"))
        .collect();
    let views: Vec<StationDay> = stations
        .iter()
        .zip(&days)
        .map(|((_, _, p), qod)| StationDay { position: *p, qod })
        .collect();
    let agreed = agreement(&default_params(), &views);
    let mut qualities = Vec::with_capacity(stations.len());
    for (((info, h, _), qod), a) in stations.iter().zip(&days).zip(&agreed) {
        let quality = (u64::from(qod.score_ppm) * u64::from(a.ppm) / u64::from(PPM)) as u32;
        qualities.push(quality);
        let cell = info.sensor.map_or(0, |s| parent_cell(s.cell));
        candidates.push(candidate(info, cell, quality));
        scores.push(SensorScore {
            qod_ppm: Some(qod.score_ppm),
            agreement_ppm: Some(a.ppm),
            ..score_of(info, h, quality)
        });
    }
    (days, qualities)
}

/// Rule SM3 for a meter: M1–M3 against the sun the paid stations within the neighbour radius
/// saw.
fn meter_day(
    info: &DeviceInfo,
    held: &Held,
    day_start: u64,
    stations: &[Station<'_>],
    days: &[DailyQod],
    qualities: &[u32],
) -> Option<u32> {
    let at = position(info)?;
    let radius = default_params().radius_m;
    let lux: Vec<&[Option<i64>]> = stations
        .iter()
        .zip(days)
        .zip(qualities)
        .filter(|(((_, _, p), _), q)| {
            **q >= CELL_PARAMS.min_quality_ppm && distance_m(at, *p) <= radius
        })
        .map(|((_, d), _)| {
            d.parameter(WeatherParameter::Illuminance)
                .hour_means
                .as_slice()
        })
        .collect();
    let sun = reference_irradiance(&METER_PARAMS, &lux);
    let rated = info.sensor.map_or(0, |s| s.rated_watts);
    Some(meter_quality(&METER_PARAMS, rated, day_start, &sun, &held.meter).quality_ppm)
}

/// Rule SM3 for a vehicle: V1–V3 over the readings of the day.
fn vehicle_day(held: &Held, day_start: u64) -> u32 {
    let day: Vec<VehicleReading> = held
        .vehicle
        .iter()
        .filter(|r| (day_start..day_start + DAY_S).contains(&r.at_s))
        .copied()
        .collect();
    vehicle_quality(&VEHICLE_PARAMS, &day).quality_ppm
}

/// Rules SM1–SM4: the sensor manifest of `epoch` from `records`, for `devices` (the
/// registry's sensor devices, those without an asserted location left out).
pub fn score_sensor_manifest(
    params: ScoringParams,
    epoch: u64,
    resource: &str,
    devices: &[DeviceInfo],
    records: &[EvidenceRecord],
) -> Result<ScoredSensors, RewardsError> {
    let mut registry: BTreeMap<PublicKey, &DeviceInfo> = BTreeMap::new();
    for d in devices.iter().filter(|d| d.sensor.is_some()) {
        if registry.insert(d.device, d).is_some() {
            return Err(RewardsError::DuplicateDevice(d.device));
        }
    }
    let (held, digests) = admit(epoch, &registry, records);
    let day_start = params
        .sensor_origin_s
        .saturating_add(epoch.saturating_mul(DAY_S));
    let stations: Vec<Station> = held
        .iter()
        .filter_map(|(k, h)| {
            let info = registry[k];
            (info.class == "weather").then_some((info, h, position(info)?))
        })
        .collect();
    let mut scores = Vec::new();
    let mut weather = Vec::new();
    let (days, qualities) = score_stations(day_start, &stations, &mut scores, &mut weather);
    // Meters and vehicles, each in a cell of its own: they are not capped.
    let mut others = Vec::new();
    for (key, h) in &held {
        let info = registry[key];
        let quality = match info.class.as_str() {
            "energy-meter" => meter_day(info, h, day_start, &stations, &days, &qualities),
            "vehicle" => Some(vehicle_day(h, day_start)),
            _ => None,
        };
        let Some(quality) = quality else { continue };
        others.push(candidate(info, others.len() as u64, quality));
        scores.push(score_of(info, h, quality));
    }
    // Rule SM4.
    let uncapped = CellParams {
        capacity: usize::MAX,
        ..CELL_PARAMS
    };
    let mut leaves = Vec::new();
    let mut chosen: BTreeMap<PublicKey, Selection> = BTreeMap::new();
    for (params, candidates) in [(CELL_PARAMS, &weather), (uncapped, &others)] {
        let (selection, mut paid) =
            select(&params, candidates).map_err(RewardsError::DuplicateDevice)?;
        for (c, s) in candidates.iter().zip(selection) {
            chosen.insert(c.device, s);
        }
        leaves.append(&mut paid);
    }
    leaves.sort_by_key(|l| l.device);
    for s in &mut scores {
        s.selection = chosen[&s.device];
        s.units = leaves
            .binary_search_by_key(&s.device, |l| l.device)
            .map_or(0, |i| leaves[i].units);
    }
    scores.sort_by_key(|s| s.device);
    let mut digests = digests;
    digests.sort();
    let manifest = Manifest::from_leaves(epoch, resource, leaves, merkle_root(digests))?;
    let contributions = scores
        .iter()
        .map(|s| {
            let info = registry[&s.device];
            Contribution {
                device: s.device,
                owner: info.owner,
                class: s.class.clone(),
                cell: info.sensor.map_or(0, |site| site.cell),
                quality_ppm: s.quality_ppm,
                readings: s.readings,
                records: held[&s.device].records.clone(),
            }
        })
        .collect();
    let data_sets = data_sets(epoch, contributions)?;
    Ok(ScoredSensors {
        manifest,
        scores,
        data_sets,
    })
}

/// The resolution-7 parent of a resolution-12 cell (0 for a cell that is not H3, which no
/// registration admits).
fn parent_cell(cell: u64) -> u64 {
    h3o::CellIndex::try_from(cell)
        .ok()
        .and_then(|c| c.parent(h3o::Resolution::try_from(CELL_RESOLUTION).ok()?))
        .map_or(0, u64::from)
}
