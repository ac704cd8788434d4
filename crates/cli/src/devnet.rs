//! `plexus devnet`: a node with funded demo accounts and a steady flow of demo transfers, all
//! in one process. State lives under `--home`, so running it again resumes the same chain.

use crate::keyring::{Backend, Keyring};
use crate::{print_json, Globals};
use anyhow::{bail, Context};
use plexus_agent::{Agent, AgentConfig, Behaviour};
use plexus_chain::Chain;
use plexus_ledger::{
    query, Genesis, GenesisAccount, OracleSet, ResourceClass, RewardParams, TxCode,
};
use plexus_node::{run_node, shutdown_signal, write_durably, NodeConfig, NodeFiles};
use plexus_oracle::{run_oracle, OracleConfig};
use plexus_proofs::compute::class_by_name;
use plexus_types::{Address, Amount, Body, Hash, SecretKey, UnsignedTx};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEMO_NAMES: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
const DEVNET_CHAIN_ID: &str = "plexus-devnet";

#[derive(clap::Args)]
pub struct DevnetArgs {
    /// Address of the node's HTTP API.
    #[arg(long)]
    api: Option<SocketAddr>,
    /// Longest time between blocks, in milliseconds.
    #[arg(long, default_value_t = 500)]
    block_ms: u64,
    /// Demo transfers per second.
    #[arg(long, default_value_t = 5.0)]
    demo_tps: f64,
    /// Stop by itself after this long (for example 30s or 5m) and print a summary.
    #[arg(long = "for", value_parser = humantime::parse_duration)]
    run_for: Option<Duration>,
    /// Provider agents to run, each with its own device.
    #[arg(long, default_value_t = 0)]
    agents: usize,
    /// How many of the agents cheat: in turn, one answers compute challenges with wrong
    /// results, one returns wrong outputs for the compute jobs it wins, one declares more
    /// capacity than it has, one replays old heartbeats.
    #[arg(long, default_value_t = 0)]
    cheaters: usize,
    /// Storage agents to run (class storage-small), after the compute agents. With any, the
    /// devnet puts a demo blob and pays for it to be kept by three of them (or as many as
    /// run), challenged by the oracle every epoch.
    #[arg(long, default_value_t = 0)]
    storage_agents: usize,
    /// How many of the storage agents cheat: they fetch their replicas, then delete them.
    #[arg(long, default_value_t = 0)]
    storage_cheaters: usize,
    /// Bandwidth agents to run (class bw-home), after the storage agents. The oracle
    /// speed-tests each of them every heartbeat interval and pays by the tier of the results.
    #[arg(long, default_value_t = 0)]
    bandwidth_agents: usize,
    /// How many of the bandwidth agents cheat: their links move 8 Mbps, below every tier.
    #[arg(long, default_value_t = 0)]
    bandwidth_cheaters: usize,
    /// Blocks per epoch, for a new devnet (blocks come every 250 ms when agents run).
    #[arg(long, default_value_t = 60)]
    epoch_blocks: u64,
    /// Address of the oracle's API.
    #[arg(long, default_value = plexus_oracle::DEFAULT_ORACLE_ADDR)]
    oracle: SocketAddr,
    /// Validators under Commonware consensus, all in this process (1: the solo driver). Fixed
    /// when the devnet is created; the others live under HOME/validator-I.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=16))]
    validators: Option<u16>,
    /// First validator p2p port on loopback (validator I listens on this plus I).
    #[arg(long, default_value_t = 27_300)]
    p2p_port: u16,
    #[command(flatten)]
    training: crate::devnet_training::TrainingArgs,
    #[command(flatten)]
    jobs: crate::devnet_jobs::JobsArgs,
}

/// The account that pays for the demo blob's storage deal.
const STORAGE_CLIENT: &str = "storage-client";
/// Size of the demo blob that storage agents keep.
const DEMO_BLOB_BYTES: usize = 4 << 20;
/// Epochs the demo storage deal pays for.
const DEMO_DEAL_EPOCHS: u64 = 1_000;

/// Providers funded at genesis; `--agents` and `--storage-agents` together may use up to
/// this many.
const MAX_AGENTS: usize = 16;
/// Block cadence while agents run: epochs are counted in blocks, so they need a steady pace.
const AGENT_BLOCK_MS: u64 = 250;

/// Marks a home as a devnet's and names its demo accounts.
#[derive(Serialize, Deserialize)]
struct DevnetMarker {
    chain_id: String,
    demo_accounts: Vec<String>,
}

#[derive(Serialize)]
struct DemoAccount {
    name: String,
    address: Address,
    balance: Amount,
    nonce: u64,
}

#[derive(Serialize)]
struct DeviceSummary {
    id: plexus_types::PublicKey,
    owner: Address,
    class: String,
    behaviour: String,
    status: serde_json::Value,
    /// Reward earned in each finalized epoch (from the final manifests), in uplx.
    rewards_by_epoch: std::collections::BTreeMap<u64, Amount>,
    /// Total earned over the finalized epochs.
    rewards: Amount,
    /// What its claims have paid so far (claims of the last epochs may still be pending).
    claimed: Amount,
}

