//! The devnet's federated training demo: a sponsor creates a task on the shipped digits,
//! coordinated by the devnet's oracle, and participants train on their own label-skewed parts,
//! two of them poisoning their updates and two Sybils sending copies of one update.

use crate::cmd_learn;
use crate::keyring::Keyring;
use anyhow::{bail, Context};
use plexus_agent::{LearnBehaviour, LearnData, Learner};
use plexus_learn::data::Dataset;
use plexus_learn::model::{Architecture, TrainConfig};
use plexus_learn::task::{params_from_bytes, params_hash, TaskSpec};
use plexus_learn::Rule;
use plexus_ledger::training::TrainingTask;
use plexus_types::{validation_commitment, Address, Amount, TrainingTaskTerms};
use serde::Serialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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

pub struct TrainingRun {
    task: tokio::task::JoinHandle<anyhow::Result<u64>>,
    roles: Vec<(Address, String)>,
    rule: String,
    test: Dataset,
    learners: Vec<tokio::task::JoinHandle<()>>,
}

#[derive(Serialize)]
pub struct TrainingSummary {
    task: u64,
    rule: String,
    status: serde_json::Value,
    rounds: u32,
    rounds_done: u32,
    /// Validation accuracy after each round, as the coordinator put it on chain.
    accuracy_by_round: Vec<f64>,
    loss_by_round: Vec<f64>,
    /// Accuracy of the last model on the held-out test split (never used in training or
    /// scoring).
    test_accuracy: Option<f64>,
    /// Updates that missed each round (drop-outs).
    participants: Vec<ParticipantSummary>,
    budget: Amount,
    paid: Amount,
    refunded: Amount,
    /// budget = paid + refunded + held, exactly.
    held: Amount,
    accounting_balanced: bool,
    honest_mean_earned: Amount,
    /// The most any poisoner or Sybil earned, as a fraction of the honest mean.
    worst_attacker_share: f64,
}

