//! What the agent reads of the node's API: the chain's parameters, accounts, devices, ended
//! epochs and committed transactions.

use plexus_types::{Address, Amount, Hash, PublicKey};
use serde::Deserialize;

/// `GET /v1/status`.
#[derive(Debug, Clone, Deserialize)]
pub struct NodeStatus {
    pub chain_id: String,
    pub height: u64,
    pub app_hash: Hash,
    pub min_fee: Amount,
}

/// What the agent reads of `GET /v1/chain`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChainParams {
    pub chain_id: String,
    pub rewards: RewardParams,
    pub device_classes: Vec<DeviceClass>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RewardParams {
    pub epoch_blocks: u64,
    pub intervals_per_epoch: u32,
    /// Epochs after an epoch ends during which its rewards can be claimed.
    pub claim_epochs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceClass {
    pub name: String,
    /// The reward pool the class earns from (`compute`, `storage`, …).
    pub resource: String,
    pub min_stake: Amount,
}

impl ChainParams {
    pub fn device_class(&self, name: &str) -> Option<&DeviceClass> {
        self.device_classes.iter().find(|c| c.name == name)
    }
}

/// What the agent reads of `GET /v1/accounts/{address}`.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountState {
    pub balance: Amount,
    /// The nonce the account's next transaction must carry.
    pub nonce: u64,
}

/// What the agent reads of `GET /v1/devices/{key}`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceState {
    pub key: PublicKey,
    pub owner: Address,
    pub class: String,
    /// `"active"`, or an object naming a retired, slashed or withdrawn device.
    pub status: serde_json::Value,
    #[serde(default)]
    pub capabilities: plexus_types::Capabilities,
    #[serde(default)]
    pub h3_cell: u64,
}

impl DeviceState {
    pub fn is_active(&self) -> bool {
        self.status.as_str() == Some("active")
    }
}

/// One reward pool of an ended epoch.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolState {
    pub resource: String,
    /// Present once enough oracles agreed on the epoch's manifest for this pool.
    pub manifest: Option<serde_json::Value>,
}

/// What the agent reads of `GET /v1/epochs/{n}`.
#[derive(Debug, Clone, Deserialize)]
pub struct EpochState {
    pub pools: Vec<PoolState>,
}

impl EpochState {
    pub fn has_final_manifest(&self, resource: &str) -> bool {
        self.pools
            .iter()
            .any(|p| p.resource == resource && p.manifest.is_some())
    }
}

/// A committed transaction's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedTx {
    pub hash: Hash,
    pub height: u64,
    /// `ok`, or why the transaction failed (`already_claimed`, `stake_too_low`, …).
    pub code: String,
    pub log: String,
}

impl CommittedTx {
    pub fn succeeded(&self) -> bool {
        self.code == "ok"
    }
}
