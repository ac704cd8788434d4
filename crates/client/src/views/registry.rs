//! `GET /v1/devices` and `GET /v1/devices/{key}`: the device registry.

use plexus_types::{Address, Amount, Capabilities, PublicKey};
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
