//! `/v1/learn`: training escrow and tasks.

use super::ledger_views::EscrowView;
use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody, Page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_client::views::{RoundsView, TaskView, TasksView};
use plexus_ledger::query;
use serde_json::json;

#[utoipa::path(
    get,
    path = "/v1/learn",
    tag = "training",
    summary = "Training escrow accounting: escrowed, paid, refunded, held, and whether they balance",
    responses((status = 200, description = "OK", body = EscrowView))
)]
/// GET /v1/learn: training escrow accounting.
pub(super) async fn training_totals(
    State(s): State<ApiState>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let acct = query::training_totals(chain.store()).map_err(ApiError::internal)?;
        let balanced = acct.balances();
        let mut v = serde_json::to_value(acct).map_err(ApiError::internal)?;
        v["balanced"] = json!(balanced);
        Ok(Json(v))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/learn/tasks",
    tag = "training",
    summary = "Federated training tasks, each with its newest 100 rounds, oldest first, a page at a time: {tasks, next}, `next` the id the next page starts at (null after the last); a page ends early after the task that brings it to 1 000 rounds",
    params(
        ("from" = Option<u64>, Query, description = "The first task id: 0, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses((status = 200, description = "OK", body = TasksView))
)]
/// GET /v1/learn/tasks[?from=N&limit=M]: a page of the training tasks, oldest first.
pub(super) async fn training_tasks(
    State(s): State<ApiState>,
    Query(page): Query<Page>,
) -> ApiResult<Json<serde_json::Value>> {
    let chain = s.chain.clone();
    blocking(move || {
        let (tasks, next) = query::training_tasks_page(chain.store(), page.from, page.limit())
            .map_err(ApiError::internal)?;
        Ok(Json(json!({ "tasks": tasks, "next": next })))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/learn/tasks/{id}",
    tag = "training",
    summary = "One training task: sponsor, terms (dataset, spec, validation commitment, rounds, min participants, budget, coordinator), participants with their earnings, rounds_done, its newest 100 rounds with accuracy, loss and each share (every round: /v1/learn/tasks/{id}/rounds), paid, refunded, status",
    params(("id" = u64, Path)),
    responses(
        (status = 200, description = "OK", body = TaskView),
        (status = 400, description = "bad task number", body = ErrorBody),
        (status = 404, description = "unknown task", body = ErrorBody),
    )
)]
/// GET /v1/learn/tasks/{id}: one training task with its participants and newest rounds.
pub(super) async fn training_task(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = task_number(&id)?;
    let chain = s.chain.clone();
    blocking(move || {
        let task = query::training_task(chain.store(), id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| unknown_task(id))?;
        Ok(Json(
            serde_json::to_value(task).map_err(ApiError::internal)?,
        ))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/learn/tasks/{id}/rounds",
    tag = "training",
    summary = "A training task's submitted rounds, oldest first, a page at a time: {rounds, next}, `next` the round the next page starts at (null after the last)",
    params(
        ("id" = u64, Path),
        ("from" = Option<u64>, Query, description = "The first round: 0 or 1 for the first, or the `next` of the page before"),
        ("limit" = Option<u64>, Query, description = "100 if absent, at most 1000"),
    ),
    responses(
        (status = 200, description = "OK", body = RoundsView),
        (status = 400, description = "bad task number", body = ErrorBody),
        (status = 404, description = "unknown task", body = ErrorBody),
    )
)]
/// GET /v1/learn/tasks/{id}/rounds[?from=R&limit=M]: a page of a task's rounds, oldest first.
pub(super) async fn training_rounds(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = task_number(&id)?;
    let chain = s.chain.clone();
    blocking(move || {
        let (rounds, next) =
            query::training_rounds_page(chain.store(), id, page.from, page.limit())
                .map_err(ApiError::internal)?
                .ok_or_else(|| unknown_task(id))?;
        Ok(Json(json!({ "rounds": rounds, "next": next })))
    })
    .await
}

fn task_number(id: &str) -> ApiResult<u64> {
    id.parse()
        .map_err(|_| ApiError::bad_request("bad_task", format!("{id:?} is not a task number")))
}

fn unknown_task(id: u64) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_task",
        format!("no training task {id}"),
    )
}
