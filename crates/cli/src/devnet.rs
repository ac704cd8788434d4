//! `plexus devnet`: a node with funded demo accounts and a steady flow of demo transfers, all
//! in one process. State lives under `--home`, so running it again resumes the same chain.

use crate::keyring::{Backend, Keyring};
use crate::{print_json, Globals};
use anyhow::{bail, Context};
use plexus_chain::Chain;
use plexus_ledger::{query, Genesis, GenesisAccount, Params, TxCode};
use plexus_node::{run_node, shutdown_signal, write_durably, NodeConfig, NodeFiles};
use plexus_types::{Address, Amount, Body, SecretKey, UnsignedTx};
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
}

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
    minted: Amount,
    paid: Amount,
    supply: Amount,
    accounts: Vec<DemoAccount>,
    devices: Vec<serde_json::Value>,
}

fn create(files: &NodeFiles, config: &NodeConfig) -> anyhow::Result<()> {
    let ring = Keyring::open(&files.home, Backend::Test, Default::default());
    let mut accounts = Vec::new();
    for name in DEMO_NAMES {
        let info = match ring.show(name) {
            Ok(info) => info,
            Err(_) => ring.add(name, &SecretKey::generate())?,
        };
        accounts.push(GenesisAccount {
            address: info.address,
            balance: Amount::plx(1_000_000),
        });
    }
    let genesis = Genesis {
        chain_id: DEVNET_CHAIN_ID.into(),
        genesis_time_ms: crate::cmd_node::now_ms(),
        params: Params::default(),
        rewards: Default::default(),
        oracles: Default::default(),
        device_classes: plexus_ledger::default_device_classes(),
        accounts,
    };
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

pub async fn run(g: &Globals, args: DevnetArgs) -> anyhow::Result<()> {
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
    config.block_ms = args.block_ms;
    let fresh = !files.is_initialized();
    if fresh {
        create(&files, &config)?;
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

    let node = run_node(&files, config).await?;
    let chain = node.chain.clone();
    let start_status = chain.status();
    if !g.json {
        println!(
            "{} devnet {} at height {} in {}\nAPI and explorer: http://{}\ndemo accounts (keyring-backend test): {}\n{}",
            if fresh { "started new" } else { "resumed" },
            start_status.chain_id,
            start_status.height,
            g.home.display(),
            node.api_addr,
            marker.demo_accounts.join(", "),
            match args.run_for {
                Some(d) => format!("running for {}", humantime::format_duration(d)),
                None => "Ctrl-C stops it".to_string(),
            }
        );
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
                    println!(
                        "height {:>6} · {:>7} txs committed · {:>4} pending · app hash {}",
                        s.height,
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
    node.run_until(async move {
        match run_for {
            Some(d) => tokio::select! {
                _ = tokio::time::sleep(d) => {}
                _ = shutdown_signal() => {}
            },
            None => shutdown_signal().await,
        }
    })
    .await?;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    progress.abort();
    let _ = traffic.await;

    let end = chain.status();
    let store = chain.store();
    let accounts = marker
        .demo_accounts
        .iter()
        .zip(&keys)
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
    let summary = Summary {
        chain_id: end.chain_id,
        home: g.home.display().to_string(),
        api,
        height: end.height,
        app_hash: end.app_hash,
        txs_committed: end.txs_committed,
        txs_committed_this_run: end.txs_committed - start_status.txs_committed,
        seconds: started.elapsed().as_secs_f64(),
        epochs_finalized: 0,
        minted: Amount::ZERO,
        paid: Amount::ZERO,
        supply: query::supply(store)?,
        accounts,
        devices: vec![],
    };
    if g.json {
        print_json(&summary);
    } else {
        println!(
            "stopped at height {} · app hash {} · {} txs committed ({} this run)",
            summary.height, summary.app_hash, summary.txs_committed, summary.txs_committed_this_run
        );
    }
    Ok(())
}
