//! The devnet's federated training demo: a sponsor creates a task on the shipped digits,
//! coordinated by the devnet's oracle, and participants train on their own label-skewed parts,
//! two of them poisoning their updates and two Sybils sending copies of one update.

mod summary;

pub use summary::{print, summarize, TrainingSummary};

use crate::host::{Client, Keys};
use anyhow::{bail, Context};
use plexus_agent::{LearnBehaviour, LearnData, Learner};
use plexus_learn::data::Dataset;
use plexus_learn::model::{Architecture, TrainConfig};
use plexus_learn::task::TaskSpec;
use plexus_learn::Rule;
use plexus_ledger::training::TrainingTask;
use plexus_types::{validation_commitment, Address, Amount, SecretKey, TrainingTaskTerms};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Participant accounts funded at genesis.
pub const MAX_LEARNERS: usize = 12;
/// The account that sponsors the devnet's training task.
pub const SPONSOR: &str = "sponsor";
/// The devnet task's budget.
const BUDGET_PLX: u64 = 10_000;

pub fn learner_name(i: usize) -> String {
    format!("learner-{i}")
}

#[derive(clap::Args, Clone)]
pub struct TrainingArgs {
    /// Run a federated training task on the shipped 8×8 digits, coordinated by the oracle: 8
    /// participants, of which 2 poison their updates (sign flip, scaled noise) and 2 are Sybils
    /// sending copies of one update.
    #[arg(long)]
    pub training: bool,
    /// How the coordinator combines updates: trimmed-mean (with norm clipping; the default),
    /// median, krum or fedavg (plain, to compare).
    #[arg(long, default_value = "trimmed-mean", value_parser = ["trimmed-mean", "median", "krum", "fedavg"])]
    training_rule: String,
    /// Rounds of the devnet's training task.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1000))]
    training_rounds: u32,
    /// Extra participants that drop out in the middle of round 3 (rounds then close at the
    /// timeout with a quorum). A devnet stopped before its task finished resumes that task
    /// (with the participants it was created with) instead of creating another.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=4))]
    training_dropouts: u32,
}

/// Each participant's account and the name of its role.
type Roles = Vec<(Address, String)>;

pub struct TrainingRun {
    task: tokio::task::JoinHandle<anyhow::Result<u64>>,
    roles: Roles,
    rule: String,
    test: Dataset,
    learners: Vec<tokio::task::JoinHandle<()>>,
}

fn csv_of(data: &Dataset, unscale: f32) -> String {
    let mut out = String::new();
    for i in 0..data.len() {
        for x in data.example(i) {
            out.push_str(&format!("{},", (x * unscale).round()));
        }
        out.push_str(&format!("{}\n", data.labels[i]));
    }
    out
}

fn rule_of(name: &str) -> Rule {
    match name {
        "fedavg" => Rule::FedAvg,
        "median" => Rule::Median,
        "krum" => Rule::Krum { faulty: 4 },
        _ => Rule::default(),
    }
}

/// The participants' behaviours in order: four honest, a sign-flipper, a noise-maker, the two
/// Sybils, then the drop-outs.
fn roles(dropouts: u32) -> Vec<LearnBehaviour> {
    let mut roles = vec![LearnBehaviour::Honest; 4];
    roles.extend([LearnBehaviour::SignFlip, LearnBehaviour::Noise]);
    let sybils = 2;
    roles.extend(std::iter::repeat_n(LearnBehaviour::Honest, sybils));
    roles.extend(std::iter::repeat_n(
        LearnBehaviour::DropOut { after: 2 },
        dropouts as usize,
    ));
    roles
}

/// The task's model, training settings and coordinator.
fn task_spec(rule: &str, oracle: SocketAddr) -> anyhow::Result<TaskSpec> {
    let spec = TaskSpec {
        architecture: Architecture::Mlp { hidden: 32 },
        features: 64,
        classes: 10,
        objective: plexus_learn::model::Objective::Classification,
        scale: 1.0 / 16.0,
        seed: 1,
        rule: rule_of(rule),
        optimizer: plexus_learn::optimizer::ServerOptimizer::plain(),
        train: TrainConfig {
            epochs: 2,
            batch: 16,
            lr: 0.1,
        },
        round_timeout_ms: 3_000,
        quorum: 4,
        coordinator_url: format!("http://{oracle}"),
    };
    spec.check()?;
    Ok(spec)
}

