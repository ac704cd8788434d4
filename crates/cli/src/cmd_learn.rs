//! `plexus learn`: federated training tasks — create one, follow its rounds, fetch its model —
//! and `plexus audit training`, which recomputes every round from the published updates and
//! the revealed validation set.

use crate::output::Table;
use crate::{cmd_tx, print_json, Globals};
use anyhow::{bail, Context};
use plexus_client::views::{
    ChainView, RoundResultView, RoundsView, TaskStatusView, TaskView as TrainingTask,
};
use plexus_client::NodeClient;
use plexus_learn::task::{
    compare, params_from_bytes, params_hash, recompute, RoundRecord, TaskSpec, SCORE_TOLERANCE,
};
use plexus_types::{validation_commitment, Address, Amount, Body, Hash, TrainingTaskTerms};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Subcommand)]
pub enum LearnCommand {
    /// Create a training task from a task file (TOML; see docs/learn.md): escrows the budget,
    /// commits to the validation set and hands it to the coordinator.
    Create {
        file: PathBuf,
        /// The sponsor's key, which pays the budget and gets the refund.
        #[arg(long)]
        from: String,
    },
    /// A task's rounds (accuracy and loss on the validation set, what each paid) and
    /// participants.
    Status { id: u64 },
    /// Download a task's global model (f32 little endian), checked against the chain.
    Model {
        id: u64,
        /// The file to write (`-o`; `--output` chooses how read commands print).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
        /// The model after this round (default: the last round on chain; 0: the initial model).
        #[arg(long)]
        round: Option<u32>,
    },
    /// Run the sensor training task in this process (no node): weather stations train a
    /// next-hour temperature forecaster on their own readings, some poisoning their updates;
    /// prints its held-out error beside persistence's and what each kind of station was paid.
    Sensors(crate::cmd_learn_sensors::SensorsArgs),
}

/// A task file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFile {
    dataset: String,
    rounds: u32,
    min_participants: u32,
    /// `10000plx` or `5000000uplx`.
    budget: String,
    /// The coordinator's account (default: the chain's first oracle).
    coordinator: Option<String>,
    /// The held-out CSV, relative to the task file.
    validation: PathBuf,
    spec: toml::Value,
}

pub async fn run(g: &Globals, cmd: LearnCommand) -> anyhow::Result<()> {
    // Building the client reaches no node: `learn sensors` runs without one.
    let node = g.client()?;
    match cmd {
        LearnCommand::Sensors(args) => crate::cmd_learn_sensors::run(g.json, args)?,
        LearnCommand::Create { file, from } => {
            let key = g.keyring().secret(&from)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let task: TaskFile =
                toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
            let spec: TaskSpec = serde_json::from_value(serde_json::to_value(&task.spec)?)
                .context("the task file's [spec]")?;
            spec.check()?;
            let base = file.parent().unwrap_or(Path::new("."));
            let validation_path = base.join(&task.validation);
            let csv = std::fs::read_to_string(&validation_path)
                .with_context(|| format!("reading {}", validation_path.display()))?;
            spec.parse_csv(&csv)
                .with_context(|| format!("the validation set {}", validation_path.display()))?;
            let coordinator = match &task.coordinator {
                Some(a) => a
                    .parse::<Address>()
                    .map_err(|e| anyhow::anyhow!("coordinator: {e}"))?,
                None => {
                    let info: ChainView = node.get("/v1/chain").await?;
                    *info
                        .oracles
                        .members
                        .first()
                        .context("the chain has no oracle to coordinate; name a coordinator")?
                }
            };
            let budget = Amount::parse_human(&task.budget)
                .map_err(|e| anyhow::anyhow!("budget {:?}: {e}", task.budget))?;
            let salt: [u8; 32] = rand::random();
            let terms = TrainingTaskTerms {
                dataset: task.dataset,
                spec: serde_json::to_string(&spec)?,
                validation_commitment: validation_commitment(&salt, csv.as_bytes()),
                rounds: task.rounds,
                min_participants: task.min_participants,
                budget,
                coordinator,
            };
            let id = create_task(&node, &key, terms).await?;
            hand_over_validation(&spec.coordinator_url, id, &salt, &csv).await?;
            if g.json {
                print_json(&json!({"task": id, "salt": hex::encode(salt)}));
            } else {
                println!("training task {id} created; the coordinator has its validation set");
                println!(
                    "validation salt (keep it to prove the commitment): {}",
                    hex::encode(salt)
                );
            }
        }
        LearnCommand::Status { id } => {
            let task = task_with_every_round(&node, id).await?;
            if g.json {
                print_json(&task);
            } else {
                print_status(&task);
            }
        }
        LearnCommand::Model { id, out, round } => {
            let task: TrainingTask = node.get(&format!("/v1/learn/tasks/{id}")).await?;
            let spec = TaskSpec::parse(&task.terms.spec)?;
            let round = round.unwrap_or(task.rounds_done());
            let expected = if round == 0 {
                params_hash(&spec.model()?.params()?)
            } else {
                round_on_chain(&node, id, round)
                    .await?
                    .map(|r| r.model)
                    .with_context(|| {
                        format!("task {id} has {} rounds on chain", task.rounds_done())
                    })?
            };
            let url = format!(
                "{}/v1/learn/tasks/{id}/model?round={round}",
                spec.coordinator_url.trim_end_matches('/')
            );
            let bytes = fetch(&url).await?;
            if Hash::of(&bytes) != expected {
                bail!("the coordinator's model after round {round} does not match the chain's {expected}");
            }
            plexus_durable::write_durably(&out, &bytes)
                .with_context(|| format!("writing {}", out.display()))?;
            if g.json {
                print_json(
                    &json!({"task": id, "round": round, "model": expected, "bytes": bytes.len(), "output": out}),
                );
            } else {
                println!(
                    "model of task {id} after round {round}: {expected} ({} parameters) → {}",
                    bytes.len() / 4,
                    out.display()
                );
            }
        }
    }
    Ok(())
}

