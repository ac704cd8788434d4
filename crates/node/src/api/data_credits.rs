//! `GET /v1/data-credits/{address}` and `/v1/wireless/data/{epoch}`: data credits held, and
//! the data traffic hotspots carried and carriers paid for in an epoch.

use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody, Page};
use axum::extract::{Path, Query, State};
use axum::Json;
use plexus_client::views::{
    CarrierUsageView, DataCreditsView, DataPoolView, EpochDataSummaryView, EpochDataView,
    HotspotDataView,
};
use plexus_ledger::query;
use plexus_types::Address;

#[utoipa::path(
    get,
    path = "/v1/data-credits/{address}",
    tag = "wireless",
    summary = "An account's data credits (bought by burning PLX, spent only on data sessions) and the account whose burns bought them: the holder itself or its carrier",
    params(("address" = String, Path, description = "plx1…")),
    responses(
        (status = 200, description = "OK", body = DataCreditsView),
        (status = 400, description = "bad address", body = ErrorBody),
    )
)]
/// GET /v1/data-credits/{address}: an account's data credits.
pub(super) async fn data_credits(
    State(s): State<ApiState>,
    Path(address): Path<String>,
) -> ApiResult<Json<DataCreditsView>> {
    let holder: Address = address.parse().map_err(|e: plexus_types::AddressError| {
        ApiError::bad_request("bad_address", format!("{address:?} is not an address: {e}"))
    })?;
    let chain = s.chain.clone();
    blocking(move || {
        let balance = query::data_credit_balance(chain.store(), &holder)?;
        Ok(Json(DataCreditsView {
            address: holder,
            credits: balance.map_or(0, |b| b.credits),
            bought_by: balance.map(|b| b.bought_by),
        }))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/wireless/data/{epoch}",
    tag = "wireless",
    summary = "An epoch's data traffic: its summary, its data pool once it has ended (the Coverage pool's split between data and coverage, and what data claims paid), each hotspot's sessions settled during the epoch (credits burned, bytes, what its data claim paid; a receipt counts in the epoch it settles in, not the one it names) and each carrier's usage report (PLX burned, credits bought, its subscribers' credits used and bytes), a page at a time. Hotspots and carriers are two lists paged by the same slots; `next` is where the next page starts (null after the last)",
    params(
        ("epoch" = u64, Path),
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses(
        (status = 200, description = "OK", body = EpochDataView),
        (status = 400, description = "bad epoch number", body = ErrorBody),
    )
)]
/// GET /v1/wireless/data/{epoch}[?from=N&limit=M]: a page of an epoch's data traffic.
pub(super) async fn epoch_data(
    State(s): State<ApiState>,
    Path(epoch): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Json<EpochDataView>> {
    let epoch: u64 = epoch.parse().map_err(|_| {
        ApiError::bad_request("bad_epoch", format!("{epoch:?} is not an epoch number"))
    })?;
    let chain = s.chain.clone();
    blocking(move || {
        let data = query::epoch_data_page(chain.store(), epoch, page.from, page.limit())?;
        let s = data.summary;
        Ok(Json(EpochDataView {
            epoch,
            summary: EpochDataSummaryView {
                burned: s.burned,
                credits_bought: s.credits_bought,
                credits_used: s.credits_used,
                bytes: s.bytes,
                sessions: s.sessions,
                hotspots: s.hotspots,
                carriers: s.carriers,
                value: s.value,
            },
            pool: data.pool.map(|p| DataPoolView {
                coverage_pool: p.coverage_pool,
                total_value: p.total_value,
                held: p.held,
                to_coverage: p.to_coverage,
                paid: p.paid,
                forfeited: p.forfeited,
                claimed_value: p.claimed_value,
                unclaimed: p.settlement.as_ref().map(|s| s.unclaimed),
                dust: p.settlement.as_ref().map(|s| s.dust),
            }),
            hotspots: data
                .hotspots
                .into_iter()
                .map(|h| {
                    Ok(HotspotDataView {
                        claimed: query::data_claim(chain.store(), epoch, &h.device)?,
                        device: h.device,
                        owner: h.owner,
                        credits: h.credits,
                        bytes: h.bytes,
                        sessions: h.sessions,
                    })
                })
                .collect::<Result<_, plexus_store::StoreError>>()?,
            carriers: data
                .carriers
                .into_iter()
                .map(|c| CarrierUsageView {
                    carrier: c.carrier,
                    burned: c.burned,
                    credits_bought: c.credits_bought,
                    credits_used: c.credits_used,
                    bytes: c.bytes,
                    sessions: c.sessions,
                })
                .collect(),
            next: data.next,
        }))
    })
    .await
}
