//! The devnet's command-line options and the checks between them.

use crate::cheaters::{Adversary, Cheaters};
use anyhow::bail;
use std::net::SocketAddr;
use std::time::Duration;

/// Providers funded at genesis; `--agents` and `--storage-agents` together may use up to
/// this many.
pub const MAX_AGENTS: usize = 16;

/// The compute, storage and bandwidth agents of a devnet started with no agent flag.
pub const WHOLE_NETWORK: (usize, usize, usize) = (3, 3, 2);

#[derive(clap::Args)]
pub struct DevnetArgs {
    /// Address of the node's HTTP API.
    #[arg(long)]
    pub api: Option<SocketAddr>,
    /// Longest time between blocks, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub block_ms: u64,
    /// How many newest heights of state the node keeps (0: every height; a new devnet keeps
    /// 10 000).
    #[arg(long)]
    pub retain_versions: Option<u64>,
    /// Demo transfers per second.
    #[arg(long, default_value_t = 5.0)]
    pub demo_tps: f64,
    /// Stop by itself after this long (for example 30s or 5m) and print a summary.
    #[arg(long = "for", value_parser = humantime::parse_duration)]
    pub run_for: Option<Duration>,
    /// Compute agents to run, each with its own device. With no agent flag at all (this one,
    /// --storage-agents, --bandwidth-agents, --cheaters or --training) the devnet is a small
    /// whole network: 3 compute agents running jobs, 3 storage agents keeping a deal, 2
    /// bandwidth agents and a training task. `--agents 0` alone starts a bare chain.
    #[arg(long = "agents", value_name = "N")]
    agents_flag: Option<usize>,
    /// Compute agents, once `provision` has applied the defaults.
    #[arg(skip)]
    pub agents: usize,
    /// Cheaters, comma-separated: a number of the compute agents that cheat (in turn, one
    /// answers compute challenges with wrong results, one returns wrong outputs for the jobs it
    /// wins, one declares more capacity than it has, one replays old heartbeats), adversaries
    /// run beside the honest agents (sybil-checkers, late-submitter, sleeper-jobs,
    /// blob-spammer, replica-sharer, challenge-griefer, link-sharer, or all), or both.
    /// Adversaries with no agents to attack start 4 honest compute, 3 storage or 2 bandwidth
    /// agents.
    #[arg(long = "cheaters", value_name = "CHEATERS")]
    cheaters_flag: Option<Cheaters>,
    /// What `--cheaters` asked for (none when absent).
    #[arg(skip)]
    pub cheaters: Cheaters,
    /// Storage agents to run (class storage-small), after the compute agents. With any, the
    /// devnet puts a demo blob and pays for it to be kept by three of them (or as many as
    /// run), challenged by the oracle every epoch.
    #[arg(long = "storage-agents", value_name = "N")]
    storage_agents_flag: Option<usize>,
    /// Storage agents, once `provision` has applied the defaults.
    #[arg(skip)]
    pub storage_agents: usize,
    /// How many of the storage agents cheat: they fetch their replicas, then delete them.
    #[arg(long, default_value_t = 0)]
    pub storage_cheaters: usize,
    /// Bandwidth agents to run (class bw-home), after the storage agents. The oracle
    /// speed-tests each of them every heartbeat interval and pays by the tier of the results.
    #[arg(long = "bandwidth-agents", value_name = "N")]
    bandwidth_agents_flag: Option<usize>,
    /// Bandwidth agents, once `provision` has applied the defaults.
    #[arg(skip)]
    pub bandwidth_agents: usize,
    /// Whether no agent flag was given and the whole network's agents were chosen.
    #[arg(skip)]
    whole_network: bool,
    /// How many of the bandwidth agents cheat: their links move 8 Mbps, below every tier.
    #[arg(long, default_value_t = 0)]
    pub bandwidth_cheaters: usize,
    /// Blocks per epoch, for a new devnet (blocks come every 250 ms when agents run).
    #[arg(long, default_value_t = 60)]
    pub epoch_blocks: u64,
    /// Address of the (first) oracle's API; oracle I listens on the next port plus I.
    #[arg(long, default_value = plexus_oracle::DEFAULT_ORACLE_ADDR)]
    pub oracle: SocketAddr,
    /// Oracles in the oracle set (1 to 7), each with its own key, API and evidence; a
    /// manifest is final once a majority of them submit it. Fixed when the devnet is created.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=7))]
    pub oracles: Option<u8>,
    /// Stop the last oracle after this long (for example 90s), to show rewards go on at the
    /// threshold; needs two oracles or more.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub kill_oracle_at: Option<Duration>,
    /// Validators under Commonware consensus, all in this process (1: the solo driver). Fixed
    /// when the devnet is created; the others live under HOME/validator-I.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub validators: Option<u16>,
    /// First validator p2p port on loopback (validator I listens on this plus I).
    #[arg(long, default_value_t = 27_300)]
    pub p2p_port: u16,
    #[command(flatten)]
    pub training: crate::training::TrainingArgs,
    #[command(flatten)]
    pub jobs: crate::jobs::JobsArgs,
    #[command(flatten)]
    pub wireless: crate::wireless::WirelessArgs,
    #[command(flatten)]
    pub sensors: crate::sensors::SensorArgs,
}

