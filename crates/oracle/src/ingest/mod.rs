//! The oracle's HTTP API (docs/oracle-api.md). Every refused input gets a 4xx with a validity
//! code and is never counted.

use crate::evidence::PublishedRecord;
use crate::rules::{admit_heartbeat, commit_too_late, fetch_in_time};
use crate::shared::Shared;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plexus_proofs::compute::{
    check_openings, sample_rows_keyed, ComputeError, RowOpening, ROWS_OPENED,
};
use plexus_rewards::ChallengeOutcome;
use plexus_types::heartbeat::{HeartbeatError, SignedHeartbeat};
use plexus_types::merkle::{MerkleProof, MAX_PROOF_DEPTH};
use plexus_types::{proto, statements, Body, ComputeFraud, Hash, PublicKey, Signature};
use prost::Message;
use serde_json::{json, Value};
use std::sync::Arc;
use wireless::wireless;

mod data;
mod readings;
mod wireless;

type AppState = Arc<Shared>;

/// Lets pages served elsewhere (the node's web console) read the oracle's public records:
/// every GET answer may be read from any origin. Writes stay same-origin, and they are signed
/// anyway.
pub(crate) async fn open_reads_to_any_origin(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let read = request.method() == axum::http::Method::GET;
    let mut response = next.run(request).await;
    if read {
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            header::HeaderValue::from_static("*"),
        );
    }
    response
}

