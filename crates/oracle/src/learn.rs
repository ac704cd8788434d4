//! The federated-training coordinator, run by the oracle for every training task that names
//! the oracle's account as its coordinator.
//!
//! A round opens when the task has its minimum of participants and the sponsor has handed
//! over the validation set (checked against the commitment on chain). It closes when every
//! participant of the round has sent an update, or when `round_timeout_ms` has passed and at
//! least `quorum` have: a participant that drops out does not stall the task. Closing runs
//! [`plexus_learn::task::close_round`], writes the round record, the new model and the
//! coordinator's state durably (in that order), and only then submits the round on chain; a
//! restart resubmits a closed round the chain does not have yet.
//!
//! Files, under `DATA_DIR/learn/task-ID/`: `validation.json` (salt and CSV, from the
//! sponsor), `model-RRRRR.bin` (global parameters after round R; 0 is the initial model),
//! `round-RRRRR.json` (the record whose blake3 is on chain), `state.json`.

use crate::shared::Shared;
use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use parking_lot::Mutex;
use plexus_client::views::{ParticipantView as Participant, TaskView as TrainingTask};
use plexus_client::NodeApi;
use plexus_learn::data::Dataset;
use plexus_learn::optimizer::ServerOptimizer;
use plexus_learn::task::{
    check_update, close_round, params_from_bytes, params_hash, params_to_bytes, RoundInput,
    ScoreEntry, SignedUpdate, TaskSpec,
};
use plexus_types::{Address, Body, Hash, TrainingRound};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The training coordinator: the oracle it runs in, and the tasks it coordinates.
pub(crate) struct Coordinator {
    shared: Arc<Shared>,
    learn: Mutex<Coordinating>,
}

impl Coordinator {
    pub(crate) fn new(shared: Arc<Shared>) -> Coordinator {
        Coordinator {
            shared,
            learn: Mutex::new(Coordinating::default()),
        }
    }
}

/// The coordinator's tasks.
#[derive(Default)]
struct Coordinating {
    runs: BTreeMap<u64, TaskRun>,
    /// Tasks whose spec this coordinator cannot run (warned once).
    refused: BTreeSet<u64>,
}

/// What survives a restart, besides the round records and models.
#[derive(Serialize, Deserialize)]
struct RunState {
    /// Rounds closed (and written) by this coordinator.
    done: u32,
    optimizer: ServerOptimizer,
    scores: Vec<ScoreEntry>,
}

/// The sponsor's held-out set, and the salt of its commitment.
#[derive(Serialize, Deserialize)]
struct Validation {
    /// 32 bytes, hex.
    salt: String,
    csv: String,
}

struct TaskRun {
    id: u64,
    spec: TaskSpec,
    commitment: Hash,
    rounds: u32,
    min_participants: u32,
    dir: PathBuf,
    num_params: usize,
    validation: Option<Dataset>,
    state: RunState,
    global: Vec<f32>,
    base_model: Hash,
    participants: Vec<Participant>,
    chain_rounds: u32,
    ended: bool,
    updates: BTreeMap<Address, SignedUpdate>,
    /// When the round opened, on the oracle's clock.
    opened: Option<Duration>,
    closing: bool,
}

fn model_path(dir: &std::path::Path, round: u32) -> PathBuf {
    dir.join(format!("model-{round:05}.bin"))
}

fn record_path(dir: &std::path::Path, round: u32) -> PathBuf {
    dir.join(format!("round-{round:05}.json"))
}

impl TaskRun {
    fn open(data_dir: &std::path::Path, task: &TrainingTask) -> anyhow::Result<TaskRun> {
        let spec = TaskSpec::parse(&task.terms.spec)?;
        let dir = data_dir.join("learn").join(format!("task-{}", task.id));
        std::fs::create_dir_all(&dir)?;
        let model = spec.model()?;
        let state_file = dir.join("state.json");
        let state: RunState = match std::fs::read(&state_file) {
            Ok(b) => serde_json::from_slice(&b).context("state.json")?,
            Err(_) => {
                plexus_durable::write_durably(
                    &model_path(&dir, 0),
                    &params_to_bytes(&model.params()?),
                )?;
                RunState {
                    done: 0,
                    optimizer: spec.optimizer.clone(),
                    scores: Vec::new(),
                }
            }
        };
        let global = params_from_bytes(
            &std::fs::read(model_path(&dir, state.done))
                .with_context(|| format!("model after round {}", state.done))?,
        )?;
        anyhow::ensure!(
            global.len() == model.num_params(),
            "stored model has the wrong size"
        );
        let validation = match std::fs::read(dir.join("validation.json")) {
            Ok(b) => {
                let v: Validation = serde_json::from_slice(&b)?;
                Some(spec.parse_csv(&v.csv)?)
            }
            Err(_) => None,
        };
        Ok(TaskRun {
            id: task.id,
            commitment: task.terms.validation_commitment,
            rounds: task.terms.rounds,
            min_participants: task.terms.min_participants,
            num_params: model.num_params(),
            base_model: params_hash(&global),
            spec,
            dir,
            validation,
            state,
            global,
            participants: Vec::new(),
            chain_rounds: 0,
            ended: false,
            updates: BTreeMap::new(),
            opened: None,
            closing: false,
        })
    }

