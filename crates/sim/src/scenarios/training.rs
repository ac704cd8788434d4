//! A federated training task with poisoners among its participants: a sponsor funds a task on
//! the shipped digits, the oracle coordinates it, four honest learners and two poisoners (one
//! flips the sign of its update, one sends noise) train on label-skewed parts of the data. The
//! coordinator's robust aggregation scores the poisoners' updates at nothing or next to it, so
//! the chain pays the budget to the honest learners, the model improves, and the sponsor gets
//! back what was not earned: every unit of the budget accounted for.
use crate::story::Story;
use crate::world::{key_of, Actor, World, ORACLE};
use anyhow::{bail, ensure, Context};
use axum::body::Body as HttpBody;
use axum::http::{Method, Request};
use plexus_agent::{LearnBehaviour, LearnData, Learner, Sender};
use plexus_client::views::{RoundResultView, TaskStatusView, TaskView};
use plexus_client::{Clock, CoordinatorClient, NodeApi, Transport};
use plexus_learn::data::Dataset;
use plexus_learn::model::{Architecture, TrainConfig};
use plexus_learn::task::{params_from_bytes, params_hash, TaskSpec};
use plexus_oracle::Oracle;
use plexus_types::{validation_commitment, Address, Amount, Body, TrainingTaskTerms};
use std::sync::Arc;

/// Blocks an epoch lasts in this scenario.
const EPOCH_BLOCKS: u64 = 16;
/// Rounds of the task.
const ROUNDS: u32 = 4;
/// What the sponsor puts up.
const BUDGET_PLX: u64 = 1_000;
/// The scenario's steps at most; each step is at least one block.
const MAX_STEPS: u64 = 40;
/// What every account of the scenario starts with.
const START_PLX: u64 = 10_000;
/// The dataset name the task and the learners' local data share.
const DATASET: &str = "digits";
/// How much larger than the features' range the CSV files write them (the spec's scale undoes
/// it).
const CSV_UNSCALE: f32 = 16.0;

/// The participants in order, and the names the story gives them.
fn roles() -> Vec<(String, LearnBehaviour)> {
    let mut roles: Vec<(String, LearnBehaviour)> = (1..=4)
        .map(|i| (format!("honest-{i}"), LearnBehaviour::Honest))
        .collect();
    roles.push(("sign-flip".into(), LearnBehaviour::SignFlip));
    roles.push(("noise".into(), LearnBehaviour::Noise));
    roles
}

/// The task's model and recipe: a small MLP, trimmed-mean aggregation with clipping, the
/// initial weights drawn from the simulation's seed.
fn task_spec(seed: u64) -> anyhow::Result<TaskSpec> {
    let spec = TaskSpec {
        architecture: Architecture::Mlp { hidden: 32 },
        features: 64,
        classes: 10,
        objective: plexus_learn::model::Objective::Classification,
        scale: 1.0 / CSV_UNSCALE,
        seed,
        rule: plexus_learn::Rule::default(),
        optimizer: plexus_learn::optimizer::ServerOptimizer::plain(),
        train: TrainConfig {
            epochs: 2,
            batch: 16,
            lr: 0.1,
        },
        round_timeout_ms: 30_000,
        quorum: 4,
        coordinator_url: format!("http://{ORACLE}"),
    };
    spec.check()?;
    Ok(spec)
}

/// `data` as the CSV a participant's data file (or the sponsor's validation file) holds.
fn csv_of(data: &Dataset) -> String {
    let mut out = String::new();
    for i in 0..data.len() {
        for x in data.example(i) {
            out.push_str(&format!("{},", (x * CSV_UNSCALE).round()));
        }
        out.push_str(&format!("{}\n", data.labels[i]));
    }
    out
}

/// One learner of the task: its name in the story, its account, and the real participant.
struct Participant {
    name: String,
    honest: bool,
    learner: Learner,
}

impl Participant {
    fn address(&self) -> Address {
        self.learner.address()
    }
}