#[derive(Serialize)]
struct Summary {
    chain_id: String,
    home: String,
    api: String,
    height: u64,
    app_hash: plexus_types::Hash,
    txs_committed: u64,
    txs_committed_this_run: u64,
    seconds: f64,
    epochs_finalized: u64,
    finalized_epochs: Vec<u64>,
    /// minted = paid + unclaimed + dust + slashed, exactly.
    minted: Amount,
    paid: Amount,
    /// Not claimed: still claimable, or expired when the claim window closed.
    unclaimed: Amount,
    dust: Amount,
    /// Rewards forfeited by slashed devices.
    slashed: Amount,
    slashed_stake: Amount,
    accounting_balanced: bool,
    supply: Amount,
    accounts: Vec<DemoAccount>,
    devices: Vec<DeviceSummary>,
    /// Every validator's tip (one entry on a solo devnet).
    validators: Vec<ValidatorSummary>,
    /// Every validator has validator 0's app hash at every height both have committed.
    validators_agree: bool,
    /// The demo blob's storage deals and the storage devices, when storage agents ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<StorageSummary>,
    /// The bandwidth devices' speed tests and tiers, when bandwidth agents ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bandwidth: Vec<BandwidthDeviceSummary>,
    /// The federated training task this run created, with `--training`.
    #[serde(skip_serializing_if = "Option::is_none")]
    training: Option<crate::devnet_training::TrainingSummary>,
    /// The compute jobs this run submitted, when compute agents ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    jobs: Option<crate::devnet_jobs::JobsSummary>,
}

#[derive(Serialize)]
struct BandwidthDeviceSummary {
    device: plexus_types::PublicKey,
    behaviour: String,
    /// Per finalized epoch: the speed tests counted, their mean figures and the tier
    /// multiplier they earned (1, 0.75, 0.5, 0.25 or 0).
    epochs: std::collections::BTreeMap<u64, BandwidthEpoch>,
    /// Earned from the bandwidth pool over the finalized epochs.
    rewards: Amount,
}

#[derive(Serialize)]
struct BandwidthEpoch {
    tests: u64,
    download_mbps: f64,
    upload_mbps: f64,
    latency_ms: u64,
    tier: f64,
    earned: Amount,
}

#[derive(Serialize)]
struct StorageSummary {
    blob: Hash,
    deals: Vec<plexus_ledger::storage::StorageDeal>,
    /// escrowed = paid + refunded + held, exactly.
    accounting: query::StorageAccounting,
    accounting_balanced: bool,
    devices: Vec<StorageDeviceSummary>,
}

#[derive(Serialize)]
struct StorageDeviceSummary {
    device: plexus_types::PublicKey,
    behaviour: String,
    /// Assigned a replica of the demo blob by an open deal now.
    keeps_replica: bool,
    /// Epochs in which its replica failed the oracle's challenge.
    failed_epochs: Vec<u64>,
}

#[derive(Serialize)]
struct ValidatorSummary {
    api: String,
    height: u64,
    app_hash: plexus_types::Hash,
    agrees: bool,
}

fn provider_name(i: usize) -> String {
    format!("provider-{i}")
}

/// The home of devnet validator `i` (validator 0 is the devnet's own home).
fn validator_files(files: &NodeFiles, i: usize) -> NodeFiles {
    if i == 0 {
        NodeFiles::new(&files.home)
    } else {
        NodeFiles::new(crate::cmd_node::validator_home(&files.home, i))
    }
}

fn create(
    files: &NodeFiles,
    config: &NodeConfig,
    epoch_blocks: u64,
    validators: usize,
    p2p_port: u16,
) -> anyhow::Result<()> {
    let ring = Keyring::open(&files.home, Backend::Test, Default::default());
    let mut accounts = Vec::new();
    let mut key = |name: &str, balance: Amount| -> anyhow::Result<Address> {
        let info = match ring.show(name) {
            Ok(info) => info,
            Err(_) => ring.add(name, &SecretKey::generate())?,
        };
        accounts.push(GenesisAccount {
            address: info.address,
            balance,
        });
        Ok(info.address)
    };
    for name in DEMO_NAMES {
        key(name, Amount::plx(1_000_000))?;
    }
    for i in 0..MAX_AGENTS {
        key(&provider_name(i), Amount::plx(10_000))?;
    }
    key(STORAGE_CLIENT, Amount::plx(1_000_000))?;
    key(crate::devnet_jobs::CONSUMER, Amount::plx(1_000_000))?;
    for i in 0..crate::devnet_training::MAX_LEARNERS {
        key(&crate::devnet_training::learner_name(i), Amount::plx(1_000))?;
    }
    key(crate::devnet_training::SPONSOR, Amount::plx(1_000_000))?;
    let oracle = key("oracle", Amount::plx(10_000))?;
    let mut genesis = Genesis::new(DEVNET_CHAIN_ID, crate::cmd_node::now_ms(), accounts);
    genesis.rewards = RewardParams {
        epoch_blocks,
        intervals_per_epoch: 8,
        initial_epoch_emission: Amount::plx(10_000),
        ..RewardParams::default()
    };
    genesis.oracles = OracleSet {
        members: vec![oracle],
        threshold: 1,
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
    }
    genesis.validate()?;
    // The other validators' homes are written first and the devnet's own genesis last, so an
    // interrupted creation leaves the devnet uninitialized and is redone from scratch.
    for (i, key) in consensus_keys.iter().enumerate() {
        let home = validator_files(files, i);
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

/// Sends demo transfers between the demo accounts until `stop` is set.
async fn demo_traffic(
    chain: Arc<Chain>,
    keys: Vec<SecretKey>,
    tps: f64,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    if tps <= 0.0 || keys.len() < 2 {
        return;
    }
    let chain_id = chain.status().chain_id;
    let min_fee = chain.checker().params().min_fee;
    let addrs: Vec<Address> = keys
        .iter()
        .map(|k| Address::from_public_key(&k.public_key()))
        .collect();
    let mut nonces: Vec<u64> = addrs
        .iter()
        .map(|a| {
            query::account(chain.store(), a)
                .map(|x| x.nonce)
                .unwrap_or(0)
        })
        .collect();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / tps));
    let mut i = 0usize;
    while !stop.load(Ordering::SeqCst) {
        ticker.tick().await;
        let from = i % keys.len();
        i += 1;
        let (to, amount) = {
            let mut rng = rand::thread_rng();
            let to = (from + rng.gen_range(1..keys.len())) % keys.len();
            (to, Amount(rng.gen_range(1_000..10_000_000)))
        };
        let tx = UnsignedTx {
            chain_id: chain_id.clone(),
            nonce: nonces[from],
            fee: min_fee,
            body: Body::Transfer {
                to: addrs[to],
                amount,
            },
        }
        .sign(&keys[from]);
        let c = chain.clone();
        let result = tokio::task::spawn_blocking(move || c.submit(tx.bytes)).await;
        match result {
            Ok(Ok(_)) => nonces[from] += 1,
            Ok(Err(r)) if r.code == TxCode::Duplicate => nonces[from] += 1,
            Ok(Err(r)) if r.code == TxCode::NonceTooLow => {
                nonces[from] = query::account(chain.store(), &addrs[from])
                    .map(|a| a.nonce)
                    .unwrap_or(nonces[from]);
            }
            Ok(Err(r)) => tracing::warn!(reason = %r, "demo transfer refused"),
            Err(e) => tracing::warn!(error = %e, "demo transfer task failed"),
        }
    }
}

