//! The data market: what the network sells of its sensor devices' readings, and the revenue
//! shared among the devices that measured.
//!
//! - A data set is one epoch's readings of one sensor class in one region (a resolution-5 H3
//!   cell), named `<class>/<region in hex>` (rules D1–D3 of
//!   `plexus_rewards::sensors::data_sets`). Oracles submit its manifest like any other, under
//!   the resource `data/<name>`: the root over its `(device, owner, quality)` leaves, their
//!   total, and as evidence root the Merkle root of the batches it holds. When `threshold`
//!   oracles agree it is final and listed, at the price the genesis gives its class
//!   (`data_market.prices`, per data set).
//! - A buyer pays the price, capped by the `max_price` it signed, into the `data_market`
//!   account; the chain records the sale, which is what opens the data to the buyer's key at
//!   an oracle's data service. Buying the same set twice is refused, not charged.
//! - Anyone may claim a device's share with its leaf and proof (a `ClaimReward` of the set's
//!   resource): floor(revenue × units / total units) over all sales so far, less what it was
//!   already paid, to the leaf's owner, or to the slashed account for a slashed device. What a
//!   set pays never exceeds what it took; the rounding remainder stays in the account and is
//!   paid as later sales grow the revenue.
//!
//! Books: the `data_market` account holds Σ revenue − Σ paid − Σ forfeited over every set.

mod actions;
pub mod query;
pub mod state_key;

pub(crate) use actions::{buy, claim_revenue, submit_data_set};
pub use plexus_rewards::sensors::data_sets::{
    data_resource, data_set_name, parse_data_resource, parse_data_set_name, DATA_SET_PREFIX,
};

pub use crate::genesis::DataMarketParams;

use plexus_types::{Address, Amount, Body, Hash};
use serde::{Deserialize, Serialize};

/// Whether `body` is the data market's: a purchase, or a manifest vote or reward claim of a
/// data set's resource (`data/…`).
pub(crate) fn carries(body: &Body) -> bool {
    match body {
        Body::BuyData { .. } => true,
        Body::SubmitManifest { resource, .. } => resource.starts_with(DATA_SET_PREFIX),
        Body::ClaimReward(c) => c.resource.starts_with(DATA_SET_PREFIX),
        _ => false,
    }
}

/// A final data set and what its sales took and paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSetRecord {
    pub epoch: u64,
    /// `<class>/<region>`.
    pub name: String,
    pub class: String,
    /// The Merkle root over the set's `(device, owner, units)` leaves.
    pub root: Hash,
    #[serde(with = "crate::u128_string")]
    pub total_units: u128,
    /// The Merkle root over the record digests of the batches the set holds.
    pub data_root: Hash,
    pub finalized_height: u64,
    pub oracles: Vec<Address>,
    pub price: Amount,
    pub sales: u64,
    pub revenue: Amount,
    /// Paid to the devices' owners.
    pub paid: Amount,
    /// Shares of slashed devices, moved to the slashed account.
    pub forfeited: Amount,
}

/// The market's running totals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DataMarketTotals {
    pub sets: u64,
    pub sales: u64,
    pub revenue: Amount,
    pub paid: Amount,
    pub forfeited: Amount,
}

/// One sale, as the chain records it for the buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSale {
    pub epoch: u64,
    pub name: String,
    pub buyer: Address,
    pub price: Amount,
    pub height: u64,
}