/// The learners, each on its own label-skewed part written to a file of its own, on the
/// world's clock and network.
fn participants(
    world: &World,
    actors: &[Actor],
    parts: &[Dataset],
) -> anyhow::Result<Vec<Participant>> {
    let dir = world.dir.path().join("learners");
    std::fs::create_dir_all(&dir)?;
    let node: Arc<dyn NodeApi> = Arc::new(world.node_client());
    let clock: Arc<dyn Clock> = Arc::new(world.clock.clone());
    let mut out = Vec::new();
    for (((name, behaviour), actor), part) in roles().into_iter().zip(actors).zip(parts) {
        let data = dir.join(format!("{name}.csv"));
        std::fs::write(&data, csv_of(part))?;
        let sender = Arc::new(Sender::with_clock(
            node.clone(),
            actor.key.clone(),
            clock.clone(),
        ));
        let learner = Learner::with_ports(
            actor.key.clone(),
            node.clone(),
            clock.clone(),
            world.net.clone(),
            sender,
            vec![LearnData {
                dataset: DATASET.into(),
                data,
            }],
            behaviour.policy(),
        );
        out.push(Participant {
            name,
            honest: behaviour == LearnBehaviour::Honest,
            learner,
        });
    }
    Ok(out)
}

/// The sponsor sends the task and waits for it to commit; returns its id.
async fn create_task(
    world: &World,
    sponsor: &Actor,
    terms: TrainingTaskTerms,
) -> anyhow::Result<u64> {
    let node: Arc<dyn NodeApi> = Arc::new(world.node_client());
    let clock: Arc<dyn Clock> = Arc::new(world.clock.clone());
    let sender = Sender::with_clock(node.clone(), sponsor.key.clone(), clock);
    let commitment = terms.validation_commitment;
    let done = sender.send(Body::CreateTrainingTask(terms)).await?;
    ensure!(
        done.succeeded(),
        "the chain refused the training task: {} {}",
        done.code,
        done.log
    );
    node.training_tasks()
        .await?
        .iter()
        .find(|t| t.sponsor == sponsor.address() && t.terms.validation_commitment == commitment)
        .map(|t| t.id)
        .context("the node lists no such task after committing it")
}

/// The sponsor hands the coordinator the validation set it committed to.
async fn hand_over_validation(
    world: &World,
    task: u64,
    salt: &[u8; 32],
    csv: &str,
) -> anyhow::Result<()> {
    let body = serde_json::json!({"salt": hex::encode(salt), "csv": csv});
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("http://{ORACLE}/v1/learn/tasks/{task}/validation"))
        .header("content-type", "application/json")
        .body(HttpBody::from(serde_json::to_vec(&body)?))?;
    let answer = world.net.call(request).await?;
    if !answer.status().is_success() {
        bail!(
            "the coordinator refused the validation set: {}",
            answer.status()
        );
    }
    Ok(())
}

/// What a closed round paid whom, in the participants' order.
fn round_line(round: &RoundResultView, participants: &[Participant]) -> String {
    let (mut paid, mut unpaid) = (Vec::new(), Vec::new());
    for p in participants {
        match round.shares.iter().find(|s| s.participant == p.address()) {
            Some(share) if share.paid > Amount::ZERO => {
                paid.push(format!("{} {}", p.name, share.paid.to_plx_string()))
            }
            Some(_) => unpaid.push(p.name.clone()),
            None => unpaid.push(format!("{} (no update)", p.name)),
        }
    }
    format!(
        "round {} closed: validation accuracy {:.1}%; {} updates paid ({}); {} scored nothing ({})",
        round.round,
        round.accuracy_ppm as f64 / 1e4,
        paid.len(),
        paid.join(", "),
        unpaid.len(),
        unpaid.join(", ")
    )
}

/// Accuracy on the held-out test split (never used in training or scoring) of the model
/// `params`.
fn test_accuracy(spec: &TaskSpec, params: &[f32], test: &Dataset) -> anyhow::Result<f64> {
    let model = spec.model()?;
    model.set_params(params)?;
    Ok(model.evaluate(test)?.1)
}

/// The task's final model, from the coordinator, checked against the hash on chain.
async fn final_model(world: &World, task: &TaskView) -> anyhow::Result<Vec<f32>> {
    let last = task.rounds.last().context("the task closed no round")?;
    let coordinator =
        CoordinatorClient::with_transport(&format!("http://{ORACLE}"), world.net.clone())?;
    let params = params_from_bytes(&coordinator.model(task.id).await?)?;
    ensure!(
        params_hash(&params) == last.model,
        "the coordinator's model is not the one on chain"
    );
    Ok(params)
}