/// The demo blob's file in a devnet home, made once and kept, so a resumed devnet finds the
/// same blob. Its first bytes are a counter, chosen so that the chain's assignment rule puts
/// a cheating storage device (if any) among the first `replicas`: the demo then shows one
/// caught rather than, by chance, leaving it idle.
fn demo_blob(
    home: &std::path::Path,
    storage_devices: &[plexus_types::PublicKey],
    cheaters: &[plexus_types::PublicKey],
    replicas: usize,
) -> anyhow::Result<std::path::PathBuf> {
    let path = home.join("devnet-blob.bin");
    if path.exists() {
        return Ok(path);
    }
    let mut bytes = vec![0u8; DEMO_BLOB_BYTES];
    let mut xof = blake3::Hasher::new_derive_key("plexus devnet demo blob").finalize_xof();
    xof.fill(&mut bytes);
    for counter in 0u64..100_000 {
        bytes[..8].copy_from_slice(&counter.to_le_bytes());
        let blob = Hash(*blake3::hash(&bytes).as_bytes());
        let mut ranked = storage_devices.to_vec();
        ranked.sort_by_key(|d| plexus_ledger::storage::rank(&blob, d));
        let first = &ranked[..replicas.min(ranked.len())];
        if cheaters.is_empty() || cheaters.iter().any(|c| first.contains(c)) {
            break;
        }
    }
    write_durably(&path, &bytes)?;
    Ok(path)
}

