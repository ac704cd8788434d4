//! `plexus agent init|start`: the provider daemon.

use crate::Globals;
use anyhow::{bail, Context};
use clap::Subcommand;
use plexus_agent::{Agent, AgentConfig, Behaviour};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum AgentCommand {
    /// Write a commented configuration template to edit.
    Init {
        /// Where to write it.
        #[arg(long, default_value = "agent.toml")]
        config: PathBuf,
    },
    /// Run the agent: register the device, send heartbeats, answer challenges, claim rewards.
    Start {
        #[arg(long, default_value = "agent.toml")]
        config: PathBuf,
        /// Name of the owner's key in the keyring: it pays for registration and receives
        /// rewards.
        #[arg(long)]
        owner: String,
        /// How the device behaves (honest unless testing the network's defences).
        #[arg(long, default_value = "honest")]
        behaviour: String,
    },
}

pub async fn run(g: &Globals, cmd: AgentCommand) -> anyhow::Result<()> {
    match cmd {
        AgentCommand::Init { config } => {
            if config.exists() {
                bail!("{} already exists; not overwriting it", config.display());
            }
            plexus_durable::write_durably(&config, AgentConfig::template().as_bytes())
                .with_context(|| format!("writing {}", config.display()))?;
            println!(
                "wrote {}; edit it, then run: plexus agent start --config {} --owner NAME",
                config.display(),
                config.display()
            );
            Ok(())
        }
        AgentCommand::Start {
            config,
            owner,
            behaviour,
        } => {
            let cfg = AgentConfig::load(&config)
                .with_context(|| format!("loading {}", config.display()))?;
            let behaviour: Behaviour = behaviour.parse()?;
            let owner = g.keyring().secret(&owner)?;
            let agent = Agent::new(cfg, owner, behaviour)?;
            eprintln!(
                "agent for device {} · Ctrl-C or SIGTERM stops it",
                agent.device_key()
            );
            agent.run(plexus_node::shutdown_signal()).await?;
            Ok(())
        }
    }
}
