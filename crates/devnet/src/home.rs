//! A devnet's home: its genesis (demo accounts, providers, the storage client, the job
//! consumer, the training sponsor and learners, the oracle, and with `--validators` the other
//! validators' homes), the marker that says the home is a devnet's, and opening it again.

use crate::host::{Keys, Validators};
use crate::options::{DevnetArgs, MAX_AGENTS};
use anyhow::{bail, Context};
use plexus_client::{Clock as _, SystemClock};
use plexus_durable::write_durably;
use plexus_ledger::{Genesis, GenesisAccount, OracleSet, RewardParams};
use plexus_node::{NodeConfig, NodeFiles};
use plexus_types::{Address, Amount, SecretKey};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;

const DEMO_NAMES: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
const DEVNET_CHAIN_ID: &str = "plexus-devnet";

/// The account that pays for the demo blob's storage deal.
pub const STORAGE_CLIENT: &str = "storage-client";
/// The account that funds the wireless city's hotspot owners and buys data credits for its
/// phones, as a carrier does for the phones it offloads.
pub const CARRIER: &str = "carrier";

/// The account that funds the sensor region's device owners.
pub const SENSOR_NETWORK: &str = "sensor-network";

/// The account the devnet's stranger adversaries pay from.
pub const ATTACKER: &str = "attacker";

/// Block cadence while agents run: epochs are counted in blocks, so they need a steady pace.
const AGENT_BLOCK_MS: u64 = 250;
/// Heights of state a new devnet keeps (about 40 minutes at the agents' pace): enough for
/// any proof the demo asks for, and the store stays bounded however long it runs.
const DEVNET_RETAIN_VERSIONS: u64 = 10_000;
/// Seconds a new devnet's node keeps a partial upload that stopped growing: a minute, so that
/// what a stranger abandons is swept within a run (every devnet upload completes in seconds).
const DEVNET_PARTIAL_TTL_SECS: u64 = 60;

/// Marks a home as a devnet's and names its demo accounts.
#[derive(Serialize, Deserialize)]
pub struct DevnetMarker {
    chain_id: String,
    pub demo_accounts: Vec<String>,
}

/// The keyring name of devnet oracle `i`.
pub fn oracle_name(i: usize) -> String {
    match i {
        0 => "oracle".to_string(),
        i => format!("oracle-{i}"),
    }
}

/// Where devnet oracle `i` keeps its evidence and manifests.
pub fn oracle_dir(home: &Path, i: usize) -> std::path::PathBuf {
    home.join(oracle_name(i))
}

/// The data directories of the devnet's oracles, the first one's first.
pub fn oracle_dirs(home: &Path) -> Vec<std::path::PathBuf> {
    (0..MAX_ORACLES)
        .map(|i| oracle_dir(home, i))
        .take_while(|d| d.exists())
        .collect()
}

/// The most oracles a devnet runs.
pub const MAX_ORACLES: usize = 7;

pub fn provider_name(i: usize) -> String {
    format!("provider-{i}")
}

/// The home of devnet validator `i` (validator 0 is the devnet's own home).
pub fn validator_files(host: &impl Validators, files: &NodeFiles, i: usize) -> NodeFiles {
    if i == 0 {
        NodeFiles::new(&files.home)
    } else {
        NodeFiles::new(host.validator_home(&files.home, i))
    }
}

/// A devnet home, created or resumed, with the node configuration this run uses.
pub struct DevnetHome {
    pub files: NodeFiles,
    pub config: NodeConfig,
    /// Created by this run.
    pub fresh: bool,
    /// Validators under consensus (1: the solo driver).
    pub validators: usize,
    /// Oracles in the genesis oracle set.
    pub oracles: usize,
    pub marker: DevnetMarker,
    /// The demo accounts' keys, in the marker's order.
    pub keys: Vec<SecretKey>,
}