pub(crate) fn router(shared: AppState) -> Router {
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/heartbeats", post(heartbeat))
        .route("/v1/heartbeats/batch", post(heartbeat_batch))
        .route("/v1/wireless", post(wireless))
        .route("/v1/readings", post(readings::readings))
        .route(
            "/v1/readings/{epoch}/{device}",
            get(readings::device_readings),
        )
        .route("/v1/challenges/{device}", get(open_challenges))
        .route("/v1/challenges/{id}/commit", post(commit))
        .route("/v1/challenges/{id}/open", post(open))
        .route("/v1/evidence/{epoch}", get(evidence))
        .route("/v1/evidence/{epoch}/own", get(own_evidence))
        .route("/v1/manifests/{epoch}/{resource}", get(manifest))
        .route(
            "/v1/manifests/{epoch}/{resource}/claims/{device}",
            get(claim_proof),
        )
        .route(
            "/v1/manifests/{epoch}/data/{class}/{region}",
            get(data::data_manifest),
        )
        .route(
            "/v1/manifests/{epoch}/data/{class}/{region}/claims/{device}",
            get(data::data_claim),
        )
        .route("/v1/data/{epoch}", get(data::data_sets))
        .route(
            "/v1/data/{epoch}/{class}/{region}",
            get(data::data_contents),
        )
        .fallback(|| async { refuse(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(DefaultBodyLimit::max(4 * 1024 * 1024))
        .with_state(shared)
}

fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}

fn bad(code: &str, message: impl Into<String>) -> Response {
    refuse(StatusCode::BAD_REQUEST, code, message)
}

async fn status(State(s): State<AppState>) -> Response {
    let state = s.state.lock();
    if state.height == 0 {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the oracle has not seen a block yet",
        );
    }
    let (epoch, interval) = crate::clock::position(&s.clock, state.height);
    let beacon = state
        .beacons
        .get(&crate::clock::beacon(&s.clock, epoch, interval))
        .copied();
    Json(json!({
        "chain_id": s.info.chain_id,
        "oracle": s.address,
        "height": state.height,
        "epoch": epoch,
        "interval": interval,
        "beacon": beacon,
        "epoch_blocks": s.clock.epoch_blocks(),
        "intervals_per_epoch": s.clock.intervals_per_epoch(),
    }))
    .into_response()
}

/// Verifies, checks and durably records heartbeats; one JSON answer per heartbeat.
fn ingest(
    s: &Shared,
    decoded: Vec<Result<SignedHeartbeat, HeartbeatError>>,
) -> Result<Vec<Value>, std::io::Error> {
    let ok: Vec<SignedHeartbeat> = decoded
        .iter()
        .filter_map(|d| d.as_ref().ok().cloned())
        .collect();
    let mut verdicts = SignedHeartbeat::verify_many(&ok).into_iter();
    let mut answers = Vec::with_capacity(decoded.len());
    let mut accepted = Vec::new();
    let mut state = s.state.lock();
    for d in decoded {
        let answer = match d {
            Err(e) => json!({"error": {"code": e.code(), "message": e.to_string()}}),
            Ok(hb) => match verdicts.next() {
                Some(Err(e)) => json!({"error": {"code": e.code(), "message": e.to_string()}}),
                _ => match admit_heartbeat(&s.info.chain_id, &s.clock, &state, &hb) {
                    Err((code, message)) => json!({"error": {"code": code, "message": message}}),
                    Ok(false) => json!({"duplicate": true}),
                    Ok(true) => {
                        let h = &hb.heartbeat;
                        state.seen.insert((h.device, h.epoch, h.interval));
                        accepted.push(PublishedRecord::Heartbeat {
                            device: h.device,
                            epoch: h.epoch,
                            interval: h.interval,
                            signed: hex::encode(&hb.bytes),
                        });
                        json!({"accepted": true})
                    }
                },
            },
        };
        answers.push(answer);
    }
    if let Err(e) = state.log.append(&accepted) {
        // Not durable, so not accepted: forget them so a retry can succeed.
        for r in &accepted {
            if let PublishedRecord::Heartbeat {
                device,
                epoch,
                interval,
                ..
            } = r
            {
                state.seen.remove(&(*device, *epoch, *interval));
            }
        }
        return Err(e);
    }
    Ok(answers)
}

async fn heartbeat(State(s): State<AppState>, body: Bytes) -> Response {
    let decoded = match SignedHeartbeat::decode(&body) {
        Ok(h) => h,
        Err(e) => return bad(e.code(), e.to_string()),
    };
    let result = tokio::task::spawn_blocking(move || ingest(&s, vec![Ok(decoded)])).await;
    match result {
        Ok(Ok(mut answers)) => {
            let a = answers.pop().unwrap_or(Value::Null);
            if let Some(err) = a.get("error") {
                let code = err["code"].as_str().unwrap_or("malformed").to_string();
                let status = if code == "unknown_device" || code == "inactive_device" {
                    StatusCode::FORBIDDEN
                } else if code == "stale" || code == "bad_beacon" {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::BAD_REQUEST
                };
                return refuse(status, &code, err["message"].as_str().unwrap_or(""));
            }
            let status = if a.get("accepted").is_some() {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            (status, Json(a)).into_response()
        }
        _ => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "could not record evidence",
        ),
    }
}

async fn heartbeat_batch(State(s): State<AppState>, body: Bytes) -> Response {
    let decoded = match SignedHeartbeat::decode_batch(&body) {
        Ok(d) => d,
        Err(e) => {
            let status = if matches!(e, HeartbeatError::BatchTooLarge(_)) {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return refuse(status, e.code(), e.to_string());
        }
    };
    match tokio::task::spawn_blocking(move || ingest(&s, decoded)).await {
        Ok(Ok(results)) => Json(json!({ "results": results })).into_response(),
        _ => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "could not record evidence",
        ),
    }
}

/// A device's signed request for its challenges (`?at_ms=…&signature=…`).
#[derive(serde::Deserialize)]
struct FetchQuery {
    at_ms: Option<u64>,
    signature: Option<String>,
}

/// Lists the device's open challenges, and starts the deadline of each it sees for the first
/// time. Only the device may ask: its request is signed by its key, names a time near the
/// oracle's, later than its last request's, so a stranger can neither start a device's
/// deadlines nor replay a request it saw.
async fn open_challenges(
    State(s): State<AppState>,
    Path(device): Path<String>,
    Query(fetch): Query<FetchQuery>,
) -> Response {
    let Ok(device) = device.parse::<PublicKey>() else {
        return bad("malformed", "not a hex device key");
    };
    let (Some(at_ms), Some(signature)) = (fetch.at_ms, fetch.signature) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "unsigned",
            "only the device may fetch its challenges: send at_ms and the device's signature over plexus/challenge-fetch/v1",
        );
    };
    let Some(signature) = hex::decode(&signature)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
    else {
        return bad("malformed", "not a hex signature");
    };
    let statement = statements::challenge_fetch(&s.info.chain_id, &device, at_ms);
    if device.verify(&statement, &signature).is_err() {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the request is not signed by the device's key",
        );
    }
    let now = s.time.now();
    if !fetch_in_time(at_ms, now) {
        return bad(
            "stale",
            format!(
                "at_ms {at_ms} is too far from the oracle's clock ({} ms)",
                now.as_millis()
            ),
        );
    }
    let mut state = s.state.lock();
    match state.challenge_fetches.get(&device) {
        Some(last) if *last >= at_ms => {
            return refuse(
                StatusCode::CONFLICT,
                "replayed",
                format!("a request at {last} ms came already; each names a later time"),
            )
        }
        _ => {}
    }
    state.challenge_fetches.insert(device, at_ms);
    let height = state.height;
    let mut out = Vec::new();
    for c in state.challenges.values_mut() {
        if c.device != device
            || c.outcome.is_some()
            || c.committed.is_some()
            || c.opens_at_height > height
        {
            continue;
        }
        // The clock starts when the device first sees the seed, or soon after the challenge
        // opened if it comes late (the seed is public from the beacon).
        if c.fetched_at.is_none() {
            tracing::debug!(id = %c.id, since_open = ?now.saturating_sub(c.opened_at), "challenge fetched");
        }
        c.fetched_at
            .get_or_insert(crate::rules::deadline_start(c.opened_at, now));
        out.push(json!({
            "id": c.id,
            "seed": hex::encode(c.challenge.seed()),
            "n": c.challenge.n(),
            "class": c.class,
            "deadline_ms": c.deadline_ms,
            "epoch": c.epoch,
            "issued_height": height,
        }));
    }
    Json(json!({ "challenges": out })).into_response()
}

