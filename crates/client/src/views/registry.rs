//! `GET /v1/devices`, `GET /v1/devices/{key}` and `GET /v1/coverage/{hex}`: the device registry
//! and the hotspots asserted within a hex.

use plexus_types::{Address, Amount, Antenna, Capabilities, PublicKey};
use serde::{Deserialize, Serialize};

/// Where a device stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatusView {
    /// Earns rewards.
    Active,
    /// Earns nothing; stake bonded (and slashable) until epoch `unbonded_at_epoch` ends.
    Retired { unbonded_at_epoch: u64 },
    /// Caught in a fraud; stake and pending rewards forfeited.
    Slashed { at_epoch: u64 },
    /// Retired and its stake returned.
    Withdrawn,
}

/// A registered device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::PublicKeySchema))]
    pub key: PublicKey,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub owner: Address,
    pub class: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::CapabilitiesSchema))]
    pub capabilities: Capabilities,
    pub h3_cell: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub stake: Amount,
    pub status: DeviceStatusView,
    pub registered_epoch: u64,
    /// Height of the block that registered it.
    #[serde(default)]
    pub registered_height: u64,
    /// A wireless device's asserted location; absent for the other classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationView>,
}

/// Where a hotspot asserted it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationView {
    /// The resolution-12 H3 cell (the device's `h3_cell` too).
    pub h3_cell: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AntennaSchema))]
    pub antenna: Antenna,
    /// Height of the latest assertion.
    pub asserted_height: u64,
    /// Height at which this cell was first asserted: the earlier, the more senior. A move to
    /// another cell sets it anew.
    pub seniority_height: u64,
    /// Assertions made, the registration's included.
    pub assertions: u32,
}

impl DeviceView {
    pub fn is_active(&self) -> bool {
        self.status == DeviceStatusView::Active
    }
}

/// `GET /v1/devices/changes?after=H`: the devices blocks `after + 1 ..= through` registered or
/// changed, as they are now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceChangesView {
    pub after: u64,
    /// The last block read: ask again with `after = through` for later changes.
    pub through: u64,
    pub devices: Vec<DeviceView>,
}

/// `GET /v1/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevicesView {
    pub height: u64,
    pub devices: Vec<DeviceView>,
    /// Where the next page starts (`from`), `None` after the last.
    #[serde(default)]
    pub next: Option<u64>,
}

/// `GET /v1/coverage/{hex}`: the active hotspots asserted within an H3 hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageView {
    pub height: u64,
    /// The hex asked about, its H3 index in hex.
    pub hex: String,
    /// Its H3 resolution, 0 to 12.
    pub resolution: u8,
    /// Each with its class, asserted location (cell, antenna, seniority) and status.
    pub devices: Vec<DeviceView>,
    /// Where the next page starts (`from`), `None` after the last.
    #[serde(default)]
    pub next: Option<u64>,
}
