//! `GET /v1/chain`: the chain's identity and parameters, as fixed at genesis.

use crate::views::DeviceView;
use plexus_rewards::audit::{AuditError, ScoredResource};
use plexus_rewards::sensors::SensorSite;
use plexus_rewards::wireless::{HotspotClass, HotspotSite};
use plexus_rewards::{DeviceInfo, Manifest, ScoringParams};
use plexus_types::{Address, Amount};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use plexus_rewards::ResourceClass;

/// Chain-wide limits on transactions and blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamsView {
    /// The smallest fee a transaction may offer.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub min_fee: Amount,
    pub max_tx_bytes: u32,
    pub max_block_bytes: u32,
}

/// How epochs are cut and rewards minted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardParamsView {
    pub epoch_blocks: u64,
    pub intervals_per_epoch: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub initial_epoch_emission: Amount,
    pub halving_epochs: u64,
    pub pool_weights: BTreeMap<ResourceClass, u32>,
    /// Epochs after an epoch ends during which its rewards can be claimed.
    pub claim_epochs: u64,
    pub unbonding_epochs: u64,
    pub min_uptime_percent: u32,
}

/// The oracles whose agreeing manifests settle an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OracleSetView {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::views::schema::AddressSchema>))]
    pub members: Vec<Address>,
    pub threshold: u32,
}

/// A class of device: the pool it earns from, its stake and its capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceClassView {
    pub name: String,
    /// The reward pool the class earns from.
    pub resource: ResourceClass,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub min_stake: Amount,
    pub capacity_units: u64,
    /// How its devices give their location (absent: declared).
    #[serde(default, skip_serializing_if = "LocationRuleView::is_declared")]
    pub location: LocationRuleView,
}

impl DeviceClassView {
    /// Whether the class's devices are wireless hotspots that assert their location.
    pub fn asserts_location(&self) -> bool {
        self.location == LocationRuleView::Asserted
    }
}

/// How a class's devices give their location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LocationRuleView {
    /// Declared at registration and changed with an update.
    #[default]
    Declared,
    /// Wireless hotspots: a resolution-12 cell asserted for a fee; a move resets seniority.
    Asserted,
}

impl LocationRuleView {
    fn is_declared(&self) -> bool {
        *self == LocationRuleView::Declared
    }
}

/// Hotspots' parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WirelessParamsView {
    /// Burned from the owner by each location assertion, on top of the transaction fee.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub location_assert_fee: Amount,
}

/// `GET /v1/chain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainView {
    pub chain_id: String,
    pub genesis_time_ms: u64,
    pub params: ParamsView,
    pub rewards: RewardParamsView,
    pub oracles: OracleSetView,
    pub device_classes: Vec<DeviceClassView>,
    /// What every block's beacon is drawn from (absent: the header's hash, which the proposer
    /// could grind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<BeaconCommitmentView>,
    #[serde(default)]
    pub staking: crate::views::StakingParamsView,
    #[serde(default)]
    pub wireless: WirelessParamsView,
    /// Absent (the defaults) from a node that predates them.
    #[serde(default)]
    pub data_credits: crate::views::DataCreditParamsView,
    /// Absent (the defaults) from a node that predates the data market.
    #[serde(default)]
    pub data_market: crate::views::DataMarketParamsView,
}

/// What genesis commits the beacon to: the solo operator's hash chain (`hash_chain`, with its
/// `commitment` and `length`) or the validators' threshold VRF (`threshold_vrf`, with its
/// `polynomial`, whose constant term is the group key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BeaconCommitmentView {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::HashSchema>))]
    pub commitment: Option<plexus_types::Hash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polynomial: Option<String>,
}

impl ChainView {
    pub fn device_class(&self, name: &str) -> Option<&DeviceClassView> {
        self.device_classes.iter().find(|c| c.name == name)
    }

    pub fn is_oracle(&self, who: &Address) -> bool {
        self.oracles.members.contains(who)
    }

    /// The chain's scoring parameters.
    pub fn scoring_params(&self) -> ScoringParams {
        ScoringParams {
            intervals_per_epoch: self.rewards.intervals_per_epoch,
            min_uptime_percent: self.rewards.min_uptime_percent,
            sensor_origin_s: plexus_rewards::sensors::sensor_origin_s(self.genesis_time_ms),
        }
    }

    /// What scoring needs of each registered device whose class sells `resource`.
    pub fn scored_devices<'a>(
        &self,
        devices: impl IntoIterator<Item = &'a DeviceView>,
        resource: ResourceClass,
    ) -> Vec<DeviceInfo> {
        devices
            .into_iter()
            .filter_map(|d| {
                let class = self.device_class(&d.class)?;
                (class.resource == resource).then(|| DeviceInfo {
                    device: d.key,
                    owner: d.owner,
                    class: d.class.clone(),
                    capacity_units: class.capacity_units,
                    site: hotspot_site(d, class),
                    sensor: sensor_site(d, class),
                })
            })
            .collect()
    }

    /// The manifest of `resource` that an oracle's published `evidence` yields under this
    /// chain's rules and the registry `devices`: what `plexus audit` compares with the
    /// manifest on chain. Heartbeat signatures are checked.
    pub fn recompute_manifest(
        &self,
        devices: &[DeviceView],
        epoch: u64,
        evidence: &str,
        resource: ScoredResource,
    ) -> Result<Manifest, AuditError> {
        let scored = self.scored_devices(devices, resource.into());
        plexus_rewards::audit::recompute_manifest(
            self.scoring_params(),
            &self.chain_id,
            &scored,
            epoch,
            evidence,
            resource,
        )
    }
}

impl ChainView {
    /// The data sets of `epoch` that `evidence` (an oracle's published JSON lines) yields for
    /// the registry's `devices` under this chain's rules.
    pub fn recompute_data_sets(
        &self,
        devices: &[DeviceView],
        epoch: u64,
        evidence: &str,
    ) -> Result<Vec<plexus_rewards::sensors::data_sets::DataSet>, AuditError> {
        let scored = self.scored_devices(devices, ResourceClass::Sensor);
        plexus_rewards::audit::recompute_data_sets(
            self.scoring_params(),
            &self.chain_id,
            &scored,
            epoch,
            evidence,
        )
    }
}

/// A sensor device's assertion as scoring takes it: `None` for a device of a class outside
/// the sensor pool, or that has not asserted a location.
fn sensor_site(d: &DeviceView, class: &DeviceClassView) -> Option<SensorSite> {
    if class.resource != ResourceClass::Sensor {
        return None;
    }
    let location = d.location?;
    Some(SensorSite {
        cell: location.h3_cell,
        asserted_height: location.asserted_height,
        seniority_height: location.seniority_height,
        rated_watts: d.capabilities.rated_watts,
    })
}

/// A hotspot's assertion as scoring takes it: `None` for a device of a class that does not
/// assert its location, or that has not asserted one.
fn hotspot_site(d: &DeviceView, class: &DeviceClassView) -> Option<HotspotSite> {
    if !class.asserts_location() {
        return None;
    }
    let location = d.location?;
    Some(HotspotSite {
        class: HotspotClass::of_device_class(class.resource, &class.name)?,
        cell: location.h3_cell,
        // Out of the model's range, it is refused by the coverage model, for that hotspot alone.
        antenna: location.antenna,
        seniority_height: location.seniority_height,
    })
}
