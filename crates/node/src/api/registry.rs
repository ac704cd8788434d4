//! `GET /v1/chain` and `/v1/devices`: the chain's parameters and its device registry.

use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody, Page, MAX_PAGE};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_client::views::{ChainView, DeviceChangesView, DeviceView, DevicesView};
use plexus_ledger::query;
use plexus_ledger::registry::{Device, DeviceStatus};
use plexus_store::Store;
use plexus_types::Address;
use serde::Deserialize;
use serde_json::json;

/// Devices one filtered page of a device list looks at, at most: a rare class or status is
/// found a page of this many registrations at a time, each answer bounded whatever the chain holds.
pub(crate) const MAX_SCAN: u64 = 10_000;

/// `?class=…&status=…&owner=…` on the device lists (`/v1/devices`, `/v1/devices/cells`,
/// `/v1/devices/rewards`): only the devices matching every one given.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeviceFilter {
    /// Only devices of this class
    class: Option<String>,
    /// Only devices of this status: active, retired, slashed or withdrawn
    status: Option<String>,
    /// Only devices this address owns, `plx1…`
    owner: Option<String>,
}

/// A device status's name, as `/v1/devices` writes it (the key of an object status).
fn status_name(status: &DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::Active => "active",
        DeviceStatus::Retired { .. } => "retired",
        DeviceStatus::Slashed { .. } => "slashed",
        DeviceStatus::Withdrawn => "withdrawn",
    }
}

const STATUSES: [&str; 4] = ["active", "retired", "slashed", "withdrawn"];

/// One page of a device list: the devices in registration order from `page.from`, those the
/// filter keeps. Unfiltered, a page is `limit` devices; filtered, at most `limit` matches among
/// at most [`MAX_SCAN`] devices looked at, `next` being where the scan stopped.
pub(crate) fn devices_page(
    store: &Store,
    page: &Page,
    filter: &DeviceFilter,
) -> ApiResult<(Vec<Device>, Option<u64>)> {
    let class = filter.class.as_deref().filter(|c| !c.is_empty());
    let status = filter.status.as_deref().filter(|c| !c.is_empty());
    if let Some(status) = status {
        if !STATUSES.contains(&status) {
            return Err(ApiError::bad_request(
                "bad_status",
                format!(
                    "{status:?} is not a device status (one of {})",
                    STATUSES.join(", ")
                ),
            ));
        }
    }
    let owner = match filter.owner.as_deref().filter(|c| !c.is_empty()) {
        Some(owner) => Some(owner.parse::<Address>().map_err(|e| {
            ApiError::bad_request("bad_address", format!("{owner:?} is not an address: {e}"))
        })?),
        None => None,
    };
    let found = if class.is_none() && status.is_none() && owner.is_none() {
        query::devices_page(store, page.from, page.limit())
    } else {
        query::devices_matching(store, page.from, page.limit(), MAX_SCAN, |d| {
            class.is_none_or(|c| d.class == c)
                && status.is_none_or(|s| status_name(&d.status) == s)
                && owner.as_ref().is_none_or(|o| &d.owner == o)
        })
    };
    found.map_err(ApiError::from)
}

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
    summary = "Registered devices in registration order, with owner, class, capabilities, location, stake and status, a page at a time: `next` is where the next page starts (null after the last). With `class`, `status` or `owner`, only the matching devices among at most 10000 looked at per page: a filtered page may hold fewer than `limit`, even none, and still have a `next`",
    params(
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
        DeviceFilter,
    ),
    responses(
        (status = 200, description = "OK", body = DevicesView),
        (status = 400, description = "bad status or owner", body = ErrorBody),
    )
)]
/// GET /v1/devices[?from=N&limit=M&class=C&status=S&owner=A]: a page of the registered devices.
pub(super) async fn devices(
    State(s): State<ApiState>,
    Query(page): Query<Page>,
    Query(filter): Query<DeviceFilter>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let (devices, next) = devices_page(chain.store(), &page, &filter)?;
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
