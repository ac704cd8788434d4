//! The demo blob's storage deals and what each storage device did with its replica.

use crate::agents::AgentDevice;
use plexus_ledger::query;
use plexus_node::NodeFiles;
use plexus_types::Hash;
use serde::Serialize;

#[derive(Serialize)]
pub struct StorageSummary {
    pub blob: Hash,
    pub deals: Vec<plexus_ledger::storage::StorageDeal>,
    /// escrowed = paid + refunded + held, exactly.
    pub accounting: query::StorageAccounting,
    pub accounting_balanced: bool,
    pub devices: Vec<StorageDeviceSummary>,
}

#[derive(Serialize)]
pub struct StorageDeviceSummary {
    pub device: plexus_types::PublicKey,
    pub behaviour: String,
    /// Assigned a replica of the demo blob by an open deal now.
    pub keeps_replica: bool,
    /// Epochs in which its replica failed the oracle's challenge.
    pub failed_epochs: Vec<u64>,
}

/// The demo blob's deals and what each storage agent's device did with its replica.
pub fn summarize_storage(
    files: &NodeFiles,
    store: &plexus_store::Store,
    agent_devices: &[AgentDevice],
) -> anyhow::Result<Option<StorageSummary>> {
    let path = files.home.join(crate::storage_demo::DEMO_BLOB_FILE);
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
