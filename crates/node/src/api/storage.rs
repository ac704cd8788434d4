//! `/v1/storage`: storage escrow, deals and their replicas.

use super::ledger_views::EscrowView;
use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody, Page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_client::views::{DealView, DealsView};
use plexus_ledger::query;
use plexus_types::Hash;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// `GET /v1/storage/blobs/{blob}`: a page of the deals made for a blob.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the JSON that `storage_blob` writes.
struct BlobDealsView {
    #[schema(value_type = plexus_client::views::schema::HashSchema)]
    blob: (),
    deals: Vec<DealView>,
    /// Where the next page starts (`from`), null after the last.
    next: Option<u64>,
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

#[utoipa::path(
    get,
    path = "/v1/storage",
    tag = "storage",
    summary = "Storage escrow accounting: escrowed = paid + refunded + held, and whether it balances",
    responses((status = 200, description = "OK", body = EscrowView))
)]
/// GET /v1/storage: storage escrow accounting.
pub(super) async fn storage_totals(
    State(s): State<ApiState>,
) -> ApiResult<Json<serde_json::Value>> {
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
pub(super) struct DealsQuery {
    provider: Option<String>,
    #[serde(default)]
    from: u64,
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/v1/storage/deals",
    tag = "storage",
    summary = "Open storage deals, each with its assigned replicas under `assigned` (device, owner, device status, endpoint), a page at a time (in no set order): {height, deals, next}; with ?provider=KEY only those assigned to that device",
    params(
        ("provider" = Option<String>, Query, description = "A device's public key, 64 hex digits"),
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses(
        (status = 200, description = "OK", body = DealsView),
        (status = 400, description = "bad device key", body = ErrorBody),
    )
)]
/// GET /v1/storage/deals[?provider=KEY]: the open deals, or those assigned to one device.
pub(super) async fn storage_deals(
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
        // A device's deals come from its own index, not a scan of every open deal.
        let limit = Page {
            from: q.from,
            limit: q.limit,
        }
        .limit();
        let (deals, next) = match &provider {
            Some(p) => query::open_storage_deals_of_page(store, p, q.from, limit),
            None => query::open_storage_deals_page(store, q.from, limit),
        }
        .map_err(ApiError::internal)?;
        let mut out = Vec::with_capacity(deals.len());
        for deal in deals {
            out.push(deal_view(store, deal)?);
        }
        Ok(Json(
            json!({ "height": chain.status().height, "deals": out, "next": next }),
        ))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/storage/deals/{id}",
    tag = "storage",
    summary = "One storage deal: client, blob, size, replicas, price, term (first_epoch..=last_epoch), escrow, paid, refunded, failed replicas, status, and its assigned replicas under `assigned`",
    params(("id" = u64, Path)),
    responses(
        (status = 200, description = "OK", body = DealView),
        (status = 400, description = "bad deal number", body = ErrorBody),
        (status = 404, description = "unknown deal", body = ErrorBody),
    )
)]
/// GET /v1/storage/deals/{id}: one deal and its replicas.
pub(super) async fn storage_deal(
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

#[utoipa::path(
    get,
    path = "/v1/storage/blobs/{blob}",
    tag = "storage",
    summary = "The storage deals made for a blob, oldest first, with their assigned replicas, a page at a time: {blob, deals, next}, `next` where the next page starts (null after the last)",
    params(
        ("blob" = String, Path, description = "The blob's id, 64 hex digits"),
        ("from" = Option<u64>, Query, description = "0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses(
        (status = 200, description = "OK", body = BlobDealsView),
        (status = 400, description = "bad blob id", body = ErrorBody),
    )
)]
/// GET /v1/storage/blobs/{blob}[?from=N&limit=M]: a page of the deals made for a blob, oldest
/// first, with replicas.
pub(super) async fn storage_blob(
    State(s): State<ApiState>,
    Path(blob): Path<String>,
    Query(page): Query<Page>,
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
        let (deals, next) = query::storage_deals_of_blob_page(store, &id, page.from, page.limit())
            .map_err(ApiError::internal)?;
        let views = deals
            .into_iter()
            .map(|d| deal_view(store, d))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Json(json!({ "blob": id, "deals": views, "next": next })))
    })
    .await
}
