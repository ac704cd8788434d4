//! `GET /v1/coverage/{hex}`: the hotspots asserted within an H3 hex, read from the ledger's
//! index of asserted locations.

use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody, Page};
use axum::extract::{Path, Query, State};
use axum::Json;
use plexus_client::views::CoverageView;
use plexus_ledger::query;
use plexus_types::tx::ASSERTED_RESOLUTION;
use serde_json::json;

/// The H3 index `text` (hex digits, `0x` allowed) of a cell at resolution 12 or coarser.
fn parse_hex(text: &str) -> ApiResult<h3o::CellIndex> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let cell = u64::from_str_radix(digits, 16)
        .ok()
        .and_then(|n| h3o::CellIndex::try_from(n).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_hex",
                format!("{text:?} is not an H3 cell index in hex (for example 8c2a100d2c0a5ff)"),
            )
        })?;
    let resolution = u8::from(cell.resolution());
    if resolution > ASSERTED_RESOLUTION {
        return Err(ApiError::bad_request(
            "bad_hex",
            format!(
                "{cell} is a resolution {resolution} cell; locations are asserted at resolution {ASSERTED_RESOLUTION}, so ask about one of 0 to {ASSERTED_RESOLUTION}"
            ),
        ));
    }
    Ok(cell)
}

#[utoipa::path(
    get,
    path = "/v1/coverage/{hex}",
    tag = "registry",
    summary = "The active hotspots (wireless devices) asserted within an H3 hex of resolution 0 to 12, each with its class, asserted cell, antenna, seniority height and status, a page at a time: `next` is where the next page starts (null after the last). Retired and slashed hotspots leave the index",
    params(
        ("hex" = String, Path, description = "The hex's H3 index in hex, for example 8c2a100d2c0a5ff"),
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses(
        (status = 200, description = "OK", body = CoverageView),
        (status = 400, description = "not an H3 index, or finer than resolution 12", body = ErrorBody),
    )
)]
/// GET /v1/coverage/{hex}[?from=N&limit=M]: the hotspots asserted within an H3 hex.
pub(super) async fn coverage(
    State(s): State<ApiState>,
    Path(hex): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Json<serde_json::Value>> {
    let cell = parse_hex(&hex)?;
    let chain = s.chain.clone();
    blocking(move || {
        let (devices, next) =
            query::coverage_page(chain.store(), u64::from(cell), page.from, page.limit())?;
        Ok(Json(json!({
            "height": chain.status().height,
            "hex": cell.to_string(),
            "resolution": u8::from(cell.resolution()),
            "devices": devices,
            "next": next,
        })))
    })
    .await
}
