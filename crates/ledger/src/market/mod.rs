//! The compute marketplace: orders, bids, leases, escrow settled per block, and results that a
//! second provider re-executes.
//!
//! Rules (each is implemented by the function named beside it):
//! - Order rule (`create_order`): the consumer deposits the order's escrow into the market
//!   escrow account; bids are taken for [`BID_WINDOW_BLOCKS`] blocks.
//! - Bid rule (`place_bid`): a bid names a device its signer owns, active, declaring at least
//!   the hardware the order asks for; its price is at most the order's cap and it bonds at
//!   least [`MIN_BID_DEPOSIT`]. One bid per provider per order; a provider that lost a bond
//!   for a wrong result bids no more.
//! - Match rule (`end_block`, `winners`): when the bid window closes, the cheapest bids from
//!   distinct providers win, one per replica still wanted, ties to the earlier bid. Each
//!   winner gets a lease at its own price. Bids that did not win stay open as stand-ins for
//!   re-execution until the order ends, when their bonds are returned; a running order takes
//!   more stand-ins, eligible for results submitted after them. An order with no bids
//!   closes with `no_bids` and its escrow is refunded.
//! - Settlement rule (`settle`): a lease costs its price for every block it is active. What
//!   it owes is moved from the order's escrow into the lease only when the lease is touched
//!   (a result, a close, the end of the block where it times out or the escrow runs out), never
//!   block by block. A lease the escrow cannot pay closes with `insufficient_funds` and,
//!   having no result, is paid nothing, as a timed-out lease; the consumer gets it back.
//! - Seal and reveal rule (`seal_result`, `reveal_result`, `end_block`): a provider first
//!   seals its result (blake3 of the lease, itself, the output and a secret salt; see
//!   [`plexus_types::job_seal`]), which ends and settles its lease, and reveals the output only
//!   when the ledger asks: a run once the draw leaves it unchecked or once its verifier has
//!   sealed, a verifier once its run has revealed, a referee at once. No checker can copy the
//!   output it checks. A provider that does not reveal within [`REVEAL_BLOCKS`] is paid
//!   nothing and forfeits its bond (`unrevealed`), and after [`MAX_FORFEITS`] of them bids no
//!   more; a run is then looked for again, and a check it leaves undone stands unchecked. A referee sees the two outputs it decides between: it
//!   is drawn by the beacon, so an attacker holds it only in proportion to its bonds.
//! - Sample rule (`seal_result`, `end_block`): a run's seal waits (`drawing`) for the
//!   beacon of a later block (see [`crate::beacon`]), so that its provider cannot know when it
//!   seals whether it will be checked. Then it is re-executed if the provider is on probation
//!   (fewer than [`PROBATION_JOBS`] results confirmed) or if the draw falls in the order's
//!   sample (`sample_per_mille`); otherwise it is accepted unchecked once revealed.
//! - Checker rule (`end_block`): a verifier, and if the outputs differ a referee, is drawn by
//!   a later block's beacon from the order's open bids, each with probability proportional to
//!   its bond, so splitting one bond over many addresses buys nothing: an attacker with a
//!   share s of the eligible bonds holds both checks of a result with probability at most s².
//!   Eligible are bids placed before the result (nobody bids to check a result it has seen),
//!   from providers not banned, whose device is active, and not already on this result's
//!   chain of checks; a referee with a record of confirmed results is preferred. Outputs that
//!   agree (WASM: the same hash; inference: the verifier says so, within the job's tolerance)
//!   confirm the result; if they differ, the referee decides, and whoever it disagrees with
//!   was wrong. A result no eligible bid can check stands unchecked: no one is slashed on a
//!   single provider's word.
//! - Release and slash rules (`accept`, `reject`): a confirmed or unchecked result releases
//!   the lease's earnings, less the market fee of [`FEE_PER_MILLE`] ‰ to the fee pool, for the
//!   provider to withdraw, and returns its bond. A wrong result's earnings go back to the
//!   order's escrow and its bond to the slashed account.
//! - Timeout and reorder rules (`end_block`): a lease without a result `duration_blocks`
//!   after it started closes with `timeout`, unpaid, its bond returned; if it was one of the
//!   order's runs (not a check), the order takes bids again for a replacement.
//! - Close rule (`close_order`, `end_block`): an order ends when every replica's result is
//!   accepted, when its consumer closes it, or when its escrow runs out; what the escrow
//!   still holds is then refunded (results still undecided stand unchecked), so that for
//!   every ended order
//!   `deposit = paid to providers + fees + refunded`, exactly.

