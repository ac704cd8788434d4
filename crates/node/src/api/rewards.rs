//! `GET /v1/epochs/{epoch}` and `GET /v1/rewards`: ended epochs, their pools, reward totals.

use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_client::views::{EpochView, RewardsView};
use plexus_ledger::query;
use serde_json::json;

#[utoipa::path(
    get,
    path = "/v1/epochs/{epoch}",
    tag = "rewards",
    summary = "An ended epoch (number or 'latest'): emission, pools, final manifests, claims",
    params(("epoch" = String, Path, description = "An epoch number, or `latest`")),
    responses(
        (status = 200, description = "OK", body = EpochView),
        (status = 400, description = "bad epoch", body = ErrorBody),
        (status = 404, description = "epoch not ended", body = ErrorBody),
    )
)]
/// GET /v1/epochs/{epoch}: what an ended epoch minted, its pools, manifests and claims.
pub(super) async fn epoch(
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

#[utoipa::path(
    get,
    path = "/v1/rewards",
    tag = "rewards",
    summary = "Reward accounting: minted = paid + forfeited + dust + expired + to_validators + claimable",
    responses((status = 200, description = "OK", body = RewardsView))
)]
/// GET /v1/rewards: minted, paid, forfeited, dust, expired and claimable rewards.
pub(super) async fn rewards(State(s): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
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
