//! `plexus bench sensors`: weather readings scored for quality (rules W1–W6 per station-day,
//! then the neighbour check N1–N3 across stations) per second, next to decoding and hashing
//! the same encoded readings in the same run. The readings are a day of the sensor
//! simulator's region, cheaters included, so the figures also show what the rules made of
//! each behaviour.

use super::stats::{cores, Spread};
use plexus_rewards::sensors::neighbours::{agreement, default_params, StationDay};
use plexus_rewards::sensors::weather::{daily_qod, DailyQod, WS1000};
use plexus_rewards::sensors::wire;
use plexus_sensorsim::field::Field;
use plexus_sensorsim::{station, Behaviour, DeviceKind, Region};
use plexus_types::proto;
use prost::Message;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::Instant;

/// The simulated day scored: 2025-12-05, after a first simulated day as lead-in.
const ORIGIN_S: u64 = 1_764_806_400;
const SEED: u64 = 21;

/// Readings of one station for the scored day and its lead-in, encoded as they travel.
struct Batch {
    behaviour: Behaviour,
    position: plexus_rewards::wireless::geo::Position,
    bytes: Vec<u8>,
    readings: usize,
}

fn synthesize(readings: usize) -> Vec<Batch> {
    let day_start = ORIGIN_S + plexus_sensorsim::DAY_S;
    let from = day_start - u64::from(WS1000.lead_in_s);
    let per_station = ((day_start + plexus_sensorsim::DAY_S - from) / station::TIMESTEP_S) as usize;
    let stations = readings.div_ceil(per_station).max(1);
    // Three in five devices of a region are stations; one in twenty cheats.
    let region = Region::new(SEED, stations * 5 / 3 + 3, stations / 20 * 5 / 3);
    let field = Field::default();
    region
        .devices
        .par_iter()
        .filter(|d| d.kind == DeviceKind::Weather)
        .take_any(stations)
        .map(|d| {
            let day = station::readings(
                &field,
                SEED,
                d,
                ORIGIN_S,
                from,
                day_start + plexus_sensorsim::DAY_S,
            );
            let readings = day.len();
            let bytes = proto::WeatherReadings {
                readings: day.iter().map(wire::weather_to_wire).collect(),
            }
            .encode_to_vec();
            Batch {
                behaviour: d.behaviour,
                position: d.position,
                bytes,
                readings,
            }
        })
        .collect()
}

fn decode(bytes: &[u8]) -> proto::WeatherReadings {
    proto::WeatherReadings::decode(bytes).expect("the benchmark's own encoding decodes")
}

/// One run of the scoring path: decode, W1–W6 per station, N1–N3 across them; the quality of
/// each station in millionths.
fn score(batches: &[Batch]) -> Vec<u32> {
    let day_start = ORIGIN_S + plexus_sensorsim::DAY_S;
    let days: Vec<DailyQod> = batches
        .par_iter()
        .map(|b| {
            let readings: Vec<_> = decode(&b.bytes)
                .readings
                .iter()
                .map(wire::weather)
                .collect();
            daily_qod(&WS1000, day_start, &readings).expect("WS1000's parameters are valid")
        })
        .collect();
    let stations: Vec<StationDay> = batches
        .iter()
        .zip(&days)
        .map(|(b, qod)| StationDay {
            position: b.position,
            qod,
        })
        .collect();
    agreement(&default_params(), &stations)
        .iter()
        .zip(&days)
        .map(|(a, d)| (u64::from(d.score_ppm) * u64::from(a.ppm) / 1_000_000) as u32)
        .collect()
}

/// One run of the baseline: decode and blake3 every batch.
fn baseline(batches: &[Batch]) -> usize {
    batches
        .par_iter()
        .map(|b| {
            let decoded = decode(&b.bytes);
            std::hint::black_box(blake3::hash(&b.bytes));
            decoded.readings.len()
        })
        .sum()
}

/// Runs the benchmark and prints its report.
pub async fn run(readings: usize, runs: u16, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!(readings >= 1, "--readings must be at least 1");
    let mut steps = crate::progress::Steps::new(json, json);
    steps.step(format!(
        "simulating a day of weather stations: {readings} readings…"
    ));
    let batches = tokio::task::spawn_blocking(move || synthesize(readings)).await?;
    let total: usize = batches.iter().map(|b| b.readings).sum();
    steps.step(format!("scoring {total} readings, {runs} runs…"));
    let (scoring, base, quality) = tokio::task::spawn_blocking(move || {
        let mut scoring = Vec::new();
        let mut base = Vec::new();
        let mut quality = Vec::new();
        for _ in 0..runs.max(1) {
            let start = Instant::now();
            quality = score(&batches);
            scoring.push(total as f64 / start.elapsed().as_secs_f64());
            let start = Instant::now();
            let decoded = baseline(&batches);
            base.push(decoded as f64 / start.elapsed().as_secs_f64());
        }
        let mut by_behaviour: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (b, q) in batches.iter().zip(&quality) {
            let name = serde_json::to_value(b.behaviour)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let entry = by_behaviour.entry(name).or_default();
            entry.0 += 1;
            entry.1 += u64::from(*q);
        }
        (scoring, base, by_behaviour)
    })
    .await?;
    steps.finish();
    let scoring = Spread::of(scoring);
    let base = Spread::of(base);
    let ratio = Spread::pairwise(&scoring, &base, |s, b| s / b);
    let behaviours: serde_json::Map<String, serde_json::Value> = quality
        .iter()
        .map(|(name, (n, sum))| {
            (
                name.clone(),
                serde_json::json!({ "stations": n, "mean_quality": *sum as f64 / *n as f64 / 1e6 }),
            )
        })
        .collect();
    let report = serde_json::json!({
        "scenario": "sensors",
        "readings": total,
        "stations": quality.values().map(|(n, _)| n).sum::<u64>(),
        "cores": cores(),
        "threads": rayon::current_num_threads(),
        "runs": scoring.runs.len(),
        "scored_readings_per_sec": scoring.median,
        "scored_readings_per_sec_spread": scoring,
        "baseline_decode_and_hash_per_sec": base.median,
        "baseline_decode_and_hash_per_sec_spread": base,
        "ratio_to_baseline": ratio.median,
        "ratio_to_baseline_spread": ratio,
        "quality_by_behaviour": behaviours,
    });
    if json {
        crate::print_json(&report);
    } else {
        println!(
            "sensors: {total} weather readings scored for quality (W1–W6, N1–N3) at {} readings/s \
             on {} threads (median (min–max) of {} runs)\n\
             baseline: decoding and blake3-hashing the same readings at {} readings/s; ratio {}x",
            scoring.show(0),
            rayon::current_num_threads(),
            scoring.runs.len(),
            base.show(0),
            ratio.show(3),
        );
        for (name, (n, sum)) in &quality {
            println!(
                "  {name}: {n} stations, mean quality {:.3}",
                *sum as f64 / *n as f64 / 1e6
            );
        }
    }
    Ok(())
}
