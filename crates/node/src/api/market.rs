//! `/v1/market`: market escrow, orders with their bids and leases, and providers.

use super::ledger_views::{MarketTotalsView, ProviderView};
use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody, Page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_client::views::{LeaseView, OrderView, OrdersView};
use plexus_ledger::query;
use plexus_types::Address;
use serde::Deserialize;
use serde_json::json;

#[utoipa::path(
    get,
    path = "/v1/market",
    tag = "market",
    summary = "Market escrow accounting: escrowed, paid, withdrawn, fees, refunded, bonds, what live orders hold, the escrow balance, and whether they balance",
    responses((status = 200, description = "OK", body = MarketTotalsView))
)]
/// GET /v1/market: market escrow accounting.
pub(super) async fn market_totals(State(s): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
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
pub(super) struct OrdersQuery {
    /// Only orders that have not ended.
    #[serde(default)]
    live: bool,
    /// Only this consumer's orders.
    owner: Option<String>,
    #[serde(default)]
    from: u64,
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/v1/market/orders",
    tag = "market",
    summary = "Compute orders with their bids and leases, a page at a time: {orders: [{order, bids, leases}], next}. All orders by id, oldest first; live=true the orders that have not ended (in no set order); owner=ADDRESS one consumer's, oldest first (with live=true, only those of its page that have not ended). `next` is the `from` of the next page, null after the last",
    params(
        ("live" = Option<bool>, Query),
        ("owner" = Option<String>, Query, description = "A bech32 address, `plx1…`"),
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses(
        (status = 200, description = "OK", body = OrdersView),
        (status = 400, description = "bad address or query", body = ErrorBody),
    )
)]
/// GET /v1/market/orders[?live=true][&owner=ADDRESS][&from=ID&limit=N]: orders with their
/// bids and leases, oldest first; `live` lists those that have not ended, `owner` one
/// consumer's.
pub(super) async fn market_orders(
    State(s): State<ApiState>,
    Query(q): Query<OrdersQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    let limit = Page {
        from: q.from,
        limit: q.limit,
    }
    .limit();
    let owner = match &q.owner {
        None => None,
        Some(text) => Some(text.parse::<Address>().map_err(|e| {
            ApiError::bad_request("bad_address", format!("{text:?} is not an address: {e}"))
        })?),
    };
    blocking(move || {
        let store = chain.store();
        let (orders, next) = if let Some(owner) = owner {
            let (page, next) = query::market_orders_of(store, &owner, q.from, limit)
                .map_err(ApiError::internal)?;
            let page = page
                .into_iter()
                .filter(|o| !q.live || !o.is_closed())
                .collect();
            (page, next)
        } else if q.live {
            query::market_live_page(store, q.from, limit).map_err(ApiError::internal)?
        } else {
            let page = query::market_orders(store, q.from, limit).map_err(ApiError::internal)?;
            let count = query::market_order_count(store).map_err(ApiError::internal)?;
            let end = q.from.saturating_add(page.len() as u64);
            (page, (end < count).then_some(end))
        };
        let views = orders
            .into_iter()
            .map(|o| order_view(store, o))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Json(json!({ "orders": views, "next": next })))
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

#[utoipa::path(
    get,
    path = "/v1/market/orders/{id}",
    tag = "market",
    summary = "One compute order with its bids and leases: {order: owner, terms, state, escrow, accepted results, paid, fees, refunded; bids; leases}",
    params(("id" = u64, Path)),
    responses(
        (status = 200, description = "OK", body = OrderView),
        (status = 400, description = "bad order number", body = ErrorBody),
        (status = 404, description = "unknown order", body = ErrorBody),
    )
)]
/// GET /v1/market/orders/{id}: one order with its bids and leases.
pub(super) async fn market_order(
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

#[utoipa::path(
    get,
    path = "/v1/market/leases/{id}",
    tag = "market",
    summary = "One lease: provider, device, price, role (run, verifier, referee), state and close reason, settlement, output and check",
    params(("id" = u64, Path)),
    responses(
        (status = 200, description = "OK", body = LeaseView),
        (status = 400, description = "bad lease number", body = ErrorBody),
        (status = 404, description = "unknown lease", body = ErrorBody),
    )
)]
/// GET /v1/market/leases/{id}: one lease.
pub(super) async fn market_lease(
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

#[utoipa::path(
    get,
    path = "/v1/market/providers/{address}",
    tag = "market",
    summary = "A provider's record: results confirmed by re-execution, results shown wrong, whether it is barred from bidding",
    params(("address" = String, Path, description = "A bech32 address, `plx1…`")),
    responses(
        (status = 200, description = "OK", body = ProviderView),
        (status = 400, description = "bad address", body = ErrorBody),
    )
)]
/// GET /v1/market/providers/{address}: a provider's record of checked results.
pub(super) async fn market_provider(
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
