//! `POST /v1/readings`: a sensor device's signed batch of readings (the protobuf bytes of a
//! `SignedReadingBatch`), checked and durably recorded as published evidence; and
//! `GET /v1/readings/{epoch}/{device}`: what a device sent in an epoch, decoded.

use super::{bad, refuse, AppState};
use crate::evidence::PublishedRecord;
use crate::rules::admit_readings;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use plexus_types::readings::{SignedReadingBatch, MAX_BATCH_BYTES};
use serde_json::json;

/// Decodes the batch and checks its signature off the async threads, then admits it against
/// the registry: `{"accepted": true}`, `{"duplicate": true}`, or an error with its code.
pub(super) async fn readings(State(s): State<AppState>, body: Bytes) -> Response {
    if body.len() > MAX_BATCH_BYTES {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "oversize",
            format!("{} bytes; a batch is at most {MAX_BATCH_BYTES}", body.len()),
        );
    }
    let decoded = tokio::task::spawn_blocking(move || SignedReadingBatch::decode(&body)).await;
    let batch = match decoded {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return bad(e.code(), e.to_string()),
        Err(_) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "could not check the batch",
            )
        }
    };
    if batch.batch.chain_id != s.info.chain_id {
        return bad(
            "wrong_chain",
            format!("readings for chain {:?}", batch.batch.chain_id),
        );
    }
    let record = PublishedRecord::readings(&batch);
    let digest = plexus_rewards::evidence_record_hash(&record.evidence());
    let result = tokio::task::spawn_blocking(move || {
        let mut state = s.state.lock();
        let (epoch, _) = crate::clock::position(&s.clock, state.height);
        match admit_readings(&s.info, &state, epoch, &batch, &digest) {
            Err((code, message)) => Ok(Err((code, message))),
            Ok(false) => Ok(Ok(false)),
            Ok(true) => {
                state.log.append(std::slice::from_ref(&record))?;
                let seen = state
                    .readings_seen
                    .entry((epoch, batch.batch.device))
                    .or_default();
                seen.digests.insert(digest);
                seen.readings += batch.batch.readings.len() as u64;
                Ok::<_, std::io::Error>(Ok(true))
            }
        }
    })
    .await;
    match result {
        Ok(Ok(Ok(true))) => Json(json!({ "accepted": true })).into_response(),
        Ok(Ok(Ok(false))) => Json(json!({ "duplicate": true })).into_response(),
        Ok(Ok(Err((code, message)))) => {
            let status = if code == "stale" {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_REQUEST
            };
            refuse(status, code, message)
        }
        _ => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "could not record evidence",
        ),
    }
}

/// A device's readings of an epoch as the evidence holds them: each batch's signed bytes, and
/// the readings decoded.
#[derive(serde::Serialize)]
struct DeviceReadings {
    device: plexus_types::PublicKey,
    epoch: u64,
    class: Option<String>,
    /// Hex of each `SignedReadingBatch`, which anyone can check against the device's key and
    /// the epoch's evidence root on chain.
    batches: Vec<String>,
    weather: Vec<plexus_rewards::sensors::weather::WeatherReading>,
    meter: Vec<plexus_rewards::sensors::meter::MeterHour>,
    vehicle: Vec<plexus_rewards::sensors::vehicle::VehicleReading>,
}

/// `GET /v1/readings/{epoch}/{device}`: read from the epoch's evidence (the merged log once
/// the epoch is closed, this oracle's own before); every batch's signature is checked again.
pub(super) async fn device_readings(
    State(s): State<AppState>,
    Path((epoch, device)): Path<(String, String)>,
) -> Response {
    use plexus_types::readings::Readings;
    let Ok(epoch) = epoch.parse::<u64>() else {
        return bad("malformed", "not an epoch number");
    };
    let Ok(device) = device.parse::<plexus_types::PublicKey>() else {
        return bad("malformed", "not a device key (64 hex digits)");
    };
    let text = super::epoch_evidence(&s, epoch);
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unreadable",
                format!("epoch {epoch}'s evidence cannot be read: {e}"),
            )
        }
    };
    let mut out = DeviceReadings {
        device,
        epoch,
        class: None,
        batches: Vec::new(),
        weather: Vec::new(),
        meter: Vec::new(),
        vehicle: Vec::new(),
    };
    for line in text.lines() {
        let Ok(PublishedRecord::Readings {
            device: d,
            class,
            signed,
            ..
        }) = serde_json::from_str::<PublishedRecord>(line)
        else {
            continue;
        };
        if d != device {
            continue;
        }
        let Some(batch) = hex::decode(&signed)
            .ok()
            .and_then(|b| SignedReadingBatch::decode(&b).ok())
        else {
            continue;
        };
        use plexus_rewards::sensors::wire;
        match &batch.batch.readings {
            Readings::Weather(r) => out.weather.extend(r.iter().map(wire::weather)),
            Readings::Meter(r) => out.meter.extend(r.iter().map(wire::meter)),
            Readings::Vehicle(r) => out.vehicle.extend(r.iter().filter_map(wire::vehicle)),
        }
        out.class = Some(class);
        out.batches.push(signed);
    }
    out.weather.sort();
    out.weather.dedup();
    out.meter.sort();
    out.meter.dedup();
    out.vehicle.sort();
    out.vehicle.dedup();
    Json(out).into_response()
}