/// Steps the chain, the oracle and the learners block by block until task `id` ends; tells
/// when the learners have joined and what each closed round paid.
async fn run_task(
    world: &World,
    oracle: &Oracle,
    participants: &mut [Participant],
    id: u64,
    story: &mut Story,
) -> anyhow::Result<TaskView> {
    let node = world.node_client();
    let mut told_rounds = 0;
    let mut joined = false;
    let mut task = None;
    for _ in 0..MAX_STEPS {
        let height = world.next_block()?;
        oracle.follow_once().await?;
        for p in participants.iter_mut() {
            if let Err(e) = p.learner.once().await {
                story.tell(height, format!("{}: training step failed: {e}", p.name));
            }
        }
        oracle.coordinate_once().await?;
        let now = node
            .training_tasks()
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .context("the task left the chain")?;
        if !joined && now.participants.len() == participants.len() {
            joined = true;
            let honest = participants.iter().filter(|p| p.honest).count();
            story.tell(
                world.chain.status().height,
                format!(
                    "{} learners joined: {honest} honest, {} poisoners",
                    participants.len(),
                    participants.len() - honest
                ),
            );
        }
        // The view carries the newest rounds: those after the ones already told.
        for round in now.rounds.iter().filter(|r| r.round > told_rounds) {
            story.tell(round.height, round_line(round, participants));
        }
        told_rounds = now.rounds_done();
        let open = now.is_open();
        task = Some(now);
        if !open {
            break;
        }
    }
    let task = task.context("the scenario ran no step")?;
    if task.is_open() {
        bail!(
            "training task {id} is still open after {MAX_STEPS} steps ({} rounds)",
            task.rounds_done()
        );
    }
    Ok(task)
}

/// Runs the scenario seeded `seed`: the same seed tells the same story.
pub async fn poisoner(seed: u64) -> anyhow::Result<Story> {
    let mut story = Story::new("poisoner", seed);
    let names: Vec<String> = ["oracle", "sponsor"]
        .into_iter()
        .map(String::from)
        .chain(roles().into_iter().map(|(name, _)| name))
        .collect();
    let actors: Vec<Actor> = names
        .iter()
        .map(|name| Actor {
            name: name.clone(),
            key: key_of(seed, name),
            balance: Amount::plx(START_PLX),
        })
        .collect();
    let world = World::new(seed, &actors, actors[0].address(), EPOCH_BLOCKS)?;
    let oracle = world.start_oracle(actors[0].key.clone()).await?;
    let (parts, validation, test) = plexus_learn::simulate::digits_split(roles().len());
    let spec = task_spec(seed)?;
    let mut participants = participants(&world, &actors[2..], &parts)?;

    let validation_csv = csv_of(&validation);
    let salt = *blake3::hash(format!("validation salt {seed}").as_bytes()).as_bytes();
    let budget = Amount::plx(BUDGET_PLX);
    let terms = TrainingTaskTerms {
        dataset: DATASET.into(),
        spec: serde_json::to_string(&spec)?,
        validation_commitment: validation_commitment(&salt, validation_csv.as_bytes()),
        rounds: ROUNDS,
        min_participants: participants.len() as u32,
        budget,
        coordinator: actors[0].address(),
    };
    let id = create_task(&world, &actors[1], terms).await?;
    story.tell(
        world.chain.status().height,
        format!(
            "sponsor created training task {id}: {ROUNDS} rounds, budget {}, {} participants wanted",
            budget.to_plx_string(),
            participants.len()
        ),
    );
    // The coordinator takes the task on its first look; only then does it accept the set.
    oracle.coordinate_once().await?;
    hand_over_validation(&world, id, &salt, &validation_csv).await?;
    let initial = spec.model()?.params()?;
    let accuracy_before = test_accuracy(&spec, &initial, &test)?;

    let task = run_task(&world, &oracle, &mut participants, id, &mut story).await?;
    tell_settlement(&mut story, &world, &task, &participants, &actors[1]).await?;
    let accuracy_after = test_accuracy(&spec, &final_model(&world, &task).await?, &test)?;
    let status = world.chain.status();
    story.tell(
        status.height,
        format!(
            "held-out test accuracy: {:.1}% before training, {:.1}% after",
            accuracy_before * 100.0,
            accuracy_after * 100.0
        ),
    );
    story.tell(
        status.height,
        format!("app hash {}", status.app_hash.to_hex()),
    );
    Ok(story)
}

