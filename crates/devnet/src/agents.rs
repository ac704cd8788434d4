//! The devnet's provider agents: compute, storage and bandwidth devices, honest or cheating
//! as the options ask, each an agent task talking to the validators in turn.

use crate::cheaters::Adversary;
use crate::home::provider_name;
use crate::host::Keys;
use crate::options::DevnetArgs;
use anyhow::Context;
use plexus_agent::{Agent, AgentConfig, Behaviour};
use plexus_node::NodeFiles;
use plexus_proofs::compute::class_by_name;
use plexus_types::Amount;
use std::net::SocketAddr;

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
pub type AgentDevice = (plexus_types::PublicKey, String);

/// The bond honest compute agents put up per bid: more than the least a bid may bond, as
/// providers with a record would, so that an adversary bonding the least holds a small share.
pub(crate) const HONEST_BID_DEPOSIT: Amount = Amount(5 * plexus_ledger::market::MIN_BID_DEPOSIT.0);

/// One agent the devnet starts: its class, its behaviour, the name the summary gives it (its
/// behaviour's, or the adversary it serves), and for a compute agent how it bids.
pub struct PlannedAgent {
    pub class: &'static str,
    pub behaviour: Behaviour,
    pub role: String,
    pub bidding: Option<plexus_agent::jobs::Bidding>,
}

fn bidding(per_cpu_core: u128, deposit: Amount) -> plexus_agent::jobs::Bidding {
    plexus_agent::jobs::Bidding {
        policy: plexus_market::bid::BidPolicy {
            runtimes: vec![
                plexus_market::spec::RuntimeKind::Wasm,
                plexus_market::spec::RuntimeKind::Inference,
            ],
            per_cpu_core: Amount(per_cpu_core),
            per_memory_gib: Amount(200),
            per_gpu: Amount(10_000),
            min_per_block: Amount(100),
        },
        deposit,
    }
}

fn planned(class: &'static str, behaviour: Behaviour) -> PlannedAgent {
    PlannedAgent {
        class,
        behaviour,
        role: behaviour.to_string(),
        bidding: None,
    }
}

/// The agents the options ask for, in order: compute (honest, then the cheats), storage,
/// bandwidth, then the adversaries' agents.
pub fn plan(args: &DevnetArgs) -> Vec<PlannedAgent> {
    let mut agents = Vec::new();
    for i in 0..args.agents {
        let behaviour = behaviour_of(i, args.agents, args.cheaters.count);
        // The over-declarer claims a large class it cannot serve.
        let class = match behaviour {
            Behaviour::OverDeclare { .. } => "cpu-large",
            _ => "cpu-small",
        };
        // The cheat undercuts everyone, to win the jobs it does not really run.
        let price = if behaviour == Behaviour::WrongResults {
            800
        } else {
            1_000 + 150 * i as u128
        };
        agents.push(PlannedAgent {
            bidding: Some(bidding(price, HONEST_BID_DEPOSIT)),
            ..planned(class, behaviour)
        });
    }
    for i in 0..args.storage_agents {
        let cheat = i >= args.storage_agents - args.storage_cheaters;
        let behaviour = if cheat {
            Behaviour::DropReplicas
        } else {
            Behaviour::Honest
        };
        agents.push(planned("storage-small", behaviour));
    }
    for i in 0..args.bandwidth_agents {
        let cheat = i >= args.bandwidth_agents - args.bandwidth_cheaters;
        let behaviour = if cheat {
            Behaviour::Throttle
        } else {
            Behaviour::Honest
        };
        agents.push(planned("bw-home", behaviour));
    }
    for kind in &args.cheaters.kinds {
        let Some((class, n)) = kind.agents() else {
            continue;
        };
        for _ in 0..n {
            let (behaviour, bids) = match kind {
                // Bidding near every order's cap, they rarely win a run, and bond the least
                // a bid may: as many draws as possible for as little at stake.
                Adversary::SybilCheckers => (
                    Behaviour::LyingChecker,
                    Some(bidding(9_000, plexus_ledger::market::MIN_BID_DEPOSIT)),
                ),
                // It undercuts everyone, to win runs whose results it can time.
                Adversary::LateSubmitter => (
                    Behaviour::LateSubmitter,
                    Some(bidding(700, HONEST_BID_DEPOSIT)),
                ),
                _ => (Behaviour::Honest, None),
            };
            agents.push(PlannedAgent {
                class,
                behaviour,
                role: kind.to_string(),
                bidding: bids,
            });
        }
    }
    agents
}

