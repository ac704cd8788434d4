//! `/v1/blocks`: committed blocks and their beacons.

use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_chain::Chain;
use plexus_client::views::{BeaconView, BlockView};
use plexus_ledger::beacon::Beacon;
use plexus_ledger::BeaconCommitment;
use plexus_types::{Block, Hash};

fn block_view(chain: &Chain, block: Block) -> ApiResult<BlockView> {
    let app_hash = chain
        .store()
        .root_at(block.header.height)
        .map_err(ApiError::internal)?;
    Ok(BlockView {
        height: block.header.height,
        hash: block.hash(),
        chain_id: block.header.chain_id.clone(),
        time_ms: block.header.time_ms,
        proposer: block.header.proposer,
        prev_app_hash: block.header.prev_app_hash,
        app_hash,
        tx_root: block.header.tx_root,
        txs: block.txs.iter().map(|t| Hash::of(t)).collect(),
        beacon: hex::encode(&block.header.beacon),
    })
}

#[utoipa::path(
    get,
    path = "/v1/blocks/latest",
    tag = "blocks",
    summary = "The latest committed block",
    responses(
        (status = 200, description = "OK", body = BlockView),
        (status = 404, description = "no block yet", body = ErrorBody),
    )
)]
pub(super) async fn latest_block(State(s): State<ApiState>) -> ApiResult<Json<BlockView>> {
    let height = s.chain.status().height;
    get_block(s, height).await
}

#[utoipa::path(
    get,
    path = "/v1/blocks/{height}",
    tag = "blocks",
    summary = "A block by height",
    params(("height" = u64, Path, description = "Blocks start at 1")),
    responses(
        (status = 200, description = "OK", body = BlockView),
        (status = 400, description = "bad height", body = ErrorBody),
        (status = 404, description = "no such block", body = ErrorBody),
    )
)]
pub(super) async fn block(
    State(s): State<ApiState>,
    Path(height): Path<String>,
) -> ApiResult<Json<BlockView>> {
    let height: u64 = height.parse().map_err(|_| {
        ApiError::bad_request("bad_height", format!("{height:?} is not a block height"))
    })?;
    get_block(s, height).await
}

/// Which block a beacon is asked of.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub(super) struct BeaconQuery {
    /// Height of the block (default: the latest).
    height: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/v1/beacon",
    tag = "blocks",
    summary = "The beacon of a block: what the ledger's random draws at that height read",
    params(BeaconQuery),
    responses(
        (status = 200, description = "OK", body = BeaconView),
        (status = 400, description = "bad height", body = ErrorBody),
        (status = 404, description = "no such block", body = ErrorBody),
    )
)]
pub(super) async fn beacon(
    State(s): State<ApiState>,
    axum::extract::Query(q): axum::extract::Query<BeaconQuery>,
) -> ApiResult<Json<BeaconView>> {
    let chain = s.chain.clone();
    blocking(move || {
        let height = q.height.unwrap_or_else(|| chain.status().height);
        let block = stored_block(&chain, height)?;
        let info = plexus_ledger::query::chain_info(chain.store())?;
        let commitment = info.and_then(|i| i.beacon);
        let source = match &commitment {
            None => "header_hash",
            Some(BeaconCommitment::HashChain { .. }) => "hash_chain",
            Some(BeaconCommitment::ThresholdVrf { .. }) => "threshold_vrf",
        };
        Ok(Json(BeaconView {
            height,
            source: source.into(),
            field: hex::encode(&block.header.beacon),
            value: Beacon::of_block(&block, commitment.as_ref()).value(),
        }))
    })
    .await
}

fn stored_block(chain: &Chain, height: u64) -> ApiResult<Block> {
    chain
        .block(height)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_such_block",
                format!(
                    "no block at height {height} (this node keeps blocks from {}; the chain is at {})",
                    chain.first_block_height(),
                    chain.status().height
                ),
            )
        })
}

async fn get_block(s: ApiState, height: u64) -> ApiResult<Json<BlockView>> {
    let chain = s.chain.clone();
    blocking(move || {
        let block = stored_block(&chain, height)?;
        block_view(&chain, block).map(Json)
    })
    .await
}
