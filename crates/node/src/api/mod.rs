//! The HTTP API under `/v1`. Every malformed request gets a 4xx with a JSON body
//! `{"error": {"code": …, "message": …}}`; nothing a client sends can crash the node.
//!
//! One file per subject: the node and its accounts (`node`), transactions (`txs`), blocks,
//! the web console (`console`, its block events in `events`, the map and reward history of
//! devices in `cells`), the chain's parameters and registry (`registry`), the hotspots asserted
//! within a hex (`coverage`), epochs and rewards (and the audit of their manifests, `audit`),
//! storage, training, the market, staking and data credits. Each handler carries its
//! `#[utoipa::path]` description, from which `openapi` builds the document served at
//! `/v1/openapi.json`.

mod audit;
mod blocks;
mod cells;
mod console;
mod coverage;
mod data_credits;
mod data_market;
pub use data_market::data_set_view;
mod events;
mod ledger_views;
mod market;
mod node;
mod openapi;
mod registry;
mod rewards;
mod staking;
mod storage;
mod training;
mod txs;

use crate::metrics_recorder;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Json, Router};
use plexus_chain::Chain;
use plexus_ledger::{Reject, TxCode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

pub use events::{BlockEvent, ConsoleState, EVENT_BACKLOG};

/// Largest request body: a batch of transactions.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct ApiState {
    pub chain: Arc<Chain>,
    /// Blobs kept by this node, served under `/v1/blobs`.
    pub blobs: Arc<plexus_blobs::BlobStore>,
    /// Which uploads the blob service takes (see [`crate::upload_gate`]).
    pub uploads: Arc<dyn plexus_blobs::upload_gate::UploadGate>,
    /// The console's block events and settings (see [`ConsoleState::follow`]).
    pub console: Arc<ConsoleState>,
}

pub fn router(state: ApiState) -> Router {
    let blobs = plexus_blobs::http::router(state.blobs.clone(), state.uploads.clone());
    routes()
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
        // Merged after the body limit: a blob upload streams, admitted by the upload gate
        // (signed, funded, within quota) and cut off past the encoding it announced.
        .merge(blobs)
}

/// One route of the node's own: the OpenAPI document is checked against these.
pub(crate) struct Route {
    // Read by the test that compares the routes with the document.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    handler: MethodRouter<ApiState>,
}

