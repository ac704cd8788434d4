//! `GET /v1/devices/cells`, `GET /v1/devices/rewards` and `GET /v1/devices/{key}/rewards`:
//! what the console's device pages draw. Cells come with their boundaries as latitude/longitude
//! pairs, computed here with `h3o`, so a browser draws the map without an H3 library.

use super::registry::{devices_page, DeviceFilter};
use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody, Page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_ledger::query;
use plexus_ledger::registry::Device;
use plexus_types::{Amount, PublicKey};
use serde::Serialize;
use utoipa::ToSchema;

/// Epochs a device's reward history covers at most: the newest ones.
pub(crate) const MAX_REWARD_EPOCHS: u64 = 100;

/// One device's place on the map.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeviceCell {
    /// The device's public key, hex.
    key: String,
    class: String,
    /// The device's status as `/v1/devices` gives it.
    #[schema(value_type = Object)]
    status: serde_json::Value,
    h3_cell: u64,
    /// The cell's centre, `[lat, lng]` in degrees.
    center: [f64; 2],
    /// The cell's corners in order, each `[lat, lng]` in degrees.
    boundary: Vec<[f64; 2]>,
}

/// `GET /v1/devices/cells`.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeviceCellsView {
    height: u64,
    cells: Vec<DeviceCell>,
    /// Where the next page starts; null after the last.
    next: Option<u64>,
}

fn device_cell(device: &Device) -> ApiResult<DeviceCell> {
    // Registration refuses invalid cells, so one here means the state is not what it should be.
    let cell = h3o::CellIndex::try_from(device.h3_cell).map_err(|e| {
        ApiError::internal(format!(
            "device {} has an invalid H3 cell {}: {e}",
            device.key, device.h3_cell
        ))
    })?;
    let center = h3o::LatLng::from(cell);
    Ok(DeviceCell {
        key: device.key.to_string(),
        class: device.class.clone(),
        status: serde_json::to_value(device.status).map_err(ApiError::internal)?,
        h3_cell: device.h3_cell,
        center: [center.lat(), center.lng()],
        boundary: cell.boundary().iter().map(|p| [p.lat(), p.lng()]).collect(),
    })
}

#[utoipa::path(
    get,
    path = "/v1/devices/cells",
    tag = "registry",
    summary = "Registered devices' H3 cells with their centres and boundaries as [lat, lng] pairs in degrees, in registration order, a page at a time",
    params(
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
        DeviceFilter,
    ),
    responses(
        (status = 200, description = "OK", body = DeviceCellsView),
        (status = 400, description = "bad status or owner", body = ErrorBody),
    )
)]
/// GET /v1/devices/cells[?from=N&limit=M&…]: a page of the devices' cells and boundaries.
pub(super) async fn device_cells(
    State(s): State<ApiState>,
    Query(page): Query<Page>,
    Query(filter): Query<DeviceFilter>,
) -> ApiResult<Json<DeviceCellsView>> {
    let chain = s.chain.clone();
    blocking(move || {
        let (devices, next) = devices_page(chain.store(), &page, &filter)?;
        let cells = devices.iter().map(device_cell).collect::<ApiResult<_>>()?;
        Ok(Json(DeviceCellsView {
            height: chain.status().height,
            cells,
            next,
        }))
    })
    .await
}

/// What a device's claim of one epoch paid.
#[derive(Serialize, ToSchema)]
pub(crate) struct EpochReward {
    epoch: u64,
    /// Whether the device's reward of this epoch was claimed.
    claimed: bool,
    /// What the claim paid, in uplx ("0" when unclaimed).
    #[schema(value_type = String)]
    amount: Amount,
}

/// `GET /v1/devices/{key}/rewards`.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeviceRewardsView {
    device: String,
    /// The reward pool the device's class draws from.
    resource: String,
    last_ended: u64,
    /// The ended epochs since the device registered, newest last, at most 100.
    epochs: Vec<EpochReward>,
    /// The sum of `epochs`' amounts.
    #[schema(value_type = String)]
    total: Amount,
}

fn device_rewards_at(store: &plexus_store::Store, key: PublicKey) -> ApiResult<DeviceRewardsView> {
    let device = query::device(store, &key)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_device",
                format!("no device {key}"),
            )
        })?;
    let info = query::chain_info(store)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("the chain has no genesis"))?;
    let last = query::last_epoch(store).map_err(ApiError::internal)?;
    rewards_of(store, &info, last, &device)
}

/// A device's claims over the newest [`MAX_REWARD_EPOCHS`] ended epochs since it registered,
/// `last` being the last ended epoch.
fn rewards_of(
    store: &plexus_store::Store,
    info: &plexus_ledger::ChainInfo,
    last: u64,
    device: &Device,
) -> ApiResult<DeviceRewardsView> {
    let resource = info
        .device_class(&device.class)
        .ok_or_else(|| ApiError::internal(format!("device class {} is unknown", device.class)))?
        .resource;
    let first = device
        .registered_epoch
        .max(1)
        .max(last.saturating_sub(MAX_REWARD_EPOCHS - 1));
    let mut epochs = Vec::new();
    let mut total = 0u128;
    for epoch in first..=last {
        let paid =
            query::claim_amount(store, epoch, resource, &device.key).map_err(ApiError::internal)?;
        total += paid.map_or(0, |a| a.0);
        epochs.push(EpochReward {
            epoch,
            claimed: paid.is_some(),
            amount: paid.unwrap_or(Amount(0)),
        });
    }
    Ok(DeviceRewardsView {
        device: device.key.to_string(),
        resource: resource.as_str().to_string(),
        last_ended: last,
        epochs,
        total: Amount(total),
    })
}