/// Puts the demo blob on the node and, once enough storage devices are active, makes a deal
/// for `replicas` copies paid by the storage client (unless an open one exists already).
async fn storage_demo(
    chain: Arc<Chain>,
    api: SocketAddr,
    client: SecretKey,
    replicas: u32,
    blob_path: std::path::PathBuf,
) -> anyhow::Result<()> {
    let prepared = {
        let path = blob_path.clone();
        tokio::task::spawn_blocking(move || plexus_blobs::client::PreparedBlob::prepare(&path))
            .await??
    };
    let blob = Hash(prepared.id.0);
    let open = query::storage_deals_of_blob(chain.store(), &blob)?
        .iter()
        .any(|d| d.status == plexus_ledger::storage::DealStatus::Open);
    plexus_blobs::client::BlobClient::new()
        .put(&format!("http://{api}"), &prepared)
        .await?;
    if open {
        return Ok(());
    }
    let storage_devices = || -> anyhow::Result<usize> {
        Ok(query::devices(chain.store())?
            .iter()
            .filter(|d| {
                d.class == "storage-small"
                    && d.status == plexus_ledger::registry::DeviceStatus::Active
            })
            .count())
    };
    while storage_devices()? < replicas as usize {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let who = Address::from_public_key(&client.public_key());
    let tx = UnsignedTx {
        chain_id: chain.status().chain_id,
        nonce: query::account(chain.store(), &who)?.nonce,
        fee: chain.checker().params().min_fee,
        body: Body::StorageDeal(plexus_types::StorageDealTerms {
            blob,
            size: prepared.size,
            replicas,
            epochs: DEMO_DEAL_EPOCHS,
            price_per_replica_epoch: Amount::plx(1),
        }),
    }
    .sign(&client);
    let hash = tx.hash;
    {
        let chain = chain.clone();
        tokio::task::spawn_blocking(move || chain.submit(tx.bytes))
            .await?
            .map_err(|r| anyhow::anyhow!("the storage deal was refused: {r}"))?;
    }
    loop {
        if let Some(done) = chain.committed_tx(&hash)? {
            if done.result.code != TxCode::Ok {
                bail!("the storage deal failed: {}", done.result.log);
            }
            tracing::info!(%blob, replicas, height = done.height, "demo storage deal made");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Valid H3 cells (resolution 12) to place devnet devices on.
const CELLS: [u64; 4] = [
    0x8c2a100d2c0a5ff,
    0x8c2a100d2c0a1ff,
    0x8c2a100d2c0a3ff,
    0x8c2a100d2c0a7ff,
];

fn behaviour_of(i: usize, agents: usize, cheaters: usize) -> Behaviour {
    let honest = agents - cheaters;
    if i < honest {
        return Behaviour::Honest;
    }
    match (i - honest) % 4 {
        0 => Behaviour::WrongCompute,
        1 => Behaviour::WrongResults,
        2 => Behaviour::OverDeclare {
            real_class: class_by_name("cpu-small").expect("cpu-small is a compute class"),
        },
        _ => Behaviour::ReplayHeartbeats,
    }
}

/// An agent's device key and its behaviour's name.
type AgentDevice = (plexus_types::PublicKey, String);

/// Starts the devnet's provider agents; each runs until `stop` fires.
fn start_agents(
    files: &NodeFiles,
    ring: &Keyring,
    args: &DevnetArgs,
    apis: &[SocketAddr],
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<(Vec<AgentDevice>, Vec<tokio::task::JoinHandle<()>>)> {
    let mut devices = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..args.agents + args.storage_agents + args.bandwidth_agents {
        let first_bandwidth = args.agents + args.storage_agents;
        let (behaviour, class) = if i >= first_bandwidth {
            if i - first_bandwidth >= args.bandwidth_agents - args.bandwidth_cheaters {
                (Behaviour::Throttle, "bw-home")
            } else {
                (Behaviour::Honest, "bw-home")
            }
        } else if i < args.agents {
            let behaviour = behaviour_of(i, args.agents, args.cheaters);
            // The over-declarer claims a large class it cannot serve.
            let class = match behaviour {
                Behaviour::OverDeclare { .. } => "cpu-large",
                _ => "cpu-small",
            };
            (behaviour, class)
        } else if i - args.agents >= args.storage_agents - args.storage_cheaters {
            (Behaviour::DropReplicas, "storage-small")
        } else {
            (Behaviour::Honest, "storage-small")
        };
        let stake = plexus_ledger::default_device_classes()
            .into_iter()
            .find(|c| c.name == class)
            .map(|c| c.min_stake)
            .unwrap_or(Amount::plx(100));
        let config = AgentConfig {
            node: format!("http://{}", apis[i % apis.len()]),
            oracles: vec![format!("http://{}", args.oracle)],
            data_dir: files.home.join("agents").join(format!("agent-{i}")),
            class: class.to_string(),
            h3_cell: CELLS[i % CELLS.len()],
            stake,
            auto_claim: true,
            // Any free port: the agent declares where it listens when it registers.
            blob_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            blob_sources: Vec::new(),
            learn: Vec::new(),
            // Compute agents sell their time to the marketplace, each at its own prices.
            bidding: (i < args.agents).then(|| plexus_agent::jobs::Bidding {
                policy: plexus_market::bid::BidPolicy {
                    runtimes: vec![
                        plexus_market::spec::RuntimeKind::Wasm,
                        plexus_market::spec::RuntimeKind::Inference,
                    ],
                    // The cheat undercuts everyone, to win the jobs it does not really run.
                    per_cpu_core: Amount(if behaviour == Behaviour::WrongResults {
                        800
                    } else {
                        1_000 + 150 * i as u128
                    }),
                    per_memory_gib: Amount(200),
                    per_gpu: Amount(10_000),
                    min_per_block: Amount(100),
                },
                deposit: Amount::plx(1),
            }),
        };
        let owner = ring.secret(&provider_name(i))?;
        let agent =
            Agent::new(config, owner, behaviour).with_context(|| format!("starting agent {i}"))?;
        devices.push((agent.device_key(), behaviour.to_string()));
        let mut stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = agent.run(shutdown).await {
                tracing::warn!(agent = i, error = %e, "agent stopped");
            }
        }));
    }
    Ok((devices, tasks))
}

pub async fn run(g: &Globals, args: DevnetArgs) -> anyhow::Result<()> {
    if args.cheaters > args.agents {
        bail!(
            "--cheaters {} is more than --agents {}",
            args.cheaters,
            args.agents
        );
    }
    if args.agents + args.storage_agents + args.bandwidth_agents > MAX_AGENTS {
        bail!("a devnet runs at most {MAX_AGENTS} agents, compute, storage and bandwidth together");
    }
    if args.bandwidth_cheaters > args.bandwidth_agents {
        bail!(
            "--bandwidth-cheaters {} is more than --bandwidth-agents {}",
            args.bandwidth_cheaters,
            args.bandwidth_agents
        );
    }
    if args.storage_cheaters > args.storage_agents {
        bail!(
            "--storage-cheaters {} is more than --storage-agents {}",
            args.storage_cheaters,
            args.storage_agents
        );
    }
    let files = NodeFiles::new(&g.home);
    let marker_path = files.home.join("devnet.json");
    let mut config = if files.is_initialized() {
        if !marker_path.exists() {
            bail!(
                "{} holds a node that is not a devnet; choose another --home for the devnet",
                g.home.display()
            );
        }
        files.load_config()?
    } else {
        NodeConfig::default()
    };
    if let Some(api) = args.api {
        config.api = api;
    }
    if args.agents + args.storage_agents + args.bandwidth_agents > 0 {
        config.block_ms = AGENT_BLOCK_MS;
        config.min_block_ms = AGENT_BLOCK_MS;
    } else {
        config.block_ms = args.block_ms;
        config.min_block_ms = 0;
    }
    let fresh = !files.is_initialized();
    if fresh {
        create(
            &files,
            &config,
            args.epoch_blocks,
            args.validators.map_or(1, usize::from),
            args.p2p_port,
        )?;
    }
    let validators = files.load_genesis()?.validators.len().max(1);
    if let Some(asked) = args.validators {
        if usize::from(asked) != validators {
            bail!(
                "this devnet was created with {validators} validator(s), not {asked}; \
                 leave out --validators, or remove {} to start a new devnet",
                g.home.display()
            );
        }
    }
    let marker: DevnetMarker = serde_json::from_str(
        &std::fs::read_to_string(&marker_path)
            .with_context(|| format!("reading {}", marker_path.display()))?,
    )
    .with_context(|| format!("{} is corrupt", marker_path.display()))?;
    let ring = Keyring::open(&files.home, Backend::Test, Default::default());
    let keys = marker
        .demo_accounts
        .iter()
        .map(|n| ring.secret(n))
        .collect::<anyhow::Result<Vec<_>>>()?;

    if validators > 1 {
        // Consensus makes a block whenever a round completes, tens per second on loopback;
        // epochs are counted in blocks, so validators pace their proposals instead.
        config.min_block_ms = config.min_block_ms.max(AGENT_BLOCK_MS);
    }
    // Validators other than the devnet's own node, each with its own home and store.
    let mut others = Vec::new();
    for i in 1..validators {
        let home = validator_files(&files, i);
        let mut other_config = home.load_config()?;
        other_config.block_ms = config.block_ms;
        other_config.min_block_ms = config.min_block_ms;
        others.push(
            run_node(&home, other_config)
                .await
                .with_context(|| format!("starting validator {i} in {}", home.home.display()))?,
        );
    }
    let node = run_node(&files, config).await?;
    let chain = node.chain.clone();
    let start_status = chain.status();
    let info = query::chain_info(chain.store())?.context("the devnet has no genesis")?;
    let oracle_key = ring.secret("oracle").ok();
    let oracle = match oracle_key {
        Some(key) if info.is_oracle(&Address::from_public_key(&key.public_key())) => Some(
            run_oracle(OracleConfig {
                listen: args.oracle,
                node: format!("http://{}", node.api_addr),
                data_dir: files.home.join("oracle"),
                key,
            })
            .await?,
        ),
        _ if args.agents + args.storage_agents + args.bandwidth_agents > 0 => bail!(
            "this devnet was created without an oracle; remove {} to start a new one",
            g.home.display()
        ),
        _ => None,
    };
    let (stop_agents, stop_rx) = tokio::sync::watch::channel(false);
    // Agents talk to the validators in turn: whichever admits a transaction relays it.
    let apis: Vec<SocketAddr> = std::iter::once(node.api_addr)
        .chain(others.iter().map(|o| o.api_addr))
        .collect();
    let (agent_devices, agent_tasks) = start_agents(&files, &ring, &args, &apis, &stop_rx)?;
    let training = match &oracle {
        Some(o) => crate::devnet_training::start(
            &files.home,
            &ring,
            &args.training,
            node.api_addr,
            o.addr,
            o.address,
            &stop_rx,
        )?,
        None if args.training.training => bail!(
            "this devnet was created without an oracle to coordinate training; remove {} to start a new one",
            g.home.display()
        ),
        None => None,
    };
    let jobs = if args.agents > 0 {
        match ring.secret(crate::devnet_jobs::CONSUMER) {
            Ok(consumer) => {
                crate::devnet_jobs::start(&files.home, consumer, &args.jobs, node.api_addr).await?
            }
            Err(_) => {
                eprintln!(
                    "warning: this devnet was created before compute jobs existed; remove {} to start a new one with them",
                    g.home.display()
                );
                None
            }
        }
    } else {
        None
    };
    let storage_task = if args.storage_agents > 0 {
        let client = ring.secret(STORAGE_CLIENT).with_context(|| {
            format!(
                "this devnet was created without a storage client; remove {} to start a new one",
                g.home.display()
            )
        })?;
        let replicas = args.storage_agents.min(3) as u32;
        let storage_devices: Vec<_> = agent_devices[args.agents..]
            .iter()
            .map(|(k, _)| *k)
            .collect();
        let cheaters: Vec<_> = agent_devices[args.agents..]
            .iter()
            .filter(|(_, b)| b == "drop-replicas")
            .map(|(k, _)| *k)
            .collect();
        let blob = demo_blob(&files.home, &storage_devices, &cheaters, replicas as usize)?;
        Some(tokio::spawn(storage_demo(
            chain.clone(),
            node.api_addr,
            client,
            replicas,
            blob,
        )))
    } else {
        None
    };
    if !g.json {
        println!(
            "{} devnet {} at height {} in {}\nAPI and explorer: http://{}{}\ndemo accounts (keyring-backend test): {}\n{}",
            if fresh { "started new" } else { "resumed" },
            start_status.chain_id,
            start_status.height,
            g.home.display(),
            node.api_addr,
            match &oracle {
                Some(o) => format!(" · oracle: http://{}", o.addr),
                None => String::new(),
            },
            marker.demo_accounts.join(", "),
            match args.run_for {
                Some(d) => format!("running for {}", humantime::format_duration(d)),
                None => "Ctrl-C stops it".to_string(),
            }
        );
        if !others.is_empty() {
            println!(
                "{validators} validators under consensus; the others' APIs: {}",
                others
                    .iter()
                    .map(|o| format!("http://{}", o.api_addr))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if args.agents > 0 {
            println!(
                "{} agents ({} cheating), {} blocks per epoch",
                args.agents, args.cheaters, info.rewards.epoch_blocks
            );
        }
    }
    let started = Instant::now();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let traffic = tokio::spawn(demo_traffic(
        chain.clone(),
        keys.clone(),
        args.demo_tps,
        stop.clone(),
    ));
    let progress = {
        let chain = chain.clone();
        let quiet = g.json;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            tick.tick().await;
            loop {
                tick.tick().await;
                if !quiet {
                    let s = chain.status();
                    let epoch = query::last_epoch(chain.store()).unwrap_or(0);
                    println!(
                        "height {:>6} · epoch {:>3} ended · {:>7} txs committed · {:>4} pending · app hash {}",
                        s.height,
                        epoch,
                        s.txs_committed,
                        s.mempool_size,
                        &s.app_hash.to_hex()[..16]
                    );
                }
            }
        })
    };
    let api = node.api_addr.to_string();
    let run_for = args.run_for;
    let stop_signal = async move {
        match run_for {
            Some(d) => tokio::select! {
                _ = tokio::time::sleep(d) => {}
                _ = shutdown_signal() => {}
            },
            None => shutdown_signal().await,
        }
    };
    stop_signal.await;
    if let Some(task) = storage_task {
        if task.is_finished() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("warning: the demo storage deal was not made: {e:#}"),
                Err(e) => eprintln!("warning: the demo storage task failed: {e}"),
            }
        } else {
            task.abort();
            eprintln!("warning: the demo storage deal was still waiting for storage devices");
        }
    }
    let _ = stop_agents.send(true);
    for t in agent_tasks {
        let _ = t.await;
    }
    let jobs = match jobs {
        Some(run) => {
            let mut providers = Vec::new();
            for (i, (_, behaviour)) in agent_devices.iter().enumerate().take(args.agents) {
                let owner = ring.secret(&provider_name(i))?;
                providers.push((
                    Address::from_public_key(&owner.public_key()),
                    behaviour.clone(),
                ));
            }
            match run.finish(chain.store(), &providers, &files.home).await {
                Ok(s) => Some(s),
                Err(e) => {
                    eprintln!("warning: checking the jobs: {e:#}");
                    None
                }
            }
        }
        None => None,
    };
    let training = match training {
        Some(run) => match run.finish().await {
            Ok(done) => Some(done),
            Err(e) => {
                eprintln!("warning: {e:#}");
                None
            }
        },
        None => None,
    };
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    progress.abort();
    let _ = traffic.await;
    if let Some(o) = oracle {
        o.shutdown().await;
    }
    let mut chains = vec![(node.api_addr, chain.clone())];
    chains.extend(others.iter().map(|o| (o.api_addr, o.chain.clone())));
    node.shutdown().await?;
    for (i, other) in others.into_iter().enumerate() {
        other
            .shutdown()
            .await
            .with_context(|| format!("stopping validator {}", i + 1))?;
    }
    let validator_summaries = summarize_validators(&chains)?;

    let mut summary = summarize(
        g,
        &files,
        &chain,
        &marker,
        &keys,
        &agent_devices,
        api,
        start_status.txs_committed,
        started,
    )?;
    summary.validators_agree = validator_summaries.iter().all(|v| v.agrees);
    if let Some((id, run)) = &training {
        summary.training = Some(crate::devnet_training::summarize(
            &files.home,
            chain.store(),
            *id,
            run,
        )?);
    }
    summary.validators = validator_summaries;
    summary.jobs = jobs.map(|mut j| {
        // The baseline for dispatch latency: the bid window at this run's measured block pace.
        let blocks = summary.height.saturating_sub(start_status.height).max(1);
        j.block_ms = (summary.seconds * 1e3 / blocks as f64).round() as u64;
        j.bid_window_ms = j.block_ms * plexus_ledger::market::BID_WINDOW_BLOCKS;
        j
    });
    if g.json {
        print_json(&summary);
    } else {
        println!(
            "stopped at height {} · app hash {} · {} txs committed ({} this run)",
            summary.height, summary.app_hash, summary.txs_committed, summary.txs_committed_this_run
        );
        if let Some(s) = &summary.storage {
            println!(
                "storage: blob {} · escrow {} = paid {} + refunded {} + held {} ({})",
                s.blob,
                s.accounting.totals.escrowed.to_plx_string(),
                s.accounting.totals.paid.to_plx_string(),
                s.accounting.totals.refunded.to_plx_string(),
                s.accounting.held.to_plx_string(),
                if s.accounting_balanced {
                    "balanced"
                } else {
                    "NOT BALANCED"
                }
            );
            for d in &s.devices {
                println!(
                    "  {}  {:<14} {} · failed challenges in epochs {:?}",
                    &d.device.to_string()[..16],
                    d.behaviour,
                    if d.keeps_replica {
                        "keeps a replica"
                    } else {
                        "keeps no replica"
                    },
                    d.failed_epochs
                );
            }
        }
        for d in &summary.bandwidth {
            let tiers: Vec<String> = d
                .epochs
                .iter()
                .map(|(e, b)| {
                    format!(
                        "e{e}: {} tests, {:.0}/{:.0} Mbps, {} ms, tier {}",
                        b.tests, b.download_mbps, b.upload_mbps, b.latency_ms, b.tier
                    )
                })
                .collect();
            println!(
                "bandwidth {} {:<9} earned {:>14} · {}",
                &d.device.to_string()[..16],
                d.behaviour,
                d.rewards.to_plx_string(),
                tiers.join(" · ")
            );
        }
        if let Some(t) = &summary.training {
            crate::devnet_training::print(t);
        }
        if let Some(j) = &summary.jobs {
            crate::devnet_jobs::print(j);
        }
        if summary.validators.len() > 1 {
            for (i, v) in summary.validators.iter().enumerate() {
                println!(
                    "  validator {i}: height {} · app hash {} · {}",
                    v.height,
                    v.app_hash,
                    if v.agrees {
                        "agrees with validator 0"
                    } else {
                        "DISAGREES with validator 0"
                    }
                );
            }
        }
        if !summary.devices.is_empty() {
            println!(
                "{} epochs finalized · minted {} = paid {} + unclaimed {} + dust {} + slashed {}",
                summary.epochs_finalized,
                summary.minted.to_plx_string(),
                summary.paid.to_plx_string(),
                summary.unclaimed.to_plx_string(),
                summary.dust.to_plx_string(),
                summary.slashed.to_plx_string()
            );
            for d in &summary.devices {
                println!(
                    "  {}  {:<10} {:<24} earned {:>14} · claimed {:>14} · {}",
                    &d.id.to_string()[..16],
                    d.class,
                    d.behaviour,
                    d.rewards.to_plx_string(),
                    d.claimed.to_plx_string(),
                    d.status
                );
            }
        }
    }
    Ok(())
}

