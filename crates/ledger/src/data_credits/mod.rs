//! Data credits: the non-transferable credits that pay for data sessions on hotspots.
//!
//! An account buys credits by burning PLX at the chain's price (`dc_per_plx`, a genesis
//! parameter), for itself or, as a carrier, for a subscriber; the chain remembers who paid for
//! each balance. A data session ends in a receipt that the subscriber and the hotspot both
//! signed; settling it (once per subscriber and session number) debits
//! ⌈bytes / bytes_per_dc⌉ credits from the subscriber and counts them for the hotspot, and for
//! the carrier that paid for them, in the epoch in progress. Those per-epoch counts are what
//! the data reward rule (`plexus_rewards::wireless::data`) pays hotspots by.

mod actions;
mod end_block;
pub mod query;
pub mod state_key;

pub(crate) use actions::{buy, settle};
pub(crate) use end_block::epoch_ended;

pub use crate::genesis::{DataCreditParams, UPLX_PER_PLX};

use plexus_types::{Address, Amount, PublicKey};
use serde::{Deserialize, Serialize};

/// An account's data credits and who paid for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataCreditBalance {
    #[serde(with = "crate::u128_string")]
    pub credits: u128,
    /// The account whose burns bought these credits: the holder itself, or its carrier. A
    /// balance has one payer at a time, so every credit spent is reported under the account
    /// that paid for it; another may buy for the holder once the balance is spent.
    pub bought_by: Address,
}

/// What one hotspot carried in one epoch, counted as sessions settle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotspotData {
    pub device: PublicKey,
    /// The device's owner when its first session of the epoch settled.
    pub owner: Address,
    /// Data credits its sessions burned.
    #[serde(with = "crate::u128_string")]
    pub credits: u128,
    #[serde(with = "crate::u128_string")]
    pub bytes: u128,
    pub sessions: u64,
}

/// One carrier's usage report for one epoch: what it bought and what its subscribers used. An
/// account that buys for itself is its own carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierUsage {
    pub carrier: Address,
    /// uplx it burned for credits.
    pub burned: Amount,
    #[serde(with = "crate::u128_string")]
    pub credits_bought: u128,
    /// Credits its subscribers' settled sessions spent.
    #[serde(with = "crate::u128_string")]
    pub credits_used: u128,
    #[serde(with = "crate::u128_string")]
    pub bytes: u128,
    pub sessions: u64,
}

/// One epoch's data traffic, summed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochDataSummary {
    pub burned: Amount,
    #[serde(with = "crate::u128_string")]
    pub credits_bought: u128,
    #[serde(with = "crate::u128_string")]
    pub credits_used: u128,
    #[serde(with = "crate::u128_string")]
    pub bytes: u128,
    pub sessions: u64,
    /// Hotspots and carriers in the epoch's lists.
    pub hotspots: u64,
    pub carriers: u64,
}

/// Data credits since genesis: every credit issued is either spent or held, and the PLX burned
/// for them sits in the `burned` module account, out of circulation for good.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataCreditTotals {
    /// uplx burned for credits (moved into the `burned` module account).
    pub burned: Amount,
    #[serde(with = "crate::u128_string")]
    pub issued: u128,
    #[serde(with = "crate::u128_string")]
    pub spent: u128,
}