fn challenge_id(text: &str) -> Result<Hash, Box<Response>> {
    Hash::from_hex(text).map_err(|_| Box::new(bad("malformed", "not a challenge id")))
}

async fn commit(State(s): State<AppState>, Path(id): Path<String>, body: Bytes) -> Response {
    let id = match challenge_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let Ok(msg) = proto::ChallengeCommit::decode(body.as_ref()) else {
        return bad("malformed", "not a ChallengeCommit");
    };
    let (Ok(device), Some(root), Ok(signature)) = (
        PublicKey::from_slice(&msg.device),
        Hash::from_slice(&msg.root),
        Signature::from_slice(&msg.signature),
    ) else {
        return bad("malformed", "bad device, root or signature field");
    };
    let mut record = None;
    let answer = {
        let mut state = s.state.lock();
        let Some(c) = state.challenges.get_mut(&id) else {
            return refuse(
                StatusCode::NOT_FOUND,
                "unknown_challenge",
                "no such challenge",
            );
        };
        if c.device != device || msg.seed != c.challenge.seed() || msg.n != c.challenge.n() {
            return bad(
                "unknown_challenge",
                "the commitment is for another challenge",
            );
        }
        let statement = statements::compute_commitment(
            &s.info.chain_id,
            c.challenge.seed(),
            c.challenge.n(),
            &root,
        );
        if device.verify(&statement, &signature).is_err() {
            return bad("bad_signature", "the device did not sign this commitment");
        }
        if c.outcome == Some(ChallengeOutcome::Missed) && c.committed.is_none() {
            return bad(
                "deadline_missed",
                "the deadline passed before the commitment came",
            );
        }
        if c.outcome.is_some() || c.committed.is_some() {
            return refuse(StatusCode::CONFLICT, "duplicate", "already answered");
        }
        let Some(fetched) = c.fetched_at else {
            return bad("unknown_challenge", "the challenge was never issued");
        };
        let now = s.time.now();
        if commit_too_late(fetched, now, c.deadline_ms) {
            c.outcome = Some(ChallengeOutcome::Missed);
            record = Some(c.record());
            None
        } else {
            // Rows from this oracle's own key: the seed is public once the challenge opens,
            // so rows drawn from it could be ground against by the device.
            let key = s.derive_secret("plexus oracle row key v1", &[c.id.as_bytes()]);
            let rows = sample_rows_keyed(&c.challenge, &root, &key, ROWS_OPENED);
            c.committed = Some((root, signature, now));
            c.rows = rows.clone();
            Some(rows)
        }
    };
    match answer {
        Some(rows) => Json(json!({ "rows": rows })).into_response(),
        None => {
            if let Some(r) = record {
                let _ = s.state.lock().log.append(&[r]);
            }
            bad("deadline_missed", "the commitment came after the deadline")
        }
    }
}

