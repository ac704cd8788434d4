//! `plexus devnet`: a node with funded demo accounts and a steady flow of demo transfers, all
//! in one process. State lives under `--home`, so running it again resumes the same chain.
//!
//! A run goes: open (or create) the home; start the validators, the node and the oracle; start
//! the agents and the workloads (training, jobs, the storage demo, demo transfers); wait for
//! `--for` or Ctrl-C; stop in reverse order; read the summary from what is left.

use crate::agents::{start_agents, AgentDevice};
use crate::home::{oracle_dir, oracle_name, provider_name, validator_files, DevnetHome};
use crate::host::Host;
use crate::options::DevnetArgs;
use crate::progress::Steps;
use crate::summary::{summarize, summarize_validators, RunFacts};
use crate::{adversaries, jobs, storage_demo, traffic, training};
use anyhow::{bail, Context};
use plexus_chain::Chain;
use plexus_ledger::{query, ChainInfo};
use plexus_node::{run_node, shutdown_signal, RunningNode};
use plexus_oracle::{run_oracle, OracleConfig, RunningOracle};
use plexus_types::Address;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The devnet's own node (validator 0), the other validators, and the oracles (`None` for
/// one stopped during the run).
struct Network {
    node: RunningNode,
    others: Vec<RunningNode>,
    oracles: Vec<Option<RunningOracle>>,
    info: ChainInfo,
}

impl Network {
    /// Every validator's API, the devnet's own first: agents talk to them in turn, and
    /// whichever admits a transaction relays it.
    fn apis(&self) -> Vec<SocketAddr> {
        std::iter::once(self.node.api_addr)
            .chain(self.others.iter().map(|o| o.api_addr))
            .collect()
    }

    /// The first oracle: the training coordinator, and where strangers find an oracle.
    fn oracle(&self) -> Option<&RunningOracle> {
        self.oracles.first().and_then(Option::as_ref)
    }
}

/// Starts the other validators, then the devnet's own node, then its oracle (when the genesis
/// names the devnet's oracle key; agents need one).
async fn start_network<H: Host>(
    host: &H,
    home: &Path,
    devnet: &DevnetHome,
    args: &DevnetArgs,
    steps: &mut Steps,
) -> anyhow::Result<Network> {
    let config = &devnet.config;
    steps.step(format!(
        "node: starting {} validator(s)",
        devnet.validators.max(1)
    ));
    // Validators other than the devnet's own node, each with its own home and store.
    let mut others = Vec::new();
    for i in 1..devnet.validators {
        let files = validator_files(host, &devnet.files, i);
        let mut other_config = files.load_config()?;
        other_config.block_ms = config.block_ms;
        other_config.min_block_ms = config.min_block_ms;
        others.push(
            run_node(&files, other_config)
                .await
                .with_context(|| format!("starting validator {i} in {}", files.home.display()))?,
        );
    }
    let node = run_node(&devnet.files, config.clone()).await?;
    let info = query::chain_info(node.chain.store())?.context("the devnet has no genesis")?;
    steps.step(format!("oracles: starting {}", devnet.oracles));
    let oracles = start_oracles(host, home, devnet, args, &node, &info).await?;
    // The console reads each device's evidence from the oracles.
    node.console.set_oracles(
        oracles
            .iter()
            .flatten()
            .map(|o| format!("http://{}", o.addr))
            .collect(),
    );
    Ok(Network {
        node,
        others,
        oracles,
        info,
    })
}

/// Starts the devnet's oracles, each with its own key, port and data directory, each told
/// where the others are (when the genesis names the devnet's oracle keys; agents need them).
async fn start_oracles<H: Host>(
    host: &H,
    home: &Path,
    devnet: &DevnetHome,
    args: &DevnetArgs,
    node: &RunningNode,
    info: &ChainInfo,
) -> anyhow::Result<Vec<Option<RunningOracle>>> {
    let keys: Option<Vec<plexus_types::SecretKey>> = (0..devnet.oracles)
        .map(|i| host.secret(&oracle_name(i)).ok())
        .collect();
    let keys = keys.filter(|keys| {
        !keys.is_empty()
            && keys
                .iter()
                .all(|k| info.is_oracle(&Address::from_public_key(&k.public_key())))
    });
    let Some(keys) = keys else {
        if args.all_agents() > 0 {
            bail!(
                "this devnet was created without an oracle; remove {} to start a new one",
                home.display()
            );
        }
        return Ok(Vec::new());
    };
    let addrs = args.oracle_addrs();
    let urls: Vec<String> = addrs.iter().map(|a| format!("http://{a}")).collect();
    let mut oracles = Vec::new();
    for (i, key) in keys.into_iter().enumerate() {
        let peers = urls
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, u)| u.clone())
            .collect();
        let oracle = run_oracle(OracleConfig {
            listen: addrs[i],
            node: format!("http://{}", node.api_addr),
            data_dir: oracle_dir(&devnet.files.home, i),
            key,
            peers,
        })
        .await
        .with_context(|| format!("starting oracle {i}"))?;
        oracles.push(Some(oracle));
    }
    Ok(oracles)
}

