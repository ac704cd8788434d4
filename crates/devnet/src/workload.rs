//! A workload beside the agents (the wireless city, the sensor region): a task that runs until
//! the stop signal, then hands back its log.

use anyhow::Context;

pub type Workload<T> = tokio::task::JoinHandle<anyhow::Result<T>>;

/// What a workload that ran left, once it has wound down after the stop signal.
pub async fn finished<T>(run: Option<Workload<T>>) -> anyhow::Result<Option<T>> {
    match run {
        Some(run) => Ok(Some(run.await.context("a workload panicked")??)),
        None => Ok(None),
    }
}
