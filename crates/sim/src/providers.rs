//! Provider agents in the simulated world: the real agent, its duties reaching the node, the
//! oracle and every other service through the world's in-process network and clock, stepped
//! by the simulation one round at a time.

use crate::world::{key_of, World, NODE, ORACLE};
use anyhow::Context;
use plexus_agent::jobs::{Bidding, JobRunner};
use plexus_agent::ports::{PortFuture, Ports, ServiceHost};
use plexus_agent::{Agent, AgentConfig, AgentError, Behaviour, HardwareProbe};
use plexus_client::Routers;
use plexus_types::{Amount, PublicKey, SecretKey};
use std::sync::Arc;

/// The H3 cell simulated devices sit in.
pub const CELL: u64 = 0x8c2a100d2c0a5ff;

/// The hardware every simulated device declares: fixed, so runs do not depend on the machine
/// that runs them.
pub fn hardware() -> HardwareProbe {
    HardwareProbe {
        cpu_cores: 8,
        memory_mb: 16_384,
        gpus: Vec::new(),
    }
}

/// One simulated provider: a name for the story, and its agent.
pub struct Provider {
    pub name: String,
    pub agent: Agent,
}

impl Provider {
    pub fn device(&self) -> PublicKey {
        self.agent.device_key()
    }

    /// One round of the duties a compute device runs: register (once), heartbeat, answer
    /// challenges, claim rewards. A duty's failure is part of the story, not the end of it.
    pub async fn compute_round(&self) -> Vec<String> {
        self.round(false).await
    }

    /// One round of the duties a storage device runs: start its blob service on the world's
    /// network (once, before registering, so the device declares where it is), register
    /// (once), heartbeat, answer challenges, fetch the replicas the chain assigns (and apply
    /// the device's replica policy), claim rewards.
    pub async fn storage_round(&self) -> Vec<String> {
        if let Err(e) = self.agent.start_service().await {
            return vec![format!(
                "{}: its blob service did not start: {e}",
                self.name
            )];
        }
        self.round(true).await
    }

    async fn round(&self, keeps_replicas: bool) -> Vec<String> {
        let mut failures = Vec::new();
        if let Err(e) = self.agent.register_if_needed().await {
            failures.push(format!("{}: registration failed: {e}", self.name));
            return failures;
        }
        if let Err(e) = self.agent.heartbeat_once().await {
            failures.push(format!("{}: heartbeat failed: {e}", self.name));
        }
        if let Err(e) = self.agent.answer_challenges_once().await {
            failures.push(format!("{}: challenge failed: {e}", self.name));
        }
        if keeps_replicas {
            match self.agent.keep_replicas_once().await {
                Ok(report) => failures.extend(report.failed.iter().map(|(blob, why)| {
                    format!("{}: could not fetch blob {blob}: {why}", self.name)
                })),
                Err(e) => failures.push(format!("{}: keeping replicas failed: {e}", self.name)),
            }
        }
        if let Err(e) = self.agent.claim_ready_rewards().await {
            failures.push(format!("{}: claim failed: {e}", self.name));
        }
        failures
    }

    /// One round of the market duty: register (once), then one pass of `jobs`, this
    /// provider's [`Agent::job_runner`]: run the leases it won or was given to check, bid for
    /// new orders, now and then withdraw what its leases released.
    pub async fn jobs_round(&self, jobs: &mut JobRunner) -> Vec<String> {
        if let Err(e) = self.agent.register_if_needed().await {
            return vec![format!("{}: registration failed: {e}", self.name)];
        }
        match jobs.once().await {
            Ok(()) => Vec::new(),
            Err(e) => vec![format!("{}: market round failed: {e}", self.name)],
        }
    }
}

/// Where a simulated device's own service is served: on the world's in-process network, at
/// `<name>.sim:1`, so oracles and other devices reach it through the [`crate::SimNet`].
struct SimServices {
    routers: Routers,
    authority: String,
}

impl ServiceHost for SimServices {
    fn serve(
        &self,
        _what: &'static str,
        router: axum::Router,
    ) -> PortFuture<'_, Result<String, AgentError>> {
        self.routers.serve(&self.authority, router);
        Box::pin(std::future::ready(Ok(format!("http://{}", self.authority))))
    }
}

impl World {
    /// A provider named `name`, owned by `owner`, registering a device of `class` that
    /// behaves as `behaviour`. Its device key is derived from the seed, so every run of a
    /// seed registers the same devices. Its own service, if its class has one, is served at
    /// `http://<name>.sim:1`, so `name` must be a host name (letters, digits, `-`).
    pub fn provider(
        &self,
        name: &str,
        owner: &SecretKey,
        class: &str,
        stake: Amount,
        behaviour: Behaviour,
    ) -> anyhow::Result<Provider> {
        self.provider_with(name, owner, class, stake, behaviour, None)
    }

    /// [`World::provider`], selling the device's time on the compute market at `bidding`'s
    /// prices: its [`Agent::job_runner`] is the market duty [`Provider::jobs_round`] steps.
    pub fn bidding_provider(
        &self,
        name: &str,
        owner: &SecretKey,
        class: &str,
        stake: Amount,
        behaviour: Behaviour,
        bidding: Bidding,
    ) -> anyhow::Result<Provider> {
        self.provider_with(name, owner, class, stake, behaviour, Some(bidding))
    }

    fn provider_with(
        &self,
        name: &str,
        owner: &SecretKey,
        class: &str,
        stake: Amount,
        behaviour: Behaviour,
        bidding: Option<Bidding>,
    ) -> anyhow::Result<Provider> {
        anyhow::ensure!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "a provider's name must be a host name (letters, digits, '-'), not {name:?}"
        );
        let data_dir = self.dir.path().join("agents").join(name);
        write_device_key(&data_dir, &key_of(self.seed, &format!("device {name}")))?;
        let config = AgentConfig {
            node: format!("http://{NODE}"),
            oracles: vec![format!("http://{ORACLE}")],
            data_dir,
            class: class.to_string(),
            h3_cell: CELL,
            stake,
            auto_claim: true,
            blob_listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            blob_sources: Vec::new(),
            blob_endpoint: None,
            learn: Vec::new(),
            bidding,
        };
        let ports = Ports {
            node: Arc::new(self.node_client()),
            oracles: vec![Arc::new(self.oracle_client())],
            clock: Arc::new(self.clock.clone()),
            transport: self.net.clone(),
            services: Arc::new(SimServices {
                routers: self.routers.clone(),
                authority: format!("{name}.sim:1"),
            }),
        };
        let agent = Agent::with_ports(config, owner.clone(), behaviour, hardware(), ports)
            .with_context(|| format!("starting the agent of {name}"))?;
        Ok(Provider {
            name: name.to_string(),
            agent,
        })
    }
}

/// Writes the device key file an agent loads from its data directory (as `plexus agent`
/// would have made it), so the device's key comes from the seed instead of the system's
/// randomness.
fn write_device_key(data_dir: &std::path::Path, key: &SecretKey) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let text = serde_json::json!({
        "public_key": key.public_key(),
        "secret_key": hex::encode(key.to_bytes()),
    });
    plexus_durable::write_private(
        &data_dir.join(plexus_agent::identity::DEVICE_KEY_FILE),
        format!("{text:#}\n").as_bytes(),
    )?;
    Ok(())
}
