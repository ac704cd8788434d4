//! Data credits: the non-transferable credits that pay for data sessions on hotspots.
//!
//! An account buys credits by burning PLX at the chain's price (`dc_per_plx`, a genesis
//! parameter), for itself or, as a carrier, for a subscriber; the chain remembers who paid for
//! each balance. A data session ends in a receipt that the subscriber and the hotspot both
//! signed; settling it (once per subscriber and session number) debits
//! ⌈bytes / bytes_per_dc⌉ credits from the subscriber and counts them for the hotspot, and for
//! the carrier that paid for them, in the epoch in progress. Those per-epoch counts are what
//! the data reward rule (`plexus_rewards::wireless::data`) pays hotspots by.
//!
//! The data pool: at an epoch's end the epoch's Coverage pool pays data first. As sessions
//! settle the ledger keeps Σ value of the epoch's hotspots (each hotspot's value is
//! `⌊credits × 10⁶ / dc_per_plx⌋` uplx; a settlement subtracts the hotspot's old value and adds
//! its new one), so the split costs constant work at the epoch's end: the data pool holds
//! `min(coverage pool, Σ value)` and the Coverage pool that manifests pay becomes the rest.
//! Each hotspot's owner then claims `⌊held × value / Σ value⌋` (its value when the pool covers
//! the traffic, its pro-rata share when it is short), once, within the claim window, with a
//! `ClaimReward` of resource `data` and no proof; when the window closes the pool settles like
//! the others: its unclaimed share to the unclaimed account, rounding dust to the dust account.

mod actions;
mod end_block;
mod pool;
pub mod query;
pub mod state_key;

pub(crate) use actions::{buy, settle};
pub(crate) use end_block::epoch_ended;
pub(crate) use pool::{claim_data, fund_data_pool, settle_expired};

/// The resource name a data claim gives in its `ClaimReward`.
pub const DATA_RESOURCE: &str = "data";

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
    /// Σ over the epoch's hotspots of the uplx value of their credits, each rounded down
    /// (`plexus_rewards::wireless::credits_value`): what the data pool owes them in full.
    #[serde(default, with = "crate::u128_string")]
    pub value: u128,
}

/// An epoch's data pool, carved at the epoch's end out of its Coverage pool by the data rule
/// (`plexus_rewards::wireless::data_pool_split`), and what its claims have paid so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPool {
    pub epoch: u64,
    /// The epoch's Coverage pool before data was paid from it.
    pub coverage_pool: Amount,
    /// Σ value of the epoch's hotspots, in uplx.
    #[serde(with = "crate::u128_string")]
    pub total_value: u128,
    /// What the pool holds for hotspots: `min(coverage_pool, total_value)`.
    pub held: Amount,
    /// What stayed in the Coverage pool for manifests: `coverage_pool - held`.
    pub to_coverage: Amount,
    /// Paid to owners.
    pub paid: Amount,
    /// Claimed for slashed hotspots and moved to the slashed account.
    pub forfeited: Amount,
    /// Σ value of the hotspots claimed so far.
    #[serde(with = "crate::u128_string")]
    pub claimed_value: u128,
    /// How it ended when its claim window closed: unclaimed shares, and the rounding dust of
    /// a pro-rata split.
    pub settlement: Option<crate::epochs::Settlement>,
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
