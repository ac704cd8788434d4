//! A bandwidth device's speed test service: the routes the oracle times. `sink` takes a payload
//! and answers with its size and blake3 hash, `source` sends the payload of a seed, and `ping`
//! answers at once. Every answer is signed with the device key over the tester's challenge
//! (`speed_test::sign_answer`): the ping's nonce, the received payload's hash, the sent
//! payload's seed. So only a server holding the device key can pass the device's test. A
//! throttled service (the `throttle` behaviour) moves at most a set number of bytes per second,
//! as a device on a slow link would.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use plexus_client::{Clock, SystemClock};
use plexus_types::speed_test::{
    payload_stream, sign_answer, MAX_TRANSFER_BYTES, PING_PATH, SINK_PATH, SOURCE_PATH,
    SPEED_SIGNATURE_HEADER,
};
use plexus_types::SecretKey;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// Bytes per piece of a sent payload.
const PIECE_BYTES: usize = 64 * 1024;

/// What the sink answers: the payload's size and hash, signed by the device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SinkReceipt {
    pub bytes: u64,
    pub blake3: String,
    #[serde(default)]
    pub signature: Option<String>,
}

/// What a ping with a nonce answers: the device's signature over it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PingAnswer {
    pub signature: String,
}

/// The device key that signs the answers, and the chain they are for.
#[derive(Clone)]
pub struct SpeedSigner {
    pub key: SecretKey,
    pub chain_id: String,
}

impl SpeedSigner {
    fn sign(&self, part: &str, challenge: &[u8; 32], bytes: u64) -> String {
        sign_answer(&self.key, &self.chain_id, part, challenge, bytes)
    }
}

/// How fast the device's link lets the speed test service move bytes.
pub trait LinkRate: Send + Sync {
    /// The most bytes per second a transfer may move; `None` for as fast as the link goes.
    fn bytes_per_sec(&self) -> Option<u64>;
}

/// Moves bytes as fast as the link goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct FullRate;

impl LinkRate for FullRate {
    fn bytes_per_sec(&self) -> Option<u64> {
        None
    }
}

#[derive(Clone)]
struct Limits {
    bytes_per_sec: Option<u64>,
    clock: Arc<dyn Clock>,
    signer: Arc<SpeedSigner>,
}

impl Limits {
    /// Sleeps until `moved` bytes since `started` are within the rate.
    async fn pace(&self, started: Duration, moved: u64) {
        if let Some(rate) = self.bytes_per_sec {
            let due = Duration::from_secs_f64(moved as f64 / rate as f64);
            let elapsed = self.clock.now().saturating_sub(started);
            if let Some(wait) = due.checked_sub(elapsed) {
                self.clock.sleep(wait).await;
            }
        }
    }
}

/// The speed test routes on the system clock, answering for `signer`'s device;
/// `bytes_per_sec` throttles every transfer when set.
pub fn router(bytes_per_sec: Option<u64>, signer: SpeedSigner) -> Router {
    router_on(bytes_per_sec, Arc::new(SystemClock), signer)
}

/// The speed test routes, paced on `clock`.
pub fn router_on(bytes_per_sec: Option<u64>, clock: Arc<dyn Clock>, signer: SpeedSigner) -> Router {
    Router::new()
        .route(PING_PATH, get(ping))
        .route(SINK_PATH, post(sink))
        .route(SOURCE_PATH, get(source))
        .with_state(Limits {
            bytes_per_sec,
            clock,
            signer: Arc::new(signer),
        })
}

/// 32 bytes of hex, as a nonce or a seed.
fn hex32(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok().and_then(|s| s.try_into().ok())
}

#[derive(Deserialize)]
struct PingQuery {
    nonce: Option<String>,
}

/// Answers at once: with no nonce, nothing; with one, the device's signature over it.
async fn ping(State(limits): State<Limits>, Query(q): Query<PingQuery>) -> Response {
    let Some(nonce) = q.nonce else {
        return StatusCode::NO_CONTENT.into_response();
    };
    match hex32(&nonce) {
        Some(nonce) => Json(PingAnswer {
            signature: limits.signer.sign("ping", &nonce, 0),
        })
        .into_response(),
        None => refuse(
            StatusCode::BAD_REQUEST,
            "nonce must be 32 bytes of hex".into(),
        ),
    }
}

fn refuse(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": { "message": message } })),
    )
        .into_response()
}

async fn sink(State(limits): State<Limits>, body: Body) -> Response {
    let started = limits.clock.now();
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
    let hash = hasher.finalize();
    Json(SinkReceipt {
        bytes,
        blake3: hash.to_hex().to_string(),
        signature: Some(limits.signer.sign("sink", hash.as_bytes(), bytes)),
    })
    .into_response()
}

#[derive(Deserialize)]
struct SourceQuery {
    seed: String,
    bytes: u64,
}

