//! The HTTP API under `/v1`. Every malformed request gets a 4xx with a JSON body
//! `{"error": {"code": …, "message": …}}`; nothing a client sends can crash the node.

use crate::{explorer, metrics_recorder, openapi};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plexus_chain::Chain;
use plexus_ledger::{query, Account, Reject, TxCode};
use plexus_types::{Address, Amount, Block, Hash};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

/// Largest request body: a batch of transactions.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Most transactions in one batch request.
const MAX_BATCH_TXS: usize = 10_000;

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
        .route("/v1/status", get(status))
        .route("/v1/txs", post(submit_tx))
        .route("/v1/txs/batch", post(submit_batch))
        .route("/v1/txs/{hash}", get(tx_status))
        .route("/v1/accounts/{address}", get(account))
        .route("/v1/blocks/latest", get(latest_block))
        .route("/v1/blocks/{height}", get(block))
        .route("/v1/chain", get(chain_info))
        .route("/v1/devices", get(devices))
        .route("/v1/devices/{key}", get(device))
        .route("/v1/epochs/{epoch}", get(epoch))
        .route("/v1/rewards", get(rewards))
        .route("/v1/storage", get(storage_totals))
        .route("/v1/storage/deals", get(storage_deals))
        .route("/v1/storage/deals/{id}", get(storage_deal))
        .route("/v1/storage/blobs/{blob}", get(storage_blob))
        .route("/v1/learn", get(training_totals))
        .route("/v1/learn/tasks", get(training_tasks))
        .route("/v1/learn/tasks/{id}", get(training_task))
        .route("/v1/market", get(market_totals))
        .route("/v1/market/orders", get(market_orders))
        .route("/v1/market/orders/{id}", get(market_order))
        .route("/v1/market/leases/{id}", get(market_lease))
        .route("/v1/market/providers/{address}", get(market_provider))
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
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    fn internal(message: impl std::fmt::Display) -> ApiError {
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

type ApiResult<T> = Result<T, ApiError>;

async fn blocking<T: Send + 'static>(
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

#[derive(Serialize)]
pub struct StatusView {
    pub chain_id: String,
    pub height: u64,
    pub app_hash: Hash,
    pub last_block_time_ms: u64,
    pub txs_committed: u64,
    pub mempool_size: usize,
    /// Smallest fee a transaction may offer, in uplx.
    pub min_fee: Amount,
    /// Devices ever registered.
    pub devices: u64,
    pub version: &'static str,
}

async fn status(State(s): State<ApiState>) -> Json<StatusView> {
    let st = s.chain.status();
    Json(StatusView {
        chain_id: st.chain_id,
        height: st.height,
        app_hash: st.app_hash,
        last_block_time_ms: st.last_block_time_ms,
        txs_committed: st.txs_committed,
        mempool_size: st.mempool_size,
        min_fee: s.chain.checker().params().min_fee,
        devices: query::device_count(s.chain.store()).unwrap_or(0),
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TxJson {
    /// The encoded transaction, hex.
    tx: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchJson {
    txs: Vec<String>,
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

/// POST /v1/txs: the body is the encoded transaction (`application/octet-stream`), or JSON
/// `{"tx": "<hex>"}`.
async fn submit_tx(
    State(s): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
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
        Json(json!({ "hash": meta.hash, "status": "pending" })),
    ))
}

/// POST /v1/txs/batch: JSON `{"txs": ["<hex>", …]}`; one result per transaction, in order.
async fn submit_batch(
    State(s): State<ApiState>,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
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
    let results: Vec<serde_json::Value> = results
        .into_iter()
        .map(|r| match r {
            Ok(meta) => json!({ "hash": meta.hash, "status": "pending" }),
            Err(e) => json!({ "error": { "code": e.code.as_str(), "message": e.message } }),
        })
        .collect();
    Ok(Json(json!({ "results": results })))
}

#[derive(Serialize)]
pub struct TxStatusView {
    pub hash: Hash,
    /// `committed`, `pending` or `unknown`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<TxCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee: Option<Amount>,
}

fn parse_hash(text: &str) -> ApiResult<Hash> {
    Hash::from_hex(text).map_err(|e| {
        ApiError::bad_request(
            "bad_hash",
            format!("{text:?} is not a 64-character hex hash: {e}"),
        )
    })
}

async fn tx_status(
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
                status: "committed",
                height: Some(c.height),
                index: Some(c.index),
                code: Some(c.result.code),
                log: Some(c.result.log),
                fee: Some(c.result.fee),
            },
            None => TxStatusView {
                hash,
                status: if chain.is_pending(&hash) {
                    "pending"
                } else {
                    "unknown"
                },
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AtHeight {
    height: Option<u64>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct AccountView {
    pub address: Address,
    pub balance: Amount,
    pub nonce: u64,
    /// Whether the account exists in state (the proof is then of inclusion, else of absence).
    pub exists: bool,
    pub height: u64,
    /// App hash (state root) at `height`, against which `proof` verifies.
    pub app_hash: Hash,
    /// Hex of the Merkle proof.
    pub proof: String,
}

async fn account(
    State(s): State<ApiState>,
    Path(address): Path<String>,
    query_params: Result<Query<AtHeight>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<AccountView>> {
    let address: Address = address.parse().map_err(|e: plexus_types::AddressError| {
        ApiError::bad_request("bad_address", e.to_string())
    })?;
    let Query(at) = query_params.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let chain = s.chain.clone();
    blocking(move || {
        let current = chain.status().height;
        let height = at.height.unwrap_or(current);
        if height > current {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "height_not_committed",
                format!("height {height} is above the committed height {current}"),
            ));
        }
        let app_hash = chain
            .store()
            .root_at(height)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "height_not_committed",
                    format!("no state at height {height}"),
                )
            })?;
        let (acct, proof) = query::account_with_proof(chain.store(), &address, height)
            .map_err(ApiError::internal)?;
        let exists = acct.is_some();
        let acct: Account = acct.unwrap_or_default();
        Ok(Json(AccountView {
            address,
            balance: acct.balance,
            nonce: acct.nonce,
            exists,
            height,
            app_hash,
            proof: hex::encode(proof.0),
        }))
    })
    .await
}

#[derive(Serialize)]
pub struct BlockView {
    pub height: u64,
    pub hash: Hash,
    pub chain_id: String,
    pub time_ms: u64,
    pub proposer: Address,
    pub prev_app_hash: Hash,
    /// App hash after executing this block.
    pub app_hash: Option<Hash>,
    pub tx_root: Hash,
    pub txs: Vec<Hash>,
}

fn block_view(chain: &Chain, block: Block) -> ApiResult<BlockView> {
    let app_hash = chain
        .store()
        .root_at(block.header.height)
        .map_err(ApiError::internal)?;
    Ok(BlockView {
        height: block.header.height,
        hash: block.hash(),
        chain_id: block.header.chain_id.clone(),
        time_ms: block.header.time_ms,
        proposer: block.header.proposer,
        prev_app_hash: block.header.prev_app_hash,
        app_hash,
        tx_root: block.header.tx_root,
        txs: block.txs.iter().map(|t| Hash::of(t)).collect(),
    })
}

async fn latest_block(State(s): State<ApiState>) -> ApiResult<Json<BlockView>> {
    let height = s.chain.status().height;
    get_block(s, height).await
}

async fn block(
    State(s): State<ApiState>,
    Path(height): Path<String>,
) -> ApiResult<Json<BlockView>> {
    let height: u64 = height.parse().map_err(|_| {
        ApiError::bad_request("bad_height", format!("{height:?} is not a block height"))
    })?;
    get_block(s, height).await
}

async fn get_block(s: ApiState, height: u64) -> ApiResult<Json<BlockView>> {
    let chain = s.chain.clone();
    blocking(move || {
        let block = chain
            .block(height)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "no_such_block",
                    format!(
                        "no block at height {height} (blocks start at 1; the chain is at {})",
                        chain.status().height
                    ),
                )
            })?;
        block_view(&chain, block).map(Json)
    })
    .await
}

