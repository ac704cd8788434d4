//! `GET /v1/data/sets/…`: the data market's final data sets, their sales and what each device
//! in them has been paid.

use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_client::views::{
    DataMarketTotalsView, DataPaidView, DataSaleView, DataSetView, DataSetsView,
};
use plexus_ledger::data_market::{data_set_name, parse_data_set_name, DataSetRecord};
use plexus_ledger::{module_account, query};
use plexus_store::Store;
use plexus_types::{Address, Amount, PublicKey};

fn epoch_number(text: &str) -> ApiResult<u64> {
    text.parse()
        .map_err(|_| ApiError::bad_request("bad_epoch", format!("{text:?} is not an epoch number")))
}

/// The set's name from its class and region, checked.
fn set_name(class: &str, region: &str) -> ApiResult<String> {
    let name = format!("{class}/{region}");
    let (class, region) = parse_data_set_name(&name).ok_or_else(|| {
        ApiError::bad_request(
            "bad_data_set",
            format!("{name:?} is not a data set (<class>/<resolution-5 H3 cell in hex>)"),
        )
    })?;
    Ok(data_set_name(&class, region))
}

/// A data set as the API shows it.
pub fn data_set_view(r: DataSetRecord) -> DataSetView {
    DataSetView {
        epoch: r.epoch,
        name: r.name,
        class: r.class,
        root: r.root,
        total_units: r.total_units,
        data_root: r.data_root,
        finalized_height: r.finalized_height,
        oracles: r.oracles,
        price: r.price,
        sales: r.sales,
        revenue: r.revenue,
        paid: r.paid,
        forfeited: r.forfeited,
    }
}

fn totals(store: &Store) -> ApiResult<DataMarketTotalsView> {
    let t = query::data_market_totals(store)?;
    let held = query::account(store, &module_account::data_market())?.balance;
    Ok(DataMarketTotalsView {
        sets: t.sets,
        sales: t.sales,
        revenue: t.revenue,
        paid: t.paid,
        forfeited: t.forfeited,
        held,
    })
}

fn unknown(epoch: u64, name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_data_set",
        format!("no final data set {name} for epoch {epoch}"),
    )
}

#[utoipa::path(
    get,
    path = "/v1/data/sets/{epoch}",
    tag = "data",
    summary = "An epoch's final data sets (one per sensor class and region: its leaves' root, its data root, price, sales, revenue and payouts) and the data market's books",
    params(("epoch" = u64, Path)),
    responses(
        (status = 200, description = "OK", body = DataSetsView),
        (status = 400, description = "bad epoch number", body = ErrorBody),
    )
)]
/// GET /v1/data/sets/{epoch}: an epoch's data sets.
pub(super) async fn data_sets(
    State(s): State<ApiState>,
    Path(epoch): Path<String>,
) -> ApiResult<Json<DataSetsView>> {
    let epoch = epoch_number(&epoch)?;
    let chain = s.chain.clone();
    blocking(move || {
        let sets = query::data_sets(chain.store(), epoch)?;
        Ok(Json(DataSetsView {
            epoch,
            sets: sets.into_iter().map(data_set_view).collect(),
            totals: totals(chain.store())?,
        }))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/data/sets/{epoch}/{class}/{region}",
    tag = "data",
    summary = "One final data set",
    params(
        ("epoch" = u64, Path),
        ("class" = String, Path, description = "A sensor class: `weather`, `energy-meter`, `vehicle`"),
        ("region" = String, Path, description = "A resolution-5 H3 cell in hex"),
    ),
    responses(
        (status = 200, description = "OK", body = DataSetView),
        (status = 400, description = "bad epoch or data set name", body = ErrorBody),
        (status = 404, description = "no such final data set (`unknown_data_set`)", body = ErrorBody),
    )
)]
/// GET /v1/data/sets/{epoch}/{class}/{region}: one data set.
pub(super) async fn data_set(
    State(s): State<ApiState>,
    Path((epoch, class, region)): Path<(String, String, String)>,
) -> ApiResult<Json<DataSetView>> {
    let epoch = epoch_number(&epoch)?;
    let name = set_name(&class, &region)?;
    let chain = s.chain.clone();
    blocking(move || {
        let set =
            query::data_set(chain.store(), epoch, &name)?.ok_or_else(|| unknown(epoch, &name))?;
        Ok(Json(data_set_view(set)))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/data/sets/{epoch}/{class}/{region}/sales/{buyer}",
    tag = "data",
    summary = "A buyer's purchase of a data set: what opens the data to its key at an oracle's data service",
    params(
        ("epoch" = u64, Path),
        ("class" = String, Path),
        ("region" = String, Path),
        ("buyer" = String, Path, description = "plx1…"),
    ),
    responses(
        (status = 200, description = "OK", body = DataSaleView),
        (status = 400, description = "bad epoch, data set name or address", body = ErrorBody),
        (status = 404, description = "the buyer did not buy it (`not_bought`)", body = ErrorBody),
    )
)]
/// GET /v1/data/sets/{epoch}/{class}/{region}/sales/{buyer}: one purchase.
pub(super) async fn data_sale(
    State(s): State<ApiState>,
    Path((epoch, class, region, buyer)): Path<(String, String, String, String)>,
) -> ApiResult<Json<DataSaleView>> {
    let epoch = epoch_number(&epoch)?;
    let name = set_name(&class, &region)?;
    let buyer: Address = buyer.parse().map_err(|e: plexus_types::AddressError| {
        ApiError::bad_request("bad_address", format!("{buyer:?} is not an address: {e}"))
    })?;
    let chain = s.chain.clone();
    blocking(move || {
        let sale = query::data_sale(chain.store(), epoch, &name, &buyer)?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_bought",
                format!("{buyer} has not bought data set {name} of epoch {epoch}"),
            )
        })?;
        Ok(Json(DataSaleView {
            epoch: sale.epoch,
            name: sale.name,
            buyer: sale.buyer,
            price: sale.price,
            height: sale.height,
        }))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/data/sets/{epoch}/{class}/{region}/paid/{device}",
    tag = "data",
    summary = "What a device has been paid of a data set's revenue so far",
    params(
        ("epoch" = u64, Path),
        ("class" = String, Path),
        ("region" = String, Path),
        ("device" = String, Path, description = "The device's public key, 64 hex digits"),
    ),
    responses(
        (status = 200, description = "OK", body = DataPaidView),
        (status = 400, description = "bad epoch, data set name or key", body = ErrorBody),
    )
)]
/// GET /v1/data/sets/{epoch}/{class}/{region}/paid/{device}: a device's payouts.
pub(super) async fn data_paid(
    State(s): State<ApiState>,
    Path((epoch, class, region, device)): Path<(String, String, String, String)>,
) -> ApiResult<Json<DataPaidView>> {
    let epoch = epoch_number(&epoch)?;
    let name = set_name(&class, &region)?;
    let key: PublicKey = device.parse().map_err(|e: plexus_types::KeyError| {
        ApiError::bad_request("bad_device", format!("{device:?} is not a device key: {e}"))
    })?;
    let chain = s.chain.clone();
    blocking(move || {
        let paid = query::data_paid(chain.store(), epoch, &name, &key)?;
        Ok(Json(DataPaidView {
            epoch,
            name,
            device: key,
            paid: Amount(paid),
        }))
    })
    .await
}