async fn source(State(limits): State<Limits>, Query(q): Query<SourceQuery>) -> Response {
    let seed: [u8; 32] = match hex32(&q.seed) {
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
    let signature = limits.signer.sign("source", &seed, total);
    let started = limits.clock.now();
    let pieces =
        futures_util::stream::unfold((payload_stream(&seed), 0u64), move |(mut xof, sent)| {
            let limits = limits.clone();
            async move {
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
            }
        });
    (
        [(SPEED_SIGNATURE_HEADER, signature)],
        Body::from_stream(pieces),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::speed_test::payload_hash;

    fn signer() -> SpeedSigner {
        SpeedSigner {
            key: SecretKey::from_seed([3; 32]),
            chain_id: "plexus-test".into(),
        }
    }

    /// What the sink at `base` answers for `body`.
    async fn sink_receipt(http: &reqwest::Client, base: &str, body: Bytes) -> SinkReceipt {
        http.post(format!("{base}{SINK_PATH}"))
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn serve(rate: Option<u64>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(rate, signer())).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn every_answer_is_signed_by_the_device_over_the_testers_challenge() {
        use plexus_types::speed_test::verify_answer;
        let base = serve(None).await;
        let http = reqwest::Client::new();
        let device = signer().key.public_key();
        let other = SecretKey::from_seed([4; 32]).public_key();
        let check = |part: &str, challenge: &[u8; 32], bytes: u64, sig: Option<&str>| {
            let mine = verify_answer(&device, "plexus-test", part, challenge, bytes, sig);
            let theirs = verify_answer(&other, "plexus-test", part, challenge, bytes, sig);
            mine.is_ok() && theirs.is_err()
        };
        let nonce = [9u8; 32];
        let ping: PingAnswer = http
            .get(format!("{base}{PING_PATH}?nonce={}", hex::encode(nonce)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(check("ping", &nonce, 0, Some(&ping.signature)));
        assert!(!check("ping", &[8u8; 32], 0, Some(&ping.signature)));

        let seed = [7u8; 32];
        let source = http
            .get(format!(
                "{base}{SOURCE_PATH}?seed={}&bytes=1000",
                hex::encode(seed)
            ))
            .send()
            .await
            .unwrap();
        let sig = source.headers()[SPEED_SIGNATURE_HEADER]
            .to_str()
            .unwrap()
            .to_string();
        assert!(check("source", &seed, 1000, Some(&sig)));
        assert!(
            !check("source", &seed, 999, Some(&sig)),
            "the size is signed"
        );
        let body = source.bytes().await.unwrap();

        let receipt = sink_receipt(&http, &base, body.clone()).await;
        let hash = *blake3::hash(&body).as_bytes();
        assert!(check("sink", &hash, 1000, receipt.signature.as_deref()));
        assert!(!check("sink", &hash, 1000, None));
    }

    #[tokio::test]
    async fn the_service_returns_the_payload_of_a_seed_and_the_hash_of_what_it_received() {
        let base = serve(None).await;
        let http = reqwest::Client::new();
        let ping = http.get(format!("{base}{PING_PATH}")).send().await.unwrap();
        assert_eq!(ping.status(), 204);

        let seed = [7u8; 32];
        let body = http
            .get(format!(
                "{base}{SOURCE_PATH}?seed={}&bytes=200000",
                hex::encode(seed)
            ))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(body.len(), 200_000);
        assert_eq!(blake3::hash(&body), payload_hash(&seed, 200_000));

        let receipt = sink_receipt(&http, &base, body.clone()).await;
        assert_eq!(receipt.bytes, 200_000);
        assert_eq!(receipt.blake3, blake3::hash(&body).to_hex().to_string());
    }

    #[tokio::test]
    async fn bad_requests_are_refused_and_the_service_keeps_serving() {
        let base = serve(None).await;
        let http = reqwest::Client::new();
        for query in [
            "seed=zz&bytes=10".to_string(),
            format!("seed={}&bytes=10", "ab".repeat(31)),
            format!("seed={}&bytes={}", "ab".repeat(32), MAX_TRANSFER_BYTES + 1),
            "bytes=10".to_string(),
        ] {
            let r = http
                .get(format!("{base}{SOURCE_PATH}?{query}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{query}");
        }
        let oversize = vec![0u8; (MAX_TRANSFER_BYTES + 1) as usize];
        let r = http
            .post(format!("{base}{SINK_PATH}"))
            .body(oversize)
            .send()
            .await;
        // Refused with 413, or cut off while still sending: either way not accepted.
        assert!(r.map_or(true, |r| r.status() == 413));
        let ping = http.get(format!("{base}{PING_PATH}")).send().await.unwrap();
        assert_eq!(ping.status(), 204);
    }

    #[tokio::test]
    async fn a_throttled_service_moves_no_faster_than_its_rate() {
        let base = serve(Some(1_000_000)).await;
        let started = std::time::Instant::now();
        let body = reqwest::get(format!(
            "{base}{SOURCE_PATH}?seed={}&bytes=500000",
            "01".repeat(32)
        ))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
        assert_eq!(body.len(), 500_000);
        assert!(
            started.elapsed() >= Duration::from_millis(450),
            "{:?}",
            started.elapsed()
        );
    }
}