/// Recent blocks for the explorer.
pub(crate) fn recent_blocks(chain: &Chain, count: u64) -> Vec<BlockView> {
    let top = chain.status().height;
    (top.saturating_sub(count - 1).max(1)..=top)
        .rev()
        .filter_map(|h| chain.block(h).ok().flatten())
        .filter_map(|b| block_view(chain, b).ok())
        .collect()
}

/// GET /v1/chain: the chain id and genesis parameters (epochs, oracles, device classes).
async fn chain_info(State(s): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let info = query::chain_info(chain.store())
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal("the chain has no genesis"))?;
        Ok(Json(
            serde_json::to_value(info).map_err(ApiError::internal)?,
        ))
    })
    .await
}

/// GET /v1/devices: every registered device.
async fn devices(State(s): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let devices = query::devices(chain.store()).map_err(ApiError::internal)?;
        Ok(Json(
            json!({ "height": chain.status().height, "devices": devices }),
        ))
    })
    .await
}

/// GET /v1/devices/{key}: one device, by its hex public key.
async fn device(
    State(s): State<ApiState>,
    Path(key): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let key: plexus_types::PublicKey = key.parse().map_err(|e: plexus_types::KeyError| {
        ApiError::bad_request("bad_device", format!("{key:?} is not a device key: {e}"))
    })?;
    let chain = s.chain.clone();
    blocking(move || {
        let device = query::device(chain.store(), &key)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_device",
                    format!("no device {key}"),
                )
            })?;
        Ok(Json(
            serde_json::to_value(device).map_err(ApiError::internal)?,
        ))
    })
    .await
}

