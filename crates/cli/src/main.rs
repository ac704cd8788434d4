//! `plexus`: run a node or a whole devnet, manage keys, send transactions, query the chain,
//! and measure performance.

mod bearing;
mod cmd_agent;
mod cmd_blob;
mod cmd_data;
mod cmd_hotspot;
mod cmd_job;
mod cmd_job_verify;
mod cmd_keys;
mod cmd_learn;
mod cmd_learn_sensors;
mod cmd_node;
mod cmd_oracle;
mod cmd_query;
mod cmd_sim;
mod cmd_sim_economics;
mod cmd_sim_wireless;
mod cmd_snapshot;
mod cmd_stake;
mod cmd_tx;
mod cmd_wireless;
mod devnet;
mod keyring;
mod output;

use clap::{CommandFactory, Parser, Subcommand};

// Scoring, ingest and block execution allocate from many threads at once; mimalloc's
// per-thread heaps keep that from serializing on the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use keyring::{Backend, PassphraseSource};
use output::Output;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "plexus",
    version,
    about = "Plexus: a DePIN/DePAI network node and toolkit"
)]
struct Cli {
    /// Home directory for node state, keys and devnets.
    #[arg(long, global = true, env = "PLEXUS_HOME", default_value = "./.plexus")]
    home: PathBuf,
    /// URL of the node's HTTP API, for client commands.
    #[arg(
        long,
        global = true,
        env = "PLEXUS_NODE",
        default_value = "http://127.0.0.1:26650"
    )]
    node: String,
    /// Where keys are kept: `file` (encrypted) or `test` (unencrypted, for devnets).
    #[arg(long, global = true, value_enum, default_value = "file")]
    keyring_backend: Backend,
    /// Read the keyring passphrase from this file (else PLEXUS_PASSPHRASE, else a prompt).
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    /// How read commands print: `table` (aligned columns under a header row; the default) or
    /// `json` (machine-readable). Long work shows its progress on standard error when that is
    /// a terminal and the output is not JSON.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    output: Option<Output>,
    /// Print machine-readable JSON: the same as `--output json`.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

/// `plexus tx`: transfers, staking and data credits.
#[derive(Subcommand)]
enum TxCommand {
    #[command(flatten)]
    Bank(cmd_tx::TxCommand),
    #[command(flatten)]
    Staking(cmd_stake::StakeCommand),
    #[command(flatten)]
    DataCredits(cmd_wireless::DataCreditsTxCommand),
}

