//! `plexus sim economics`: the network's emission, halvings, pools, claims and fees run
//! forward for a simulated fleet, epoch by epoch, under the chain's own reward rules.
//!
//! What is real and what is drawn:
//! - Real: the genesis parameters and device classes; emission, halving, the validators'
//!   share, the pool split, the claim window, pay per claim and settlement (the ledger's
//!   functions, through [`books`]); scoring (the oracle's [`score_resource`] over evidence
//!   records, compute and bandwidth, which are the resources the oracle scores); the claim fee
//!   (`min_fee`) and where fees go (the validators, at the epoch's end).
//! - Drawn from the seed ([`fleet`]): each device's class (by the mix in [`fleet::MIX`]), its
//!   temper (uptime and challenge pass rates), its speeds, and when its owner claims.
//! - Not modelled: storage deals (storage devices are paid from deal escrow, not from
//!   emission; no oracle scores the storage pool, so it expires by the settlement rule, as on
//!   chain), slashing and forfeits, the coverage, sensor, training and oracle pools (no device
//!   of the fleet earns them, so they expire).

pub mod books;
pub mod fleet;
mod run;
pub mod svg;
pub mod table;

pub use run::run;
pub use table::{EpochRow, Summary};

use plexus_ledger::{default_device_classes, DeviceClass, Params, RewardParams, StakingParams};
use plexus_types::Amount;

/// Most devices a run may hold.
pub const MAX_DEVICES: u64 = 1_000_000;
/// Most epochs a run may last.
pub const MAX_EPOCHS: u64 = 10_000;
/// Most devices × epochs a run may score: every device-epoch is scored from its evidence
/// records by the oracle's rules, about 70 000 a second in a debug build on two cores (20 000
/// devices × 50 epochs: 15 s), so this bound is some twelve minutes there.
pub const MAX_DEVICE_EPOCHS: u64 = 50_000_000;
/// Validators of the simulated chain, each bonding the least stake a validator needs.
pub const VALIDATORS: u64 = 4;
/// What each device's owner holds at genesis besides the device's bond, to pay claim fees.
pub const OWNER_OPENING_BALANCE: Amount = Amount(10_000_000);

/// A run's inputs.
#[derive(Debug, Clone)]
pub struct EconomicsConfig {
    pub devices: u64,
    pub epochs: u64,
    pub seed: u64,
    pub rewards: RewardParams,
    pub staking: StakingParams,
    pub params: Params,
    pub classes: Vec<DeviceClass>,
}

impl EconomicsConfig {
    /// A run over a chain with genesis defaults. Its fleet leaves out the wireless classes:
    /// their coverage evidence (radios, beacons, witnesses) is not simulated yet, so their
    /// pool would only ever go unclaimed.
    pub fn new(devices: u64, epochs: u64, seed: u64) -> EconomicsConfig {
        EconomicsConfig {
            devices,
            epochs,
            seed,
            rewards: RewardParams::default(),
            staking: StakingParams::default(),
            params: Params::default(),
            classes: default_device_classes()
                .into_iter()
                .filter(|c| !c.asserts_location())
                .collect(),
        }
    }

    /// Refuses a run that is empty, past the bounds, or whose parameters a chain would refuse.
    pub fn validate(&self) -> Result<(), EconomicsError> {
        let bad = |s: String| Err(EconomicsError::BadInput(s));
        if self.devices == 0 || self.devices > MAX_DEVICES {
            return bad(format!(
                "--devices must be 1 to {MAX_DEVICES}, found {}",
                self.devices
            ));
        }
        if self.epochs == 0 || self.epochs > MAX_EPOCHS {
            return bad(format!(
                "--epochs must be 1 to {MAX_EPOCHS}, found {}",
                self.epochs
            ));
        }
        if self.devices * self.epochs > MAX_DEVICE_EPOCHS {
            return bad(format!(
                "--devices × --epochs is {}, above the {MAX_DEVICE_EPOCHS} device-epochs a run \
                 may score; use fewer devices or epochs",
                self.devices * self.epochs
            ));
        }
        if self.rewards.halving_epochs == 0 {
            return bad("halving_epochs must be positive".into());
        }
        if self.rewards.pool_weights.values().all(|w| *w == 0) {
            return bad("the pool weights add up to zero".into());
        }
        if self.rewards.intervals_per_epoch == 0 || self.rewards.min_uptime_percent > 100 {
            return bad("intervals_per_epoch must be positive and min_uptime_percent ≤ 100".into());
        }
        fleet::mix_weights(&self.classes).map_err(EconomicsError::BadInput)?;
        Ok(())
    }
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EconomicsError {
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Books(#[from] books::BooksError),
    #[error("scoring epoch {epoch}: {source}")]
    Scoring {
        epoch: u64,
        source: plexus_rewards::audit::AuditError,
    },
}

/// A finished run: one row per epoch and the figures of the whole run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Economics {
    pub config_seed: u64,
    pub class_names: Vec<String>,
    pub rows: Vec<EpochRow>,
    pub summary: Summary,
}