/// The workloads beside the agents, each optional.
struct Workloads {
    training: Option<training::TrainingRun>,
    jobs: Option<jobs::JobsRun>,
    storage: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    wireless: Option<crate::workload::Workload<crate::wireless::WirelessLog>>,
    sensors: Option<crate::workload::Workload<crate::sensors::SensorLog>>,
}

async fn start_workloads<H: Host>(
    host: &Arc<H>,
    home: &Path,
    net: &Network,
    args: &DevnetArgs,
    agent_devices: &[AgentDevice],
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Workloads> {
    let api = net.node.api_addr;
    let training = match net.oracle() {
        Some(o) => training::start(host, home, &args.training, api, o.addr, o.address, stop)?,
        None if args.training.training => bail!(
            "this devnet was created without an oracle to coordinate training; remove {} to start a new one",
            home.display()
        ),
        None => None,
    };
    let jobs = if args.agents > 0 {
        match host.secret(jobs::CONSUMER) {
            Ok(consumer) => jobs::start(host, home, consumer, &args.jobs, api).await?,
            Err(_) => {
                eprintln!(
                    "warning: this devnet was created before compute jobs existed; remove {} to start a new one with them",
                    home.display()
                );
                None
            }
        }
    } else {
        None
    };
    // The storage devices, as planned: the storage agents' and the adversaries'.
    let storage: Vec<AgentDevice> = crate::agents::plan(args)
        .iter()
        .zip(agent_devices)
        .filter(|(planned, _)| plexus_agent::config::is_storage_class(planned.class))
        .map(|(_, device)| device.clone())
        .collect();
    let sharers: Vec<_> = storage
        .iter()
        .filter(|(_, role)| role == adversaries::Adversary::ReplicaSharer.name())
        .map(|(key, _)| *key)
        .collect();
    let storage = storage_demo::start(
        host.as_ref(),
        home,
        &net.node.chain,
        api,
        args.storage_agents,
        &storage,
        &sharers,
    )?;
    let wireless = if args.wireless.enabled() {
        let carrier = host.secret(crate::home::CARRIER).map_err(|_| {
            anyhow::anyhow!(
                "this devnet was created before wireless hotspots existed; remove {} to start a new one with them",
                home.display()
            )
        })?;
        let oracles: Vec<SocketAddr> = net.oracles.iter().flatten().map(|o| o.addr).collect();
        Some(crate::wireless::start(
            net.node.chain.clone(),
            carrier,
            &oracles,
            &args.wireless,
            stop.clone(),
        )?)
    } else {
        None
    };
    let sensors = if args.sensors.enabled() {
        let funder = host.secret(crate::home::SENSOR_NETWORK).map_err(|_| {
            anyhow::anyhow!(
                "this devnet was created before sensors existed; remove {} to start a new one with them",
                home.display()
            )
        })?;
        let oracles: Vec<SocketAddr> = net.oracles.iter().flatten().map(|o| o.addr).collect();
        Some(crate::sensors::start(
            net.node.chain.clone(),
            funder,
            &oracles,
            &args.sensors,
            stop.clone(),
        )?)
    } else {
        None
    };
    Ok(Workloads {
        training,
        jobs,
        storage,
        wireless,
        sensors,
    })
}

/// The lines that say where the devnet is and what runs in it.
fn print_banner(
    home: &Path,
    devnet: &DevnetHome,
    net: &Network,
    args: &DevnetArgs,
    start: &plexus_chain::ChainStatus,
) {
    println!(
        "{} devnet {} at height {} in {}\nAPI and console: http://{}{}\ndemo accounts (keyring-backend test): {}\n{}",
        if devnet.fresh { "started new" } else { "resumed" },
        start.chain_id,
        start.height,
        home.display(),
        net.node.api_addr,
        match net.oracle() {
            Some(o) if net.oracles.len() > 1 => format!(
                " · oracles: http://{} and {} more (threshold {})",
                o.addr,
                net.oracles.len() - 1,
                net.info.oracles.threshold
            ),
            Some(o) => format!(" · oracle: http://{}", o.addr),
            None => String::new(),
        },
        devnet.marker.demo_accounts.join(", "),
        match args.run_for {
            Some(d) => format!("running for {}", humantime::format_duration(d)),
            None => "Ctrl-C stops it".to_string(),
        }
    );
    if !net.others.is_empty() {
        println!(
            "{} validators under consensus; the others' APIs: {}",
            devnet.validators,
            net.others
                .iter()
                .map(|o| format!("http://{}", o.api_addr))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if args.all_agents() > 0 {
        println!(
            "agents: {} compute ({} cheating), {} storage ({} cheating), {} bandwidth ({} cheating){}; {} blocks per epoch",
            args.agents,
            args.cheaters.count,
            args.storage_agents,
            args.storage_cheaters,
            args.bandwidth_agents,
            args.bandwidth_cheaters,
            if args.training.training {
                ", a training task"
            } else {
                ""
            },
            net.info.rewards.epoch_blocks
        );
    }
    if !args.cheaters.kinds.is_empty() {
        let kinds: Vec<&str> = args.cheaters.kinds.iter().map(|k| k.name()).collect();
        println!("adversaries: {}", kinds.join(", "));
    }
}

/// Waits for `--for` to pass, or for Ctrl-C or SIGTERM; with `--kill-oracle-at`, stops the
/// last oracle on the way.
async fn wait_for_stop(
    run_for: Option<Duration>,
    kill_oracle_at: Option<Duration>,
    net: &mut Network,
) {
    let deadline = run_for.map(|d| tokio::time::Instant::now() + d);
    let stopped = move || async move {
        match deadline {
            Some(d) => tokio::select! {
                _ = tokio::time::sleep_until(d) => {}
                _ = shutdown_signal() => {}
            },
            None => shutdown_signal().await,
        }
    };
    if let Some(at) = kill_oracle_at {
        tokio::select! {
            _ = tokio::time::sleep(at) => {}
            _ = stopped() => return,
        }
        let last = net.oracles.len().saturating_sub(1);
        if let Some(o) = net.oracles.last_mut().and_then(Option::take) {
            eprintln!(
                "stopping oracle {last} ({}) as --kill-oracle-at asked",
                o.addr
            );
            o.shutdown().await;
        }
    }
    stopped().await
}

/// Checks the jobs once the agents have stopped (a failure is a warning: the rest of the
/// summary still stands).
async fn finish_jobs<H: Host>(
    host: &H,
    run: Option<jobs::JobsRun>,
    chain: &Chain,
    home: &Path,
    agent_devices: &[AgentDevice],
    compute_agents: usize,
    first_adversary: usize,
) -> anyhow::Result<Option<jobs::JobsSummary>> {
    let Some(run) = run else { return Ok(None) };
    // The compute agents, then the adversaries' agents (which may bid as well).
    let mut providers = Vec::new();
    for (i, (_, behaviour)) in agent_devices.iter().enumerate() {
        if i >= compute_agents && i < first_adversary {
            continue;
        }
        let owner = host.secret(&provider_name(i))?;
        providers.push((
            Address::from_public_key(&owner.public_key()),
            behaviour.clone(),
        ));
    }
    Ok(match run.finish(chain.store(), &providers, home).await {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("warning: checking the jobs: {e:#}");
            None
        }
    })
}

/// Stops the oracle and every validator, then compares their chains.
async fn stop_network(net: Network) -> anyhow::Result<Vec<crate::summary::ValidatorSummary>> {
    let Network {
        node,
        others,
        oracles,
        ..
    } = net;
    for o in oracles.into_iter().flatten() {
        o.shutdown().await;
    }
    let mut chains = vec![(node.api_addr, node.chain.clone())];
    chains.extend(others.iter().map(|o| (o.api_addr, o.chain.clone())));
    node.shutdown().await?;
    for (i, other) in others.into_iter().enumerate() {
        other
            .shutdown()
            .await
            .with_context(|| format!("stopping validator {}", i + 1))?;
    }
    summarize_validators(&chains)
}

/// Stops the participants and finds the task (a failure is a warning).
async fn finish_training(
    run: Option<training::TrainingRun>,
) -> Option<(u64, training::FinishedRun)> {
    match run?.finish().await {
        Ok(done) => Some(done),
        Err(e) => {
            eprintln!("warning: {e:#}");
            None
        }
    }
}

/// Runs the devnet in `home` until `--for` has passed or Ctrl-C, then prints its summary (as
/// JSON with `json`).
pub async fn run<H: Host>(
    host: Arc<H>,
    home: &Path,
    json: bool,
    mut args: DevnetArgs,
) -> anyhow::Result<()> {
    let provisioned = args.provision();
    args.check()?;
    let mut steps = Steps::new(json, true);
    steps.step("genesis: opening or creating the devnet's chain");
    let devnet = crate::home::open(host.as_ref(), home, &args)?;
    // As the devnet was created: the agents report to every oracle of its set.
    args.oracles = Some(devnet.oracles as u8);
    if args.kill_oracle_at.is_some() && devnet.oracles < 2 {
        bail!("--kill-oracle-at needs --oracles 2 or more: with one oracle, rewards would stop");
    }
    let mut net = start_network(host.as_ref(), home, &devnet, &args, &mut steps).await?;
    let chain = net.node.chain.clone();
    let start_status = chain.status();
    let (stop_agents, stop_rx) = tokio::sync::watch::channel(false);
    let agents = args.all_agents();
    steps.step(format!("agents: starting {agents} and registering devices"));
    let (agent_devices, agent_tasks) =
        start_agents(&devnet.files, host.as_ref(), &args, &net.apis(), &stop_rx)?;
    steps.step("workloads: training, jobs and storage deals");
    let workloads = start_workloads(&host, home, &net, &args, &agent_devices, &stop_rx).await?;
    let strangers = start_strangers(&host, home, &net, &args, &agent_devices)?;
    steps.finish();
    if json {
        // Standard output carries only the summary; this line tells a program that started
        // the devnet that its API answers.
        eprintln!("devnet ready: API http://{}", net.node.api_addr);
    } else {
        print_banner(home, &devnet, &net, &args, &start_status);
        for note in &provisioned {
            println!("{note}");
        }
    }
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = tokio::spawn(traffic::demo_traffic(
        chain.clone(),
        devnet.keys.clone(),
        args.demo_tps,
        stop.clone(),
    ));
    let progress = traffic::spawn_progress(chain.clone(), json);
    let api = net.node.api_addr.to_string();
    wait_for_stop(args.run_for, args.kill_oracle_at, &mut net).await;

    storage_demo::settle(workloads.storage).await;
    let mut adversaries = strangers.finish().await;
    let _ = stop_agents.send(true);
    for t in agent_tasks {
        let _ = t.await;
    }
    let wireless = crate::workload::finished(workloads.wireless).await?;
    let sensors = crate::workload::finished(workloads.sensors).await?;
    let jobs = finish_jobs(
        host.as_ref(),
        workloads.jobs,
        &chain,
        &devnet.files.home,
        &agent_devices,
        args.agents,
        args.all_agents() - args.adversary_agents(),
    )
    .await?;
    let training = finish_training(workloads.training).await;
    stop.store(true, Ordering::SeqCst);
    progress.abort();
    let _ = traffic.await;
    let validator_summaries = stop_network(net).await?;

    let mut summary = summarize(RunFacts {
        home,
        files: &devnet.files,
        chain: &chain,
        marker: &devnet.marker,
        keys: &devnet.keys,
        agent_devices: &agent_devices,
        api,
        txs_before: start_status.txs_committed,
        started,
    })?;
    summary.validators_agree = validator_summaries.iter().all(|v| v.agrees);
    crate::summary::add_oracles(&mut summary, &devnet.files.home, chain.store())?;
    summary.wireless = wireless_section(wireless.as_ref(), &devnet.files, chain.store())?;
    (summary.sensors, summary.data_market) =
        sensors_section(sensors.as_ref(), &devnet.files, chain.store())?;
    if let Some((id, run)) = &training {
        summary.training = Some(training::summarize(
            &devnet.files.home,
            chain.store(),
            *id,
            run,
        )?);
    }
    summary.validators = validator_summaries;
    summary.jobs = jobs.map(|j| at_block_pace(j, &summary, start_status.height));
    if !args.cheaters.kinds.is_empty() {
        adversaries.extend(adversaries::agent_reports(
            chain.store(),
            &args.cheaters.kinds,
            &agent_devices,
            &summary,
        )?);
        adversaries.sort_by_key(|r| r.kind);
        summary.honest = Some(adversaries::honest_harm(
            chain.store(),
            &summary,
            &agent_devices,
            &devnet.files.home.join("agents"),
        )?);
        summary.adversaries = adversaries;
    }
    crate::summary::print(&summary, json);
    Ok(())
}

/// The jobs section with the baseline for dispatch latency: the bid window at this run's
/// measured block pace.
fn at_block_pace(
    mut jobs: jobs::JobsSummary,
    summary: &crate::summary::Summary,
    start_height: u64,
) -> jobs::JobsSummary {
    let blocks = summary.height.saturating_sub(start_height).max(1);
    jobs.block_ms = (summary.seconds * 1e3 / blocks as f64).round() as u64;
    jobs.bid_window_ms = jobs.block_ms * plexus_ledger::market::BID_WINDOW_BLOCKS;
    jobs
}

/// The wireless section, when the city ran: the workload's log with the finalized epochs of
/// the hotspots' pools.
fn wireless_section(
    log: Option<&crate::wireless::WirelessLog>,
    files: &plexus_node::NodeFiles,
    store: &plexus_store::Store,
) -> anyhow::Result<Option<crate::wireless::WirelessSummary>> {
    let Some(log) = log else {
        return Ok(None);
    };
    let finalized = [
        plexus_ledger::ResourceClass::Coverage,
        plexus_ledger::ResourceClass::Poc,
    ]
    .into_iter()
    .map(|r| Ok((r, crate::summary::finalized_epochs(files, store, r)?)))
    .collect::<anyhow::Result<Vec<_>>>()?;
    crate::wireless::summarize(
        log,
        store,
        &crate::home::oracle_dirs(&files.home),
        &finalized,
    )
}

/// The sensors and data market sections, when the region ran: the workload's log with the
/// finalized epochs of the sensor pool, and the buyer's purchases with the market's books.
fn sensors_section(
    log: Option<&crate::sensors::SensorLog>,
    files: &plexus_node::NodeFiles,
    store: &plexus_store::Store,
) -> anyhow::Result<(
    Option<crate::sensors::SensorSummary>,
    Option<crate::sensors::market::DataMarketSummary>,
)> {
    let Some(log) = log else {
        return Ok((None, None));
    };
    let finalized =
        crate::summary::finalized_epochs(files, store, plexus_ledger::ResourceClass::Sensor)?;
    let sensors = crate::sensors::summarize(
        log,
        store,
        &crate::home::oracle_dirs(&files.home),
        &finalized,
    )?;
    let market = crate::sensors::market::summarize(store, &log.purchases, &log.market_refused)?;
    Ok((sensors, Some(market)))
}

/// Starts the adversaries that are strangers to the network (not agents), paying from the
/// attacker's account (and the replica sharer's watcher, see [`adversaries::start`]).
fn start_strangers<H: Host>(
    host: &Arc<H>,
    home: &Path,
    net: &Network,
    args: &DevnetArgs,
    agent_devices: &[AgentDevice],
) -> anyhow::Result<adversaries::Running> {
    let kinds = &args.cheaters.kinds;
    // Agents' adversaries need no attacker account (the replica sharer's still watches the
    // chain from here).
    let attacker = if kinds.iter().all(|k| k.agents().is_some()) {
        plexus_types::SecretKey::generate()
    } else {
        host.secret(adversaries::ATTACKER).with_context(|| {
            format!(
                "this devnet was created before its adversaries had an account; remove {} to start a new one",
                home.display()
            )
        })?
    };
    let stage = adversaries::Stage {
        client: host.clone(),
        node: format!("http://{}", net.node.api_addr),
        oracle: format!("http://{}", args.oracle_addrs()[0]),
        chain: net.node.chain.clone(),
        home: home.to_path_buf(),
        attacker,
        devices: agent_devices.to_vec(),
    };
    Ok(adversaries::start(stage, kinds))
}
