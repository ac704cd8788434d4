//! The device registry: devices registered under owners, with a class, declared capabilities,
//! a location and bonded stake; wireless devices (hotspots) with the location they asserted.

mod actions;
mod location;
pub mod query;
pub mod state_key;

pub(crate) use actions::{check_slashable, register, retire, slash, update, withdraw};
pub(crate) use location::assert_location;
pub use location::AssertedLocation;

use crate::overlay::StateOverlay;
use plexus_store::StoreError;
use plexus_types::{Address, Amount, Capabilities, PublicKey};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Earns rewards.
    Active,
    /// Earns nothing; stake bonded (and slashable) until epoch `unbonded_at_epoch` ends.
    Retired { unbonded_at_epoch: u64 },
    /// Caught in a fraud; stake and pending rewards forfeited.
    Slashed { at_epoch: u64 },
    /// Retired and its stake returned.
    Withdrawn,
}

/// A registered device as the chain keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub key: PublicKey,
    pub owner: Address,
    pub class: String,
    pub capabilities: Capabilities,
    pub h3_cell: u64,
    pub stake: Amount,
    pub status: DeviceStatus,
    pub registered_epoch: u64,
    /// Height of the block that registered it.
    #[serde(default)]
    pub registered_height: u64,
    /// A wireless device's asserted location (its `h3_cell` is the same cell); absent for
    /// the other classes, and left out of their records so that they read and hash as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<AssertedLocation>,
}

/// Who a device's earnings go to: its owner of record (`owner`), or the slashed account once
/// the device has been slashed; and whether it was. Every claim (rewards, data, data sets)
/// pays by this rule.
pub(crate) fn payee(
    state: &StateOverlay<'_>,
    device: &PublicKey,
    owner: Address,
) -> Result<(Address, bool), StoreError> {
    let slashed = matches!(
        load(state, device)?.map(|d| d.status),
        Some(DeviceStatus::Slashed { .. })
    );
    let to = if slashed {
        crate::bank::module_account::slashed()
    } else {
        owner
    };
    Ok((to, slashed))
}

pub(crate) fn load(
    state: &StateOverlay<'_>,
    device: &PublicKey,
) -> Result<Option<Device>, StoreError> {
    state.get_json(&state_key::device(device))
}

/// Saves a device a transaction of block `height` changed, and records it among that
/// block's changes, which followers of the registry read instead of every device.
fn save(state: &mut StateOverlay<'_>, height: u64, device: &Device) -> Result<(), StoreError> {
    state.set_json(state_key::device(&device.key), device);
    let changed = state_key::devices_changed_at(height);
    let mut keys: Vec<PublicKey> = state.get_json(&changed)?.unwrap_or_default();
    if !keys.contains(&device.key) {
        keys.push(device.key);
        state.set_json(changed, &keys);
    }
    Ok(())
}