/// Opens the devnet in `home`, creating it first when the home is empty; refuses a home that
/// holds another node, or `--validators` different from the devnet's.
pub fn open<H: Keys + Validators>(
    host: &H,
    home: &Path,
    args: &DevnetArgs,
) -> anyhow::Result<DevnetHome> {
    let files = NodeFiles::new(home);
    let marker_path = files.home.join("devnet.json");
    let mut config = if files.is_initialized() {
        if !marker_path.exists() {
            bail!(
                "{} holds a node that is not a devnet; choose another --home for the devnet",
                home.display()
            );
        }
        files.load_config()?
    } else {
        NodeConfig {
            retain_versions: DEVNET_RETAIN_VERSIONS,
            uploads: plexus_node::UploadSettings {
                partial_ttl_secs: DEVNET_PARTIAL_TTL_SECS,
                ..plexus_node::UploadSettings::default()
            },
            ..NodeConfig::default()
        }
    };
    if let Some(api) = args.api {
        config.api = api;
    }
    if let Some(keep) = args.retain_versions {
        config.retain_versions = keep;
    }
    if args.all_agents() > 0 {
        config.block_ms = AGENT_BLOCK_MS;
        config.min_block_ms = AGENT_BLOCK_MS;
    } else {
        config.block_ms = args.block_ms;
        config.min_block_ms = 0;
    }
    let fresh = !files.is_initialized();
    if fresh {
        let validators = args.validators.map_or(1, usize::from);
        create(
            host,
            &files,
            &config,
            args.epoch_blocks,
            validators,
            args.p2p_port,
            args.oracle_count(),
        )?;
    }
    let genesis = files.load_genesis()?;
    let validators = genesis.validators.len().max(1);
    let oracles = genesis.oracles.members.len();
    if let Some(asked) = args.oracles {
        if usize::from(asked) != oracles {
            bail!(
                "this devnet was created with {oracles} oracle(s), not {asked}; \
                 leave out --oracles, or remove {} to start a new devnet",
                home.display()
            );
        }
    }
    if let Some(asked) = args.validators {
        if usize::from(asked) != validators {
            bail!(
                "this devnet was created with {validators} validator(s), not {asked}; \
                 leave out --validators, or remove {} to start a new devnet",
                home.display()
            );
        }
    }
    let marker: DevnetMarker = serde_json::from_str(
        &std::fs::read_to_string(&marker_path)
            .with_context(|| format!("reading {}", marker_path.display()))?,
    )
    .with_context(|| format!("{} is corrupt", marker_path.display()))?;
    let keys = marker
        .demo_accounts
        .iter()
        .map(|n| host.secret(n))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if validators > 1 {
        // Consensus makes a block whenever a round completes, tens per second on loopback;
        // epochs are counted in blocks, so validators pace their proposals instead.
        config.min_block_ms = config.min_block_ms.max(AGENT_BLOCK_MS);
    }
    Ok(DevnetHome {
        files,
        config,
        fresh,
        validators,
        oracles,
        marker,
        keys,
    })
}

