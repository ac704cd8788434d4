//! What the devnet's training task came to: accuracy by round, the final model's accuracy on
//! the held-out test split, the budget accounted for, and what each participant earned.

use super::FinishedRun;
use anyhow::{bail, Context};
use plexus_learn::task::{params_from_bytes, params_hash, TaskSpec};
use plexus_ledger::query::TrainingTaskView;
use plexus_types::{Address, Amount};
use serde::Serialize;
use std::path::Path;

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

pub fn summarize(
    home: &Path,
    store: &plexus_store::Store,
    id: u64,
    run: &FinishedRun,
) -> anyhow::Result<TrainingSummary> {
    let task: TrainingTaskView = plexus_ledger::query::training_task(store, id)?
        .with_context(|| format!("training task {id} is not on chain"))?;
    let rounds = plexus_ledger::query::training_rounds(store, id)?
        .with_context(|| format!("training task {id} is not on chain"))?;
    let spec = TaskSpec::parse(&task.terms.spec)?;
    let dir = home.join("oracle").join("learn").join(format!("task-{id}"));
    let test_accuracy = match rounds.last() {
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
    for r in &rounds {
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
        accuracy_by_round: rounds.iter().map(|r| r.accuracy_ppm as f64 / 1e6).collect(),
        loss_by_round: rounds.iter().map(|r| r.loss_micro as f64 / 1e6).collect(),
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
        crate::balance_word(s.accounting_balanced)
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
