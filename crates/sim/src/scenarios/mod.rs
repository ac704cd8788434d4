//! The economic scenarios: each builds a world from a seed, runs honest providers beside one
//! cheat, and tells what the network did to each.

mod compute;
mod hostile_jobs;
mod jobs;
mod restart;
mod storage;
mod training;

pub use compute::wrong_compute;
pub use hostile_jobs::{hostile_jobs, jobs_beyond_the_capacity_wait, serving_while_a_job_spins};
pub use jobs::wrong_results;
pub use restart::reveal_after_a_restart;
pub use storage::replica_dropper;
pub use training::poisoner;

use crate::story::Story;

/// The scenarios by name, in the order `plexus sim all` runs them.
pub const NAMES: [&str; 6] = [
    "wrong-compute",
    "replica-dropper",
    "wrong-results",
    "hostile-jobs",
    "reveal-after-a-restart",
    "poisoner",
];

/// Runs the scenario named `name` from `seed`.
pub async fn run(name: &str, seed: u64) -> anyhow::Result<Story> {
    match name {
        "wrong-compute" => wrong_compute(seed).await,
        "replica-dropper" => replica_dropper(seed).await,
        "wrong-results" => wrong_results(seed).await,
        "hostile-jobs" => hostile_jobs(seed).await,
        "reveal-after-a-restart" => reveal_after_a_restart(seed).await,
        "poisoner" => poisoner(seed).await,
        other => anyhow::bail!(
            "no scenario {other:?}: expected one of {}",
            NAMES.join(", ")
        ),
    }
}

/// Runs the scenario named `name` from `seed` on a runtime of its own, in the calling
/// thread: one task, so nothing but the seed decides the story.
pub fn run_blocking(name: &str, seed: u64) -> anyhow::Result<Story> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(name, seed))
}