/// The accounts funded at genesis, each made in the keyring when it has none by that name.
fn genesis_accounts(
    keys: &impl Keys,
    oracles: usize,
) -> anyhow::Result<(Vec<GenesisAccount>, Vec<Address>)> {
    let mut accounts = Vec::new();
    let mut key = |name: &str, balance: Amount| -> anyhow::Result<Address> {
        let address = keys.address_or_new(name)?;
        accounts.push(GenesisAccount { address, balance });
        Ok(address)
    };
    for name in DEMO_NAMES {
        key(name, Amount::plx(1_000_000))?;
    }
    for i in 0..MAX_AGENTS {
        key(&provider_name(i), Amount::plx(10_000))?;
    }
    key(STORAGE_CLIENT, Amount::plx(1_000_000))?;
    key(crate::jobs::CONSUMER, Amount::plx(1_000_000))?;
    key(ATTACKER, Amount::plx(1_000_000))?;
    key(CARRIER, Amount::plx(10_000_000))?;
    key(SENSOR_NETWORK, Amount::plx(1_000_000))?;
    for i in 0..crate::training::MAX_LEARNERS {
        key(&crate::training::learner_name(i), Amount::plx(1_000))?;
    }
    key(crate::training::SPONSOR, Amount::plx(1_000_000))?;
    let oracles = (0..oracles)
        .map(|i| key(&oracle_name(i), Amount::plx(10_000)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((accounts, oracles))
}

/// Blocks a solo devnet's beacon hash chain lasts: 12 days of 250 ms blocks, made in a
/// fraction of the time of a full node's chain.
const DEVNET_BEACON_REVEALS: u64 = 1 << 22;

fn create<H: Keys + Validators>(
    host: &H,
    files: &NodeFiles,
    config: &NodeConfig,
    epoch_blocks: u64,
    validators: usize,
    p2p_port: u16,
    oracles: usize,
) -> anyhow::Result<()> {
    let (accounts, oracles) = genesis_accounts(host, oracles)?;
    let mut genesis = Genesis::new(DEVNET_CHAIN_ID, SystemClock.now_ms(), accounts);
    genesis.rewards = RewardParams {
        epoch_blocks,
        intervals_per_epoch: 8,
        initial_epoch_emission: Amount::plx(10_000),
        ..RewardParams::default()
    };
    // A majority: with 3 oracles, any 2 that agree make a manifest final.
    let threshold = oracles.len() as u32 / 2 + 1;
    genesis.oracles = OracleSet {
        members: oracles,
        threshold,
    };
    let mut consensus_keys = Vec::new();
    if validators > 1 {
        use commonware_cryptography::Signer as _;
        use plexus_chain::commonware::{generate_consensus_key, public_key_hex};
        if p2p_port as usize + validators > u16::MAX as usize {
            bail!("--p2p-port {p2p_port} leaves no room for {validators} validators");
        }
        for i in 0..validators {
            let key = generate_consensus_key();
            genesis.validators.push(plexus_ledger::GenesisValidator {
                consensus_key: public_key_hex(&key.public_key()),
                stake: Amount::plx(1_000),
                p2p_address: format!("127.0.0.1:{}", p2p_port as usize + i),
            });
            consensus_keys.push(key);
        }
    } else {
        files.new_beacon_chain(&mut genesis, DEVNET_BEACON_REVEALS)?;
    }
    let public: Vec<_> = consensus_keys
        .iter()
        .map(commonware_cryptography::Signer::public_key)
        .collect();
    let shares = if public.is_empty() {
        Vec::new()
    } else {
        plexus_chain::commonware::deal_for_genesis(&mut rand::rngs::OsRng, &mut genesis, &public)
            .map_err(anyhow::Error::msg)?
    };
    genesis.validate()?;
    // The other validators' homes are written first and the devnet's own genesis last, so an
    // interrupted creation leaves the devnet uninitialized and is redone from scratch.
    for (i, key) in consensus_keys.iter().enumerate() {
        let home = validator_files(host, files, i);
        if i > 0 {
            if home.home.exists() {
                std::fs::remove_dir_all(&home.home)
                    .with_context(|| format!("clearing {}", home.home.display()))?;
            }
            let config = NodeConfig {
                api: SocketAddr::from(([127, 0, 0, 1], 0)),
                ..config.clone()
            };
            home.write_new(&genesis, &config, &SecretKey::generate())?;
        }
        plexus_node::write_private(
            &home.consensus_key_path(),
            plexus_chain::commonware::consensus_key_to_hex(key).as_bytes(),
        )?;
        plexus_node::write_private(
            &home.consensus_share_path(),
            plexus_chain::commonware::threshold::share_to_hex(&shares[i].share).as_bytes(),
        )?;
    }
    files.write_new(&genesis, config, &SecretKey::generate())?;
    let marker = DevnetMarker {
        chain_id: genesis.chain_id,
        demo_accounts: DEMO_NAMES.iter().map(|s| s.to_string()).collect(),
    };
    write_durably(
        &files.home.join("devnet.json"),
        serde_json::to_string_pretty(&marker)?.as_bytes(),
    )?;
    Ok(())
}
