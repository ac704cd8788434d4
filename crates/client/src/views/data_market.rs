//! `GET /v1/data/…`: the data market's sets, sales and payouts. Units and amounts are decimal
//! strings, so that no client loses precision; a region is its H3 cell in hex.

use plexus_types::{Address, Amount, Hash, PublicKey};
use serde::{Deserialize, Serialize};

use super::data_credits::decimal;

/// The `data_market` section of genesis: the listed price of one data set (a class's readings
/// of a region and an epoch) per sensor class, in uplx. A class without a price is not sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataMarketParamsView {
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, crate::views::schema::AmountSchema>))]
    pub prices: std::collections::BTreeMap<String, Amount>,
}

impl Default for DataMarketParamsView {
    /// The chain's defaults, for nodes that name no `data_market` section.
    fn default() -> Self {
        let prices = [("weather", 20), ("energy-meter", 10), ("vehicle", 20)]
            .into_iter()
            .map(|(class, plx)| (class.to_string(), Amount::plx(plx)))
            .collect();
        DataMarketParamsView { prices }
    }
}

/// A final data set: one epoch's readings of a sensor class in a region, its roots, its
/// price and what its sales took and paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataSetView {
    pub epoch: u64,
    /// `<class>/<region>`, what `plexus data buy` names.
    pub name: String,
    pub class: String,
    /// The Merkle root over the set's `(device, owner, units)` leaves.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub root: Hash,
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub total_units: u128,
    /// The Merkle root over the record digests of the batches in the set.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub data_root: Hash,
    pub finalized_height: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::views::schema::AddressSchema>))]
    pub oracles: Vec<Address>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub price: Amount,
    pub sales: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub revenue: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub paid: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub forfeited: Amount,
}

/// The market's books: every set's sales and payouts, and what the `data_market` account
/// holds, which is revenue − paid − forfeited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataMarketTotalsView {
    pub sets: u64,
    pub sales: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub revenue: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub paid: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub forfeited: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub held: Amount,
}

/// `GET /v1/data/sets/{epoch}`: an epoch's final data sets and the market's books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataSetsView {
    pub epoch: u64,
    pub sets: Vec<DataSetView>,
    pub totals: DataMarketTotalsView,
}

/// A purchase as the chain recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataSaleView {
    pub epoch: u64,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub buyer: Address,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub price: Amount,
    pub height: u64,
}

/// What a device has been paid of a data set's revenue so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataPaidView {
    pub epoch: u64,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::PublicKeySchema))]
    pub device: PublicKey,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub paid: Amount,
}