fn at<H, T>(method: Method, path: &'static str, handler: H) -> Route
where
    H: Handler<T, ApiState>,
    T: 'static,
{
    // Only the methods below are routed, and axum has a filter for each of them.
    let filter = MethodFilter::try_from(method.clone()).expect("a method axum routes");
    Route {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// Every route the node serves besides the blob service's (which `plexus_blobs` routes).
pub(crate) fn routes() -> Vec<Route> {
    use Method as M;
    vec![
        at(M::GET, "/", console::index),
        at(M::GET, "/console/{file}", console::file),
        at(M::GET, "/v1/console", console::settings),
        at(M::GET, "/v1/events", events::events),
        at(M::GET, "/metrics", metrics),
        at(M::GET, "/v1/openapi.json", openapi::serve),
        at(M::GET, "/v1/status", node::status),
        at(M::POST, "/v1/txs", txs::submit_tx),
        at(M::POST, "/v1/txs/batch", txs::submit_batch),
        at(M::GET, "/v1/txs/{hash}", txs::tx_status),
        at(M::GET, "/v1/accounts/{address}", node::account),
        at(M::GET, "/v1/blocks/latest", blocks::latest_block),
        at(M::GET, "/v1/blocks/{height}", blocks::block),
        at(M::GET, "/v1/beacon", blocks::beacon),
        at(M::GET, "/v1/chain", registry::chain_info),
        at(M::GET, "/v1/devices", registry::devices),
        at(M::GET, "/v1/devices/changes", registry::device_changes),
        at(M::GET, "/v1/devices/cells", cells::device_cells),
        at(M::GET, "/v1/devices/rewards", cells::devices_rewards),
        at(M::GET, "/v1/devices/{key}", registry::device),
        at(M::GET, "/v1/devices/{key}/rewards", cells::device_rewards),
        at(M::GET, "/v1/coverage/{hex}", coverage::coverage),
        at(M::GET, "/v1/epochs/{epoch}", rewards::epoch),
        at(
            M::GET,
            "/v1/epochs/{epoch}/audit/{resource}",
            audit::epoch_audit,
        ),
        at(M::GET, "/v1/rewards", rewards::rewards),
        at(M::GET, "/v1/storage", storage::storage_totals),
        at(M::GET, "/v1/storage/deals", storage::storage_deals),
        at(M::GET, "/v1/storage/deals/{id}", storage::storage_deal),
        at(M::GET, "/v1/storage/blobs/{blob}", storage::storage_blob),
        at(M::GET, "/v1/learn", training::training_totals),
        at(M::GET, "/v1/learn/tasks", training::training_tasks),
        at(M::GET, "/v1/learn/tasks/{id}", training::training_task),
        at(
            M::GET,
            "/v1/learn/tasks/{id}/rounds",
            training::training_rounds,
        ),
        at(M::GET, "/v1/market", market::market_totals),
        at(M::GET, "/v1/market/orders", market::market_orders),
        at(M::GET, "/v1/market/orders/{id}", market::market_order),
        at(M::GET, "/v1/market/leases/{id}", market::market_lease),
        at(
            M::GET,
            "/v1/market/providers/{address}",
            market::market_provider,
        ),
        at(M::GET, "/v1/staking", staking::staking_totals),
        at(M::GET, "/v1/validators", staking::validators),
        at(M::GET, "/v1/validators/set", staking::validator_set),
        at(M::GET, "/v1/validators/{address}", staking::validator),
        at(M::GET, "/v1/delegations/{address}", staking::delegations),
        at(M::GET, "/v1/unbondings/{address}", staking::unbondings),
        at(
            M::GET,
            "/v1/data-credits/{address}",
            data_credits::data_credits,
        ),
        at(
            M::GET,
            "/v1/wireless/data/{epoch}",
            data_credits::epoch_data,
        ),
        at(M::GET, "/v1/data/sets/{epoch}", data_market::data_sets),
        at(
            M::GET,
            "/v1/data/sets/{epoch}/{class}/{region}",
            data_market::data_set,
        ),
        at(
            M::GET,
            "/v1/data/sets/{epoch}/{class}/{region}/sales/{buyer}",
            data_market::data_sale,
        ),
        at(
            M::GET,
            "/v1/data/sets/{epoch}/{class}/{region}/paid/{device}",
            data_market::data_paid,
        ),
    ]
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

impl From<plexus_store::StoreError> for ApiError {
    /// A pruned height is the asker's to change (410 with the oldest kept height); any other
    /// store error is the node's.
    fn from(e: plexus_store::StoreError) -> ApiError {
        match e {
            plexus_store::StoreError::Pruned { .. } => {
                ApiError::new(StatusCode::GONE, "height_pruned", e.to_string())
            }
            e => ApiError::internal(e),
        }
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

/// Raw bytes in a body: an encoded transaction, or a blob's verified encoding.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // Describes bodies that the handlers read and write as bytes.
pub(crate) struct Binary(Vec<u8>);

/// The body of every error answer: `{"error": {"code", "message"}}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

/// Why a request failed.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable, for programs: `bad_hash`, `no_such_block`, `mempool_full`, …
    code: String,
    /// For people.
    message: String,
}

impl ErrorBody {
    pub(crate) fn new(code: impl Into<String>, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody::new(self.code, self.message))).into_response()
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// The most items one page of a list endpoint holds.
pub(crate) const MAX_PAGE: usize = 1000;

/// `?from=N&limit=M` on a list endpoint: where the page starts (the `next` of the page before,
/// 0 for the first) and how many items it holds at most (100 if absent, between 1 and
/// [`MAX_PAGE`]).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Page {
    #[serde(default)]
    pub from: u64,
    pub limit: Option<usize>,
}

impl Page {
    pub(crate) fn limit(&self) -> usize {
        self.limit.unwrap_or(100).clamp(1, MAX_PAGE)
    }
}

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

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "node",
    summary = "Prometheus metrics",
    responses(
        (status = 200, description = "OK", content_type = "text/plain", body = String),
        (status = 503, description = "another metrics recorder owns this process", body = ErrorBody),
    )
)]
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