/// An epoch whose manifest for a resource is final on chain: its pool, and the manifest the
/// devnet's oracle computed when it is the one on chain.
type FinalizedEpoch = (u64, Amount, Option<plexus_oracle::ClosedEpoch>);

fn finalized_epochs(
    files: &NodeFiles,
    store: &plexus_store::Store,
    resource: ResourceClass,
) -> anyhow::Result<Vec<FinalizedEpoch>> {
    let mut finalized = Vec::new();
    for e in 1..=query::last_epoch(store)? {
        let Some((_, pools)) = query::epoch(store, e)? else {
            continue;
        };
        let Some(pool) = pools.into_iter().find(|p| p.resource == resource) else {
            continue;
        };
        let Some(m) = &pool.manifest else {
            continue;
        };
        let path = plexus_oracle::manifest_file(&files.home.join("oracle"), e, resource.as_str());
        let closed: Option<plexus_oracle::ClosedEpoch> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let closed = closed.filter(|c| c.manifest.root() == m.root);
        finalized.push((e, pool.amount, closed));
    }
    Ok(finalized)
}

/// Each bandwidth device's speed tests and tier per finalized epoch, scored again from the
/// oracle's sealed evidence with the public rules.
fn summarize_bandwidth(
    files: &NodeFiles,
    info: &plexus_ledger::ChainInfo,
    registry: &[plexus_ledger::registry::Device],
    agent_devices: &[AgentDevice],
    finalized: &[FinalizedEpoch],
) -> anyhow::Result<Vec<BandwidthDeviceSummary>> {
    let bandwidth: Vec<&AgentDevice> = agent_devices
        .iter()
        .filter(|(k, _)| registry.iter().any(|d| d.key == *k && d.class == "bw-home"))
        .collect();
    if bandwidth.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<BandwidthDeviceSummary> = bandwidth
        .iter()
        .map(|(k, b)| BandwidthDeviceSummary {
            device: *k,
            behaviour: b.clone(),
            epochs: Default::default(),
            rewards: Amount::ZERO,
        })
        .collect();
    for (e, pool, closed) in finalized {
        let Some(closed) = closed else { continue };
        let sealed = files
            .home
            .join("oracle")
            .join("evidence")
            .join("sealed")
            .join(format!("{}.jsonl", closed.evidence_segment.to_hex()));
        let Ok(text) = std::fs::read_to_string(&sealed) else {
            continue;
        };
        let records = plexus_rewards::audit::evidence_from_jsonl(&text, &info.chain_id)?;
        // The chain's parameters and registry as the API shows them, which scoring reads.
        let view: plexus_client::views::ChainView =
            serde_json::from_value(serde_json::to_value(info)?)?;
        let registry_view: Vec<plexus_client::views::DeviceView> =
            serde_json::from_value(serde_json::to_value(registry)?)?;
        let devices = view.scored_devices(
            &registry_view,
            plexus_client::views::ResourceClass::Bandwidth,
        );
        let scored = plexus_rewards::score_bandwidth_epoch(
            view.scoring_params(),
            *e,
            ResourceClass::Bandwidth.as_str(),
            &devices,
            &records,
        )?;
        let total = scored.scored.manifest.total_units();
        for summary in &mut out {
            let Some(d) = scored.devices.iter().find(|d| d.device == summary.device) else {
                continue;
            };
            let earned = if total == 0 {
                Amount::ZERO
            } else {
                Amount(plexus_rewards::payout(pool.0, d.units, total).unwrap_or(0))
            };
            summary.rewards = summary
                .rewards
                .checked_add(earned)
                .unwrap_or(summary.rewards);
            let s = d.speeds;
            summary.epochs.insert(
                *e,
                BandwidthEpoch {
                    tests: d.tests,
                    download_mbps: s.map_or(0.0, |s| s.download_kbps as f64 / 1000.0),
                    upload_mbps: s.map_or(0.0, |s| s.upload_kbps as f64 / 1000.0),
                    latency_ms: s.map_or(0, |s| s.latency_ms),
                    tier: f64::from(d.quarters) / 4.0,
                    earned,
                },
            );
        }
    }
    Ok(out)
}

