//! `POST /v1/wireless`: hotspots' signed location reports, beacons and witness reports,
//! verified in batches, checked and durably recorded as published evidence.

use super::{bad, refuse, AppState};
use crate::evidence::PublishedRecord;
use crate::rules::{admit_wireless, MAX_WIRELESS_BATCH};
use crate::shared::Shared;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use plexus_rewards::wireless::SignedWireless;
use plexus_types::{Hash, PublicKey, Signature};
use serde_json::{json, Value};

/// `POST /v1/wireless`: hotspots' signed location reports, beacons and witness reports.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WirelessBatch {
    chain_id: String,
    /// The epoch the records are sent in: the chain's current one.
    epoch: u64,
    /// Hex of each record's canonical bytes and signature (`SignedWireless::to_bytes`).
    records: Vec<String>,
}

/// Verifies (in batches), checks and durably records signed wireless records; one JSON answer
/// per record, as for heartbeats. The whole request is refused for another chain, an epoch
/// that is not the current one, or more than [`MAX_WIRELESS_BATCH`] records.
pub(super) async fn wireless(State(s): State<AppState>, body: Bytes) -> Response {
    let batch: WirelessBatch = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return bad("malformed", format!("not a wireless batch: {e}")),
    };
    if batch.records.len() > MAX_WIRELESS_BATCH {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_records",
            format!(
                "{} records; at most {MAX_WIRELESS_BATCH} per request",
                batch.records.len()
            ),
        );
    }
    if batch.chain_id != s.info.chain_id {
        return bad(
            "wrong_chain",
            format!("records for chain {:?}", batch.chain_id),
        );
    }
    {
        let state = s.state.lock();
        let (epoch, _) = crate::clock::position(&s.clock, state.height);
        if batch.epoch != epoch || state.closed.contains(&epoch) {
            return refuse(
                StatusCode::CONFLICT,
                "stale",
                format!(
                    "records for epoch {}; the chain is in epoch {epoch}",
                    batch.epoch
                ),
            );
        }
    }
    let result = tokio::task::spawn_blocking(move || ingest_wireless(&s, batch)).await;
    match result {
        Ok(Ok(results)) => Json(json!({ "results": results })).into_response(),
        _ => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "could not record evidence",
        ),
    }
}

fn ingest_wireless(s: &Shared, batch: WirelessBatch) -> Result<Vec<Value>, std::io::Error> {
    use plexus_rewards::wireless::signed::MAX_SIGNED_WIRELESS_BYTES;
    let decoded: Vec<Result<SignedWireless, (&str, String)>> = batch
        .records
        .iter()
        .map(|hex_record| {
            if hex_record.len() > 2 * MAX_SIGNED_WIRELESS_BYTES {
                return Err(("oversize", "longer than any wireless record".to_string()));
            }
            let bytes = hex::decode(hex_record).map_err(|e| ("malformed", e.to_string()))?;
            SignedWireless::from_bytes(&bytes).map_err(|e| ("malformed", e.to_string()))
        })
        .collect();
    let signed: Vec<&SignedWireless> = decoded.iter().filter_map(|d| d.as_ref().ok()).collect();
    let mut verdicts = verify_wireless(&signed).into_iter();
    let now = s.time.now();
    let epoch = batch.epoch;
    let mut answers = Vec::with_capacity(decoded.len());
    let mut accepted: Vec<(Hash, PublishedRecord)> = Vec::new();
    let mut state = s.state.lock();
    for d in &decoded {
        let answer = match d {
            Err((code, message)) => json!({"error": {"code": code, "message": message}}),
            Ok(r) => {
                if verdicts.next() != Some(true) {
                    json!({"error": {"code": "bad_signature", "message": format!("the {} is not signed by {}", r.kind(), r.device())}})
                } else {
                    let record = PublishedRecord::wireless(epoch, r);
                    let digest = plexus_rewards::evidence_record_hash(&record.evidence());
                    let fresh = !accepted.iter().any(|(d, _)| *d == digest);
                    match admit_wireless(&s.info, &state, epoch, r, &digest, now) {
                        Err((code, message)) => {
                            json!({"error": {"code": code, "message": message}})
                        }
                        Ok(true) if fresh => {
                            accepted.push((digest, record));
                            json!({"accepted": true})
                        }
                        Ok(_) => json!({"duplicate": true}),
                    }
                }
            }
        };
        answers.push(answer);
    }
    let records: Vec<PublishedRecord> = accepted.iter().map(|(_, r)| r.clone()).collect();
    state.log.append(&records)?;
    for (digest, r) in &accepted {
        if let Some((device, _)) = r.wireless_parts() {
            state
                .wireless_seen
                .entry((epoch, *device))
                .or_default()
                .insert(*digest);
        }
    }
    Ok(answers)
}

/// Checks the records' signatures in batches of 64, one by one in a batch that fails.
fn verify_wireless(records: &[&SignedWireless]) -> Vec<bool> {
    let bodies: Vec<Vec<u8>> = records.iter().map(|r| r.to_bytes()).collect();
    let mut out = Vec::with_capacity(records.len());
    for (chunk, bytes) in records.chunks(64).zip(bodies.chunks(64)) {
        let items: Vec<(&[u8], Signature, PublicKey)> = chunk
            .iter()
            .zip(bytes)
            .filter_map(|(r, b)| {
                let (body, sig) = b.split_at(b.len() - 64);
                Some((body, Signature::from_slice(sig).ok()?, r.device()))
            })
            .collect();
        if items.len() == chunk.len() && plexus_types::keys::verify_batch(&items) {
            out.extend(std::iter::repeat_n(true, chunk.len()));
        } else {
            out.extend(chunk.iter().map(|r| r.verify()));
        }
    }
    out
}
