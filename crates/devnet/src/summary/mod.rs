//! What a devnet run leaves behind, read from its stores and its oracle's files once it has
//! stopped: the chain's tip, the demo accounts, every agent's device with its rewards, the
//! reward accounting, and the storage, bandwidth, training and jobs sections.

mod bandwidth;
mod oracles;
mod print;
mod storage;
mod validators;

pub use oracles::OracleEpoch;
pub use print::print;
pub use validators::{summarize_validators, ValidatorSummary};

use crate::agents::AgentDevice;
use crate::home::DevnetMarker;
use anyhow::Context;
use bandwidth::{summarize_bandwidth, BandwidthDeviceSummary};
use plexus_ledger::{query, ResourceClass};
use plexus_node::NodeFiles;
use plexus_types::{Address, Amount, SecretKey};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;
use storage::{summarize_storage, StorageSummary};

#[derive(Serialize)]
pub struct DemoAccount {
    pub name: String,
    pub address: Address,
    pub balance: Amount,
    pub nonce: u64,
}

#[derive(Serialize)]
pub struct DeviceSummary {
    pub id: plexus_types::PublicKey,
    pub owner: Address,
    pub class: String,
    pub behaviour: String,
    pub status: serde_json::Value,
    /// Reward earned in each finalized epoch (from the final manifests), in uplx.
    pub rewards_by_epoch: std::collections::BTreeMap<u64, Amount>,
    /// Total earned over the finalized epochs.
    pub rewards: Amount,
    /// What its claims have paid so far (claims of the last epochs may still be pending).
    pub claimed: Amount,
}

#[derive(Serialize)]
pub struct Summary {
    pub chain_id: String,
    pub home: String,
    pub api: String,
    pub height: u64,
    pub app_hash: plexus_types::Hash,
    pub txs_committed: u64,
    pub txs_committed_this_run: u64,
    pub seconds: f64,
    pub epochs_finalized: u64,
    pub finalized_epochs: Vec<u64>,
    /// minted = paid + unclaimed + dust + slashed, exactly.
    pub minted: Amount,
    pub paid: Amount,
    /// Not claimed: still claimable, or expired when the claim window closed.
    pub unclaimed: Amount,
    pub dust: Amount,
    /// Rewards forfeited by slashed devices.
    pub slashed: Amount,
    pub slashed_stake: Amount,
    pub accounting_balanced: bool,
    pub supply: Amount,
    pub accounts: Vec<DemoAccount>,
    pub devices: Vec<DeviceSummary>,
    /// Every validator's tip (one entry on a solo devnet).
    pub validators: Vec<ValidatorSummary>,
    /// Every validator has validator 0's app hash at every height both have committed.
    pub validators_agree: bool,
    /// Oracles in the oracle set, and how many must submit the same manifest for it to be
    /// final.
    pub oracles: usize,
    pub oracle_threshold: u32,
    /// Each epoch some oracle closed: what each submitted, and whether it went final.
    pub oracle_epochs: Vec<OracleEpoch>,
    /// Every epoch's submissions are identical among the oracles that submitted, and every
    /// epoch that a threshold of them submitted went final.
    pub oracles_agree: bool,
    /// The demo blob's storage deals and the storage devices, when storage agents ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSummary>,
    /// The bandwidth devices' speed tests and tiers, when bandwidth agents ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bandwidth: Vec<BandwidthDeviceSummary>,
    /// The federated training task this run created, with `--training`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training: Option<crate::training::TrainingSummary>,
    /// The compute jobs this run submitted, when compute agents ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobs: Option<crate::jobs::JobsSummary>,
    /// What each adversary (`--cheaters KIND`) tried and what came of it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adversaries: Vec<crate::cheaters::AdversaryReport>,
    /// Whether anyone honest paid for the adversaries, when any ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honest: Option<crate::cheaters::HonestHarm>,
    /// The wireless city's hotspots, with `--hotspots`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wireless: Option<crate::wireless::WirelessSummary>,
    /// The sensor region's devices, with `--sensors`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensors: Option<crate::sensors::SensorSummary>,
    /// The sensor data market's sales and payouts, with `--sensors`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_market: Option<crate::sensors::market::DataMarketSummary>,
}

