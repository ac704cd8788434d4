//! `POST /v1/readings`: a sensor device's signed batch of readings (the protobuf bytes of a
//! `SignedReadingBatch`), checked and durably recorded as published evidence.

use super::{bad, refuse, AppState};
use crate::evidence::PublishedRecord;
use crate::rules::admit_readings;
use axum::body::Bytes;
use axum::extract::State;
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
                state
                    .readings_seen
                    .entry((epoch, batch.batch.device))
                    .or_default()
                    .insert(digest);
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
