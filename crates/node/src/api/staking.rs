//! `GET /v1/staking`, `/v1/validators…`, `/v1/delegations/{address}` and
//! `/v1/unbondings/{address}`: staking's books, operators, the validator set and a delegator's
//! stake.

use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody, Page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_client::views::{
    DelegationsView, OperatorView, OperatorsView, StakingView, UnbondingsView, ValidatorSetView,
};
use plexus_ledger::query;
use plexus_types::Address;
use serde_json::json;

fn address(text: &str) -> ApiResult<Address> {
    text.parse().map_err(|e: plexus_types::AddressError| {
        ApiError::bad_request("bad_address", format!("{text:?} is not an address: {e}"))
    })
}

#[utoipa::path(
    get,
    path = "/v1/staking",
    tag = "staking",
    summary = "Staking's books: bonded = unbonded + slashed + bonded_held, rewards_in = rewards_paid + rewards_held",
    responses((status = 200, description = "OK", body = StakingView))
)]
/// GET /v1/staking: staking's totals and what its accounts hold.
pub(super) async fn staking_totals(
    State(s): State<ApiState>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let acct = query::staking_totals(chain.store()).map_err(ApiError::internal)?;
        let balanced = acct.balances();
        let mut v = serde_json::to_value(acct).map_err(ApiError::internal)?;
        v["balanced"] = json!(balanced);
        Ok(Json(v))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/validators",
    tag = "staking",
    summary = "Validator and oracle operators in creation order, with their bonded stake, commission and jail, a page at a time: `next` is where the next page starts (null after the last)",
    params(
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses((status = 200, description = "OK", body = OperatorsView))
)]
/// GET /v1/validators[?from=N&limit=M]: a page of operators.
pub(super) async fn validators(
    State(s): State<ApiState>,
    Query(page): Query<Page>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let (operators, next) = query::operators_page(chain.store(), page.from, page.limit())
            .map_err(ApiError::internal)?;
        Ok(Json(
            json!({ "height": chain.status().height, "operators": operators, "next": next }),
        ))
    })
    .await
}

#[derive(serde::Deserialize)]
pub(super) struct SetQuery {
    epoch: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/v1/validators/set",
    tag = "staking",
    summary = "The validator set that serves an epoch (the latest chosen if no epoch is given) and the height it takes effect: the top validators by bonded stake, unjailed, ties by address",
    params(("epoch" = Option<u64>, Query, description = "The epoch; absent: the latest set chosen")),
    responses(
        (status = 200, description = "OK", body = ValidatorSetView),
        (status = 404, description = "no set for that epoch", body = ErrorBody),
    )
)]
/// GET /v1/validators/set[?epoch=E]: the validator set of an epoch.
pub(super) async fn validator_set(
    State(s): State<ApiState>,
    Query(q): Query<SetQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let set = query::validator_set(chain.store(), q.epoch)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "no_set",
                    "no validator set for that epoch",
                )
            })?;
        Ok(Json(serde_json::to_value(set).map_err(ApiError::internal)?))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/validators/{address}",
    tag = "staking",
    summary = "One validator or oracle operator by its address",
    params(("address" = String, Path, description = "The operator's address, `plx1…`")),
    responses(
        (status = 200, description = "OK", body = OperatorView),
        (status = 400, description = "bad address", body = ErrorBody),
        (status = 404, description = "no such operator", body = ErrorBody),
    )
)]
/// GET /v1/validators/{address}: one operator.
pub(super) async fn validator(
    State(s): State<ApiState>,
    Path(text): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let who = address(&text)?;
    let chain = s.chain.clone();
    blocking(move || {
        let op = query::operator(chain.store(), &who)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_validator",
                    format!("no validator or oracle operator {who}"),
                )
            })?;
        Ok(Json(serde_json::to_value(op).map_err(ApiError::internal)?))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/delegations/{address}",
    tag = "staking",
    summary = "A delegator's delegations, with what each is worth and the rewards it can withdraw, a page at a time",
    params(
        ("address" = String, Path, description = "The delegator's address, `plx1…`"),
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses(
        (status = 200, description = "OK", body = DelegationsView),
        (status = 400, description = "bad address", body = ErrorBody),
    )
)]
/// GET /v1/delegations/{address}[?from=N&limit=M]: a page of a delegator's delegations.
pub(super) async fn delegations(
    State(s): State<ApiState>,
    Path(text): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Json<serde_json::Value>> {
    let who = address(&text)?;
    let chain = s.chain.clone();
    blocking(move || {
        let (delegations, next) =
            query::delegations_page(chain.store(), &who, page.from, page.limit())
                .map_err(ApiError::internal)?;
        Ok(Json(
            json!({ "height": chain.status().height, "delegations": delegations, "next": next }),
        ))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/unbondings/{address}",
    tag = "staking",
    summary = "A delegator's unbondings not yet paid back, with what each is worth and the height it is paid from, a page at a time",
    params(
        ("address" = String, Path, description = "The delegator's address, `plx1…`"),
        ("from" = Option<u64>, Query, description = "Where the page starts: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses(
        (status = 200, description = "OK", body = UnbondingsView),
        (status = 400, description = "bad address", body = ErrorBody),
    )
)]
/// GET /v1/unbondings/{address}[?from=N&limit=M]: a page of a delegator's unbondings.
pub(super) async fn unbondings(
    State(s): State<ApiState>,
    Path(text): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Json<serde_json::Value>> {
    let who = address(&text)?;
    let chain = s.chain.clone();
    blocking(move || {
        let (unbondings, next) =
            query::unbondings_page(chain.store(), &who, page.from, page.limit())
                .map_err(ApiError::internal)?;
        Ok(Json(
            json!({ "height": chain.status().height, "unbondings": unbondings, "next": next }),
        ))
    })
    .await
}