impl DevnetArgs {
    /// The oracles this run starts (as asked, or as the devnet was created once it is open).
    pub fn oracle_count(&self) -> usize {
        self.oracles.map_or(1, usize::from)
    }

    /// Where each oracle listens: `--oracle`, then the next ports.
    pub fn oracle_addrs(&self) -> Vec<SocketAddr> {
        (0..self.oracle_count())
            .map(|i| {
                let mut addr = self.oracle;
                if addr.port() != 0 {
                    addr.set_port(addr.port().saturating_add(i as u16));
                }
                addr
            })
            .collect()
    }

    /// Agents of every kind: compute, then storage, then bandwidth, then the adversaries'.
    pub fn all_agents(&self) -> usize {
        self.agents + self.storage_agents + self.bandwidth_agents + self.adversary_agents()
    }

    /// Agents the adversaries run.
    pub fn adversary_agents(&self) -> usize {
        self.cheaters
            .kinds
            .iter()
            .filter_map(|k| k.agents())
            .map(|(_, n)| n)
            .sum()
    }

    /// Settles what runs: the small whole network when no agent flag was given, else what the
    /// flags say, plus honest agents for adversaries that would otherwise have no one to
    /// attack (4 compute, 3 storage or 2 bandwidth agents). Returns a line for each choice the
    /// user did not spell out.
    pub(crate) fn provision(&mut self) -> Vec<String> {
        let mut notes = Vec::new();
        let chosen = !self.whole_network
            && (self.agents_flag.is_some()
                || self.storage_agents_flag.is_some()
                || self.bandwidth_agents_flag.is_some()
                || self.cheaters_flag.is_some()
                || self.training.training
                || self.wireless.enabled()
                || self.sensors.enabled());
        if chosen {
            self.agents = self.agents_flag.unwrap_or(0);
            self.storage_agents = self.storage_agents_flag.unwrap_or(0);
            self.bandwidth_agents = self.bandwidth_agents_flag.unwrap_or(0);
            self.cheaters = self.cheaters_flag.clone().unwrap_or_default();
        } else {
            let (compute, storage, bandwidth) = WHOLE_NETWORK;
            self.agents = compute;
            self.storage_agents = storage;
            self.bandwidth_agents = bandwidth;
            self.cheaters = Cheaters::default();
            self.training.training = true;
            self.whole_network = true;
            notes.push(format!(
                "a small whole network: {compute} compute agents running jobs, {storage} storage agents keeping a deal, {bandwidth} bandwidth agents and a training task (--agents 0 starts a bare chain)"
            ));
        }
        let kinds = &self.cheaters.kinds;
        if self.agents == 0 && kinds.iter().any(|k| k.needs_compute()) {
            self.agents = 4;
            notes.push("4 honest compute agents start for the adversaries to attack".to_string());
        }
        let storage = [Adversary::BlobSpammer, Adversary::ReplicaSharer];
        if self.storage_agents == 0 && kinds.iter().any(|k| storage.contains(k)) {
            self.storage_agents = 3;
            notes.push("3 honest storage agents start for the adversaries to attack".to_string());
        }
        if self.bandwidth_agents == 0 && kinds.contains(&Adversary::LinkSharer) {
            self.bandwidth_agents = 2;
            notes.push("2 honest bandwidth agents start beside the link sharer".to_string());
        }
        notes
    }