/// The demo blob's deals and what each storage agent's device did with its replica.
fn summarize_storage(
    files: &NodeFiles,
    store: &plexus_store::Store,
    agent_devices: &[AgentDevice],
) -> anyhow::Result<Option<StorageSummary>> {
    let path = files.home.join("devnet-blob.bin");
    if !path.exists() {
        return Ok(None);
    }
    let blob = Hash(plexus_blobs::BlobId::of(&std::fs::read(&path)?).0);
    let deals = query::storage_deals_of_blob(store, &blob)?;
    let registry = query::devices(store)?;
    let devices = agent_devices
        .iter()
        .filter(|(key, _)| {
            registry
                .iter()
                .any(|d| d.key == *key && d.class == "storage-small")
        })
        .map(|(key, behaviour)| StorageDeviceSummary {
            device: *key,
            behaviour: behaviour.clone(),
            keeps_replica: deals.iter().any(|d| {
                d.status == plexus_ledger::storage::DealStatus::Open && d.providers.contains(key)
            }),
            failed_epochs: deals
                .iter()
                .flat_map(|d| d.failed.iter())
                .filter(|f| f.device == *key)
                .map(|f| f.epoch)
                .collect(),
        })
        .collect();
    let accounting = query::storage_totals(store)?;
    Ok(Some(StorageSummary {
        blob,
        deals,
        accounting_balanced: accounting.balances(),
        accounting,
        devices,
    }))
}

