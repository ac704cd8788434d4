//! `plexus testnet`: a local network of one `plexus node start` process per validator on
//! loopback, with transfers sent to every validator in turn, reporting each validator's
//! height and app hash.

mod processes;
mod report;
mod transfers;

use crate::host::{Host, ValidatorSetup};
use anyhow::bail;
use clap::Args;
use plexus_node::NodeFiles;
use std::path::Path;
use std::time::Duration;

#[derive(Args)]
pub struct TestnetArgs {
    /// Number of validators (one process each).
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Stop after this long (for example 60s) and print the summary; runs until Ctrl-C
    /// otherwise.
    #[arg(long = "for", value_parser = humantime::parse_duration)]
    pub run_for: Option<Duration>,
    /// First validator's p2p port (validator I uses PORT + I).
    #[arg(long, default_value_t = 27100)]
    pub p2p_port: u16,
    /// First validator's API port (validator I uses PORT + I).
    #[arg(long, default_value_t = 26750)]
    pub api_port: u16,
}

/// Runs the testnet in `home` (creating its validators' homes the first time) until
/// `--for` has passed or Ctrl-C, then reports; an error when the validators disagree.
pub async fn run(
    host: &impl Host,
    home: &Path,
    json: bool,
    args: TestnetArgs,
) -> anyhow::Result<()> {
    let n = args.validators;
    if n == 0 {
        bail!("--validators must be at least 1");
    }
    if !NodeFiles::new(host.validator_home(home, 0)).is_initialized() {
        host.init_validators(
            home,
            &ValidatorSetup {
                chain_id: "plexus-testnet".into(),
                faucet: "faucet".into(),
                faucet_amount: "1000000000plx".into(),
                count: n,
                p2p_port: args.p2p_port,
                api_port: args.api_port,
                block_ms: None,
            },
        )?;
    }
    let genesis = NodeFiles::new(host.validator_home(home, 0)).load_genesis()?;
    if genesis.validators.len() != n {
        bail!(
            "{} holds a testnet of {} validators, not {n}",
            home.display(),
            genesis.validators.len()
        );
    }
    let (mut procs, clients) = processes::start(host, home, n).await?;
    if !json {
        eprintln!(
            "testnet of {n} validators running; APIs on ports {}..{}",
            args.api_port,
            args.api_port as usize + n - 1
        );
    }
    let sent = transfers::send(host, &genesis, &clients, args.run_for).await?;
    let committed = transfers::count_committed(&clients, &sent).await;
    procs.stop();
    let agree = report::report(
        host,
        home,
        n,
        &genesis.chain_id,
        sent.len(),
        committed,
        json,
    )?;
    if !agree {
        bail!("validators disagree on the app hash");
    }
    Ok(())
}