/// Starts one learner per role, each on its part of the data (the two Sybils, participants 6
/// and 7, on the same part); returns them with each one's account and role name.
fn start_learners(
    keys: &impl Keys,
    roles: &[LearnBehaviour],
    files: &[PathBuf],
    api: SocketAddr,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<(Vec<tokio::task::JoinHandle<()>>, Roles)> {
    let mut learners = Vec::new();
    let mut named_roles = Vec::new();
    for (i, behaviour) in roles.iter().enumerate() {
        let key = keys.secret(&learner_name(i))?;
        let part = if i == 7 {
            6
        } else if i > 7 {
            i - 1
        } else {
            i
        };
        let name = match (i, behaviour) {
            (6 | 7, _) => "sybil-copy".to_string(),
            (_, b) => b.name(),
        };
        let learner = Learner::new(
            key,
            plexus_client::NodeClient::new(&format!("http://{api}"))?,
            vec![LearnData {
                dataset: "digits".into(),
                data: files[part].clone(),
            }],
            *behaviour,
        )?;
        named_roles.push((learner.address(), name));
        let stop = stop.clone();
        learners.push(tokio::spawn(learner.run(stop)));
    }
    Ok((learners, named_roles))
}

/// Creates the task, or finds the open one a stopped devnet left: the coordinator kept its
/// validation set and rounds, the participants' keys and data are the same.
async fn create_or_resume<C: Client>(
    client: Arc<C>,
    node: plexus_client::NodeClient,
    sponsor: SecretKey,
    terms: TrainingTaskTerms,
    coordinator: String,
    salt: [u8; 32],
    validation_csv: String,
) -> anyhow::Result<u64> {
    let sponsor_address = Address::from_public_key(&sponsor.public_key());
    let tasks: Vec<TrainingTask> = node.list("/v1/learn/tasks", "tasks").await?;
    if let Some(open) = tasks
        .iter()
        .rev()
        .find(|t| t.sponsor == sponsor_address && t.is_open())
    {
        return Ok(open.id);
    }
    let id = client.create_training_task(&node, &sponsor, terms).await?;
    client
        .hand_over_validation(&coordinator, id, &salt, &validation_csv)
        .await?;
    Ok(id)
}

/// Writes the participants' data files, starts them, and creates the task.
pub fn start<H: Keys + Client>(
    host: &Arc<H>,
    home: &Path,
    args: &TrainingArgs,
    api: SocketAddr,
    oracle: SocketAddr,
    oracle_address: Address,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Option<TrainingRun>> {
    if !args.training {
        return Ok(None);
    }
    let sponsor = host.secret(SPONSOR).with_context(|| {
        format!(
            "this devnet was created before training tasks existed; remove {} to start a new one",
            home.display()
        )
    })?;
    let roles = roles(args.training_dropouts);
    // The two Sybils share one part (participants 6 and 7), so they send the same update.
    let parts_needed = roles.len() - 1;
    let (parts, validation, test) = plexus_learn::simulate::digits_split(parts_needed);
    let dir = home.join("training");
    std::fs::create_dir_all(&dir)?;
    let mut files: Vec<PathBuf> = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let path = dir.join(format!("part-{i}.csv"));
        std::fs::write(&path, csv_of(part, 16.0))?;
        files.push(path);
    }
    let validation_csv = csv_of(&validation, 16.0);
    std::fs::write(dir.join("validation.csv"), &validation_csv)?;
    let spec = task_spec(&args.training_rule, oracle)?;
    let (learners, named_roles) = start_learners(host.as_ref(), &roles, &files, api, stop)?;
    let salt: [u8; 32] = rand::random();
    let terms = TrainingTaskTerms {
        dataset: "digits".into(),
        spec: serde_json::to_string(&spec)?,
        validation_commitment: validation_commitment(&salt, validation_csv.as_bytes()),
        rounds: args.training_rounds,
        min_participants: roles.len() as u32,
        budget: Amount::plx(BUDGET_PLX),
        coordinator: oracle_address,
    };
    let node = plexus_client::NodeClient::new(&format!("http://{api}"))?;
    let task = tokio::spawn(create_or_resume(
        host.clone(),
        node,
        sponsor,
        terms,
        spec.coordinator_url.clone(),
        salt,
        validation_csv,
    ));
    Ok(Some(TrainingRun {
        task,
        roles: named_roles,
        rule: args.training_rule.clone(),
        test,
        learners,
    }))
}

impl TrainingRun {
    /// Stops the participants (the devnet's stop signal has fired) and returns the task id.
    pub async fn finish(self) -> anyhow::Result<(u64, FinishedRun)> {
        for l in self.learners {
            let _ = l.await;
        }
        if !self.task.is_finished() {
            self.task.abort();
            bail!("the training task was not created before the devnet stopped");
        }
        let id = self.task.await??;
        Ok((
            id,
            FinishedRun {
                roles: self.roles,
                rule: self.rule,
                test: self.test,
            },
        ))
    }
}

pub struct FinishedRun {
    roles: Roles,
    rule: String,
    test: Dataset,
}