    /// The round taking updates.
    fn round(&self) -> u32 {
        self.state.done + 1
    }

    fn eligible(&self, round: u32) -> impl Iterator<Item = &Participant> {
        self.participants
            .iter()
            .filter(move |p| p.from_round <= round)
    }
}

/// What one tick decided to do for a task.
enum Action {
    Nothing,
    Resubmit(u32),
    Close(Box<Closing>),
}

struct Closing {
    spec: TaskSpec,
    validation: Dataset,
    input: RoundInput,
    dir: PathBuf,
}

/// One pass over the chain's training tasks.
pub(crate) async fn tick(coordinator: &Coordinator) -> anyhow::Result<()> {
    let shared = &coordinator.shared;
    let tasks = shared.node().training_tasks().await?;
    for task in tasks
        .iter()
        .filter(|t| t.terms.coordinator == shared.address)
    {
        if let Err(e) = step(coordinator, task).await {
            tracing::warn!(task = task.id, error = %e, "training coordinator step failed; retrying");
        }
    }
    Ok(())
}

async fn step(coordinator: &Coordinator, task: &TrainingTask) -> anyhow::Result<()> {
    let shared = &coordinator.shared;
    let action = {
        let mut c = coordinator.learn.lock();
        if !c.runs.contains_key(&task.id) {
            if c.refused.contains(&task.id) {
                return Ok(());
            }
            match TaskRun::open(&shared.data_dir, task) {
                Ok(run) => {
                    c.runs.insert(task.id, run);
                }
                Err(e) => {
                    c.refused.insert(task.id);
                    tracing::warn!(task = task.id, error = %e, "cannot coordinate training task");
                    return Ok(());
                }
            }
        }
        let run = c.runs.get_mut(&task.id).expect("inserted above");
        run.participants = task.participants.clone();
        run.chain_rounds = task.rounds_done();
        run.ended = !task.is_open();
        decide(run, shared.time.now(), &shared.info.chain_id)
    };
    match action {
        Action::Nothing => Ok(()),
        Action::Resubmit(round) => submit(shared, task.id, round).await,
        Action::Close(closing) => {
            let round = closing.input.round;
            let dir = closing.dir.clone();
            let (record, params, optimizer) = tokio::task::spawn_blocking(move || {
                let model = closing.spec.model()?;
                close_round(&closing.spec, &model, &closing.validation, closing.input)
            })
            .await?
            .inspect_err(|_| {
                if let Some(run) = coordinator.learn.lock().runs.get_mut(&task.id) {
                    run.closing = false;
                }
            })?;
            let bytes = serde_json::to_vec(&record)?;
            plexus_durable::write_durably(&record_path(&dir, round), &bytes)?;
            plexus_durable::write_durably(&model_path(&dir, round), &params_to_bytes(&params))?;
            let state = RunState {
                done: round,
                optimizer,
                scores: record.smoothed.clone(),
            };
            plexus_durable::write_durably(&dir.join("state.json"), &serde_json::to_vec(&state)?)?;
            tracing::info!(
                task = task.id,
                round,
                updates = record.updates.len(),
                missing = record.missing.len(),
                accuracy = record.outcome.accuracy_after,
                loss = record.outcome.loss_after,
                "training round closed"
            );
            {
                let mut c = coordinator.learn.lock();
                if let Some(run) = c.runs.get_mut(&task.id) {
                    run.state = state;
                    run.base_model = params_hash(&params);
                    run.global = params;
                    run.updates.clear();
                    run.opened = None;
                    run.closing = false;
                }
            }
            submit(shared, task.id, round).await
        }
    }
}

