//! `GET /v1/chain` and `/v1/devices`: the chain's parameters and its device registry.

use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody, Page, MAX_PAGE};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_client::views::{ChainView, DeviceChangesView, DeviceView, DevicesView};
use plexus_ledger::query;
use serde_json::json;

#[utoipa::path(
    get,
    path = "/v1/chain",
    tag = "registry",
    summary = "Chain id and genesis parameters: epochs, emission, oracle set, device classes",
    responses((status = 200, description = "OK", body = ChainView))
)]
/// GET /v1/chain: the chain id and genesis parameters (epochs, oracles, device classes).
pub(super) async fn chain_info(State(s): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
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

#[utoipa::path(
    get,
    path = "/v1/devices",
    tag = "registry",
    summary = "Registered devices in registration order, with owner, class, capabilities, location, stake and status, a page at a time: `next` is where the next page starts (null after the last)",
    params(
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses((status = 200, description = "OK", body = DevicesView))
)]
/// GET /v1/devices[?from=N&limit=M]: a page of the registered devices.
pub(super) async fn devices(
    State(s): State<ApiState>,
    Query(page): Query<Page>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let (devices, next) = query::devices_page(chain.store(), page.from, page.limit())
            .map_err(ApiError::internal)?;
        Ok(Json(
            json!({ "height": chain.status().height, "devices": devices, "next": next }),
        ))
    })
    .await
}

#[derive(serde::Deserialize)]
pub(super) struct ChangesQuery {
    #[serde(default)]
    after: u64,
}

#[utoipa::path(
    get,
    path = "/v1/devices/changes",
    tag = "registry",
    summary = "The devices that blocks after `after` registered or changed, as they are now: {after, through, devices}. At most 1000 blocks and about 1000 devices per answer; ask again with after = through. A follower of the registry reads this instead of every device",
    params(("after" = Option<u64>, Query, description = "The last block already seen (0 for all)")),
    responses((status = 200, description = "OK", body = DeviceChangesView))
)]
/// GET /v1/devices/changes?after=H: devices registered or changed after block H.
pub(super) async fn device_changes(
    State(s): State<ApiState>,
    Query(q): Query<ChangesQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let to = chain.status().height;
        let (devices, through) =
            query::devices_changed(chain.store(), q.after, to, MAX_PAGE as u64, MAX_PAGE)
                .map_err(ApiError::internal)?;
        Ok(Json(
            json!({ "after": q.after, "through": through, "devices": devices }),
        ))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/devices/{key}",
    tag = "registry",
    summary = "One device by its hex public key",
    params(("key" = String, Path, description = "The device's public key, 64 hex digits")),
    responses(
        (status = 200, description = "OK", body = DeviceView),
        (status = 400, description = "bad key", body = ErrorBody),
        (status = 404, description = "unknown device", body = ErrorBody),
    )
)]
/// GET /v1/devices/{key}: one device, by its hex public key.
pub(super) async fn device(
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
