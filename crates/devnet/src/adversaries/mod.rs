//! The devnet's adversaries (`--cheaters KIND,…`): each tries one way to be paid for work it
//! did not do, or to stop or fill honest providers. Some are provider agents with a cheating
//! behaviour (started with the others, see [`crate::agents::plan`]); the rest are strangers
//! running beside the network ([`start`]). Once the run stops, each reports what it tried and
//! what came of it, and [`honest_harm`] says whether anyone honest paid for it.

mod checks;
mod griefer;
mod honest;
mod links;
mod sharer;
mod sleeper;
mod spammer;

pub use crate::cheaters::{Adversary, AdversaryReport};
pub use crate::home::ATTACKER;
pub use honest::honest_harm;

use crate::agents::AgentDevice;
use crate::host::Client;
use plexus_chain::Chain;
use plexus_types::SecretKey;
use std::path::PathBuf;
use std::sync::Arc;

/// What the stranger adversaries reach: the node, the oracle, the chain (read only, as any
/// follower would), the agents' devices, and the attacker's funded key.
pub struct Stage<C> {
    pub client: Arc<C>,
    pub node: String,
    pub oracle: String,
    pub chain: Arc<Chain>,
    pub home: PathBuf,
    pub attacker: SecretKey,
    pub devices: Vec<AgentDevice>,
}

/// The stranger adversaries while they run.
pub struct Running {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<(
        Adversary,
        tokio::task::JoinHandle<anyhow::Result<AdversaryReport>>,
    )>,
}

/// Starts the stranger adversaries among `kinds` (the agents' start with the agents), and
/// the replica sharer's watcher, which must see every block to tell its devices' pay apart.
pub fn start<C: Client>(stage: Stage<C>, kinds: &[Adversary]) -> Running {
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let stage = Arc::new(stage);
    let mut tasks = Vec::new();
    for kind in kinds {
        let task = match kind {
            Adversary::SleeperJobs => tokio::spawn(sleeper::run(stage.clone(), stop_rx.clone())),
            Adversary::BlobSpammer => tokio::spawn(spammer::run(stage.clone(), stop_rx.clone())),
            Adversary::ChallengeGriefer => {
                tokio::spawn(griefer::run(stage.clone(), stop_rx.clone()))
            }
            Adversary::ReplicaSharer => tokio::spawn(sharer::run(stage.clone(), stop_rx.clone())),
            _ => continue,
        };
        tasks.push((*kind, task));
    }
    Running { stop, tasks }
}

impl Running {
    /// Stops the strangers and collects their reports (the chain must still be readable; a
    /// stranger that failed reports how).
    pub async fn finish(self) -> Vec<AdversaryReport> {
        let _ = self.stop.send(true);
        let mut reports = Vec::new();
        for (kind, task) in self.tasks {
            let report = match task.await {
                Ok(Ok(report)) => report,
                Ok(Err(e)) => failed(kind, format!("{e:#}")),
                Err(e) => failed(kind, e.to_string()),
            };
            reports.push(report);
        }
        reports
    }
}

fn failed(kind: Adversary, error: String) -> AdversaryReport {
    AdversaryReport {
        kind,
        tried: "(the adversary stopped early)".into(),
        outcome: vec![format!("failed: {error}")],
        held: false,
    }
}

/// The reports of the adversaries that ran as agents, read from the chain and the run's
/// summary once they stopped.
pub fn agent_reports(
    store: &plexus_store::Store,
    kinds: &[Adversary],
    devices: &[AgentDevice],
    summary: &crate::summary::Summary,
) -> anyhow::Result<Vec<AdversaryReport>> {
    // Orders whose accepted output a local re-execution did not give.
    let wrong_orders: Vec<u64> = summary.jobs.as_ref().map_or(Vec::new(), |j| {
        j.jobs
            .iter()
            .filter(|l| l.correct == Some(false))
            .map(|l| l.id)
            .collect()
    });
    let mut reports = Vec::new();
    for kind in kinds {
        let report = match kind {
            Adversary::SybilCheckers => checks::sybil_report(store, devices)?,
            Adversary::LateSubmitter => checks::late_report(store, devices, &wrong_orders)?,
            Adversary::LinkSharer => links::link_report(summary),
            _ => continue,
        };
        reports.push(report);
    }
    Ok(reports)
}