/// What to do for a task of chain `chain_id` at `now` (the oracle clock's time).
fn decide(run: &mut TaskRun, now: Duration, chain_id: &str) -> Action {
    if run.ended || run.closing {
        return Action::Nothing;
    }
    if run.chain_rounds < run.state.done {
        return Action::Resubmit(run.state.done);
    }
    if run.state.done >= run.rounds {
        return Action::Nothing;
    }
    let Some(validation) = &run.validation else {
        return Action::Nothing;
    };
    let round = run.round();
    let eligible: Vec<Address> = run.eligible(round).map(|p| p.account).collect();
    let opened = match run.opened {
        Some(t) => t,
        None if eligible.len() >= run.min_participants as usize => {
            run.opened = Some(now);
            tracing::info!(
                round,
                participants = eligible.len(),
                "training round opened"
            );
            now
        }
        None => return Action::Nothing,
    };
    let received = run.updates.len();
    let timed_out = now.saturating_sub(opened) >= Duration::from_millis(run.spec.round_timeout_ms);
    let quorum = run.spec.quorum.min(eligible.len()).max(1);
    if received == 0 || !(received >= eligible.len() || (timed_out && received >= quorum)) {
        return Action::Nothing;
    }
    run.closing = true;
    let scores: BTreeMap<Address, u64> = run
        .state
        .scores
        .iter()
        .map(|s| (s.participant, s.score))
        .collect();
    let previous = eligible
        .iter()
        .map(|a| (*a, scores.get(a).copied().unwrap_or(0)))
        .collect();
    Action::Close(Box::new(Closing {
        spec: run.spec.clone(),
        validation: validation.clone(),
        input: RoundInput {
            chain_id: chain_id.to_string(),
            task: run.id,
            round,
            base_params: run.global.clone(),
            optimizer: run.state.optimizer.clone(),
            previous,
            updates: std::mem::take(&mut run.updates).into_values().collect(),
        },
        dir: run.dir.clone(),
    }))
}

/// Submits a closed round (from its record on disk) and waits for it to commit.
async fn submit(shared: &Arc<Shared>, task: u64, round: u32) -> anyhow::Result<()> {
    let dir = shared.data_dir.join("learn").join(format!("task-{task}"));
    let bytes = std::fs::read(record_path(&dir, round))?;
    let record: plexus_learn::task::RoundRecord = serde_json::from_slice(&bytes)?;
    let body = Body::SubmitTrainingRound(TrainingRound {
        task,
        round,
        model: record.model,
        record: Hash::of(&bytes),
        accuracy_ppm: record.accuracy_ppm(),
        loss_micro: record.loss_micro(),
        scores: record.chain_scores(),
    });
    let code = shared.sender.send(body).await?.code;
    if code != "ok" {
        tracing::warn!(task, round, %code, "training round submission failed");
    }
    Ok(())
}

/// The coordinator's routes under `/v1/learn/tasks`.
pub(crate) fn routes(coordinator: Arc<Coordinator>) -> Router {
    Router::new()
        .route("/v1/learn/tasks/{id}/round", get(round_status))
        .route("/v1/learn/tasks/{id}/model", get(model))
        .route("/v1/learn/tasks/{id}/updates", post(submit_update))
        .route("/v1/learn/tasks/{id}/rounds/{round}", get(round_record))
        .route(
            "/v1/learn/tasks/{id}/validation",
            get(get_validation).post(post_validation),
        )
        .with_state(coordinator)
}

fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}

fn unknown(id: u64) -> Response {
    refuse(
        StatusCode::NOT_FOUND,
        "unknown_task",
        format!("this coordinator does not run training task {id} (or has not seen it yet)"),
    )
}

/// GET /v1/learn/tasks/{id}/round: the round taking updates, its model, who has sent one.
async fn round_status(State(s): State<Arc<Coordinator>>, Path(id): Path<u64>) -> Response {
    let c = s.learn.lock();
    let Some(run) = c.runs.get(&id) else {
        return unknown(id);
    };
    let round = run.round();
    Json(json!({
        "task": id,
        "round": round,
        "rounds": run.rounds,
        "done": run.state.done,
        "base_model": run.base_model,
        "open": run.opened.is_some() && !run.closing && round <= run.rounds && !run.ended,
        "accepting": !run.closing && round <= run.rounds && !run.ended,
        "has_validation": run.validation.is_some(),
        "participants": run.eligible(round).map(|p| p.account).collect::<Vec<_>>(),
        "received": run.updates.keys().collect::<Vec<_>>(),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct ModelQuery {
    round: Option<u32>,
}

/// GET /v1/learn/tasks/{id}/model[?round=R]: the global parameters after round R (0: the
/// initial model; default: the latest), as little-endian f32.
async fn model(
    State(s): State<Arc<Coordinator>>,
    Path(id): Path<u64>,
    Query(q): Query<ModelQuery>,
) -> Response {
    let (dir, done) = {
        let c = s.learn.lock();
        let Some(run) = c.runs.get(&id) else {
            return unknown(id);
        };
        (run.dir.clone(), run.state.done)
    };
    let round = q.round.unwrap_or(done);
    if round > done {
        return refuse(
            StatusCode::NOT_FOUND,
            "no_such_round",
            format!("round {round} of task {id} has not closed (last closed: {done})"),
        );
    }
    match tokio::fs::read(model_path(&dir, round)).await {
        Ok(b) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::HeaderName::from_static("x-plexus-model"),
                    Hash::of(&b).to_hex(),
                ),
            ],
            b,
        )
            .into_response(),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "io", e.to_string()),
    }
}