/// Starts the devnet's provider agents; each runs until `stop` fires.
pub fn start_agents(
    files: &NodeFiles,
    keys: &impl Keys,
    args: &DevnetArgs,
    apis: &[SocketAddr],
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<(Vec<AgentDevice>, Vec<tokio::task::JoinHandle<()>>)> {
    let mut devices = Vec::new();
    let mut tasks = Vec::new();
    // The replica sharer's blob server: its first device runs it, the others declare it.
    let mut shared_endpoint: Option<String> = None;
    for (i, agent) in plan(args).into_iter().enumerate() {
        let class = agent.class;
        let stake = plexus_ledger::default_device_classes()
            .into_iter()
            .find(|c| c.name == class)
            .map(|c| c.min_stake)
            .unwrap_or(Amount::plx(100));
        let data_dir = files.home.join("agents").join(format!("agent-{i}"));
        // Any free port: the agent declares where it listens when it registers. Each
        // bandwidth device is a link of its own, so it gets a loopback address of its own
        // (devices tested at one address are paid as one).
        let mut blob_listen = SocketAddr::from(match (class, agent.role.as_str()) {
            // The link sharer's devices: one address.
            ("bw-home", "link-sharer") => ([127, 0, 0, 9], 0),
            ("bw-home", _) => ([127, 0, 0, 10 + i as u8], 0),
            _ => ([127, 0, 0, 1], 0),
        });
        let mut blob_endpoint = None;
        if agent.role == Adversary::ReplicaSharer.name() {
            match &shared_endpoint {
                Some(endpoint) => blob_endpoint = Some(endpoint.clone()),
                None => {
                    blob_listen.set_port(shared_port(&data_dir)?);
                    shared_endpoint = Some(format!("http://{blob_listen}"));
                }
            }
        }
        let config = AgentConfig {
            node: format!("http://{}", apis[i % apis.len()]),
            oracles: args
                .oracle_addrs()
                .iter()
                .map(|a| format!("http://{a}"))
                .collect(),
            data_dir,
            class: class.to_string(),
            h3_cell: CELLS[i % CELLS.len()],
            stake,
            auto_claim: true,
            blob_listen,
            blob_sources: Vec::new(),
            blob_endpoint,
            learn: Vec::new(),
            // Compute agents sell their time to the marketplace, each at its own prices.
            bidding: agent.bidding,
        };
        let owner = keys.secret(&provider_name(i))?;
        let agent_task = Agent::new(config, owner, agent.behaviour)
            .with_context(|| format!("starting agent {i}"))?;
        devices.push((agent_task.device_key(), agent.role));
        let mut stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = agent_task.run(shutdown).await {
                tracing::warn!(agent = i, error = %e, "agent stopped");
            }
        }));
    }
    Ok((devices, tasks))
}

/// The port of the replica sharer's blob server: the one it had, kept in its data directory so
/// that a resumed devnet's devices declare the endpoint the chain holds, else a free one.
fn shared_port(data_dir: &std::path::Path) -> anyhow::Result<u16> {
    let file = data_dir.join("shared-port");
    if let Some(port) = std::fs::read_to_string(&file)
        .ok()
        .and_then(|s| s.trim().parse::<u16>().ok())
    {
        return Ok(port);
    }
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .context("finding a free port for the replica sharer's blob server")?
        .port();
    std::fs::create_dir_all(data_dir)?;
    plexus_durable::write_durably(&file, port.to_string().as_bytes())?;
    Ok(port)
}
