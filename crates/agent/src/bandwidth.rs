//! A bandwidth device's speed test service: the routes the oracle times. `sink` takes a payload
//! and answers with its size and blake3 hash, `source` sends the payload of a seed, and `ping`
//! answers at once. A throttled service (the `throttle` behaviour) moves at most a set number of
//! bytes per second, as a device on a slow link would.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use plexus_types::speed_test::{
    payload_stream, MAX_TRANSFER_BYTES, PING_PATH, SINK_PATH, SOURCE_PATH,
};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Bytes per piece of a sent payload.
const PIECE_BYTES: usize = 64 * 1024;

/// What the sink answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SinkReceipt {
    pub bytes: u64,
    pub blake3: String,
}

#[derive(Clone, Copy)]
struct Limits {
    bytes_per_sec: Option<u64>,
}

impl Limits {
    /// Sleeps until `moved` bytes since `started` are within the rate.
    async fn pace(&self, started: Instant, moved: u64) {
        if let Some(rate) = self.bytes_per_sec {
            let due = Duration::from_secs_f64(moved as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// The speed test routes; `bytes_per_sec` throttles every transfer when set.
pub fn router(bytes_per_sec: Option<u64>) -> Router {
    Router::new()
        .route(PING_PATH, get(|| async { StatusCode::NO_CONTENT }))
        .route(SINK_PATH, post(sink))
        .route(SOURCE_PATH, get(source))
        .with_state(Limits { bytes_per_sec })
}

fn refuse(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": { "message": message } })),
    )
        .into_response()
}

async fn sink(State(limits): State<Limits>, body: Body) -> Response {
    let started = Instant::now();
    let mut hasher = blake3::Hasher::new();
    let mut bytes = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(piece) = stream.next().await {
        let piece = match piece {
            Ok(p) => p,
            Err(e) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    format!("the payload broke off: {e}"),
                )
            }
        };
        bytes += piece.len() as u64;
        if bytes > MAX_TRANSFER_BYTES {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a speed test payload is at most {MAX_TRANSFER_BYTES} bytes"),
            );
        }
        hasher.update(&piece);
        limits.pace(started, bytes).await;
    }
    Json(SinkReceipt {
        bytes,
        blake3: hasher.finalize().to_hex().to_string(),
    })
    .into_response()
}

#[derive(Deserialize)]
struct SourceQuery {
    seed: String,
    bytes: u64,
}

async fn source(State(limits): State<Limits>, Query(q): Query<SourceQuery>) -> Response {
    let seed: [u8; 32] = match hex::decode(&q.seed).ok().and_then(|s| s.try_into().ok()) {
        Some(s) => s,
        None => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "seed must be 32 bytes of hex".into(),
            )
        }
    };
    if q.bytes > MAX_TRANSFER_BYTES {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("a speed test payload is at most {MAX_TRANSFER_BYTES} bytes"),
        );
    }
    let total = q.bytes;
    let started = Instant::now();
    let pieces = futures_util::stream::unfold(
        (payload_stream(&seed), 0u64),
        move |(mut xof, sent)| async move {
            if sent >= total {
                return None;
            }
            let n = (total - sent).min(PIECE_BYTES as u64) as usize;
            let mut piece = vec![0u8; n];
            xof.fill(&mut piece);
            limits.pace(started, sent + n as u64).await;
            Some((
                Ok::<_, std::io::Error>(Bytes::from(piece)),
                (xof, sent + n as u64),
            ))
        },
    );
    Body::from_stream(pieces).into_response()
}
