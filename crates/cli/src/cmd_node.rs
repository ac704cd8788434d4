//! `plexus node init|start`.

use crate::{print_json, Globals};
use anyhow::{bail, Context};
use clap::Subcommand;
use plexus_ledger::{Genesis, GenesisAccount, Params};
use plexus_node::{run_node, shutdown_signal, NodeConfig, NodeFiles};
use plexus_types::{Address, Amount, SecretKey};
use std::net::SocketAddr;

#[derive(Subcommand)]
pub enum NodeCommand {
    /// Create a node home: genesis, settings, a node key, and a funded `faucet` key.
    Init {
        /// Chain id of the new chain.
        #[arg(long, default_value = "plexus-local")]
        chain_id: String,
        /// Name of the funded key created in the keyring.
        #[arg(long, default_value = "faucet")]
        faucet: String,
        /// Opening balance of the faucet key (for example 1000000plx).
        #[arg(long, default_value = "1000000000plx")]
        faucet_amount: String,
        /// Extra opening balances, as ADDRESS=AMOUNT (repeatable).
        #[arg(long = "account", value_name = "ADDRESS=AMOUNT")]
        accounts: Vec<String>,
        /// Address of the HTTP API written to config.toml.
        #[arg(long)]
        api: Option<SocketAddr>,
        /// Longest time between blocks, in milliseconds, written to config.toml.
        #[arg(long)]
        block_ms: Option<u64>,
        /// Shortest time between blocks, in milliseconds, written to config.toml.
        #[arg(long)]
        min_block_ms: Option<u64>,
        /// An oracle of the chain: an address or the name of a key in the keyring (repeatable).
        #[arg(long = "oracle", value_name = "ADDRESS_OR_KEY")]
        oracles: Vec<String>,
        /// How many oracles must submit the same manifest for it to be final (default: all).
        #[arg(long)]
        oracle_threshold: Option<u32>,
        /// Blocks per epoch.
        #[arg(long)]
        epoch_blocks: Option<u64>,
        /// Liveness intervals per epoch.
        #[arg(long)]
        intervals_per_epoch: Option<u32>,
    },
    /// Start the node in its home: replay logged blocks, produce blocks, serve the API.
    Start {
        /// Address of the HTTP API (overrides config.toml).
        #[arg(long)]
        api: Option<SocketAddr>,
        /// Longest time between blocks, in milliseconds (overrides config.toml).
        #[arg(long)]
        block_ms: Option<u64>,
    },
}

fn parse_account(text: &str) -> anyhow::Result<GenesisAccount> {
    let (addr, amount) = text
        .split_once('=')
        .with_context(|| format!("--account {text:?}: expected ADDRESS=AMOUNT"))?;
    Ok(GenesisAccount {
        address: addr.trim().parse()?,
        balance: Amount::parse_human(amount)?,
    })
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub async fn run(g: &Globals, cmd: NodeCommand) -> anyhow::Result<()> {
    let files = NodeFiles::new(&g.home);
    match cmd {
        NodeCommand::Init {
            chain_id,
            faucet,
            faucet_amount,
            accounts,
            api,
            block_ms,
            min_block_ms,
            oracles,
            oracle_threshold,
            epoch_blocks,
            intervals_per_epoch,
        } => {
            if files.is_initialized() {
                bail!(
                    "{} is already initialized (remove it or choose another --home)",
                    g.home.display()
                );
            }
            let mut config = NodeConfig::default();
            if let Some(api) = api {
                config.api = api;
            }
            if let Some(ms) = block_ms {
                config.block_ms = ms;
            }
            if let Some(ms) = min_block_ms {
                config.min_block_ms = ms;
            }
            let ring = g.keyring();
            let faucet_key = SecretKey::generate();
            let mut genesis_accounts = vec![GenesisAccount {
                address: Address::from_public_key(&faucet_key.public_key()),
                balance: Amount::parse_human(&faucet_amount)?,
            }];
            for a in &accounts {
                genesis_accounts.push(parse_account(a)?);
            }
            let mut genesis = Genesis {
                chain_id,
                genesis_time_ms: now_ms(),
                params: Params::default(),
                rewards: Default::default(),
                oracles: Default::default(),
                device_classes: plexus_ledger::default_device_classes(),
                validators: Vec::new(),
                accounts: genesis_accounts,
            };
            let mut members = Vec::new();
            for o in &oracles {
                members.push(crate::cmd_tx::resolve_address(g, o)?);
            }
            genesis.oracles = plexus_ledger::OracleSet {
                threshold: oracle_threshold.unwrap_or(members.len() as u32),
                members,
            };
            if let Some(n) = epoch_blocks {
                genesis.rewards.epoch_blocks = n;
            }
            if let Some(n) = intervals_per_epoch {
                genesis.rewards.intervals_per_epoch = n;
            }
            genesis.validate()?;
            let info = ring.add(&faucet, &faucet_key)?;
            files.write_new(&genesis, &config, &SecretKey::generate())?;
            if g.json {
                print_json(&serde_json::json!({
                    "home": g.home,
                    "chain_id": genesis.chain_id,
                    "faucet": info,
                }));
            } else {
                println!(
                    "initialized {} for chain {}\nfaucet key {:?}: {} holds {}\nstart it with: plexus node start --home {}",
                    g.home.display(),
                    genesis.chain_id,
                    info.name,
                    info.address,
                    genesis.accounts[0].balance.to_plx_string(),
                    g.home.display()
                );
            }
            Ok(())
        }
        NodeCommand::Start { api, block_ms } => {
            let mut config = files.load_config()?;
            if let Some(api) = api {
                config.api = api;
            }
            if let Some(ms) = block_ms {
                config.block_ms = ms;
            }
            let node = run_node(&files, config).await?;
            let st = node.chain.status();
            eprintln!(
                "node for chain {} at height {} · API on http://{} · Ctrl-C or SIGTERM stops it",
                st.chain_id, st.height, node.api_addr
            );
            node.run_until(shutdown_signal()).await
        }
    }
}