/// GET /v1/learn/tasks/{id}/rounds/{round}: a closed round's record, as published.
async fn round_record(
    State(s): State<Arc<Coordinator>>,
    Path((id, round)): Path<(u64, u32)>,
) -> Response {
    let dir = s.shared.data_dir.join("learn").join(format!("task-{id}"));
    match tokio::fs::read(record_path(&dir, round)).await {
        Ok(b) => ([(header::CONTENT_TYPE, "application/json")], b).into_response(),
        Err(_) => refuse(
            StatusCode::NOT_FOUND,
            "no_such_round",
            format!("no closed round {round} of task {id} here"),
        ),
    }
}

/// POST /v1/learn/tasks/{id}/updates: a participant's signed update for the open round.
async fn submit_update(
    State(s): State<Arc<Coordinator>>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let update: SignedUpdate = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "malformed", format!("update: {e}")),
    };
    let mut c = s.learn.lock();
    let Some(run) = c.runs.get_mut(&id) else {
        return unknown(id);
    };
    let round = run.round();
    if run.ended || run.closing || round > run.rounds {
        return refuse(
            StatusCode::CONFLICT,
            "round_closed",
            format!("round {round} of task {id} takes no more updates"),
        );
    }
    let who = update.participant();
    if !run.eligible(round).any(|p| p.account == who) {
        return refuse(
            StatusCode::FORBIDDEN,
            "not_a_participant",
            format!("{who} does not take part in round {round} of task {id}"),
        );
    }
    let chain_id = &s.shared.info.chain_id;
    if let Err(e) = check_update(
        &update,
        chain_id,
        id,
        round,
        &run.base_model,
        run.num_params,
    ) {
        return refuse(StatusCode::BAD_REQUEST, "bad_update", e.to_string());
    }
    if run.updates.contains_key(&who) {
        return refuse(
            StatusCode::CONFLICT,
            "already_received",
            format!("{who} already sent its update for round {round}"),
        );
    }
    run.updates.insert(who, update);
    Json(json!({"accepted": true, "task": id, "round": round})).into_response()
}

/// POST /v1/learn/tasks/{id}/validation: the sponsor hands over the validation set; it must
/// match the commitment on chain.
async fn post_validation(
    State(s): State<Arc<Coordinator>>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let v: Validation = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "malformed",
                format!("validation: {e}"),
            )
        }
    };
    let salt: [u8; 32] = match hex::decode(&v.salt).ok().and_then(|b| b.try_into().ok()) {
        Some(s) => s,
        None => return refuse(StatusCode::BAD_REQUEST, "bad_salt", "salt: 64 hex digits"),
    };
    let mut c = s.learn.lock();
    let Some(run) = c.runs.get_mut(&id) else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("the coordinator has not seen training task {id} yet; retry shortly"),
        );
    };
    if plexus_types::validation_commitment(&salt, v.csv.as_bytes()) != run.commitment {
        return refuse(
            StatusCode::BAD_REQUEST,
            "commitment_mismatch",
            "the salt and file do not match the task's validation commitment",
        );
    }
    let data = match run.spec.parse_csv(&v.csv) {
        Ok(d) => d,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "bad_data", e.to_string()),
    };
    let bytes = match serde_json::to_vec(&v) {
        Ok(b) => b,
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "io", e.to_string()),
    };
    if let Err(e) = plexus_durable::write_durably(&run.dir.join("validation.json"), &bytes) {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "io", e.to_string());
    }
    run.validation = Some(data);
    Json(json!({"accepted": true, "task": id})).into_response()
}

/// GET /v1/learn/tasks/{id}/validation: the validation set and its salt, once the task has
/// ended on chain (before that, participants could fit it).
async fn get_validation(State(s): State<Arc<Coordinator>>, Path(id): Path<u64>) -> Response {
    let (dir, ended) = {
        let c = s.learn.lock();
        let Some(run) = c.runs.get(&id) else {
            return unknown(id);
        };
        (run.dir.clone(), run.ended)
    };
    // The chain may have ended the task since this coordinator last looked.
    let ended = ended
        || s.shared
            .node()
            .training_tasks()
            .await
            .ok()
            .and_then(|tasks| tasks.into_iter().find(|t| t.id == id))
            .is_some_and(|t| !t.is_open());
    if !ended {
        return refuse(
            StatusCode::FORBIDDEN,
            "not_revealed",
            format!("task {id}'s validation set is revealed when the task ends"),
        );
    }
    match tokio::fs::read(dir.join("validation.json")).await {
        Ok(b) => ([(header::CONTENT_TYPE, "application/json")], b).into_response(),
        Err(_) => refuse(
            StatusCode::NOT_FOUND,
            "no_validation",
            "the sponsor never handed over the validation set",
        ),
    }
}