/// `balance` less the start balance, signed, in PLX.
fn change(balance: Amount) -> String {
    let start = Amount::plx(START_PLX);
    match balance.checked_sub(start) {
        Some(gain) => format!("+{}", gain.to_plx_string()),
        None => format!("-{}", Amount(start.0 - balance.0).to_plx_string()),
    }
}

/// Tells how the task ended, what each participant earned and what reached its account, what
/// the poisoners earned beside the honest mean, and where every unit of the budget went. An
/// unbalanced budget is an error: the ledger lost or made money.
async fn tell_settlement(
    story: &mut Story,
    world: &World,
    task: &TaskView,
    participants: &[Participant],
    sponsor: &Actor,
) -> anyhow::Result<()> {
    let node = world.node_client();
    let height = world.chain.status().height;
    let ended = match task.status {
        TaskStatusView::Finished { height } => format!("finished at height {height}"),
        TaskStatusView::Cancelled { height } => format!("cancelled at height {height}"),
        TaskStatusView::Open => "still open".to_string(),
    };
    story.tell(
        height,
        format!(
            "task {} {ended} after {} rounds",
            task.id,
            task.rounds_done()
        ),
    );
    let view = |p: &Participant| task.participants.iter().find(|v| v.account == p.address());
    let earned = |p: &Participant| view(p).map_or(Amount::ZERO, |v| v.earned);
    for p in participants {
        let balance = node.account_of(&p.address()).await?.balance;
        let bond = match view(p) {
            Some(v) if v.bond_forfeit => {
                format!(" and its forfeit join bond of {}", v.bond.to_plx_string())
            }
            _ => String::new(),
        };
        story.tell(
            height,
            format!(
                "{} ({}) earned {}; its account {} after its join fee{bond}",
                p.name,
                if p.honest { "honest" } else { "poisoner" },
                earned(p).to_plx_string(),
                change(balance)
            ),
        );
    }
    let honest: Vec<u128> = participants
        .iter()
        .filter(|p| p.honest)
        .map(|p| earned(p).0)
        .collect();
    let honest_mean = honest.iter().sum::<u128>() / honest.len().max(1) as u128;
    let worst = participants
        .iter()
        .filter(|p| !p.honest)
        .map(|p| earned(p).0)
        .max()
        .unwrap_or(0);
    // Parts per million of the honest mean, in integers: the story stays byte-exact.
    let share_ppm = worst * 1_000_000 / honest_mean.max(1);
    story.tell(
        height,
        format!(
            "poisoners earned at most {}.{:04}% of the honest mean ({})",
            share_ppm / 10_000,
            share_ppm % 10_000,
            Amount(honest_mean).to_plx_string()
        ),
    );
    let earned_total: u128 = task.participants.iter().map(|p| p.earned.0).sum();
    let budget = task.terms.budget;
    let held = budget
        .0
        .checked_sub(task.paid.0 + task.refunded.0)
        .context("the task paid out more than its budget")?;
    ensure!(
        earned_total == task.paid.0 && held == 0,
        "training task {} does not balance: budget {budget}, paid {}, earned {earned_total}, refunded {}",
        task.id,
        task.paid,
        task.refunded
    );
    story.tell(
        height,
        format!(
            "budget {} = paid {} + refunded {}; the participants' earnings sum to the paid",
            budget.to_plx_string(),
            task.paid.to_plx_string(),
            task.refunded.to_plx_string(),
        ),
    );
    let sponsor_balance = node.account_of(&sponsor.address()).await?.balance;
    story.tell(
        height,
        format!(
            "sponsor's account {} (what was paid out, and its transaction fee)",
            change(sponsor_balance)
        ),
    );
    Ok(())
}