/// Each validator's height and app hash, and whether it agrees with validator 0 at every height
/// both have committed.
fn summarize_validators(
    chains: &[(SocketAddr, Arc<Chain>)],
) -> anyhow::Result<Vec<ValidatorSummary>> {
    let first = &chains[0].1;
    chains
        .iter()
        .map(|(api, chain)| {
            let (height, app_hash) = chain.committed();
            let common = height.min(first.committed().0);
            let mut agrees = true;
            for h in 0..=common {
                if chain.app_hash_at(h)? != first.app_hash_at(h)? {
                    agrees = false;
                    break;
                }
            }
            Ok(ValidatorSummary {
                api: api.to_string(),
                height,
                app_hash,
                agrees,
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn summarize(
    g: &Globals,
    files: &NodeFiles,
    chain: &plexus_chain::Chain,
    marker: &DevnetMarker,
    keys: &[SecretKey],
    agent_devices: &[AgentDevice],
    api: String,
    txs_before: u64,
    started: Instant,
) -> anyhow::Result<Summary> {
    let end = chain.status();
    let store = chain.store();
    let accounts = marker
        .demo_accounts
        .iter()
        .zip(keys)
        .map(|(name, key)| {
            let address = Address::from_public_key(&key.public_key());
            let a = query::account(store, &address)?;
            Ok(DemoAccount {
                name: name.clone(),
                address,
                balance: a.balance,
                nonce: a.nonce,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let finalized = finalized_epochs(files, store, ResourceClass::Compute)?;
    let finalized_bandwidth = finalized_epochs(files, store, ResourceClass::Bandwidth)?;
    let registry = query::devices(store)?;
    let mut devices = Vec::new();
    for (key, behaviour) in agent_devices {
        let Some(d) = registry.iter().find(|d| d.key == *key) else {
            continue;
        };
        let bandwidth = d.class == "bw-home";
        let (finalized, resource) = if bandwidth {
            (&finalized_bandwidth, ResourceClass::Bandwidth)
        } else {
            (&finalized, ResourceClass::Compute)
        };
        let mut by_epoch = std::collections::BTreeMap::new();
        let mut total = Amount::ZERO;
        let mut claimed = Amount::ZERO;
        for (e, pool, closed) in finalized {
            let earned = closed
                .as_ref()
                .and_then(|c| {
                    c.manifest
                        .leaf(key)
                        .map(|l| (l.units, c.manifest.total_units()))
                })
                .map(|(u, t)| Amount(plexus_rewards::payout(pool.0, u, t).unwrap_or(0)))
                .unwrap_or(Amount::ZERO);
            by_epoch.insert(*e, earned);
            total = total.checked_add(earned).unwrap_or(total);
            if let Some(paid) = query::claim_amount(store, *e, resource, key)? {
                claimed = claimed.checked_add(paid).unwrap_or(claimed);
            }
        }
        devices.push(DeviceSummary {
            id: *key,
            owner: d.owner,
            class: d.class.clone(),
            behaviour: behaviour.clone(),
            status: serde_json::to_value(d.status)?,
            rewards_by_epoch: by_epoch,
            rewards: total,
            claimed,
        });
    }
    let storage = summarize_storage(files, store, agent_devices)?;
    let info = query::chain_info(store)?.context("the devnet has no genesis")?;
    let bandwidth =
        summarize_bandwidth(files, &info, &registry, agent_devices, &finalized_bandwidth)?;
    let acct = query::reward_totals(store)?;
    let t = &acct.totals;
    let unclaimed = t.expired.checked_add(acct.claimable).unwrap_or(t.expired);
    Ok(Summary {
        chain_id: end.chain_id,
        home: g.home.display().to_string(),
        api,
        height: end.height,
        app_hash: end.app_hash,
        txs_committed: end.txs_committed,
        txs_committed_this_run: end.txs_committed - txs_before,
        seconds: started.elapsed().as_secs_f64(),
        epochs_finalized: finalized.len() as u64,
        finalized_epochs: finalized.iter().map(|f| f.0).collect(),
        minted: t.minted,
        paid: t.paid,
        unclaimed,
        dust: t.dust,
        slashed: t.forfeited,
        slashed_stake: t.slashed_stake,
        accounting_balanced: acct.balances(),
        supply: query::supply(store)?,
        accounts,
        devices,
        validators: Vec::new(),
        validators_agree: true,
        storage,
        bandwidth,
        training: None,
        jobs: None,
    })
}
