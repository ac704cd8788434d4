//! The HTTP API under `/v1`. Every malformed request gets a 4xx with a JSON body
//! `{"error": {"code": …, "message": …}}`; nothing a client sends can crash the node.
//!
//! One file per subject: the node and its accounts (`node`), transactions (`txs`), blocks
//! and the explorer page over them, the chain's parameters and registry (`registry`), epochs
//! and rewards, storage, training and the market.

mod blocks;
mod explorer;
mod market;
mod node;
mod registry;
mod rewards;
mod storage;
mod training;
mod txs;

use crate::{metrics_recorder, openapi};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plexus_chain::Chain;
use plexus_ledger::{Reject, TxCode};
use serde_json::json;
use std::sync::Arc;

/// Largest request body: a batch of transactions.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct ApiState {
    pub chain: Arc<Chain>,
    /// Blobs kept by this node, served under `/v1/blobs`.
    pub blobs: Arc<plexus_blobs::BlobStore>,
}

pub fn router(state: ApiState) -> Router {
    let blobs = plexus_blobs::http::router(state.blobs.clone());
    Router::new()
        .route("/", get(explorer::index))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi_doc))
        .route("/v1/status", get(node::status))
        .route("/v1/txs", post(txs::submit_tx))
        .route("/v1/txs/batch", post(txs::submit_batch))
        .route("/v1/txs/{hash}", get(txs::tx_status))
        .route("/v1/accounts/{address}", get(node::account))
        .route("/v1/blocks/latest", get(blocks::latest_block))
        .route("/v1/blocks/{height}", get(blocks::block))
        .route("/v1/chain", get(registry::chain_info))
        .route("/v1/devices", get(registry::devices))
        .route("/v1/devices/{key}", get(registry::device))
        .route("/v1/epochs/{epoch}", get(rewards::epoch))
        .route("/v1/rewards", get(rewards::rewards))
        .route("/v1/storage", get(storage::storage_totals))
        .route("/v1/storage/deals", get(storage::storage_deals))
        .route("/v1/storage/deals/{id}", get(storage::storage_deal))
        .route("/v1/storage/blobs/{blob}", get(storage::storage_blob))
        .route("/v1/learn", get(training::training_totals))
        .route("/v1/learn/tasks", get(training::training_tasks))
        .route("/v1/learn/tasks/{id}", get(training::training_task))
        .route("/v1/market", get(market::market_totals))
        .route("/v1/market/orders", get(market::market_orders))
        .route("/v1/market/orders/{id}", get(market::market_order))
        .route("/v1/market/leases/{id}", get(market::market_lease))
        .route(
            "/v1/market/providers/{address}",
            get(market::market_provider),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
        // Merged after the body limit: blob uploads stream, with no limit but the blob's size.
        .merge(blobs)
}

/// An error answer: status, stable code, message for people.
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn internal(message: impl std::fmt::Display) -> ApiError {
        tracing::error!(%message, "internal error answering a request");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            message.to_string(),
        )
    }
}

impl From<Reject> for ApiError {
    fn from(r: Reject) -> ApiError {
        let status = match r.code {
            TxCode::MempoolFull => StatusCode::SERVICE_UNAVAILABLE,
            TxCode::Duplicate => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, r.code.as_str(), r.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /v1/openapi.json",
    )
}

async fn metrics() -> Response {
    match metrics_recorder::handle() {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics_unavailable",
            "another metrics recorder owns this process",
        )
        .into_response(),
    }
}

async fn openapi_doc() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::DOCUMENT,
    )
        .into_response()
}
