//! `/v1/txs`: submitting transactions and looking them up.

use super::{blocking, ApiError, ApiResult, ApiState, Binary, ErrorBody};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use plexus_client::views::{SubmittedView, TxStatusView};
use plexus_types::Hash;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most transactions in one batch request.
const MAX_BATCH_TXS: usize = 10_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TxJson {
    /// The encoded transaction, hex.
    tx: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BatchJson {
    /// The encoded transactions, hex.
    txs: Vec<String>,
}

/// `POST /v1/txs/batch`: one result per transaction, in order.
#[derive(Serialize, ToSchema)]
pub(super) struct BatchView {
    results: Vec<BatchResult>,
}

/// Admitted to the mempool, or refused with the reason a single submission would give.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub(super) enum BatchResult {
    Admitted(SubmittedView),
    Refused(ErrorBody),
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn decode_hex_tx(hex_tx: &str) -> ApiResult<Vec<u8>> {
    if hex_tx.len() > 2 * plexus_types::MAX_TX_BYTES {
        return Err(ApiError::bad_request(
            "oversize",
            "transaction is larger than the limit",
        ));
    }
    hex::decode(hex_tx.trim_start_matches("0x"))
        .map_err(|e| ApiError::bad_request("bad_hex", format!("tx is not valid hex: {e}")))
}

#[utoipa::path(
    post,
    path = "/v1/txs",
    tag = "txs",
    summary = "Submit a signed transaction (raw protobuf SignedTx as application/octet-stream, or JSON {\"tx\": hex})",
    request_body(content(
        (inline(Binary) = "application/octet-stream"),
        (TxJson = "application/json"),
    )),
    responses(
        (status = 202, description = "Admitted to the mempool", body = SubmittedView),
        (status = 400, description = "Bad request", body = ErrorBody),
        (status = 409, description = "Already pending", body = ErrorBody),
        (status = 503, description = "Mempool full", body = ErrorBody),
    )
)]
/// POST /v1/txs: the body is the encoded transaction (`application/octet-stream`), or JSON
/// `{"tx": "<hex>"}`.
pub(super) async fn submit_tx(
    State(s): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<SubmittedView>)> {
    let bytes = if is_json(&headers) {
        let parsed: TxJson = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("bad_json", e.to_string()))?;
        decode_hex_tx(&parsed.tx)?
    } else {
        body.to_vec()
    };
    let chain = s.chain.clone();
    let meta = blocking(move || chain.submit(bytes).map_err(ApiError::from)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SubmittedView {
            hash: meta.hash,
            status: "pending".to_string(),
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/txs/batch",
    tag = "txs",
    summary = "Submit many transactions (JSON {\"txs\": [hex]}); one result per transaction",
    request_body(content = BatchJson, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = BatchView),
        (status = 400, description = "Bad request", body = ErrorBody),
    )
)]
/// POST /v1/txs/batch: JSON `{"txs": ["<hex>", …]}`; one result per transaction, in order.
pub(super) async fn submit_batch(
    State(s): State<ApiState>,
    body: Bytes,
) -> ApiResult<Json<BatchView>> {
    let parsed: BatchJson = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("bad_json", e.to_string()))?;
    if parsed.txs.len() > MAX_BATCH_TXS {
        return Err(ApiError::bad_request(
            "batch_too_large",
            format!("at most {MAX_BATCH_TXS} transactions per batch"),
        ));
    }
    let mut raw = Vec::with_capacity(parsed.txs.len());
    for t in &parsed.txs {
        raw.push(decode_hex_tx(t)?);
    }
    let chain = s.chain.clone();
    let results = blocking(move || Ok(chain.submit_many(raw))).await?;
    let results = results
        .into_iter()
        .map(|r| match r {
            Ok(meta) => BatchResult::Admitted(SubmittedView {
                hash: meta.hash,
                status: "pending".to_string(),
            }),
            Err(e) => BatchResult::Refused(ErrorBody::new(e.code.as_str(), e.message)),
        })
        .collect();
    Ok(Json(BatchView { results }))
}

fn parse_hash(text: &str) -> ApiResult<Hash> {
    Hash::from_hex(text).map_err(|e| {
        ApiError::bad_request(
            "bad_hash",
            format!("{text:?} is not a 64-character hex hash: {e}"),
        )
    })
}

#[utoipa::path(
    get,
    path = "/v1/txs/{hash}",
    tag = "txs",
    summary = "Status of a transaction: committed (height, index, code, log, fee), pending or unknown",
    params(("hash" = String, Path, description = "The transaction's hash, 64 hex digits")),
    responses(
        (status = 200, description = "committed or pending", body = TxStatusView),
        (status = 400, description = "Bad request", body = ErrorBody),
        (status = 404, description = "unknown: never seen, or committed below the oldest height the node keeps", body = TxStatusView),
    )
)]
pub(super) async fn tx_status(
    State(s): State<ApiState>,
    Path(hash): Path<String>,
) -> ApiResult<(StatusCode, Json<TxStatusView>)> {
    let hash = parse_hash(&hash)?;
    let chain = s.chain.clone();
    blocking(move || {
        let committed = chain.committed_tx(&hash).map_err(ApiError::internal)?;
        let view = match committed {
            Some(c) => TxStatusView {
                hash,
                status: "committed".to_string(),
                height: Some(c.height),
                index: Some(c.index),
                code: Some(c.result.code.as_str().to_string()),
                log: Some(c.result.log),
                fee: Some(c.result.fee),
            },
            None => TxStatusView {
                hash,
                status: if chain.is_pending(&hash) {
                    "pending"
                } else {
                    "unknown"
                }
                .to_string(),
                height: None,
                index: None,
                code: None,
                log: None,
                fee: None,
            },
        };
        let code = if view.status == "unknown" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        Ok((code, Json(view)))
    })
    .await
}