#[derive(Serialize)]
struct ParticipantSummary {
    account: Address,
    behaviour: String,
    earned: Amount,
    /// Rounds whose record lists it as missing.
    rounds_missed: u32,
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

/// Writes the participants' data files, starts them, and creates the task.
pub fn start(
    home: &Path,
    ring: &Keyring,
    args: &TrainingArgs,
    api: SocketAddr,
    oracle: SocketAddr,
    oracle_address: Address,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Option<TrainingRun>> {
    if !args.training {
        return Ok(None);
    }
    let sponsor = ring.secret(SPONSOR).with_context(|| {
        format!(
            "this devnet was created before training tasks existed; remove {} to start a new one",
            home.display()
        )
    })?;
    let mut roles = vec![LearnBehaviour::Honest; 4];
    roles.extend([LearnBehaviour::SignFlip, LearnBehaviour::Noise]);
    let sybils = 2;
    roles.extend(std::iter::repeat_n(LearnBehaviour::Honest, sybils));
    roles.extend(std::iter::repeat_n(
        LearnBehaviour::DropOut { after: 2 },
        args.training_dropouts as usize,
    ));
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
    let spec = TaskSpec {
        architecture: Architecture::Mlp { hidden: 32 },
        features: 64,
        classes: 10,
        scale: 1.0 / 16.0,
        seed: 1,
        rule: rule_of(&args.training_rule),
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
    let mut learners = Vec::new();
    let mut named_roles = Vec::new();
    for (i, behaviour) in roles.iter().enumerate() {
        let key = ring.secret(&learner_name(i))?;
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
            plexus_agent::NodeClient::new(&format!("http://{api}"))?,
            vec![LearnData {
                dataset: "digits".into(),
                data: files[part].clone(),
            }],
            *behaviour,
            Default::default(),
        );
        named_roles.push((learner.address(), name));
        let stop = stop.clone();
        learners.push(tokio::spawn(learner.run(stop)));
    }
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
    let coordinator = spec.coordinator_url.clone();
    let task = tokio::spawn(async move {
        // A devnet stopped in the middle of its task resumes that task: the coordinator kept
        // its validation set and rounds, the participants' keys and data are the same.
        let sponsor_address = Address::from_public_key(&sponsor.public_key());
        let tasks: serde_json::Value = node.get("/v1/learn/tasks").await?;
        let tasks: Vec<TrainingTask> = serde_json::from_value(tasks["tasks"].clone())?;
        if let Some(open) = tasks
            .iter()
            .rev()
            .find(|t| t.sponsor == sponsor_address && t.is_open())
        {
            return Ok(open.id);
        }
        let id = cmd_learn::create_task(&node, &sponsor, terms).await?;
        cmd_learn::hand_over_validation(&coordinator, id, &salt, &validation_csv).await?;
        Ok(id)
    });
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
    roles: Vec<(Address, String)>,
    rule: String,
    test: Dataset,
}

pub fn summarize(
    home: &Path,
    store: &plexus_store::Store,
    id: u64,
    run: &FinishedRun,
) -> anyhow::Result<TrainingSummary> {
    let task: TrainingTask = plexus_ledger::query::training_task(store, id)?
        .with_context(|| format!("training task {id} is not on chain"))?;
    let spec = TaskSpec::parse(&task.terms.spec)?;
    let dir = home.join("oracle").join("learn").join(format!("task-{id}"));
    let test_accuracy = match task.rounds.last() {
        Some(last) => {
            let bytes = std::fs::read(dir.join(format!("model-{:05}.bin", last.round)))
                .context("the coordinator's last model")?;
            let params = params_from_bytes(&bytes)?;
            if params_hash(&params) != last.model {
                bail!("the coordinator's last model is not the one on chain");
            }
            let model = spec.model()?;
            model.set_params(&params)?;
            Some(model.evaluate(&run.test)?.1)
        }
        None => None,
    };
    let mut missed = std::collections::BTreeMap::<Address, u32>::new();
    for r in &task.rounds {
        if let Ok(b) = std::fs::read(dir.join(format!("round-{:05}.json", r.round))) {
            if let Ok(rec) = serde_json::from_slice::<plexus_learn::task::RoundRecord>(&b) {
                for m in rec.missing {
                    *missed.entry(m).or_default() += 1;
                }
            }
        }
    }
    let participants: Vec<ParticipantSummary> = run
        .roles
        .iter()
        .map(|(a, behaviour)| ParticipantSummary {
            account: *a,
            behaviour: behaviour.clone(),
            earned: task
                .participants
                .iter()
                .find(|p| p.account == *a)
                .map_or(Amount::ZERO, |p| p.earned),
            rounds_missed: missed.get(a).copied().unwrap_or(0),
        })
        .collect();
    let honest: Vec<u128> = participants
        .iter()
        .filter(|p| p.behaviour == "honest")
        .map(|p| p.earned.0)
        .collect();
    let honest_mean = honest.iter().sum::<u128>() / (honest.len().max(1) as u128);
    let worst = participants
        .iter()
        .filter(|p| matches!(p.behaviour.as_str(), "sign-flip" | "noise" | "sybil-copy"))
        .map(|p| p.earned.0)
        .max()
        .unwrap_or(0);
    let held = task.held().context("task paid more than its budget")?;
    Ok(TrainingSummary {
        task: id,
        rule: run.rule.clone(),
        status: serde_json::to_value(task.status)?,
        rounds: task.terms.rounds,
        rounds_done: task.rounds_done(),
        accuracy_by_round: task
            .rounds
            .iter()
            .map(|r| r.accuracy_ppm as f64 / 1e6)
            .collect(),
        loss_by_round: task
            .rounds
            .iter()
            .map(|r| r.loss_micro as f64 / 1e6)
            .collect(),
        test_accuracy,
        participants,
        budget: task.terms.budget,
        paid: task.paid,
        refunded: task.refunded,
        held,
        accounting_balanced: task.paid.0 + task.refunded.0 + held.0 == task.terms.budget.0,
        honest_mean_earned: Amount(honest_mean),
        worst_attacker_share: if honest_mean == 0 {
            0.0
        } else {
            worst as f64 / honest_mean as f64
        },
    })
}

pub fn print(s: &TrainingSummary) {
    let acc = |v: &[f64]| {
        v.iter()
            .map(|a| format!("{:.1}", a * 100.0))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "training task {} ({}): {}/{} rounds · validation accuracy % by round: {}",
        s.task,
        s.rule,
        s.rounds_done,
        s.rounds,
        acc(&s.accuracy_by_round)
    );
    if let Some(t) = s.test_accuracy {
        println!(
            "  held-out test accuracy of the final model: {:.1}%",
            t * 100.0
        );
    }
    println!(
        "  budget {} = paid {} + refunded {} + held {} ({})",
        s.budget.to_plx_string(),
        s.paid.to_plx_string(),
        s.refunded.to_plx_string(),
        s.held.to_plx_string(),
        if s.accounting_balanced {
            "balanced"
        } else {
            "NOT BALANCED"
        }
    );
    for p in &s.participants {
        println!(
            "  {}  {:<18} earned {:>14}{}",
            p.account,
            p.behaviour,
            p.earned.to_plx_string(),
            if p.rounds_missed > 0 {
                format!(" · missed {} rounds", p.rounds_missed)
            } else {
                String::new()
            }
        );
    }
    println!(
        "  attackers earned at most {:.1}% of the honest mean ({})",
        s.worst_attacker_share * 100.0,
        s.honest_mean_earned.to_plx_string()
    );
}