pub use crate::earnings::FinalizedEpoch;

pub fn finalized_epochs(
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
        // Any oracle's manifest that is the one final on chain (one may have been stopped).
        let closed = crate::home::oracle_dirs(&files.home)
            .iter()
            .filter_map(|dir| {
                let path = plexus_oracle::manifest_file(dir, e, resource.as_str());
                std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| serde_json::from_str::<plexus_oracle::ClosedEpoch>(&t).ok())
            })
            .find(|c| c.manifest.root() == m.root);
        finalized.push((e, pool.amount, closed));
    }
    Ok(finalized)
}

/// Adds the oracle set's section: its size and threshold, each epoch's submissions, and
/// whether the oracles agree.
pub fn add_oracles(
    summary: &mut Summary,
    home: &Path,
    store: &plexus_store::Store,
) -> anyhow::Result<()> {
    let info = query::chain_info(store)?.context("the devnet has no genesis")?;
    let (epochs, agree) = oracles::oracle_epochs(home, store, info.oracles.threshold)?;
    summary.oracles = info.oracles.members.len();
    summary.oracle_threshold = info.oracles.threshold;
    summary.oracle_epochs = epochs;
    summary.oracles_agree = agree;
    Ok(())
}

/// The chain, the demo accounts and where they stand at the end of a run.
pub struct RunFacts<'a> {
    pub home: &'a Path,
    pub files: &'a NodeFiles,
    pub chain: &'a plexus_chain::Chain,
    pub marker: &'a DevnetMarker,
    pub keys: &'a [SecretKey],
    pub agent_devices: &'a [AgentDevice],
    pub api: String,
    pub txs_before: u64,
    pub started: Instant,
}

/// Each agent's device, with what it earned in each finalized epoch and what its claims paid.
fn summarize_devices(
    store: &plexus_store::Store,
    registry: &[plexus_ledger::registry::Device],
    agent_devices: &[AgentDevice],
    finalized: &[FinalizedEpoch],
    finalized_bandwidth: &[FinalizedEpoch],
) -> anyhow::Result<Vec<DeviceSummary>> {
    let mut devices = Vec::new();
    for (key, behaviour) in agent_devices {
        let Some(d) = registry.iter().find(|d| d.key == *key) else {
            continue;
        };
        let bandwidth = d.class == "bw-home";
        let (finalized, resource) = if bandwidth {
            (finalized_bandwidth, ResourceClass::Bandwidth)
        } else {
            (finalized, ResourceClass::Compute)
        };
        let crate::earnings::Earnings {
            by_epoch,
            total,
            claimed,
        } = crate::earnings::earnings(store, key, resource, finalized)?;
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
    Ok(devices)
}

/// The summary of a run, without its validators, training and jobs sections (the caller adds
/// those).
pub fn summarize(run: RunFacts<'_>) -> anyhow::Result<Summary> {
    let RunFacts {
        home,
        files,
        chain,
        marker,
        keys,
        agent_devices,
        api,
        txs_before,
        started,
    } = run;
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
    let devices = summarize_devices(
        store,
        &registry,
        agent_devices,
        &finalized,
        &finalized_bandwidth,
    )?;
    let storage = summarize_storage(files, store, agent_devices)?;
    let info = query::chain_info(store)?.context("the devnet has no genesis")?;
    let bandwidth =
        summarize_bandwidth(files, &info, &registry, agent_devices, &finalized_bandwidth)?;
    let acct = query::reward_totals(store)?;
    let t = &acct.totals;
    let unclaimed = t.expired.checked_add(acct.claimable).unwrap_or(t.expired);
    Ok(Summary {
        chain_id: end.chain_id,
        home: home.display().to_string(),
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
        oracles: 0,
        oracle_threshold: 0,
        oracle_epochs: Vec::new(),
        oracles_agree: true,
        storage,
        bandwidth,
        training: None,
        jobs: None,
        adversaries: Vec::new(),
        honest: None,
        wireless: None,
        sensors: None,
        data_market: None,
    })
}