/// Task `id` with every round it has submitted, read a page of rounds at a time (its view
/// carries only the newest).
async fn task_with_every_round(node: &NodeClient, id: u64) -> anyhow::Result<TrainingTask> {
    let mut task: TrainingTask = node.get(&format!("/v1/learn/tasks/{id}")).await?;
    task.rounds = node
        .list(&format!("/v1/learn/tasks/{id}/rounds"), "rounds")
        .await?;
    Ok(task)
}

/// Round `round` of task `id` as the chain has it, if submitted.
async fn round_on_chain(
    node: &NodeClient,
    id: u64,
    round: u32,
) -> anyhow::Result<Option<RoundResultView>> {
    let page: RoundsView = node
        .get(&format!("/v1/learn/tasks/{id}/rounds?from={round}&limit=1"))
        .await?;
    Ok(page.rounds.into_iter().find(|r| r.round == round))
}

fn print_status(task: &TrainingTask) {
    let t = &task.terms;
    let status = match task.status {
        TaskStatusView::Open => "open".to_string(),
        TaskStatusView::Finished { height } => {
            format!("finished at height {height}")
        }
        TaskStatusView::Cancelled { height } => {
            format!("cancelled at height {height}")
        }
    };
    println!(
        "training task {} · dataset {} · {status} · round {}/{} · budget {} uplx, paid {}, refunded {}",
        task.id,
        t.dataset,
        task.rounds_done(),
        t.rounds,
        t.budget,
        task.paid,
        task.refunded
    );
    let mut rounds = Table::new(&["ROUND", "ACCURACY", "LOSS", "PAID (UPLX)"]);
    for r in &task.rounds {
        rounds.row([
            r.round.to_string(),
            format!("{:.2}%", r.accuracy_ppm as f64 / 1e4),
            format!("{:.4}", r.loss_micro as f64 / 1e6),
            r.paid.to_string(),
        ]);
    }
    rounds
        .right(0)
        .right(1)
        .right(2)
        .right(3)
        .print_or("no rounds yet");
    let mut participants = Table::new(&["PARTICIPANT", "FROM ROUND", "EARNED (UPLX)"]);
    for p in &task.participants {
        participants.row([
            p.account.to_string(),
            p.from_round.to_string(),
            p.earned.to_string(),
        ]);
    }
    participants
        .right(1)
        .right(2)
        .print_or("no participants yet");
}