/// GET /v1/epochs/{epoch}: what an ended epoch minted, its pools, manifests and claims.
async fn epoch(
    State(s): State<ApiState>,
    Path(epoch): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let last = query::last_epoch(chain.store()).map_err(ApiError::internal)?;
        let n: u64 = match epoch.as_str() {
            "latest" => last,
            other => other.parse().map_err(|_| {
                ApiError::bad_request("bad_epoch", format!("{other:?} is not an epoch number"))
            })?,
        };
        let (record, pools) = query::epoch(chain.store(), n)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "epoch_not_ended",
                    format!("epoch {n} has not ended (last ended: {last})"),
                )
            })?;
        Ok(Json(
            json!({ "epoch": record, "pools": pools, "last_ended": last }),
        ))
    })
    .await
}

/// GET /v1/rewards: minted, paid, forfeited, dust, expired and claimable rewards.
async fn rewards(State(s): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let acct = query::reward_totals(chain.store()).map_err(ApiError::internal)?;
        let last = query::last_epoch(chain.store()).map_err(ApiError::internal)?;
        let balanced = acct.balances();
        let mut v = serde_json::to_value(acct).map_err(ApiError::internal)?;
        v["last_ended_epoch"] = json!(last);
        v["balanced"] = json!(balanced);
        Ok(Json(v))
    })
    .await
}

/// A deal as the API shows it: the chain's record plus, under `assigned`, each replica's
/// device, owner, device status and endpoint.
fn deal_view(
    store: &plexus_store::Store,
    deal: plexus_ledger::storage::StorageDeal,
) -> ApiResult<serde_json::Value> {
    let mut replicas = Vec::with_capacity(deal.providers.len());
    for key in &deal.providers {
        let device = query::device(store, key).map_err(ApiError::internal)?;
        let endpoint = device
            .as_ref()
            .map(|d| d.capabilities.endpoint.clone())
            .filter(|e| !e.is_empty());
        replicas.push(json!({
            "device": key,
            "owner": device.as_ref().map(|d| d.owner),
            "device_status": device.map(|d| d.status),
            "endpoint": endpoint,
        }));
    }
    let mut v = serde_json::to_value(&deal).map_err(ApiError::internal)?;
    // `replicas` stays the deal's count; the replicas themselves are listed beside it.
    v["assigned"] = json!(replicas);
    Ok(v)
}