#[derive(Subcommand)]
enum Command {
    /// Run a whole network on this machine: a node with funded demo accounts, an oracle, demo
    /// transfers, and providers of every class at work (compute jobs, a storage deal,
    /// bandwidth tests, a training task) unless agent flags choose otherwise.
    Devnet(plexus_devnet::DevnetArgs),
    /// Run a local network of one process per validator on loopback, send transfers to each,
    /// and report every validator's height and app hash.
    Testnet(plexus_devnet::TestnetArgs),
    /// Manage keys.
    #[command(subcommand)]
    Keys(cmd_keys::KeysCommand),
    /// Initialize or start a node.
    #[command(subcommand)]
    Node(cmd_node::NodeCommand),
    /// Sign and send transactions.
    #[command(subcommand)]
    Tx(TxCommand),
    /// Read the chain.
    #[command(subcommand)]
    Query(cmd_query::QueryCommand),
    /// Wireless hotspots: assert where one stands.
    #[command(subcommand)]
    Hotspot(cmd_hotspot::HotspotCommand),
    /// Data credits and the data traffic hotspots carry: balances, an epoch's hotspots and
    /// carriers, and receipts of data sessions.
    #[command(subcommand)]
    Wireless(cmd_wireless::WirelessCommand),
    /// The sensor data market: list the data sets for sale, buy one, fetch it checked.
    #[command(subcommand)]
    Data(cmd_data::DataCommand),
    /// Run a provider agent.
    #[command(subcommand)]
    Agent(cmd_agent::AgentCommand),
    /// Run an oracle.
    #[command(subcommand)]
    Oracle(cmd_oracle::OracleCommand),
    /// Recompute what oracles reported from their published evidence.
    #[command(subcommand)]
    Audit(cmd_oracle::AuditCommand),
    /// Put, get and inspect content-addressed blobs.
    #[command(subcommand)]
    Blob(cmd_blob::BlobCommand),
    /// Federated training: create a task, follow its rounds, fetch its model.
    #[command(subcommand)]
    Learn(cmd_learn::LearnCommand),
    /// Compute jobs: submit a job spec, follow it, fetch its verified output.
    #[command(subcommand)]
    Job(cmd_job::JobCommand),
    /// Measure performance, next to a baseline measured in the same run.
    #[command(subcommand)]
    Bench(plexus_devnet::BenchCommand),
    /// Run an economic scenario (a cheat among honest providers) on simulated time from a
    /// seed, in seconds, and tell what the network did to each: the same seed, the same story.
    Sim(cmd_sim::SimArgs),
    /// Print a completion script for a shell, for example
    /// `plexus completions bash > ~/.local/share/bash-completion/completions/plexus`.
    Completions {
        /// The shell: bash, zsh, fish, powershell or elvish.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// What every command may need from the global flags.
pub struct Globals {
    pub home: PathBuf,
    pub node: String,
    pub backend: Backend,
    pub passphrase: PassphraseSource,
    /// `--json` or `--output json`: print JSON, draw no progress.
    pub json: bool,
}

impl Globals {
    pub fn keyring(&self) -> keyring::Keyring {
        keyring::Keyring::open(&self.home, self.backend, self.passphrase.clone())
    }

    pub fn client(&self) -> anyhow::Result<plexus_client::NodeClient> {
        match plexus_client::NodeClient::new(&self.node) {
            Err(plexus_client::ClientError::NotHttp { url, .. }) => {
                anyhow::bail!("--node must be an http:// or https:// URL, got {url:?}")
            }
            client => Ok(client?),
        }
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("values serialize")
    );
}

/// `plexus completions SHELL`: the shell's completion script on stdout.
fn print_completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    use std::io::Write;
    // Generated whole first: clap_complete panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "plexus", &mut script);
    std::io::stdout()
        .write_all(&script)
        .map_err(|e| anyhow::anyhow!("writing the {shell} completion script: {e}"))
}

fn main() -> ExitCode {
    // candle sizes its matrix-product parallelism from RAYON_NUM_THREADS on every product and,
    // when it is unset, counts physical cores from /proc each time: for the small models of
    // federated training that lookup costs more than the arithmetic (rounds ran 9x slower).
    // Set once here, before any thread exists, to the cores this process may use.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::env::set_var("RAYON_NUM_THREADS", cores.to_string());
    }
    let cli = Cli::parse();
    if cli.json && cli.output == Some(Output::Table) {
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--json asks for JSON and --output table for a table: choose one",
            )
            .exit();
    }

    // A simulation tells its cheats' failures in its story; logging them too would say
    // everything twice.
    let default_log = match cli.command {
        Command::Sim(_) => "error",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PLEXUS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_log)),
        )
        .with_writer(std::io::stderr)
        .init();
    let globals = Globals {
        home: cli.home,
        node: cli.node,
        backend: cli.keyring_backend,
        passphrase: PassphraseSource {
            file: cli.passphrase_file,
        },
        json: cli.json || cli.output == Some(Output::Json),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Devnet(args) => devnet::run_devnet(&globals, args).await,
            Command::Testnet(args) => devnet::run_testnet(&globals, args).await,
            Command::Keys(cmd) => cmd_keys::run(&globals, cmd),
            Command::Node(cmd) => cmd_node::run(&globals, cmd).await,
            Command::Tx(TxCommand::Bank(cmd)) => cmd_tx::run(&globals, cmd).await,
            Command::Tx(TxCommand::Staking(cmd)) => cmd_stake::run(&globals, cmd).await,
            Command::Tx(TxCommand::DataCredits(cmd)) => cmd_wireless::run_tx(&globals, cmd).await,
            Command::Wireless(cmd) => cmd_wireless::run(&globals, cmd).await,
            Command::Data(cmd) => cmd_data::run(&globals, cmd).await,
            Command::Query(cmd) => cmd_query::run(&globals, cmd).await,
            Command::Hotspot(cmd) => cmd_hotspot::run(&globals, cmd).await,
            Command::Agent(cmd) => cmd_agent::run(&globals, cmd).await,
            Command::Oracle(cmd) => cmd_oracle::run_oracle_cmd(&globals, cmd).await,
            Command::Audit(cmd) => cmd_oracle::run_audit(&globals, cmd).await,
            Command::Blob(cmd) => cmd_blob::run(&globals, cmd).await,
            Command::Learn(cmd) => cmd_learn::run(&globals, cmd).await,
            Command::Job(cmd) => cmd_job::run(&globals, cmd).await,
            Command::Bench(cmd) => plexus_devnet::bench::run(globals.json, cmd).await,
            Command::Sim(args) => cmd_sim::run(globals.json, args).await,
            Command::Completions { shell } => print_completions(shell),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_arguments_of_any_command_share_a_name_or_a_flag() {
        // A subcommand's `--output FILE` beside the global `--output FORMAT` once passed every
        // build and failed only when `blob get` ran.
        Cli::command().debug_assert();
        for args in [
            &[
                "plexus", "--output", "json", "blob", "get", "ID", "-o", "f.bin",
            ][..],
            &[
                "plexus", "learn", "model", "0", "--out", "m.bin", "--output", "table",
            ][..],
            &["plexus", "job", "result", "7", "-o", "out.bin", "--json"][..],
        ] {
            let parsed = Cli::try_parse_from(args);
            assert!(parsed.is_ok(), "{args:?}: {:?}", parsed.err());
        }
    }
}
