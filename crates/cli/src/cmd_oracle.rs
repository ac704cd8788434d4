//! `plexus oracle start` and `plexus audit epoch N`.

use crate::{print_json, Globals};
use anyhow::{bail, Context};
use clap::Subcommand;
use plexus_client::audit;
use plexus_client::views::{ChainView, DeviceView, EpochView};
use plexus_oracle::{run_oracle, OracleConfig, DEFAULT_ORACLE_ADDR};
use plexus_rewards::audit::{ScoredResource, SCORED_RESOURCES};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum OracleCommand {
    /// Run an oracle: ingest device evidence, challenge devices, submit reward manifests.
    Start {
        /// Address to listen on.
        #[arg(long, default_value = DEFAULT_ORACLE_ADDR)]
        listen: SocketAddr,
        /// Name of the oracle's key in the keyring (it must be in the genesis oracle set).
        #[arg(long, default_value = "oracle")]
        key: String,
        /// Where the evidence log and manifests are kept (default: <home>/oracle).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Base URL of another oracle of the set, whose sealed evidence this oracle merges
        /// with its own before scoring an epoch (repeat for each).
        #[arg(long = "peer")]
        peers: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Recompute an epoch's manifest from the oracle's published evidence and compare it with
    /// the manifest final on chain.
    Epoch {
        epoch: u64,
        /// The oracle whose evidence to audit.
        #[arg(long, default_value = "http://127.0.0.1:26651")]
        oracle: String,
        /// Audit this evidence file (JSON lines) instead of fetching it.
        #[arg(long)]
        evidence: Option<PathBuf>,
        /// The resource whose payments to recompute: compute, bandwidth, coverage (Wi-Fi), poc
        /// (LoRa proof of coverage) or sensor (weather stations, meters, vehicles), a manifest
        /// from the oracle's evidence; weather, energy or vehicle: the sensor manifest and
        /// that class's data sets with what their sales paid each device; or data (the data
        /// pool's split and claims, from the chain's per-hotspot records).
        #[arg(long, default_value = "compute", value_parser = parse_audit_resource)]
        resource: AuditResource,
    },
    /// Recompute every round of a training task from the coordinator's published updates and
    /// the revealed validation set, and compare with the rounds on chain.
    Training {
        task: u64,
        /// The validation set (before the task ends, when the coordinator does not reveal it
        /// yet); with --salt.
        #[arg(long)]
        validation: Option<PathBuf>,
        /// The salt of the validation commitment, 64 hex digits.
        #[arg(long)]
        salt: Option<String>,
    },
}

pub async fn run_oracle_cmd(g: &Globals, cmd: OracleCommand) -> anyhow::Result<()> {
    let OracleCommand::Start {
        listen,
        key,
        data_dir,
        peers,
    } = cmd;
    let key = g.keyring().secret(&key)?;
    let oracle = run_oracle(OracleConfig {
        listen,
        node: g.node.clone(),
        data_dir: data_dir.unwrap_or_else(|| g.home.join("oracle")),
        key,
        peers,
    })
    .await?;
    eprintln!(
        "oracle {} listening on http://{} · Ctrl-C or SIGTERM stops it",
        oracle.address, oracle.addr
    );
    plexus_node::shutdown_signal().await;
    oracle.shutdown().await;
    Ok(())
}

/// What `plexus audit epoch` recomputes.
#[derive(Clone, Copy)]
pub enum AuditResource {
    /// A manifest the oracles scored.
    Scored(ScoredResource),
    /// The data pool.
    Data,
    /// The sensor manifest and the data sets of one sensor class.
    SensorClass(&'static str),
}

fn parse_audit_resource(s: &str) -> Result<AuditResource, String> {
    match s {
        "data" => return Ok(AuditResource::Data),
        "weather" => return Ok(AuditResource::SensorClass("weather")),
        "energy" | "energy-meter" => return Ok(AuditResource::SensorClass("energy-meter")),
        "vehicle" => return Ok(AuditResource::SensorClass("vehicle")),
        _ => {}
    }
    ScoredResource::parse(s)
        .map(AuditResource::Scored)
        .ok_or_else(|| {
            let names: Vec<&str> = SCORED_RESOURCES.iter().map(|r| r.as_str()).collect();
            format!(
                "audits cover {}, weather, energy, vehicle and data; not {s:?}",
                names.join(", ")
            )
        })
}

pub async fn run_audit(g: &Globals, cmd: AuditCommand) -> anyhow::Result<()> {
    let (epoch, oracle, evidence, resource, class) = match cmd {
        AuditCommand::Epoch {
            epoch,
            oracle,
            evidence,
            resource,
        } => match resource {
            AuditResource::Scored(r) => (epoch, oracle, evidence, r, None),
            AuditResource::SensorClass(c) => {
                (epoch, oracle, evidence, ScoredResource::Sensor, Some(c))
            }
            AuditResource::Data => return audit_data(g, epoch).await,
        },
        AuditCommand::Training {
            task,
            validation,
            salt,
        } => return crate::cmd_learn::audit(g, task, validation, salt).await,
    };
    let name = resource.as_str();
    let node = g.client()?;
    let info: ChainView = node.get("/v1/chain").await?;
    let (source, text) = match evidence {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
        ),
        None => {
            let http = reqwest::Client::builder()
                .timeout(audit::EVIDENCE_TIMEOUT)
                .build()?;
            // Bounded like the node's: far above what an epoch's evidence holds.
            let max = 16 * audit::MAX_EVIDENCE_BYTES;
            let text = audit::fetch_evidence(&http, &oracle, epoch, max).await?;
            (oracle, text)
        }
    };
    let devices: Vec<DeviceView> = node.list("/v1/devices", "devices").await?;
    let chain_epoch: EpochView = node.get(&format!("/v1/epochs/{epoch}")).await?;
    let report = audit::audit_epoch(
        &info,
        &devices,
        &chain_epoch,
        epoch,
        resource,
        &source,
        &text,
    )?;
    let (recomputed, on_chain) = (&report.recomputed, &report.on_chain);
    if g.json && class.is_none() {
        print_json(&report);
    } else if g.json {
        // Printed with the data sets, as one document.
    } else if report.matches {
        println!(
            "epoch {epoch} {name}: MATCH · {} records, {} devices rewarded, root {}",
            report.records, report.devices_rewarded, recomputed.root
        );
    } else {
        println!(
            "epoch {epoch} {name}: MISMATCH\n  recomputed root {} total {} evidence {}\n  on chain   root {} total {} evidence {}",
            recomputed.root,
            recomputed.total_units,
            recomputed.evidence_root,
            on_chain.root,
            on_chain.total_units,
            on_chain.evidence_root
        );
    }
    if !report.matches {
        if g.json && class.is_some() {
            print_json(&report);
        }
        bail!("the manifest on chain does not follow from the published evidence");
    }
    match class {
        Some(class) => {
            let manifest = serde_json::to_value(&report)?;
            audit_data_sets(g, &info, &devices, (epoch, &text), class, manifest).await
        }
        None => Ok(()),
    }
}

/// The data sets of `class` that the evidence yields, each compared with the chain's and
/// with what the chain paid every device in it.
async fn audit_data_sets(
    g: &Globals,
    info: &ChainView,
    devices: &[DeviceView],
    (epoch, evidence): (u64, &str),
    class: &str,
    mut manifest: serde_json::Value,
) -> anyhow::Result<()> {
    let node = g.client()?;
    let recomputed = info.recompute_data_sets(devices, epoch, evidence)?;
    let on_chain = node.data_sets(epoch).await?.sets;
    let mut reports = Vec::new();
    for set in recomputed.iter().filter(|s| s.class == class) {
        let name = plexus_rewards::sensors::data_sets::data_set_name(&set.class, set.region);
        let mut paid = std::collections::BTreeMap::new();
        for leaf in set.manifest.leaves() {
            let p = node.data_paid(epoch, &name, &leaf.device).await?;
            paid.insert(leaf.device, p.paid);
        }
        let chain_set = on_chain.iter().find(|s| s.name == name);
        reports.push(plexus_client::data::audit_data_set(set, chain_set, &paid)?);
    }
    let recomputed_names: Vec<String> = reports.iter().map(|r| r.name.clone()).collect();
    let unexplained: Vec<&str> = on_chain
        .iter()
        .filter(|s| s.class == class && !recomputed_names.contains(&s.name))
        .map(|s| s.name.as_str())
        .collect();
    if g.json {
        manifest["class"] = class.into();
        manifest["data_sets"] = serde_json::to_value(&reports)?;
        manifest["unexplained"] = serde_json::to_value(&unexplained)?;
        print_json(&manifest);
    } else {
        for r in &reports {
            let fully = r.payouts.iter().filter(|p| p.paid == p.share).count();
            let word = if r.matches { "MATCH" } else { "MISMATCH" };
            println!(
                "epoch {epoch} data set {}: {word} · {} devices, {} readings, data root {} · revenue {}, paid {}, {fully} devices paid exactly their share",
                r.name,
                r.payouts.len(),
                r.readings,
                r.data_root,
                r.revenue.to_plx_string(),
                r.paid.to_plx_string(),
            );
            for m in &r.mismatch {
                println!("  {m}");
            }
        }
        for name in &unexplained {
            println!("epoch {epoch} data set {name}: MISMATCH · final on chain, but the evidence yields no such set");
        }
    }
    if !unexplained.is_empty() || reports.iter().any(|r| !r.matches) {
        bail!("the {class} data sets on chain or their payouts do not follow from the published evidence");
    }
    Ok(())
}

/// `plexus audit epoch N --resource data`: reruns the data rule over the chain's per-hotspot
/// records of the epoch and compares with the data pool and the claims the chain recorded.
async fn audit_data(g: &Globals, epoch: u64) -> anyhow::Result<()> {
    let node = g.client()?;
    let info: ChainView = node.get("/v1/chain").await?;
    let data = node.epoch_data(epoch).await?;
    let report = audit::audit_data(&data, info.data_credits.dc_per_plx)?;
    if g.json {
        print_json(&report);
    } else if report.matches {
        println!(
            "epoch {epoch} data: MATCH · {} hotspots paid {} uplx of a {} uplx Coverage pool, {} to coverage",
            report.hotspots, report.paid, report.coverage_pool, report.to_coverage
        );
    } else {
        println!("epoch {epoch} data: MISMATCH");
        for line in &report.mismatch {
            println!("  {line}");
        }
    }
    if !report.matches {
        bail!(
            "the data payments on chain do not follow from the data rule: {}",
            report.mismatch.join("; ")
        );
    }
    Ok(())
}
