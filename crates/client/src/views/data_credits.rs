//! `GET /v1/data-credits/{address}` and `GET /v1/wireless/data/{epoch}`: data credits, and the
//! data traffic hotspots carried. Counts of credits and bytes are decimal strings, like
//! amounts, so that no client loses precision.

use plexus_types::{Address, Amount, PublicKey};
use serde::{Deserialize, Serialize};

/// A decimal string in JSON.
pub(super) mod decimal {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The `data_credits` section of genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataCreditParamsView {
    /// Data credits one PLX (10⁶ uplx) buys.
    pub dc_per_plx: u64,
    /// Bytes (up and down together) one credit pays for.
    pub bytes_per_dc: u64,
    /// How many epochs after its own a session's receipt can still be settled.
    pub max_receipt_age_epochs: u64,
}

impl Default for DataCreditParamsView {
    /// The chain's defaults, for nodes that name no `data_credits` section.
    fn default() -> Self {
        DataCreditParamsView {
            dc_per_plx: 100_000,
            bytes_per_dc: 24 * 1024,
            max_receipt_age_epochs: 2,
        }
    }
}

/// `GET /v1/data-credits/{address}`: an account's data credits and who paid for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataCreditsView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub address: Address,
    /// Data credits held (a decimal string).
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub credits: u128,
    /// The account whose burns bought them (the holder itself, or its carrier); absent when
    /// it holds none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::AddressSchema>))]
    pub bought_by: Option<Address>,
}

/// What one hotspot carried in an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HotspotDataView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::PublicKeySchema))]
    pub device: PublicKey,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub owner: Address,
    /// Data credits its settled sessions burned.
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub credits: u128,
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub bytes: u128,
    pub sessions: u64,
    /// What its data claim of the epoch paid, once claimed (uplx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::AmountSchema>))]
    pub claimed: Option<Amount>,
}

/// One carrier's usage report for an epoch (an account that buys for itself is its own
/// carrier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CarrierUsageView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub carrier: Address,
    /// uplx it burned for credits in the epoch.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub burned: Amount,
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub credits_bought: u128,
    /// Credits its subscribers' sessions spent in the epoch.
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub credits_used: u128,
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub bytes: u128,
    pub sessions: u64,
}

/// An epoch's data traffic, summed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochDataSummaryView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub burned: Amount,
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub credits_bought: u128,
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub credits_used: u128,
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub bytes: u128,
    pub sessions: u64,
    /// Hotspots and carriers in the epoch's lists.
    pub hotspots: u64,
    pub carriers: u64,
    /// Σ over the hotspots of their credits' worth in uplx, each rounded down.
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub value: u128,
}

/// An epoch's data pool, carved out of its Coverage pool at its end: the data rule's split
/// and what claims have paid so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataPoolView {
    /// The Coverage pool before data was paid from it.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub coverage_pool: Amount,
    /// Σ value of the epoch's hotspots (uplx).
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub total_value: u128,
    /// What the pool holds for hotspots: min(coverage pool, Σ value).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub held: Amount,
    /// What stayed in the Coverage pool for manifests.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub to_coverage: Amount,
    /// Paid to owners so far.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub paid: Amount,
    /// Claimed for slashed hotspots.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub forfeited: Amount,
    /// Σ value of the hotspots claimed so far.
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    pub claimed_value: u128,
    /// Once the claim window closed: the unclaimed shares and the rounding dust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::AmountSchema>))]
    pub unclaimed: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::AmountSchema>))]
    pub dust: Option<Amount>,
}

/// `GET /v1/wireless/data/{epoch}`: a page of an epoch's data traffic. Hotspots and carriers
/// are two lists paged by the same slots: a page holds the entries of both in slots
/// `from..from + limit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochDataView {
    pub epoch: u64,
    pub summary: EpochDataSummaryView,
    /// The epoch's data pool; absent until the epoch has ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<DataPoolView>,
    pub hotspots: Vec<HotspotDataView>,
    pub carriers: Vec<CarrierUsageView>,
    /// The `from` of the next page; null after the last.
    pub next: Option<u64>,
}