mod actions;
mod end_block;
mod lifecycle;
pub mod query;
mod rules;
mod schedule;
pub mod state_key;
mod store;

pub(crate) use actions::{
    close_bid, close_lease, close_order, create_order, place_bid, reveal_result, seal_result,
    withdraw,
};
pub(crate) use end_block::end_block;
pub use rules::{covers, draw_checker, sampled, winners};

use crate::bank::{module_account, Escrow};
use crate::codes::{TxCode, TxFailure};
use plexus_types::{Address, Amount, Hash, OrderTerms, PublicKey};
use serde::{Deserialize, Serialize};

/// Blocks after an order is made (or looks for a replacement) during which it takes bids.
pub const BID_WINDOW_BLOCKS: u64 = 4;
/// The least a bid must bond: 1 PLX.
pub const MIN_BID_DEPOSIT: Amount = Amount(1_000_000);
/// Results a provider must have confirmed by re-execution before it is only sampled.
pub const PROBATION_JOBS: u32 = 3;
/// The market's fee on what providers earn, per mille.
pub const FEE_PER_MILLE: u128 = 10;
/// Most bids one order may take.
pub const MAX_BIDS_PER_ORDER: usize = 64;
/// Blocks a provider has to reveal a sealed result once the ledger asks for it.
pub const REVEAL_BLOCKS: u64 = 12;
/// Sealed results a provider may leave unrevealed before it is barred from bidding: each one
/// delays its order by [`REVEAL_BLOCKS`], and an agent that reveals when asked hides none.
pub const MAX_FORFEITS: u32 = 3;

/// Why an order ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(rename_all = "snake_case", tag = "state")]
pub enum OrderState {
    /// Taking bids until `bid_deadline`.
    Open,
    /// Leases are running or being checked.
    Matched,
    Closed {
        reason: OrderCloseReason,
        height: u64,
    },
}

/// A compute order as the chain keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: u64,
    pub owner: Address,
    pub terms: OrderTerms,
    pub state: OrderState,
    pub created_height: u64,
    /// The last block whose transactions may bid in the current window.
    pub bid_deadline: u64,
    /// Runs still to be matched to a provider.
    pub wanted: u32,
    /// Escrow not yet moved into a lease or refunded.
    pub escrow: Amount,
    pub bids: Vec<u64>,
    pub leases: Vec<u64>,
    /// Accepted outputs, one per replica: (the lease whose output it is, the output).
    pub results: Vec<(u64, Hash)>,
    pub paid: Amount,
    pub fees: Amount,
    pub refunded: Amount,
}