/// GET /v1/storage: storage escrow accounting.
async fn storage_totals(State(s): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let acct = query::storage_totals(chain.store()).map_err(ApiError::internal)?;
        let balanced = acct.balances();
        let mut v = serde_json::to_value(acct).map_err(ApiError::internal)?;
        v["balanced"] = json!(balanced);
        Ok(Json(v))
    })
    .await
}

#[derive(Deserialize)]
struct DealsQuery {
    provider: Option<String>,
}

/// GET /v1/storage/deals[?provider=KEY]: the open deals, or those assigned to one device.
async fn storage_deals(
    State(s): State<ApiState>,
    Query(q): Query<DealsQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let provider = match q.provider {
        None => None,
        Some(text) => Some(text.parse::<plexus_types::PublicKey>().map_err(|e| {
            ApiError::bad_request("bad_device", format!("{text:?} is not a device key: {e}"))
        })?),
    };
    let chain = s.chain.clone();
    blocking(move || {
        let store = chain.store();
        let deals = query::open_storage_deals(store).map_err(ApiError::internal)?;
        let mut out = Vec::new();
        for deal in deals {
            if provider.is_none_or(|p| deal.providers.contains(&p)) {
                out.push(deal_view(store, deal)?);
            }
        }
        Ok(Json(
            json!({ "height": chain.status().height, "deals": out }),
        ))
    })
    .await
}

/// GET /v1/storage/deals/{id}: one deal and its replicas.
async fn storage_deal(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("bad_deal", format!("{id:?} is not a deal number")))?;
    let chain = s.chain.clone();
    blocking(move || {
        let deal = query::storage_deal(chain.store(), id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_deal",
                    format!("no deal {id}"),
                )
            })?;
        Ok(Json(deal_view(chain.store(), deal)?))
    })
    .await
}

/// GET /v1/storage/blobs/{blob}: every deal made for a blob, oldest first, with replicas.
async fn storage_blob(
    State(s): State<ApiState>,
    Path(blob): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = Hash::from_hex(&blob)
        .ok()
        .filter(|_| blob.len() == 64)
        .ok_or_else(|| {
            let shown: String = blob.chars().take(80).collect();
            ApiError::bad_request(
                "bad_blob",
                format!("a blob id is 64 hex digits (a blake3 hash), got {shown:?}"),
            )
        })?;
    let chain = s.chain.clone();
    blocking(move || {
        let store = chain.store();
        let deals = query::storage_deals_of_blob(store, &id).map_err(ApiError::internal)?;
        let views = deals
            .into_iter()
            .map(|d| deal_view(store, d))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Json(json!({ "blob": id, "deals": views })))
    })
    .await
}

/// GET /v1/learn: training escrow accounting.
async fn training_totals(State(s): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let acct = query::training_totals(chain.store()).map_err(ApiError::internal)?;
        let balanced = acct.balances();
        let mut v = serde_json::to_value(acct).map_err(ApiError::internal)?;
        v["balanced"] = json!(balanced);
        Ok(Json(v))
    })
    .await
}

/// GET /v1/learn/tasks: every training task, oldest first.
async fn training_tasks(State(s): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let tasks = query::training_tasks(chain.store()).map_err(ApiError::internal)?;
        Ok(Json(json!({ "tasks": tasks })))
    })
    .await
}

/// GET /v1/learn/tasks/{id}: one training task with its participants and rounds.
async fn training_task(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("bad_task", format!("{id:?} is not a task number")))?;
    let chain = s.chain.clone();
    blocking(move || {
        let task = query::training_task(chain.store(), id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_task",
                    format!("no training task {id}"),
                )
            })?;
        Ok(Json(
            serde_json::to_value(task).map_err(ApiError::internal)?,
        ))
    })
    .await
}

/// GET /v1/market: market escrow accounting.
async fn market_totals(State(s): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let acct = query::market_totals(chain.store()).map_err(ApiError::internal)?;
        let balanced = acct.balances();
        let mut v = serde_json::to_value(acct).map_err(ApiError::internal)?;
        v["balanced"] = json!(balanced);
        Ok(Json(v))
    })
    .await
}

