//! What a provider reads of the node's compute market: live orders with their bids and leases.

use plexus_types::{Address, Amount, Hash, OrderTerms};
use serde::Deserialize;

/// The parts of a chain order a provider reads, with its bids and leases.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderView {
    pub order: OrderHead,
    pub bids: Vec<BidView>,
    pub leases: Vec<LeaseView>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderHead {
    pub id: u64,
    pub terms: OrderTerms,
    pub state: StateView,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StateView {
    pub state: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BidView {
    pub id: u64,
    pub provider: Address,
    pub state: StateView,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LeaseView {
    pub id: u64,
    pub provider: Address,
    pub role: RoleView,
    pub state: StateView,
    pub check: String,
    pub output: Option<Hash>,
    pub released: bool,
    pub releasable: Amount,
    pub withdrawn: Amount,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoleView {
    pub role: String,
    #[serde(default)]
    pub of: Option<u64>,
    #[serde(default)]
    pub verifier: Option<u64>,
}
