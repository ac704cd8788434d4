//! `GET /v1/epochs/{n}` and `GET /v1/rewards`: ended epochs, their pools, and reward totals.
//!
//! These views name the fields their readers use and keep every other field under `rest`, so
//! that a view read from the node still writes back the same JSON.

use crate::views::ResourceClass;
use plexus_types::Amount;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One reward pool of an ended epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolView {
    pub epoch: u64,
    pub resource: ResourceClass,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub amount: Amount,
    /// Present once enough oracles agreed on the epoch's manifest for this pool.
    pub manifest: Option<Value>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `GET /v1/epochs/{n}`: what an ended epoch minted, its pools and manifests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochView {
    /// The epoch's record: its heights, emission and split.
    pub epoch: Value,
    pub pools: Vec<PoolView>,
    /// The last epoch that has ended.
    pub last_ended: u64,
}

impl EpochView {
    pub fn has_final_manifest(&self, resource: ResourceClass) -> bool {
        self.pools
            .iter()
            .any(|p| p.resource == resource && p.manifest.is_some())
    }
}

/// `GET /v1/rewards`: minted, paid, forfeited, dust, expired and claimable rewards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardsView {
    pub last_ended_epoch: u64,
    /// Whether `minted = paid + forfeited + dust + expired + to_validators + claimable`.
    pub balanced: bool,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}
