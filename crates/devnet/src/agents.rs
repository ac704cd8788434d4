//! The devnet's provider agents: compute, storage and bandwidth devices, honest or cheating
//! as the options ask, each an agent task talking to the validators in turn.

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
        let owner = keys.secret(&provider_name(i))?;
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
