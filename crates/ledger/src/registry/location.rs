//! Where wireless devices (hotspots) stand: the location each asserts, for a fee, and the index
//! of the devices asserted within each H3 hex.
//!
//! A hotspot's location is a resolution-12 cell with its antenna, recorded with the height of
//! the assertion. Its seniority (the height its current cell was first asserted at) ranks it
//! among the radios covering a hex, so a move to another cell starts it over; asserting the
//! same cell again (a new antenna) keeps it. The index holds, for every hex of resolution 0 to
//! 12 that contains an asserted cell, the active devices asserted there: one set per hex, so a
//! lookup by hex at any resolution reads only that hex's devices.

use super::{load, save, state_key, Device, DeviceStatus};
use crate::bank::{module_account, BankState};
use crate::codes::{TxCode, TxFailure};
use crate::genesis::ChainInfo;
use crate::id_set::KeySet;
use crate::overlay::StateOverlay;
use plexus_store::StoreError;
use plexus_types::tx::{check_asserted_cell, Antenna, ASSERTED_RESOLUTION};
use plexus_types::{Address, PublicKey};
use serde::{Deserialize, Serialize};

/// A hotspot's asserted location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertedLocation {
    /// The resolution-12 H3 cell it stands in.
    pub h3_cell: u64,
    pub antenna: Antenna,
    /// Height of the latest assertion.
    pub asserted_height: u64,
    /// Height at which it was first asserted in this cell: the earlier, the more senior.
    pub seniority_height: u64,
    /// Assertions made, the registration's included.
    pub assertions: u32,
}

/// The hexes of resolution 0 to 12 that contain `cell` (a resolution-12 cell).
fn hexes(cell: u64) -> Result<Vec<u64>, TxFailure> {
    let index = h3o::CellIndex::try_from(cell)
        .map_err(|e| TxFailure::broken(format!("an asserted cell {cell:#x} is not H3: {e}")))?;
    (0..=ASSERTED_RESOLUTION)
        .map(|r| {
            let resolution = h3o::Resolution::try_from(r)
                .map_err(|e| TxFailure::broken(format!("resolution {r}: {e}")))?;
            index.parent(resolution).map(u64::from).ok_or_else(|| {
                TxFailure::broken(format!("{index} has no parent at resolution {r}"))
            })
        })
        .collect()
}

fn hex_set(hex: u64) -> KeySet {
    KeySet(state_key::coverage_hex(hex))
}

/// Takes `device` out of the hexes of `from` it is no longer in, and puts it in those of `to`
/// (either `None`: none).
fn reindex(
    state: &mut StateOverlay<'_>,
    device: &PublicKey,
    from: Option<u64>,
    to: Option<u64>,
) -> Result<(), TxFailure> {
    let old = from.map(hexes).transpose()?.unwrap_or_default();
    let new = to.map(hexes).transpose()?.unwrap_or_default();
    for hex in old.iter().filter(|h| !new.contains(h)) {
        hex_set(*hex).remove(state, device)?;
    }
    for hex in new.iter().filter(|h| !old.contains(h)) {
        hex_set(*hex).insert(state, device)?;
    }
    Ok(())
}

/// Takes a device that stops earning (retired, slashed) out of the coverage index; its
/// location stays on its record.
pub(crate) fn unindex(state: &mut StateOverlay<'_>, device: &Device) -> Result<(), StoreError> {
    if let Some(location) = device.location {
        match reindex(state, &device.key, Some(location.h3_cell), None) {
            Ok(()) => {}
            Err(TxFailure::Store(e)) => return Err(e),
            // Only asserted cells, which are valid res-12 cells, are ever recorded.
            Err(TxFailure::Failed { log, .. }) => return Err(StoreError::Corrupt(log)),
        }
    }
    Ok(())
}

/// Burns the location assertion fee from `owner`.
fn burn_fee(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    owner: &Address,
) -> Result<(), TxFailure> {
    let fee = info.wireless.location_assert_fee;
    if !state.move_funds(owner, &module_account::burned(), fee)? {
        return Err(TxFailure::new(
            TxCode::InsufficientFunds,
            format!("asserting a location costs {fee} uplx, more than the owner holds after the transaction fee"),
        ));
    }
    Ok(())
}

/// The first assertion of a wireless device, made by its registration at `height`: the
/// registration's cell, a default antenna, and the fee.
pub(crate) fn first_assertion(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    device: &mut Device,
) -> Result<(), TxFailure> {
    check_asserted_cell(device.h3_cell)
        .map_err(|e| TxFailure::new(TxCode::InvalidLocation, e.to_string()))?;
    burn_fee(state, info, &device.owner)?;
    device.location = Some(AssertedLocation {
        h3_cell: device.h3_cell,
        antenna: Antenna::default(),
        asserted_height: height,
        seniority_height: height,
        assertions: 1,
    });
    reindex(state, &device.key, None, Some(device.h3_cell))
}

/// `AssertLocation`: the owner of an active wireless device asserts its cell and antenna at
/// `height`, and pays the assertion fee.
pub(crate) fn assert_location(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    owner: &Address,
    key: &PublicKey,
    h3_cell: u64,
    antenna: Antenna,
) -> Result<(), TxFailure> {
    // Decoding checked both already; checked again so that no caller can record others.
    check_asserted_cell(h3_cell)
        .and_then(|()| antenna.check())
        .map_err(|e| TxFailure::new(TxCode::InvalidLocation, e.to_string()))?;
    let mut device = load(state, key)?
        .ok_or_else(|| TxFailure::new(TxCode::UnknownDevice, format!("no device {key}")))?;
    if device.owner != *owner {
        return Err(TxFailure::new(
            TxCode::Unauthorized,
            format!(
                "device {key} belongs to {}; only its owner asserts its location",
                device.owner
            ),
        ));
    }
    if device.status != DeviceStatus::Active {
        return Err(TxFailure::new(
            TxCode::DeviceNotActive,
            format!("device {key} is not active"),
        ));
    }
    if !info
        .device_class(&device.class)
        .is_some_and(|c| c.asserts_location())
    {
        return Err(TxFailure::new(
            TxCode::NotWireless,
            format!(
                "device {key} is of class {}, which asserts no location; only wireless and sensor classes do",
                device.class
            ),
        ));
    }
    burn_fee(state, info, owner)?;
    let before = device.location;
    let assertions = before
        .map_or(0, |l| l.assertions)
        .checked_add(1)
        .ok_or_else(|| TxFailure::overflow("the device's count of assertions"))?;
    let seniority_height = match before {
        Some(l) if l.h3_cell == h3_cell => l.seniority_height,
        _ => height,
    };
    device.location = Some(AssertedLocation {
        h3_cell,
        antenna,
        asserted_height: height,
        seniority_height,
        assertions,
    });
    device.h3_cell = h3_cell;
    reindex(state, key, before.map(|l| l.h3_cell), Some(h3_cell))?;
    save(state, height, &device)?;
    Ok(())
}
