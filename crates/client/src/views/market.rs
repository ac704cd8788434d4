//! `GET /v1/market/…`: compute orders with their bids and leases.

use plexus_types::{Address, Amount, Hash, OrderTerms, PublicKey};
use serde::{Deserialize, Serialize};

/// Why an order closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderCloseReason {
    /// Every replica's result was accepted.
    Completed,
    /// No provider bid.
    NoBids,
    /// The consumer closed it.
    Cancelled,
    /// The escrow could not pay its leases.
    InsufficientFunds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum OrderState {
    /// Taking bids until `bid_deadline`.
    Open,
    Matched,
    Closed {
        reason: OrderCloseReason,
        height: u64,
    },
}

/// A compute order as the chain keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderHead {
    pub id: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub owner: Address,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::OrderTermsSchema))]
    pub terms: OrderTerms,
    pub state: OrderState,
    pub created_height: u64,
    pub bid_deadline: u64,
    pub wanted: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub escrow: Amount,
    pub bids: Vec<u64>,
    pub leases: Vec<u64>,
    /// `(lease, output)` of every result accepted.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<(u64, crate::views::schema::HashSchema)>))]
    pub results: Vec<(u64, Hash)>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub paid: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub fees: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub refunded: Amount,
}

impl OrderHead {
    pub fn is_closed(&self) -> bool {
        matches!(self.state, OrderState::Closed { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BidState {
    Open,
    Won { lease: u64 },
    Lost,
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BidView {
    pub id: u64,
    pub order: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub provider: Address,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::PublicKeySchema))]
    pub device: PublicKey,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub price_per_block: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub deposit: Amount,
    pub state: BidState,
    pub height: u64,
}

/// What a lease does for its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "role")]
pub enum RoleView {
    Run,
    /// Re-executes lease `of`'s job.
    Verifier {
        of: u64,
    },
    /// Settles a disagreement between lease `of` and its verifier.
    Referee {
        of: u64,
        verifier: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeaseCloseReason {
    Completed,
    InsufficientFunds,
    Timeout,
    ClosedByOwner,
    ClosedByProvider,
    WrongResult,
    /// Its provider sealed a result and did not reveal it in time.
    Unrevealed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum StateView {
    Active,
    Closed {
        reason: LeaseCloseReason,
        height: u64,
    },
}

/// Where the check of a lease's result stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckView {
    None,
    /// The result is in; whether it is re-executed is drawn at the end of a later block.
    Drawing,
    Pending,
    /// Not re-executed: accepted once its provider reveals the output it sealed.
    Revealing,
    Unchecked,
    Confirmed,
    Wrong,
    /// Sealed and not revealed in time: unpaid, its bond forfeited.
    Forfeited,
}

/// `GET /v1/market/leases/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaseView {
    pub id: u64,
    pub order: u64,
    pub bid: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub provider: Address,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::PublicKeySchema))]
    pub device: PublicKey,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub price_per_block: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub deposit: Amount,
    pub role: RoleView,
    pub state: StateView,
    pub started: u64,
    pub settled_to: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub accrued: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub releasable: Amount,
    pub released: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub withdrawn: Amount,
    /// The revealed output.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::HashSchema>))]
    pub output: Option<Hash>,
    pub agrees_with: Vec<u64>,
    pub check: CheckView,
    /// The provider's seal of its result, before it reveals the output.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::views::schema::HashSchema>))]
    pub sealed: Option<Hash>,
    /// The block from which the chain asks for the sealed result (0: not yet).
    #[serde(default)]
    pub reveal_from: u64,
}

impl LeaseView {
    /// Sealed, and neither revealed nor forfeited yet.
    pub fn awaits_reveal(&self) -> bool {
        self.sealed.is_some() && self.output.is_none() && self.check != CheckView::Forfeited
    }

    /// Whether the chain asks its provider to reveal the sealed result now.
    pub fn reveal_asked(&self) -> bool {
        self.awaits_reveal() && self.reveal_from > 0
    }
}

/// `GET /v1/market/orders/{id}`: an order with its bids and leases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView {
    pub order: OrderHead,
    pub bids: Vec<BidView>,
    pub leases: Vec<LeaseView>,
}

/// `GET /v1/market/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrdersView {
    pub orders: Vec<OrderView>,
    /// Where the next page starts (`from`), `None` after the last.
    #[serde(default)]
    pub next: Option<u64>,
}
