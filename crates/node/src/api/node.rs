//! `GET /v1/status` and `GET /v1/accounts/{address}`: the node and the accounts it proves.

use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_client::views::{AccountView, StatusView};
use plexus_ledger::{query, Account};
use plexus_types::Address;
use serde::Deserialize;

#[utoipa::path(
    get,
    path = "/v1/status",
    tag = "node",
    summary = "Chain id, height, app hash, transactions committed, mempool size",
    responses((status = 200, description = "OK", body = StatusView))
)]
pub(super) async fn status(State(s): State<ApiState>) -> Json<StatusView> {
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
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AtHeight {
    height: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/v1/accounts/{address}",
    tag = "node",
    summary = "An account's balance and nonce at a height, with a Merkle proof against that height's app hash",
    params(
        ("address" = String, Path, description = "A bech32 address, `plx1…`"),
        ("height" = Option<u64>, Query, description = "A committed height; the latest if absent"),
    ),
    responses(
        (status = 200, description = "OK", body = AccountView),
        (status = 400, description = "bad address or query", body = ErrorBody),
        (status = 404, description = "height not committed", body = ErrorBody),
        (status = 410, description = "height pruned: the message names the oldest kept height", body = ErrorBody),
    )
)]
pub(super) async fn account(
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
        let (acct, proof) = query::account_with_proof(chain.store(), &address, height)?;
        let exists = acct.is_some();
        let acct: Account = acct.unwrap_or_default();
        let pending = match at.height {
            None => chain.pending_nonce(&address).unwrap_or(0),
            Some(_) => 0,
        };
        Ok(Json(AccountView {
            address,
            balance: acct.balance,
            nonce: acct.nonce,
            pending_nonce: acct.nonce.max(pending),
            exists,
            height,
            app_hash,
            proof: hex::encode(proof.0),
        }))
    })
    .await
}
