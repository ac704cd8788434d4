//! `plexus node init|start|snapshot`.

use crate::{print_json, Globals};
use anyhow::{bail, Context};
use clap::Subcommand;
use plexus_client::{Clock as _, SystemClock};
use plexus_devnet::ValidatorSetup;
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
        /// Create a multi-validator chain: one home per validator under HOME/validator-I, each
        /// with its own consensus key, all sharing a genesis that lists them.
        #[arg(long)]
        validators: Option<usize>,
        /// First validator's p2p port on loopback (validator I listens on PORT + I).
        #[arg(long, default_value_t = 27100)]
        p2p_port: u16,
        /// First validator's API port on loopback (validator I serves on PORT + I).
        #[arg(long, default_value_t = 26750)]
        api_port: u16,
        /// Blocks the solo node's beacon hash chain lasts (each block reveals one value;
        /// making the chain costs one hash per block, once).
        #[arg(long, default_value_t = plexus_chain::reveal_chain::DEFAULT_LENGTH)]
        beacon_reveals: u64,
    },
    /// Start the node in its home: replay logged blocks, produce blocks, serve the API.
    Start {
        /// Address of the HTTP API (overrides config.toml).
        #[arg(long)]
        api: Option<SocketAddr>,
        /// Longest time between blocks, in milliseconds (overrides config.toml).
        #[arg(long)]
        block_ms: Option<u64>,
        /// Heights of state kept for reads and proofs; 0 keeps all (overrides config.toml).
        #[arg(long)]
        retain_versions: Option<u64>,
        /// An oracle's API URL the web console reads (a device's evidence, an epoch's audit);
        /// repeat for several (overrides `oracles` in config.toml).
        #[arg(long = "oracle-url", value_name = "URL", value_parser = plexus_node::parse_oracle_url)]
        oracle_urls: Vec<String>,
    },
    /// Export the state of one height to a file, or verify such a file.
    #[command(subcommand)]
    Snapshot(crate::cmd_snapshot::SnapshotCommand),
    /// Print this home's consensus public key, the value `tx create-validator --consensus-key`
    /// takes, creating the key (HOME/consensus_key, readable by its owner only) if the home has
    /// none.
    ConsensusKey,
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

/// The home of validator `i` of a multi-validator setup under `home`.
pub fn validator_home(home: &std::path::Path, i: usize) -> std::path::PathBuf {
    home.join(format!("validator-{i}"))
}

/// Creates one node home per validator under `g.home`, with a shared genesis listing every
/// validator's consensus key, stake and p2p address, and a funded faucet key in `g.home`'s
/// keyring.
pub fn init_validators(g: &Globals, setup: &ValidatorSetup) -> anyhow::Result<serde_json::Value> {
    use commonware_cryptography::Signer as _;
    use plexus_chain::commonware::{consensus_key_to_hex, generate_consensus_key, public_key_hex};
    if !(1..=100).contains(&setup.count) {
        bail!("--validators must be between 1 and 100");
    }
    if (setup.p2p_port as usize + setup.count) > u16::MAX as usize
        || (setup.api_port as usize + setup.count) > u16::MAX as usize
    {
        bail!("the port ranges run past 65535");
    }
    for i in 0..setup.count {
        if NodeFiles::new(validator_home(&g.home, i)).is_initialized() {
            bail!(
                "{} is already initialized (remove it or choose another --home)",
                validator_home(&g.home, i).display()
            );
        }
    }
    let faucet_key = SecretKey::generate();
    let mut genesis = Genesis::new(
        &setup.chain_id,
        SystemClock.now_ms(),
        vec![GenesisAccount {
            address: Address::from_public_key(&faucet_key.public_key()),
            balance: Amount::parse_human(&setup.faucet_amount)?,
        }],
    );
    let keys: Vec<_> = (0..setup.count).map(|_| generate_consensus_key()).collect();
    for (i, key) in keys.iter().enumerate() {
        genesis.validators.push(plexus_ledger::GenesisValidator {
            consensus_key: public_key_hex(&key.public_key()),
            stake: Amount::plx(1_000),
            p2p_address: format!("127.0.0.1:{}", setup.p2p_port as usize + i),
        });
    }
    let public: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
    let shares =
        plexus_chain::commonware::deal_for_genesis(&mut rand::rngs::OsRng, &mut genesis, &public)
            .map_err(anyhow::Error::msg)?;
    genesis.validate()?;
    let info = g.keyring().add(&setup.faucet, &faucet_key)?;
    let mut homes = Vec::new();
    for ((i, key), threshold) in keys.iter().enumerate().zip(&shares) {
        let files = NodeFiles::new(validator_home(&g.home, i));
        let mut config = NodeConfig {
            api: SocketAddr::from(([127, 0, 0, 1], setup.api_port + i as u16)),
            ..NodeConfig::default()
        };
        if let Some(ms) = setup.block_ms {
            config.block_ms = ms;
        }
        files.write_new(&genesis, &config, &SecretKey::generate())?;
        plexus_durable::write_private(
            &files.consensus_key_path(),
            consensus_key_to_hex(key).as_bytes(),
        )?;
        plexus_durable::write_private(
            &files.consensus_share_path(),
            plexus_chain::commonware::threshold::share_to_hex(&threshold.share).as_bytes(),
        )?;
        homes.push(serde_json::json!({
            "home": files.home,
            "api": config.api.to_string(),
            "p2p": genesis.validators[i].p2p_address,
            "consensus_key": genesis.validators[i].consensus_key,
        }));
    }
    Ok(serde_json::json!({
        "chain_id": genesis.chain_id,
        "faucet": info,
        "validators": homes,
    }))
}