    /// Refuses more cheaters of a kind than agents of that kind, and more agents than genesis
    /// funds.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        if self.cheaters.count > self.agents {
            bail!(
                "--cheaters {} is more than --agents {}",
                self.cheaters.count,
                self.agents
            );
        }
        if self.all_agents() > MAX_AGENTS {
            bail!(
                "a devnet runs at most {MAX_AGENTS} agents, compute, storage, bandwidth and the adversaries' ({}) together",
                self.adversary_agents()
            );
        }
        if self.bandwidth_cheaters > self.bandwidth_agents {
            bail!(
                "--bandwidth-cheaters {} is more than --bandwidth-agents {}",
                self.bandwidth_cheaters,
                self.bandwidth_agents
            );
        }
        self.wireless.check()?;
        self.sensors.check()?;
        if self.storage_cheaters > self.storage_agents {
            bail!(
                "--storage-cheaters {} is more than --storage-agents {}",
                self.storage_cheaters,
                self.storage_agents
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        args: DevnetArgs,
    }

    fn parse(flags: &[&str]) -> DevnetArgs {
        Command::parse_from(std::iter::once("devnet").chain(flags.iter().copied())).args
    }

    /// The flags parsed and settled, as the devnet runs them.
    fn settled(flags: &[&str]) -> DevnetArgs {
        let mut args = parse(flags);
        args.provision();
        args
    }

    #[test]
    fn hotspots_alone_start_no_agents_and_bad_wireless_flags_are_refused_by_name() {
        let city = settled(&[
            "--hotspots",
            "40",
            "--hotspot-cheaters",
            "8",
            "--subscribers",
            "60",
        ]);
        assert_eq!((city.all_agents(), city.training.training), (0, false));
        assert!(city.check().is_ok());
        // No wireless flag at all is fine.
        assert!(settled(&["--agents", "2"]).check().is_ok());
        for (flags, named) in [
            (
                &["--hotspots", "2", "--hotspot-cheaters", "3"][..],
                "--hotspot-cheaters 3",
            ),
            (
                &["--agents", "1", "--subscribers", "5"][..],
                "--subscribers",
            ),
            (&["--hotspots", "6000"][..], "6000"),
        ] {
            let err = settled(flags).check().unwrap_err().to_string();
            assert!(err.contains(named), "{flags:?}: {err}");
        }
    }

    #[test]
    fn more_cheaters_than_agents_of_a_kind_is_refused_by_name() {
        for (flags, named) in [
            (["--agents", "1", "--cheaters", "2"], "--cheaters 2"),
            (
                ["--storage-agents", "1", "--storage-cheaters", "2"],
                "--storage-cheaters 2",
            ),
            (
                ["--bandwidth-agents", "1", "--bandwidth-cheaters", "2"],
                "--bandwidth-cheaters 2",
            ),
        ] {
            let err = settled(&flags).check().unwrap_err().to_string();
            assert!(err.contains(named), "{err}");
        }
    }

    #[test]
    fn agents_of_every_kind_together_may_use_every_funded_provider_and_no_more() {
        let all = MAX_AGENTS.to_string();
        let args = settled(&[
            "--agents",
            "8",
            "--storage-agents",
            "4",
            "--bandwidth-agents",
            "4",
        ]);
        assert_eq!(args.all_agents(), MAX_AGENTS);
        assert!(args.check().is_ok());
        let err = settled(&["--agents", &all, "--bandwidth-agents", "1"])
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("at most 16 agents"), "{err}");
        let err = settled(&["--agents", "15", "--cheaters", "sybil-checkers"])
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("adversaries' (2)"), "{err}");
    }

    #[test]
    fn adversaries_with_no_one_to_attack_get_honest_agents_and_say_so() {
        let mut all = parse(&["--cheaters", "all"]);
        let notes = all.provision();
        assert_eq!(
            (all.agents, all.storage_agents, all.bandwidth_agents),
            (4, 3, 2)
        );
        assert_eq!(notes.len(), 3);
        let mut given = parse(&["--agents", "2", "--cheaters", "blob-spammer"]);
        given.provision();
        assert_eq!((given.agents, given.storage_agents), (2, 3));
        let mut classic = parse(&["--agents", "3", "--cheaters", "1"]);
        assert!(classic.provision().is_empty());
        assert!(classic.check().is_ok());
    }

    #[test]
    fn no_agent_flag_starts_a_small_whole_network_and_any_agent_flag_chooses_instead() {
        let mut whole = parse(&["--for", "30s"]);
        let notes = whole.provision();
        assert_eq!(
            (whole.agents, whole.storage_agents, whole.bandwidth_agents),
            WHOLE_NETWORK
        );
        assert!(whole.training.training);
        assert!(whole.check().is_ok());
        assert!(notes[0].contains("--agents 0"), "{notes:?}");
        // Settling again changes nothing.
        whole.provision();
        assert_eq!(whole.all_agents(), 8);

        let bare = settled(&["--agents", "0"]);
        assert_eq!((bare.all_agents(), bare.training.training), (0, false));
        let storage_only = settled(&["--storage-agents", "2"]);
        assert_eq!(
            (
                storage_only.agents,
                storage_only.storage_agents,
                storage_only.bandwidth_agents
            ),
            (0, 2, 0)
        );
        let training_only = settled(&["--training"]);
        assert_eq!(
            (training_only.all_agents(), training_only.training.training),
            (0, true)
        );
        let cheaters = settled(&["--agents", "8", "--cheaters", "3"]);
        assert_eq!((cheaters.agents, cheaters.cheaters.count), (8, 3));
        assert!(!cheaters.training.training);
    }
}