/// One device's line of `GET /v1/devices/rewards`.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeviceRewardsTotal {
    /// The device's public key, hex.
    device: String,
    /// What `/v1/devices/{key}/rewards` gives as `total`: its claims over the newest 100
    /// ended epochs since it registered, in uplx.
    #[schema(value_type = String)]
    total: Amount,
}

/// `GET /v1/devices/rewards`.
#[derive(Serialize, ToSchema)]
pub(crate) struct DevicesRewardsView {
    height: u64,
    last_ended: u64,
    /// The page's devices, in the order and with the cursor of `/v1/devices`.
    rewards: Vec<DeviceRewardsTotal>,
    /// Where the next page starts; null after the last.
    next: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/v1/devices/rewards",
    tag = "rewards",
    summary = "What each device of a page of `/v1/devices` (same `from`, `limit`, filters, order and `next`) has claimed over the newest 100 ended epochs since it registered: the `total` of `/v1/devices/{key}/rewards`, for a page of devices in one request",
    params(
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
        DeviceFilter,
    ),
    responses(
        (status = 200, description = "OK", body = DevicesRewardsView),
        (status = 400, description = "bad status or owner", body = ErrorBody),
    )
)]
/// GET /v1/devices/rewards[?from=N&limit=M&…]: a page of devices' claimed totals.
pub(super) async fn devices_rewards(
    State(s): State<ApiState>,
    Query(page): Query<Page>,
    Query(filter): Query<DeviceFilter>,
) -> ApiResult<Json<DevicesRewardsView>> {
    let chain = s.chain.clone();
    blocking(move || {
        let store = chain.store();
        let (devices, next) = devices_page(store, &page, &filter)?;
        let info = query::chain_info(store)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal("the chain has no genesis"))?;
        let last = query::last_epoch(store).map_err(ApiError::internal)?;
        let rewards = devices
            .iter()
            .map(|d| {
                rewards_of(store, &info, last, d).map(|r| DeviceRewardsTotal {
                    device: r.device,
                    total: r.total,
                })
            })
            .collect::<ApiResult<_>>()?;
        Ok(Json(DevicesRewardsView {
            height: chain.status().height,
            last_ended: last,
            rewards,
            next,
        }))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/devices/{key}/rewards",
    tag = "rewards",
    summary = "What a device's reward claims paid, epoch by epoch, over the newest 100 ended epochs since it registered",
    params(("key" = String, Path, description = "The device's public key, 64 hex digits")),
    responses(
        (status = 200, description = "OK", body = DeviceRewardsView),
        (status = 400, description = "bad key", body = ErrorBody),
        (status = 404, description = "unknown device", body = ErrorBody),
    )
)]
/// GET /v1/devices/{key}/rewards: a device's claims, epoch by epoch.
pub(super) async fn device_rewards(
    State(s): State<ApiState>,
    Path(key): Path<String>,
) -> ApiResult<Json<DeviceRewardsView>> {
    let key: PublicKey = key.parse().map_err(|e: plexus_types::KeyError| {
        ApiError::bad_request("bad_device", format!("{key:?} is not a device key: {e}"))
    })?;
    let chain = s.chain.clone();
    blocking(move || device_rewards_at(chain.store(), key).map(Json)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cell_comes_with_the_hexagon_around_its_centre() {
        let cell = h3o::LatLng::new(48.85, 2.35)
            .expect("valid coordinates")
            .to_cell(h3o::Resolution::Nine);
        let device: Device = serde_json::from_value(serde_json::json!({
            "key": "8768f5dc69c217b4d5e51830c5fe4fbeb3100899c1e39c0ce3bcc86738e6b8aa",
            "owner": "plx1zdak6sfms9r344wrln3fawjsqrv28hhz57h87v",
            "class": "cpu-small",
            "capabilities": {"cpu_cores": 2, "gpu_count": 0, "gpu_model": "", "gpu_vram_mb": 0, "memory_mb": 1024},
            "h3_cell": u64::from(cell),
            "stake": "100000000",
            "status": "active",
            "registered_epoch": 1,
        }))
        .expect("a device as the registry stores it");
        let Ok(placed) = device_cell(&device) else {
            panic!("a valid cell was refused")
        };
        assert_eq!(placed.boundary.len(), 6);
        let [lat, lng] = placed.center;
        assert!(
            (lat - 48.85).abs() < 0.01 && (lng - 2.35).abs() < 0.01,
            "{lat}, {lng}"
        );
        let lats = placed.boundary.iter().map(|p| p[0]);
        let (lo, hi) = lats.fold((90.0f64, -90.0f64), |(lo, hi), l| (lo.min(l), hi.max(l)));
        assert!(lo < lat && lat < hi, "{lo} .. {hi} around {lat}");
        assert_eq!(placed.status, serde_json::json!("active"));
    }

    #[test]
    fn a_device_with_an_invalid_cell_is_an_error_not_a_point_at_zero() {
        let mut device: Device = serde_json::from_value(serde_json::json!({
            "key": "8768f5dc69c217b4d5e51830c5fe4fbeb3100899c1e39c0ce3bcc86738e6b8aa",
            "owner": "plx1zdak6sfms9r344wrln3fawjsqrv28hhz57h87v",
            "class": "cpu-small",
            "capabilities": {"cpu_cores": 2, "gpu_count": 0, "gpu_model": "", "gpu_vram_mb": 0, "memory_mb": 1024},
            "h3_cell": 1,
            "stake": "100000000",
            "status": "active",
            "registered_epoch": 1,
        }))
        .expect("a device as the registry stores it");
        device.h3_cell = u64::MAX;
        assert!(device_cell(&device).is_err());
    }
}
