//! The registry's actions: register, update, retire a device, return its stake, and slash it.

use super::{load, location, save, state_key, Device, DeviceStatus};
use crate::bank::{module_account, BankState};
use crate::codes::{TxCode, TxFailure};
use crate::genesis::ChainInfo;
use crate::overlay::StateOverlay;
use plexus_types::{statements, Address, Amount, Capabilities, PublicKey, Signature};

fn fail(code: TxCode, log: impl Into<String>) -> Result<(), TxFailure> {
    Err(TxFailure::new(code, log))
}

fn owned(state: &StateOverlay<'_>, owner: &Address, key: &PublicKey) -> Result<Device, TxFailure> {
    let device = load(state, key)?
        .ok_or_else(|| TxFailure::new(TxCode::UnknownDevice, format!("no device {key}")))?;
    if device.owner != *owner {
        return Err(TxFailure::new(
            TxCode::Unauthorized,
            format!("device {key} belongs to {}", device.owner),
        ));
    }
    Ok(device)
}

pub(crate) fn valid_h3(cell: u64) -> bool {
    h3o::CellIndex::try_from(cell).is_ok()
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn register(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    (epoch, height): (u64, u64),
    owner: &Address,
    key: &PublicKey,
    class: &str,
    capabilities: &Capabilities,
    h3_cell: u64,
    stake: Amount,
    device_signature: &Signature,
) -> Result<(), TxFailure> {
    let Some(class_info) = info.device_class(class) else {
        return fail(TxCode::UnknownClass, format!("no device class {class:?}"));
    };
    if stake < class_info.min_stake {
        return fail(
            TxCode::StakeTooLow,
            format!(
                "class {class} needs a stake of at least {} uplx, offered {stake}",
                class_info.min_stake
            ),
        );
    }
    if !valid_h3(h3_cell) {
        return fail(
            TxCode::InvalidLocation,
            format!("{h3_cell:#x} is not an H3 cell"),
        );
    }
    let statement = statements::device_registration(&info.chain_id, owner, key);
    if key.verify(&statement, device_signature).is_err() {
        return fail(
            TxCode::BadDeviceSignature,
            "the device key did not sign this registration",
        );
    }
    if load(state, key)?.is_some() {
        return fail(
            TxCode::DeviceExists,
            format!("device {key} is already registered"),
        );
    }
    if !state.move_funds(owner, &module_account::stake(), stake)? {
        return fail(
            TxCode::InsufficientFunds,
            format!("owner cannot bond {stake} uplx"),
        );
    }
    let mut device = Device {
        key: *key,
        owner: *owner,
        class: class.to_string(),
        capabilities: capabilities.clone(),
        h3_cell,
        stake,
        status: DeviceStatus::Active,
        registered_epoch: epoch,
        registered_height: height,
        location: None,
    };
    // A hotspot's registration is its first location assertion, fee and all: a wireless
    // device is never without an asserted location.
    if class_info.asserts_location() {
        location::first_assertion(state, info, height, &mut device)?;
    }
    save(state, height, &device)?;
    let count = state.get_u64(&state_key::device_count())?;
    state.set(state_key::device_by_index(count), key.as_bytes().to_vec());
    let next = count
        .checked_add(1)
        .ok_or_else(|| TxFailure::new(TxCode::Overflow, "the device count is at its largest"))?;
    state.set_u64(state_key::device_count(), next);
    Ok(())
}

pub(crate) fn update(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    owner: &Address,
    key: &PublicKey,
    capabilities: &Capabilities,
    h3_cell: u64,
) -> Result<(), TxFailure> {
    let mut device = owned(state, owner, key)?;
    if device.status != DeviceStatus::Active {
        return fail(
            TxCode::DeviceNotActive,
            format!("device {key} is not active"),
        );
    }
    if !valid_h3(h3_cell) {
        return fail(
            TxCode::InvalidLocation,
            format!("{h3_cell:#x} is not an H3 cell"),
        );
    }
    let asserted = info
        .device_class(&device.class)
        .is_some_and(|c| c.asserts_location());
    if asserted && h3_cell != device.h3_cell {
        return fail(
            TxCode::LocationAsserted,
            format!(
                "device {key} is a wireless hotspot: it moves only by asserting its new location \
                 (`plexus hotspot assert-location`), which charges the assertion fee and resets its seniority"
            ),
        );
    }
    device.capabilities = capabilities.clone();
    device.h3_cell = h3_cell;
    save(state, height, &device)?;
    Ok(())
}

pub(crate) fn retire(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    (epoch, height): (u64, u64),
    owner: &Address,
    key: &PublicKey,
) -> Result<(), TxFailure> {
    let mut device = owned(state, owner, key)?;
    if device.status != DeviceStatus::Active {
        return fail(
            TxCode::DeviceNotActive,
            format!("device {key} is not active"),
        );
    }
    device.status = DeviceStatus::Retired {
        // An unbonding period past the last epoch there can be never ends.
        unbonded_at_epoch: epoch.saturating_add(info.rewards.unbonding_epochs),
    };
    location::unindex(state, &device)?;
    save(state, height, &device)?;
    Ok(())
}

/// Returns a retired device's stake once the epoch it unbonds at has ended.
pub(crate) fn withdraw(
    state: &mut StateOverlay<'_>,
    (last_ended_epoch, height): (u64, u64),
    owner: &Address,
    key: &PublicKey,
) -> Result<(), TxFailure> {
    let mut device = owned(state, owner, key)?;
    match device.status {
        DeviceStatus::Retired { unbonded_at_epoch } if last_ended_epoch >= unbonded_at_epoch => {}
        DeviceStatus::Retired { unbonded_at_epoch } => {
            return fail(
                TxCode::StillBonded,
                format!(
                    "stake stays bonded until epoch {unbonded_at_epoch} ends; the last ended is {last_ended_epoch}"
                ),
            )
        }
        _ => return fail(TxCode::DeviceNotActive, "retire the device first"),
    }
    if !state.move_funds(&module_account::stake(), owner, device.stake)? {
        return Err(TxFailure::new(
            TxCode::Internal,
            "stake account holds less than a device's stake",
        ));
    }
    device.status = DeviceStatus::Withdrawn;
    device.stake = Amount::ZERO;
    save(state, height, &device)?;
    Ok(())
}

/// Slashes a device's whole stake into the slashed account.
/// Whether the device `key` can be slashed: registered, and neither slashed already nor
/// withdrawn. A state read, so that a proof against no one is refused before any work.
pub(crate) fn check_slashable(
    state: &StateOverlay<'_>,
    key: &PublicKey,
) -> Result<Device, TxFailure> {
    let device = load(state, key)?
        .ok_or_else(|| TxFailure::new(TxCode::UnknownDevice, format!("no device {key}")))?;
    match device.status {
        DeviceStatus::Active | DeviceStatus::Retired { .. } => Ok(device),
        DeviceStatus::Slashed { .. } => Err(TxFailure::new(
            TxCode::AlreadySlashed,
            "device already slashed",
        )),
        DeviceStatus::Withdrawn => Err(TxFailure::new(
            TxCode::DeviceNotActive,
            "stake already withdrawn",
        )),
    }
}

pub(crate) fn slash(
    state: &mut StateOverlay<'_>,
    (epoch, height): (u64, u64),
    key: &PublicKey,
) -> Result<Amount, TxFailure> {
    let mut device = check_slashable(state, key)?;
    let amount = device.stake;
    if !state.move_funds(&module_account::stake(), &module_account::slashed(), amount)? {
        return Err(TxFailure::new(
            TxCode::Internal,
            "stake account holds less than a device's stake",
        ));
    }
    device.stake = Amount::ZERO;
    device.status = DeviceStatus::Slashed { at_epoch: epoch };
    location::unindex(state, &device)?;
    save(state, height, &device)?;
    Ok(amount)
}
