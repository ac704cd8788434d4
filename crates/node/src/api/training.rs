//! `/v1/learn`: training escrow and tasks.

use super::ledger_views::EscrowView;
use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody, Page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use plexus_client::views::{TaskView, TasksView};
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
    summary = "Federated training tasks with their rounds, oldest first, a page at a time: {tasks, next}, `next` the id the next page starts at (null after the last); a page ends early after the task that brings it to 10 000 rounds",
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
    summary = "One training task: sponsor, terms (dataset, spec, validation commitment, rounds, min participants, budget, coordinator), participants with their earnings, submitted rounds with accuracy, loss and each share, paid, refunded, status",
    params(("id" = u64, Path)),
    responses(
        (status = 200, description = "OK", body = TaskView),
        (status = 400, description = "bad task number", body = ErrorBody),
        (status = 404, description = "unknown task", body = ErrorBody),
    )
)]
/// GET /v1/learn/tasks/{id}: one training task with its participants and rounds.
pub(super) async fn training_task(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("bad_task", format!("{id:?} is not a task number")))?;
    let chain = s.chain.clone();
    blocking(move || {
        let task = query::training_task(chain.store(), id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_task",
                    format!("no training task {id}"),
                )
            })?;
        Ok(Json(
            serde_json::to_value(task).map_err(ApiError::internal)?,
        ))
    })
    .await
}