impl Order {
    pub fn is_closed(&self) -> bool {
        matches!(self.state, OrderState::Closed { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BidState {
    /// Waiting to win, or standing in for a re-execution until the order ends.
    Open,
    Won {
        lease: u64,
    },
    /// The order ended without it; the bond was returned.
    Lost,
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    pub id: u64,
    pub order: u64,
    pub provider: Address,
    pub device: PublicKey,
    pub price_per_block: Amount,
    pub deposit: Amount,
    pub state: BidState,
    pub height: u64,
}

/// What a lease is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role")]
pub enum LeaseRole {
    /// One of the order's runs.
    Run,
    /// A re-execution of run `of`.
    Verifier { of: u64 },
    /// A third run deciding between run `of` and its verifier `verifier`.
    Referee { of: u64, verifier: u64 },
}

/// Why a lease ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseCloseReason {
    /// The provider submitted a result.
    Completed,
    /// The order's escrow could not pay it.
    InsufficientFunds,
    /// No result within the order's duration.
    Timeout,
    /// The consumer closed the order.
    ClosedByOwner,
    /// The provider gave it up.
    ClosedByProvider,
    /// Its result disagreed with the re-execution that decided.
    WrongResult,
    /// Its provider sealed a result and did not reveal it in time.
    Unrevealed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum LeaseState {
    Active,
    Closed {
        reason: LeaseCloseReason,
        height: u64,
    },
}

/// Where a lease's result stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// No result (yet).
    None,
    /// A run's result is in; whether it is re-executed is drawn from the beacon of a later
    /// block.
    Drawing,
    /// Waiting for a re-execution.
    Pending,
    /// Not to be re-executed: accepted once its provider reveals the output it sealed.
    Revealing,
    /// Accepted without a re-execution (not sampled).
    Unchecked,
    /// A re-execution agreed.
    Confirmed,
    /// A re-execution showed it wrong.
    Wrong,
    /// Sealed and not revealed in time: unpaid, its bond forfeited.
    Forfeited,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub id: u64,
    pub order: u64,
    pub bid: u64,
    pub provider: Address,
    pub device: PublicKey,
    pub price_per_block: Amount,
    pub deposit: Amount,
    pub role: LeaseRole,
    pub state: LeaseState,
    pub started: u64,
    /// Paid from the escrow up to this height.
    pub settled_to: u64,
    /// Moved from the order's escrow into this lease.
    pub accrued: Amount,
    /// Of `accrued`, what the provider may withdraw (after the fee), once released.
    pub releasable: Amount,
    pub released: bool,
    pub withdrawn: Amount,
    /// The revealed output.
    pub output: Option<Hash>,
    pub agrees_with: Vec<u64>,
    pub check: Check,
    /// The provider's seal of its result (see [`plexus_types::job_seal`]).
    #[serde(default)]
    pub sealed: Option<Hash>,
    /// The block from which the ledger asks for the sealed result (0: not yet); it must be
    /// revealed within [`REVEAL_BLOCKS`].
    #[serde(default)]
    pub reveal_from: u64,
}

impl Lease {
    pub fn is_active(&self) -> bool {
        self.state == LeaseState::Active
    }

    /// Sealed, and neither revealed nor forfeited yet.
    pub fn awaits_reveal(&self) -> bool {
        self.sealed.is_some() && self.output.is_none() && self.check != Check::Forfeited
    }

    /// The last block in which its sealed result may be revealed, once asked for.
    pub fn reveal_by(&self) -> Option<u64> {
        (self.awaits_reveal() && self.reveal_from > 0)
            .then(|| self.reveal_from.saturating_add(REVEAL_BLOCKS - 1))
    }
}

/// A provider's record of checked results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProviderRecord {
    /// Results confirmed by a re-execution.
    pub confirmed: u32,
    /// Results shown wrong.
    pub wrong: u32,
    /// Sealed results it did not reveal in time.
    #[serde(default)]
    pub forfeited: u32,
}

impl ProviderRecord {
    /// Barred from bidding: one result shown wrong, or [`MAX_FORFEITS`] sealed results hidden.
    pub fn banned(&self) -> bool {
        self.wrong > 0 || self.forfeited >= MAX_FORFEITS
    }
}

/// Running totals: `escrowed = paid + fees + refunded + held in orders`, and
/// `bonded = bonds returned + bonds slashed + bonds held`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MarketTotals {
    pub escrowed: Amount,
    /// Released to providers (withdrawn or not).
    pub paid: Amount,
    pub withdrawn: Amount,
    pub fees: Amount,
    pub refunded: Amount,
    pub bonded: Amount,
    pub bonds_returned: Amount,
    pub bonds_slashed: Amount,
    pub wrong_results: u64,
}

/// Where orders' escrow and bids' bonds are held.
fn escrow_account() -> Escrow {
    Escrow::new(module_account::market_escrow(), "market")
}

/// A market invariant that does not hold: the transaction that would break it fails.
fn corrupt(what: &str) -> TxFailure {
    TxFailure::broken(format_args!("market accounting: {what}"))
}

fn fail<T>(code: TxCode, log: String) -> Result<T, TxFailure> {
    Err(TxFailure::new(code, log))
}

fn add(a: Amount, b: Amount) -> Result<Amount, TxFailure> {
    a.checked_add(b)
        .ok_or_else(|| TxFailure::overflow(format_args!("{a} + {b} uplx")))
}

fn sub(a: Amount, b: Amount) -> Result<Amount, TxFailure> {
    a.checked_sub(b).ok_or_else(|| corrupt("amount underflows"))
}

/// A record the market's own indexes point at: its absence is a broken invariant, not a
/// refusal the transaction's sender can read as theirs.
fn must<T>(r: Result<T, TxFailure>, what: &str) -> Result<T, TxFailure> {
    r.map_err(|e| match e {
        TxFailure::Failed { log, .. } => corrupt(&format!("{what}: {log}")),
        store => store,
    })
}