/// An order with its bids and leases: `{order, bids, leases}`.
fn order_view(
    store: &plexus_store::Store,
    order: plexus_ledger::market::Order,
) -> ApiResult<serde_json::Value> {
    let mut bids = Vec::with_capacity(order.bids.len());
    for id in &order.bids {
        bids.push(
            query::market_bid(store, *id)
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::internal(format!("bid {id} missing")))?,
        );
    }
    let mut leases = Vec::with_capacity(order.leases.len());
    for id in &order.leases {
        leases.push(
            query::market_lease(store, *id)
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::internal(format!("lease {id} missing")))?,
        );
    }
    Ok(json!({ "order": order, "bids": bids, "leases": leases }))
}

#[derive(Deserialize)]
struct OrdersQuery {
    /// Only orders that have not ended.
    #[serde(default)]
    live: bool,
    /// Only this consumer's orders.
    owner: Option<String>,
    #[serde(default)]
    from: u64,
    limit: Option<usize>,
}

/// GET /v1/market/orders[?live=true][&owner=ADDRESS][&from=ID&limit=N]: orders with their
/// bids and leases, oldest first; `live` lists those that have not ended, `owner` one
/// consumer's.
async fn market_orders(
    State(s): State<ApiState>,
    Query(q): Query<OrdersQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    let limit = q.limit.unwrap_or(100).min(1000);
    let owner = match &q.owner {
        None => None,
        Some(text) => Some(text.parse::<Address>().map_err(|e| {
            ApiError::bad_request("bad_address", format!("{text:?} is not an address: {e}"))
        })?),
    };
    blocking(move || {
        let store = chain.store();
        let orders = if let Some(owner) = owner {
            let all = query::market_orders_of(store, &owner).map_err(ApiError::internal)?;
            all.into_iter()
                .filter(|o| o.id >= q.from && (!q.live || !o.is_closed()))
                .take(limit)
                .collect()
        } else if q.live {
            query::market_live_orders(store).map_err(ApiError::internal)?
        } else {
            query::market_orders(store, q.from, limit).map_err(ApiError::internal)?
        };
        let views = orders
            .into_iter()
            .map(|o| order_view(store, o))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Json(json!({ "orders": views })))
    })
    .await
}

fn id_param(kind: &'static str, text: &str) -> ApiResult<u64> {
    text.parse().map_err(|_| {
        ApiError::bad_request(
            if kind == "order" {
                "bad_order"
            } else {
                "bad_lease"
            },
            format!("{text:?} is not an {kind} number"),
        )
    })
}

/// GET /v1/market/orders/{id}: one order with its bids and leases.
async fn market_order(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = id_param("order", &id)?;
    let chain = s.chain.clone();
    blocking(move || {
        let store = chain.store();
        let order = query::market_order(store, id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_order",
                    format!("no order {id}"),
                )
            })?;
        Ok(Json(order_view(store, order)?))
    })
    .await
}

/// GET /v1/market/leases/{id}: one lease.
async fn market_lease(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = id_param("lease", &id)?;
    let chain = s.chain.clone();
    blocking(move || {
        let lease = query::market_lease(chain.store(), id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_lease",
                    format!("no lease {id}"),
                )
            })?;
        Ok(Json(
            serde_json::to_value(lease).map_err(ApiError::internal)?,
        ))
    })
    .await
}

/// GET /v1/market/providers/{address}: a provider's record of checked results.
async fn market_provider(
    State(s): State<ApiState>,
    Path(address): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let addr: Address = address.parse().map_err(|e| {
        ApiError::bad_request("bad_address", format!("{address:?} is not an address: {e}"))
    })?;
    let chain = s.chain.clone();
    blocking(move || {
        let rec = query::market_provider(chain.store(), &addr).map_err(ApiError::internal)?;
        let mut v = serde_json::to_value(rec).map_err(ApiError::internal)?;
        v["banned"] = json!(rec.banned());
        Ok(Json(v))
    })
    .await
}
