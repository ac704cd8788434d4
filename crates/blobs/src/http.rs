//! The blob service that a node and an agent mount: `GET /v1/blobs` (complete blobs),
//! `GET /v1/blobs/{id}/status` (complete, partial with its verified prefix, or absent),
//! `GET /v1/blobs/{id}?start=&end=` (the verified encoding of a byte range),
//! `GET /v1/blobs/{id}/proof?groups=3,17,40` (the answer to a retrievability challenge: the
//! verified encoding of those chunk groups) and
//! `PUT /v1/blobs/{id}?size=&offset=` (receive the verified encoding from `offset` on; resume
//! from the verified prefix that `status` reports). An upload passes the service's
//! [`UploadGate`] before a byte of its body is read, and its body is cut off past the largest
//! encoding of what it announced. Errors answer `{"error": {"code", "message", "verified"?}}`
//! with a 4xx status.

use crate::channel_io;
use crate::upload_auth::{UploadAuth, UploadRefused};
use crate::upload_gate::{UploadGate, UploadRequest};
use crate::{BlobId, BlobStore, StoreError, CHUNK_GROUP_BYTES};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use std::io;
use std::sync::Arc;

use crate::answer_auth::{AnswerSigner, ANSWER_SIGNATURE_HEADER};

/// Content type of a verified encoding: bytes interleaved with the hashes that prove them.
pub const BAO_CONTENT_TYPE: &str = "application/x-bao";
/// Header carrying the blob's total size on a range answer.
pub const SIZE_HEADER: &str = "x-blob-size";

/// The blob routes over `store`, taking the uploads that `gate` admits, ready to merge into
/// a service's router.
pub fn router(store: Arc<BlobStore>, gate: Arc<dyn UploadGate>) -> Router {
    signing_router(store, gate, None)
}

/// [`router`] for a service that keeps replicas for a device: its audit answers are signed
/// with the device's key by `answers`.
pub fn signing_router(
    store: Arc<BlobStore>,
    gate: Arc<dyn UploadGate>,
    answers: Option<Arc<AnswerSigner>>,
) -> Router {
    Router::new()
        .route("/v1/blobs", get(list))
        .route("/v1/blobs/{id}/status", get(status))
        .route("/v1/blobs/{id}/proof", get(proof))
        .route("/v1/blobs/{id}", get(download).put(upload))
        // An upload's body is bounded by what it announced (see `upload`), not by a constant.
        .layer(DefaultBodyLimit::disable())
        .with_state(Service {
            store,
            gate,
            answers,
        })
}

#[derive(Clone)]
struct Service {
    store: Arc<BlobStore>,
    gate: Arc<dyn UploadGate>,
    answers: Option<Arc<AnswerSigner>>,
}

/// The most bytes the verified encoding of bytes `offset..size` can take: the bytes, and at
/// most one pair of 32-byte hashes per chunk group.
fn encoding_bound(size: u64, offset: u64) -> u64 {
    let groups = size.div_ceil(CHUNK_GROUP_BYTES).max(1);
    size.saturating_sub(offset)
        .saturating_add(groups.saturating_mul(64))
}

struct BlobError {
    status: StatusCode,
    code: &'static str,
    message: String,
    verified: Option<u64>,
}

impl BlobError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> BlobError {
        BlobError {
            status,
            code,
            message: message.into(),
            verified: None,
        }
    }
}

impl From<StoreError> for BlobError {
    fn from(e: StoreError) -> BlobError {
        let message = e.to_string();
        let (status, code, verified) = match &e {
            StoreError::Io { .. } => {
                tracing::error!(%message, "blob store failure");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
            StoreError::NotFound(_) => (StatusCode::NOT_FOUND, "blob_not_found", None),
            StoreError::UploadInProgress(_) => (StatusCode::CONFLICT, "upload_in_progress", None),
            StoreError::SizeMismatch { .. } => (StatusCode::CONFLICT, "size_mismatch", None),
            StoreError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", None),
            StoreError::OffsetBeyondPrefix { verified, .. } => (
                StatusCode::CONFLICT,
                "offset_beyond_prefix",
                Some(*verified),
            ),
            StoreError::Challenge(_) => (StatusCode::BAD_REQUEST, "bad_challenge", None),
            StoreError::Unaligned(_) => (StatusCode::BAD_REQUEST, "unaligned_offset", None),
            StoreError::BadRange { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, "bad_range", None),
            StoreError::Corrupt { verified, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "corrupt", Some(*verified))
            }
            StoreError::Incomplete { verified, .. } => {
                (StatusCode::BAD_REQUEST, "incomplete", Some(*verified))
            }
        };
        BlobError {
            status,
            code,
            message,
            verified,
        }
    }
}

impl From<UploadRefused> for BlobError {
    fn from(r: UploadRefused) -> BlobError {
        BlobError::new(r.status, r.code, r.message)
    }
}