fn opening_from(o: proto::RowOpening) -> Option<RowOpening> {
    if o.siblings.len() > MAX_PROOF_DEPTH {
        return None;
    }
    let siblings = o
        .siblings
        .iter()
        .map(|s| Hash::from_slice(s))
        .collect::<Option<Vec<_>>>()?;
    Some(RowOpening {
        index: o.index,
        row: o.row,
        proof: MerkleProof {
            index: o.index as u64,
            leaf_count: o.leaf_count,
            siblings,
        },
    })
}

async fn open(State(s): State<AppState>, Path(id): Path<String>, body: Bytes) -> Response {
    let id = match challenge_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let Ok(msg) = proto::ChallengeOpenings::decode(body.as_ref()) else {
        return bad("malformed", "not a ChallengeOpenings");
    };
    let Some(openings) = msg
        .openings
        .into_iter()
        .map(opening_from)
        .collect::<Option<Vec<_>>>()
    else {
        return bad("malformed", "bad opening");
    };
    let (challenge, root, signature, rows, device) = {
        let state = s.state.lock();
        let Some(c) = state.challenges.get(&id) else {
            return refuse(
                StatusCode::NOT_FOUND,
                "unknown_challenge",
                "no such challenge",
            );
        };
        let Some((root, signature, _)) = c.committed else {
            return bad("unknown_challenge", "commit before opening");
        };
        if c.outcome.is_some() {
            return refuse(StatusCode::CONFLICT, "duplicate", "already answered");
        }
        (c.challenge, root, signature, c.rows.clone(), c.device)
    };
    let asked: Vec<u32> = openings.iter().map(|o| o.index).collect();
    if asked != rows {
        return bad("wrong_rows", format!("open rows {rows:?}"));
    }
    let checked = {
        let (c, o) = (challenge, openings.clone());
        match tokio::task::spawn_blocking(move || check_openings(&c, &root, &o)).await {
            Ok(v) => v,
            Err(_) => {
                return refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "checker failed",
                )
            }
        }
    };
    let wrong = checked
        .iter()
        .position(|r| matches!(r, Err(ComputeError::WrongRow { .. })));
    let outcome = if wrong.is_some() {
        ChallengeOutcome::Wrong
    } else if checked.iter().all(|r| r.is_ok()) {
        ChallengeOutcome::Passed
    } else {
        ChallengeOutcome::Missed
    };
    let record = {
        let mut state = s.state.lock();
        let Some(c) = state.challenges.get_mut(&id) else {
            return refuse(
                StatusCode::NOT_FOUND,
                "unknown_challenge",
                "no such challenge",
            );
        };
        c.outcome = Some(outcome);
        c.record()
    };
    if let Err(e) = s.state.lock().log.append(&[record]) {
        tracing::error!(error = %e, "cannot record a challenge outcome");
    }
    if let Some(i) = wrong {
        let o = &openings[i];
        let fraud = Body::ComputeFraud(ComputeFraud {
            device,
            seed: *challenge.seed(),
            n: challenge.n(),
            root,
            device_signature: signature,
            row_index: o.index,
            row: o.row.clone(),
            proof: o.proof.clone(),
        });
        // Sent by the loop that follows the chain, which retries it until the chain has it.
        s.state.lock().frauds.push((device, fraud));
    }
    let word = match outcome {
        ChallengeOutcome::Passed => "passed",
        ChallengeOutcome::Wrong => "wrong",
        ChallengeOutcome::Missed => "missed",
    };
    Json(json!({ "outcome": word })).into_response()
}

