//! `GET /v1/storage/deals…`: storage deals and their replicas.

use crate::views::DeviceStatusView;
use plexus_types::{Address, Amount, Hash, PublicKey};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DealStatusView {
    /// Inside its term, or waiting for its first covered epoch.
    Open,
    /// Its last covered epoch has ended and the rest of its escrow was refunded.
    Ended { at_epoch: u64 },
}

/// A replica that failed its audit in `epoch`, and was unpaid for it and reassigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailedReplicaView {
    pub epoch: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::PublicKeySchema))]
    pub device: PublicKey,
}

/// A replacement provider and the first epoch it serves (is challenged and paid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandoverView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::PublicKeySchema))]
    pub device: PublicKey,
    pub first_epoch: u64,
}

/// One replica's provider as `assigned` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignedReplicaView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::PublicKeySchema))]
    pub device: PublicKey,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::AddressSchema>))]
    pub owner: Option<Address>,
    pub device_status: Option<DeviceStatusView>,
    pub endpoint: Option<String>,
}

/// A storage deal: the chain's record and, under `assigned` (absent where the node lists a
/// record alone), each replica's device, owner, status and endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DealView {
    pub id: u64,
    /// Who pays, and who gets the refund.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub client: Address,
    /// The blob's id: the blake3 hash of its bytes.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub blob: Hash,
    pub size: u64,
    pub replicas: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub price_per_replica_epoch: Amount,
    /// First and last epochs the deal pays for.
    pub first_epoch: u64,
    pub last_epoch: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub escrow: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub paid: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub refunded: Amount,
    /// The devices assigned to keep a replica, best ranked first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::views::schema::PublicKeySchema>))]
    pub providers: Vec<PublicKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<FailedReplicaView>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handovers: Vec<HandoverView>,
    pub status: DealStatusView,
    pub created_height: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<Vec<AssignedReplicaView>>,
}

impl DealView {
    /// Whether `device` keeps a replica for this deal in `epoch`: assigned, and past its
    /// handover if it is a replacement. Only such replicas are challenged and paid.
    pub fn serves_in(&self, device: &PublicKey, epoch: u64) -> bool {
        self.providers.contains(device)
            && self
                .handovers
                .iter()
                .find(|h| h.device == *device)
                .is_none_or(|h| h.first_epoch <= epoch)
    }
}

/// `GET /v1/storage/deals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DealsView {
    pub height: u64,
    pub deals: Vec<DealView>,
    /// Where the next page starts (`from`), `None` after the last.
    #[serde(default)]
    pub next: Option<u64>,
}