async fn fetch(url: &str) -> anyhow::Result<Vec<u8>> {
    let resp = reqwest::get(url)
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status();
    let bytes = resp.bytes().await?;
    if !status.is_success() {
        bail!(
            "{url} answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    Ok(bytes.to_vec())
}

/// Sends the task's creation and returns its id.
pub async fn create_task(
    node: &NodeClient,
    key: &plexus_types::SecretKey,
    terms: TrainingTaskTerms,
) -> anyhow::Result<u64> {
    let sponsor = Address::from_public_key(&key.public_key());
    let commitment = terms.validation_commitment;
    cmd_tx::send_and_wait_on(
        node,
        key,
        Body::CreateTrainingTask(terms),
        Duration::from_secs(30),
    )
    .await
    .context("creating the training task")?;
    let tasks: Vec<TrainingTask> = node.list("/v1/learn/tasks", "tasks").await?;
    tasks
        .iter()
        .rev()
        .find(|t| t.sponsor == sponsor && t.terms.validation_commitment == commitment)
        .map(|t| t.id)
        .context("the node lists no such task after committing it")
}

/// Gives the coordinator the validation set, retrying while it has not seen the task yet.
pub async fn hand_over_validation(
    coordinator: &str,
    task: u64,
    salt: &[u8; 32],
    csv: &str,
) -> anyhow::Result<()> {
    let url = format!(
        "{}/v1/learn/tasks/{task}/validation",
        coordinator.trim_end_matches('/')
    );
    let http = reqwest::Client::new();
    let body = json!({"salt": hex::encode(salt), "csv": csv});
    for _ in 0..100 {
        let resp = http.post(&url).json(&body).send().await;
        match resp {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) if r.status().as_u16() == 503 => {}
            Ok(r) => {
                let status = r.status();
                bail!(
                    "the coordinator refused the validation set ({status}): {}",
                    r.text().await.unwrap_or_default()
                );
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    bail!("the coordinator at {coordinator} did not take task {task}'s validation set within 30 s")
}

#[derive(Deserialize)]
struct Revealed {
    salt: String,
    csv: String,
}

/// The validation set and its salt: as given, or as the coordinator reveals it once the task
/// has ended.
async fn validation_of(
    base: &str,
    id: u64,
    validation: Option<PathBuf>,
    salt: Option<String>,
) -> anyhow::Result<(String, String)> {
    Ok(match (validation, salt) {
        (Some(path), Some(salt)) => (
            salt,
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
        ),
        (None, None) => {
            let bytes = fetch(&format!("{base}/v1/learn/tasks/{id}/validation"))
                .await
                .context("the validation set is revealed when the task ends; before that, pass --validation and --salt")?;
            let r: Revealed = serde_json::from_slice(&bytes)?;
            (r.salt, r.csv)
        }
        _ => bail!("--validation and --salt go together"),
    })
}

/// Recomputes one round on chain from the coordinator's published record; answers the
/// round's summary and its problems (none when it matches). `expected_base` and
/// `previous_scores` carry the model and scores from one round to the next.
async fn audit_round(
    base: &str,
    id: u64,
    spec: &TaskSpec,
    data: &plexus_learn::data::Dataset,
    on_chain: &RoundResultView,
    expected_base: &mut Hash,
    previous_scores: &mut Option<Vec<plexus_learn::task::ScoreEntry>>,
) -> anyhow::Result<(Value, Vec<String>)> {
    let r = on_chain.round;
    let bytes = fetch(&format!("{base}/v1/learn/tasks/{id}/rounds/{r}")).await?;
    let mut here = Vec::new();
    if Hash::of(&bytes) != on_chain.record {
        here.push("the published record is not the one whose hash is on chain".to_string());
    }
    let record: RoundRecord = match serde_json::from_slice(&bytes) {
        Ok(rec) => rec,
        Err(e) => {
            let problems = vec![format!("round {r}: record does not parse: {e}")];
            let summary = json!({"round": r, "match": false, "problems": [format!("{e}")]});
            return Ok((summary, problems));
        }
    };
    if record.base_model != *expected_base {
        here.push(format!(
            "it starts from model {}, the previous round ended at {expected_base}",
            record.base_model
        ));
    }
    if let Some(prev) = &previous_scores {
        for s in &record.previous {
            let before = prev.iter().find(|p| p.participant == s.participant);
            if before.is_some_and(|b| b.score != s.score) {
                here.push(format!(
                    "{}'s score before the round was changed",
                    s.participant
                ));
            }
        }
    }
    let spec2 = spec.clone();
    let data2 = data.clone();
    let rec2 = record.clone();
    match tokio::task::spawn_blocking(move || recompute(&spec2, &data2, &rec2)).await? {
        Ok((again, params)) => {
            here.extend(compare(&record, &again));
            if again.model != record.model {
                // Another CPU may round the last bits differently: compare the values.
                let next = fetch(&format!("{base}/v1/learn/tasks/{id}/model?round={r}"))
                    .await
                    .ok()
                    .and_then(|b| params_from_bytes(&b).ok());
                let close = next.is_some_and(|p| {
                    Hash::of(&plexus_learn::task::params_to_bytes(&p)) == record.model
                        && p.len() == params.len()
                        && p.iter().zip(&params).all(|(a, b)| {
                            (a - b).abs() as f64
                                <= SCORE_TOLERANCE * (a.abs().max(b.abs()) as f64) + 1e-6
                        })
                });
                if !close {
                    here.push("the new model does not follow from the updates".into());
                }
            }
        }
        Err(e) => here.push(format!("recomputing it fails: {e}")),
    }
    let chain_scores: Vec<(Address, u64)> = on_chain
        .shares
        .iter()
        .map(|s| (s.participant, s.score))
        .collect();
    let record_scores: Vec<(Address, u64)> = record
        .chain_scores()
        .iter()
        .map(|s| (s.participant, s.score))
        .collect();
    if chain_scores != record_scores {
        here.push("the scores on chain are not the record's".into());
    }
    if on_chain.model != record.model {
        here.push("the model on chain is not the record's".into());
    }
    *expected_base = record.model;
    *previous_scores = Some(record.smoothed.clone());
    let ok = here.is_empty();
    let summary = json!({
        "round": r,
        "updates": record.updates.len(),
        "missing": record.missing.len(),
        "accuracy": record.outcome.accuracy_after,
        "match": ok,
        "problems": here,
    });
    let problems = here.iter().map(|p| format!("round {r}: {p}")).collect();
    Ok((summary, problems))
}

/// `plexus audit training ID`: recomputes every round on chain from the coordinator's
/// published records and the revealed validation set; fails on any difference.
pub async fn audit(
    g: &Globals,
    id: u64,
    validation: Option<PathBuf>,
    salt: Option<String>,
) -> anyhow::Result<()> {
    let node = g.client()?;
    let task = task_with_every_round(&node, id).await?;
    let spec = TaskSpec::parse(&task.terms.spec)?;
    let base = spec.coordinator_url.trim_end_matches('/').to_string();
    let (salt, csv) = validation_of(&base, id, validation, salt).await?;
    let salt: [u8; 32] = hex::decode(&salt)
        .ok()
        .and_then(|b| b.try_into().ok())
        .context("the salt is 64 hex digits")?;
    if validation_commitment(&salt, csv.as_bytes()) != task.terms.validation_commitment {
        bail!("the validation set does not match the task's commitment on chain");
    }
    let data = spec.parse_csv(&csv)?;
    let mut problems: Vec<String> = Vec::new();
    let mut rounds = Vec::new();
    let mut expected_base = params_hash(&spec.model()?.params()?);
    let mut previous_scores: Option<Vec<plexus_learn::task::ScoreEntry>> = None;
    for on_chain in &task.rounds {
        let (summary, found) = audit_round(
            &base,
            id,
            &spec,
            &data,
            on_chain,
            &mut expected_base,
            &mut previous_scores,
        )
        .await?;
        rounds.push(summary);
        problems.extend(found);
    }
    let ok = problems.is_empty();
    if g.json {
        print_json(&json!({"task": id, "rounds": rounds, "match": ok, "problems": problems}));
    } else {
        for r in &rounds {
            println!(
                "task {id} round {}: {}",
                r["round"],
                if r["match"].as_bool() == Some(true) {
                    "MATCH"
                } else {
                    "MISMATCH"
                }
            );
        }
        for p in &problems {
            println!("  {p}");
        }
        if ok {
            println!(
                "task {id}: every one of {} rounds recomputes from the published updates",
                rounds.len()
            );
        }
    }
    if !ok {
        bail!("training task {id}'s rounds on chain do not follow from the published updates");
    }
    Ok(())
}