/// The evidence an epoch's manifests were scored from: the merged log once the epoch is
/// closed, this oracle's own log before.
async fn evidence(State(s): State<AppState>, Path(epoch): Path<String>) -> Response {
    let Ok(epoch) = epoch.parse::<u64>() else {
        return bad("malformed", "not an epoch number");
    };
    published_response(epoch, epoch_evidence(&s, epoch))
}

/// An epoch's evidence as JSON lines: the merged log once the epoch is closed, this oracle's
/// own log before.
fn epoch_evidence(s: &Shared, epoch: u64) -> std::io::Result<String> {
    let merged = crate::shared::merged_evidence_path(&s.data_dir, epoch);
    match std::fs::read_to_string(&merged) {
        Ok(text) => Ok(text),
        Err(_) => {
            let published = s.state.lock().log.published(epoch);
            published.read()
        }
    }
}

/// The evidence this oracle itself took in an epoch, once sealed: what its peers merge.
async fn own_evidence(State(s): State<AppState>, Path(epoch): Path<String>) -> Response {
    let Ok(epoch) = epoch.parse::<u64>() else {
        return bad("malformed", "not an epoch number");
    };
    let state = s.state.lock();
    if !state.sealed_own.contains_key(&epoch) && !state.closed.contains(&epoch) {
        return refuse(
            StatusCode::CONFLICT,
            "not_sealed",
            format!("epoch {epoch}'s evidence is not sealed yet"),
        );
    }
    let published = state.log.published(epoch);
    drop(state);
    published_response(epoch, published.read())
}

/// An epoch's evidence as JSON lines, or why it could not be read.
fn published_response(epoch: u64, text: std::io::Result<String>) -> Response {
    match text {
        Ok(text) => ([(header::CONTENT_TYPE, "application/x-ndjson")], text).into_response(),
        Err(e) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unreadable",
            format!("epoch {epoch}'s sealed evidence cannot be read: {e}"),
        ),
    }
}

fn load_closed(
    s: &Shared,
    epoch: &str,
    resource: &str,
) -> Result<crate::shared::ClosedEpoch, Box<Response>> {
    let epoch: u64 = epoch
        .parse()
        .map_err(|_| Box::new(bad("malformed", "not an epoch number")))?;
    s.load_closed(epoch, resource).ok_or_else(|| {
        Box::new(refuse(
            StatusCode::NOT_FOUND,
            "not_closed",
            format!("no {resource} manifest for epoch {epoch} yet"),
        ))
    })
}

async fn manifest(
    State(s): State<AppState>,
    Path((epoch, resource)): Path<(String, String)>,
) -> Response {
    match load_closed(&s, &epoch, &resource) {
        Ok(c) => Json(c).into_response(),
        Err(r) => *r,
    }
}

async fn claim_proof(
    State(s): State<AppState>,
    Path((epoch, resource, device)): Path<(String, String, String)>,
) -> Response {
    let Ok(device) = device.parse::<PublicKey>() else {
        return bad("malformed", "not a hex device key");
    };
    let closed = match load_closed(&s, &epoch, &resource) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    match closed.manifest.proof(&device) {
        Some((leaf, proof)) => Json(json!({ "leaf": leaf, "proof": proof })).into_response(),
        None => refuse(
            StatusCode::NOT_FOUND,
            "no_reward",
            "the device earned nothing that epoch",
        ),
    }
}