impl IntoResponse for BlobError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(v) = self.verified {
            error["verified"] = json!(v);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

fn parse_id(id: &str) -> Result<BlobId, BlobError> {
    id.parse().map_err(|e: crate::ParseBlobIdError| {
        BlobError::new(StatusCode::BAD_REQUEST, "bad_id", e.to_string())
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, BlobError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(BlobError::from),
        Err(e) => Err(BlobError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("blob task failed: {e}"),
        )),
    }
}

async fn list(State(Service { store, .. }): State<Service>) -> Result<Response, BlobError> {
    let blobs = blocking(move || store.list()).await?;
    let blobs: Vec<_> = blobs
        .into_iter()
        .map(|(id, size)| json!({"id": id, "size": size}))
        .collect();
    Ok(Json(json!({ "blobs": blobs })).into_response())
}

async fn status(
    State(Service { store, .. }): State<Service>,
    Path(id): Path<String>,
) -> Result<Response, BlobError> {
    let id = parse_id(&id)?;
    let status = blocking(move || store.status(id)).await?;
    Ok(Json(status).into_response())
}

#[derive(Deserialize)]
struct ProofQuery {
    groups: String,
    /// The auditor's nonce (64 hex digits), which a device's service signs with its answer.
    nonce: Option<String>,
}

async fn proof(
    State(Service { store, answers, .. }): State<Service>,
    Path(id): Path<String>,
    Query(q): Query<ProofQuery>,
) -> Result<Response, BlobError> {
    let id = parse_id(&id)?;
    let groups = q
        .groups
        .split(',')
        .take(crate::retrievability::MAX_CHALLENGE_GROUPS + 1)
        .map(|g| g.trim().parse::<u64>())
        .collect::<Result<Vec<u64>, _>>()
        .map_err(|e| {
            BlobError::new(
                StatusCode::BAD_REQUEST,
                "bad_challenge",
                format!("groups must be comma-separated chunk group numbers: {e}"),
            )
        })?;
    let nonce = match &q.nonce {
        None => None,
        Some(text) => Some(
            hex::decode(text)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| {
                    BlobError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_challenge",
                        "nonce must be 64 hex digits",
                    )
                })?,
        ),
    };
    let answer = blocking(move || {
        let mut out = Vec::new();
        store.prove(id, &groups, &mut out).map(|()| out)
    })
    .await?;
    let signature = match (&answers, &nonce) {
        (Some(signer), Some(nonce)) => signer.sign(id, nonce, &answer),
        _ => None,
    };
    let mut response = answer.into_response();
    if let Some(signature) = signature {
        response.headers_mut().insert(
            ANSWER_SIGNATURE_HEADER,
            HeaderValue::from_str(&hex::encode(signature.to_bytes()))
                .expect("hex is a valid header value"),
        );
    }
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(BAO_CONTENT_TYPE),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct RangeQuery {
    start: Option<u64>,
    end: Option<u64>,
}

async fn download(
    State(Service { store, .. }): State<Service>,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, BlobError> {
    let id = parse_id(&id)?;
    let probe = store.clone();
    let size = blocking(move || probe.open_blob(id).map(|b| b.size)).await?;
    let start = q.start.unwrap_or(0);
    let end = q.end.unwrap_or(size);
    if start > end || end > size {
        return Err(StoreError::BadRange { start, end, size }.into());
    }
    let (writer, rx) = channel_io::writer();
    tokio::task::spawn_blocking(move || {
        let mut writer = writer;
        if let Err(e) = store.encode(id, start, end, &mut writer) {
            tracing::warn!(%id, error = %e, "serving a blob range failed");
            writer.fail(io::Error::other(e.to_string()));
        }
    });
    let mut response = Body::from_stream(channel_io::into_stream(rx)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(BAO_CONTENT_TYPE),
    );
    headers.insert(SIZE_HEADER, HeaderValue::from(size));
    Ok(response)
}

#[derive(Deserialize)]
struct UploadQuery {
    size: u64,
    #[serde(default)]
    offset: u64,
}

async fn upload(
    State(Service { store, gate, .. }): State<Service>,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, BlobError> {
    let id = parse_id(&id)?;
    if q.size > crate::MAX_BLOB_BYTES {
        return Err(StoreError::TooLarge(q.size).into());
    }
    let auth = UploadAuth::from_headers(&headers)?;
    gate.admit(&UploadRequest {
        id,
        size: q.size,
        offset: q.offset,
        auth: auth.as_ref(),
    })?;
    let mut allowed = encoding_bound(q.size, q.offset);
    let (tx, reader) = channel_io::reader();
    let forward = tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        while let Some(piece) = stream.next().await {
            let mut piece = piece.map_err(io::Error::other);
            let mut past_bound = false;
            if let Ok(bytes) = &mut piece {
                // What fits is still decoded: the decoder may finish, or name the bad byte.
                if bytes.len() as u64 > allowed {
                    bytes.truncate(allowed as usize);
                    past_bound = true;
                }
                allowed -= bytes.len() as u64;
            }
            let failed = piece.is_err();
            if tx.send(piece).await.is_err() || failed {
                break;
            }
            if past_bound {
                let cut = io::Error::other("the body is longer than the encoding it announced");
                // The decoder may have finished already; then nobody needs to hear it.
                let _ = tx.send(Err(cut)).await;
                break;
            }
        }
    });
    let result = blocking(move || store.receive(id, q.size, q.offset, reader)).await;
    forward.abort();
    Ok(Json(result?).into_response())
}
