//! The kinds of resource the network pays for.

use crate::audit::ScoredResource;
use serde::{Deserialize, Serialize};

/// The kinds of resource the network pays for; each has its own reward pool per epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResourceClass {
    Compute,
    Storage,
    Bandwidth,
    Coverage,
    /// LoRa proof of coverage (beacons and witnesses); Wi-Fi modeled coverage is `Coverage`.
    Poc,
    Sensor,
    Training,
    Oracles,
}

impl ResourceClass {
    pub const ALL: [ResourceClass; 8] = [
        ResourceClass::Compute,
        ResourceClass::Storage,
        ResourceClass::Bandwidth,
        ResourceClass::Coverage,
        ResourceClass::Poc,
        ResourceClass::Sensor,
        ResourceClass::Training,
        ResourceClass::Oracles,
    ];

    /// The name the JSON, the chain's state keys and the claims use.
    pub fn as_str(&self) -> &'static str {
        match self {
            ResourceClass::Compute => "compute",
            ResourceClass::Storage => "storage",
            ResourceClass::Bandwidth => "bandwidth",
            ResourceClass::Coverage => "coverage",
            ResourceClass::Poc => "poc",
            ResourceClass::Sensor => "sensor",
            ResourceClass::Training => "training",
            ResourceClass::Oracles => "oracles",
        }
    }

    pub fn parse(name: &str) -> Option<ResourceClass> {
        ResourceClass::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl From<ScoredResource> for ResourceClass {
    fn from(resource: ScoredResource) -> ResourceClass {
        match resource {
            ScoredResource::Compute => ResourceClass::Compute,
            ScoredResource::Bandwidth => ResourceClass::Bandwidth,
            ScoredResource::Coverage => ResourceClass::Coverage,
            ScoredResource::Poc => ResourceClass::Poc,
            ScoredResource::Sensor => ResourceClass::Sensor,
        }
    }
}

impl std::fmt::Display for ResourceClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