/// The genesis of a single-node chain: the faucet and `accounts` funded, `oracles` (keys or
/// addresses) as the oracle set, and the epoch shape asked for.
#[allow(clippy::too_many_arguments)]
fn single_node_genesis(
    g: &Globals,
    chain_id: String,
    faucet_key: &SecretKey,
    faucet_amount: &str,
    accounts: &[String],
    oracles: &[String],
    oracle_threshold: Option<u32>,
    epoch_blocks: Option<u64>,
    intervals_per_epoch: Option<u32>,
) -> anyhow::Result<Genesis> {
    let mut genesis_accounts = vec![GenesisAccount {
        address: Address::from_public_key(&faucet_key.public_key()),
        balance: Amount::parse_human(faucet_amount)?,
    }];
    for a in accounts {
        genesis_accounts.push(parse_account(a)?);
    }
    let mut genesis = Genesis {
        chain_id,
        genesis_time_ms: SystemClock.now_ms(),
        params: Params::default(),
        rewards: Default::default(),
        oracles: Default::default(),
        device_classes: plexus_ledger::default_device_classes(),
        validators: Vec::new(),
        beacon: None,
        staking: Default::default(),
        wireless: Default::default(),
        data_credits: Default::default(),
        data_market: Default::default(),
        accounts: genesis_accounts,
    };
    let mut members = Vec::new();
    for o in oracles {
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
    Ok(genesis)
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
            validators,
            p2p_port,
            api_port,
            beacon_reveals,
        } => {
            if let Some(n) = validators {
                let home = init_validators(
                    g,
                    &ValidatorSetup {
                        chain_id,
                        faucet,
                        faucet_amount,
                        count: n,
                        p2p_port,
                        api_port,
                        block_ms,
                    },
                )?;
                if g.json {
                    print_json(&home);
                } else {
                    println!(
                        "initialized {} validators under {}; start each with: plexus --home {}/validator-I node start",
                        n,
                        g.home.display(),
                        g.home.display()
                    );
                }
                return Ok(());
            }
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
            let mut genesis = single_node_genesis(
                g,
                chain_id,
                &faucet_key,
                &faucet_amount,
                &accounts,
                &oracles,
                oracle_threshold,
                epoch_blocks,
                intervals_per_epoch,
            )?;
            files.new_beacon_chain(&mut genesis, beacon_reveals)?;
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
        NodeCommand::Snapshot(cmd) => crate::cmd_snapshot::run(g, cmd),
        NodeCommand::ConsensusKey => consensus_key(g, &files),
        NodeCommand::Start {
            api,
            block_ms,
            retain_versions,
            oracle_urls,
        } => start(&files, api, block_ms, retain_versions, oracle_urls).await,
    }
}

/// `plexus node consensus-key`: the home's consensus key, made once and then only read.
fn consensus_key(g: &Globals, files: &NodeFiles) -> anyhow::Result<()> {
    use commonware_cryptography::Signer as _;
    use plexus_chain::commonware::{
        consensus_key_from_hex, consensus_key_to_hex, generate_consensus_key, public_key_hex,
    };
    let path = files.consensus_key_path();
    let (key, created) = match std::fs::read_to_string(&path) {
        Ok(text) => (
            consensus_key_from_hex(text.trim())
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            false,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&files.home)
                .with_context(|| format!("creating {}", files.home.display()))?;
            let key = generate_consensus_key();
            plexus_durable::write_private(&path, consensus_key_to_hex(&key).as_bytes())?;
            (key, true)
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let public = public_key_hex(&key.public_key());
    if g.json {
        print_json(&serde_json::json!({
            "consensus_key": public,
            "file": path,
            "created": created,
        }));
    } else {
        println!(
            "{} consensus key {public} (in {})\nbond it with: plexus tx create-validator --from KEY --consensus-key {public} --p2p-address HOST:PORT --self-stake AMOUNT --commission-bps BPS",
            if created { "created" } else { "this home's" },
            path.display()
        );
    }
    Ok(())
}

/// `plexus node start`: config.toml with the flags given over it.
async fn start(
    files: &NodeFiles,
    api: Option<SocketAddr>,
    block_ms: Option<u64>,
    retain_versions: Option<u64>,
    oracle_urls: Vec<String>,
) -> anyhow::Result<()> {
    let mut config = files.load_config()?;
    if !oracle_urls.is_empty() {
        config.oracles = oracle_urls;
    }
    if let Some(api) = api {
        config.api = api;
    }
    if let Some(ms) = block_ms {
        config.block_ms = ms;
    }
    if let Some(n) = retain_versions {
        config.retain_versions = n;
    }
    let node = run_node(files, config).await?;
    let st = node.chain.status();
    eprintln!(
        "node for chain {} at height {} · API on http://{} · Ctrl-C or SIGTERM stops it",
        st.chain_id, st.height, node.api_addr
    );
    node.run_until(shutdown_signal()).await
}
