//! Plexus on one machine: the devnet (a node, its oracle, provider agents and demo workloads in
//! one process), the testnet (one `plexus node start` process per validator), the summaries
//! they print, and the benchmarks. The `plexus` binary parses the commands and calls in here;
//! what stays with the binary (its keyring, the job and training commands) the devnet reaches
//! through the traits of [`host`].

mod adversaries;
mod agents;
pub mod bench;
mod cheaters;
mod earnings;
mod home;
pub mod host;
mod jobs;
mod options;
pub mod progress;
mod run;
mod sensors;
mod storage_demo;
mod summary;
pub mod testnet;
mod traffic;
mod training;
mod wireless;
mod workload;

pub use bench::BenchCommand;
pub use host::{Client, Host, Keys, OrderProgress, ValidatorSetup, Validators};
pub use options::DevnetArgs;
pub use run::run;
pub use testnet::TestnetArgs;

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("values serialize")
    );
}

/// How a summary line names an escrow's accounting: `balanced`, or `NOT BALANCED` to catch the
/// eye.
pub(crate) fn balance_word(balanced: bool) -> &'static str {
    if balanced {
        "balanced"
    } else {
        "NOT BALANCED"
    }
}
