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
//!   re-execution until the order ends, when their bonds are returned. An order with no bids
//!   closes with `no_bids` and its escrow is refunded.
//! - Settlement rule (`settle`): a lease costs its price for every block it is active. What
//!   it owes is moved from the order's escrow into the lease only when the lease is touched
//!   (a result, a close, the end of the block where it times out or the escrow runs out), never
//!   block by block. A lease the escrow cannot pay closes with `insufficient_funds`, keeping
//!   what was paid up to then.
//! - Check rule (`submit_result`): when a lease's result lands, it is re-executed if the
//!   provider is on probation (fewer than [`PROBATION_JOBS`] results confirmed) or if
//!   `blake3(previous app hash ‖ lease id)` falls in the order's sample (`sample_per_mille`).
//!   A stand-in bid becomes the verifier's lease. Outputs that agree (WASM: the same hash;
//!   inference: the verifier says so, within the job's tolerance) confirm the result; if they
//!   differ, a third provider's run (the referee, one with [`PROBATION_JOBS`] confirmed
//!   results if any bid) decides, and whoever it disagrees with was wrong.
//! - Release and slash rules (`accept`, `reject`): a confirmed or unchecked result releases
//!   the lease's earnings, less the market fee of [`FEE_PER_MILLE`] ‰ to the fee pool, for the
//!   provider to withdraw, and returns its bond. A wrong result's earnings go back to the
//!   order's escrow and its bond to the slashed account.
//! - Timeout and reorder rules (`end_block`): a lease without a result `duration_blocks`
//!   after it started closes with `timeout`, unpaid, its bond returned; if it was one of the
//!   order's runs (not a check), the order takes bids again for a replacement.
//! - Close rule (`close_order`, `end_block`): an order ends when every replica's result is
//!   accepted, when its consumer closes it, or when its escrow runs out; what the escrow
//!   still holds is then refunded, so that for every ended order
//!   `deposit = paid to providers + fees + refunded`, exactly.

use crate::bank::module_account;
use crate::codes::{TxCode, TxFailure};
use crate::overlay::StateOverlay;
use crate::registry::DeviceStatus;
use crate::state_key;
use plexus_store::StoreError;
use plexus_types::{Address, Amount, Hash, JobResult, JobRuntime, OrderTerms, PublicKey};
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
    /// Waiting for a re-execution.
    Pending,
    /// Accepted without a re-execution (not sampled).
    Unchecked,
    /// A re-execution agreed.
    Confirmed,
    /// A re-execution showed it wrong.
    Wrong,
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
    pub output: Option<Hash>,
    pub agrees_with: Vec<u64>,
    pub check: Check,
}

impl Lease {
    pub fn is_active(&self) -> bool {
        self.state == LeaseState::Active
    }
}

/// A provider's record of checked results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProviderRecord {
    /// Results confirmed by a re-execution.
    pub confirmed: u32,
    /// Results shown wrong.
    pub wrong: u32,
}

impl ProviderRecord {
    pub fn banned(&self) -> bool {
        self.wrong > 0
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

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("market accounting: {what}"))
}

fn fail<T>(code: TxCode, log: String) -> Result<T, TxFailure> {
    Err(TxFailure::new(code, log))
}

fn add(a: Amount, b: Amount) -> Result<Amount, StoreError> {
    a.checked_add(b).ok_or_else(|| corrupt("amount overflows"))
}

fn sub(a: Amount, b: Amount) -> Result<Amount, StoreError> {
    a.checked_sub(b).ok_or_else(|| corrupt("amount underflows"))
}

fn next_id(state: &mut StateOverlay<'_>, kind: &str) -> Result<u64, StoreError> {
    let key = state_key::market_count(kind);
    let id = state.get_u64(&key)?;
    state.set_u64(key, id + 1);
    Ok(id)
}

fn load_order(state: &StateOverlay<'_>, id: u64) -> Result<Order, TxFailure> {
    match state.get_json(&state_key::market_order(id))? {
        Some(o) => Ok(o),
        None => fail(TxCode::UnknownOrder, format!("no order {id}")),
    }
}

fn load_bid(state: &StateOverlay<'_>, id: u64) -> Result<Bid, TxFailure> {
    match state.get_json(&state_key::market_bid(id))? {
        Some(b) => Ok(b),
        None => fail(TxCode::UnknownBid, format!("no bid {id}")),
    }
}

fn load_lease(state: &StateOverlay<'_>, id: u64) -> Result<Lease, TxFailure> {
    match state.get_json(&state_key::market_lease(id))? {
        Some(l) => Ok(l),
        None => fail(TxCode::UnknownLease, format!("no lease {id}")),
    }
}

fn must<T>(r: Result<T, TxFailure>, what: &str) -> Result<T, StoreError> {
    r.map_err(|e| match e {
        TxFailure::Store(s) => s,
        TxFailure::Failed { log, .. } => corrupt(&format!("{what}: {log}")),
    })
}

fn save_order(state: &mut StateOverlay<'_>, o: &Order) {
    state.set_json(state_key::market_order(o.id), o);
}

fn save_bid(state: &mut StateOverlay<'_>, b: &Bid) {
    state.set_json(state_key::market_bid(b.id), b);
}

fn save_lease(state: &mut StateOverlay<'_>, l: &Lease) {
    state.set_json(state_key::market_lease(l.id), l);
}

fn totals(state: &StateOverlay<'_>) -> Result<MarketTotals, StoreError> {
    Ok(state
        .get_json(&state_key::market_totals())?
        .unwrap_or_default())
}

fn update_totals(
    state: &mut StateOverlay<'_>,
    f: impl FnOnce(&mut MarketTotals) -> Option<()>,
) -> Result<(), StoreError> {
    let mut t = totals(state)?;
    f(&mut t).ok_or_else(|| corrupt("totals overflow"))?;
    state.set_json(state_key::market_totals(), &t);
    Ok(())
}

fn live_orders(state: &StateOverlay<'_>) -> Result<Vec<u64>, StoreError> {
    Ok(state
        .get_json(&state_key::market_live_orders())?
        .unwrap_or_default())
}

fn provider_record(state: &StateOverlay<'_>, p: &Address) -> Result<ProviderRecord, StoreError> {
    Ok(state
        .get_json(&state_key::market_provider(p))?
        .unwrap_or_default())
}

fn pay_out(state: &mut StateOverlay<'_>, to: &Address, amount: Amount) -> Result<(), StoreError> {
    if amount > Amount::ZERO && !state.move_funds(&module_account::market_escrow(), to, amount)? {
        return Err(corrupt("the market escrow cannot pay"));
    }
    Ok(())
}

/// Whether hardware declared by a device covers what an order asks for.
pub fn covers(have: &plexus_types::Capabilities, need: &plexus_types::Capabilities) -> bool {
    let gpu_ok = need.gpu_count == 0
        || (have.gpu_count >= need.gpu_count
            && have.gpu_vram_mb >= need.gpu_vram_mb
            && (need.gpu_model.is_empty()
                || have
                    .gpu_model
                    .to_lowercase()
                    .contains(&need.gpu_model.to_lowercase())));
    have.cpu_cores >= need.cpu_cores && have.memory_mb >= need.memory_mb && gpu_ok
}

/// Whether a result of lease `lease` is re-executed by sample, given the block's seed (the
/// previous app hash): `blake3(seed ‖ lease) mod 1000 < sample_per_mille`.
pub fn sampled(seed: &Hash, lease: u64, sample_per_mille: u32) -> bool {
    let mut input = b"plexus/market/sample".to_vec();
    input.extend_from_slice(&seed.0);
    input.extend_from_slice(&lease.to_be_bytes());
    let draw = u64::from_be_bytes(Hash::of(&input).0[..8].try_into().expect("8 bytes"));
    draw % 1000 < sample_per_mille as u64
}

/// Match rule: of `bids` (id, provider, price), those at or under `cap`, each provider with its
/// cheapest bid only, the cheapest `wanted` win, ties to the lower bid id. Returned in that
/// order, possibly fewer than `wanted`.
pub fn winners(bids: &[(u64, Address, Amount)], cap: Amount, wanted: usize) -> Vec<u64> {
    let mut eligible: Vec<&(u64, Address, Amount)> = bids.iter().filter(|b| b.2 <= cap).collect();
    eligible.sort_by_key(|b| (b.2, b.0));
    let mut chosen: Vec<&(u64, Address, Amount)> = Vec::new();
    for bid in eligible {
        if chosen.len() == wanted {
            break;
        }
        if chosen.iter().any(|c| c.1 == bid.1) {
            continue;
        }
        chosen.push(bid);
    }
    chosen.into_iter().map(|b| b.0).collect()
}

/// Order rule.
pub(crate) fn create_order(
    state: &mut StateOverlay<'_>,
    height: u64,
    owner: &Address,
    terms: &OrderTerms,
) -> Result<(), TxFailure> {
    if !state.move_funds(owner, &module_account::market_escrow(), terms.deposit)? {
        return fail(
            TxCode::InsufficientFunds,
            format!("cannot deposit {} uplx into escrow", terms.deposit),
        );
    }
    let id = next_id(state, "order")?;
    let order = Order {
        id,
        owner: *owner,
        terms: terms.clone(),
        state: OrderState::Open,
        created_height: height,
        bid_deadline: height + BID_WINDOW_BLOCKS,
        wanted: terms.replicas,
        escrow: terms.deposit,
        bids: Vec::new(),
        leases: Vec::new(),
        results: Vec::new(),
        paid: Amount::ZERO,
        fees: Amount::ZERO,
        refunded: Amount::ZERO,
    };
    save_order(state, &order);
    let mut live = live_orders(state)?;
    live.push(id);
    state.set_json(state_key::market_live_orders(), &live);
    let mut mine: Vec<u64> = state
        .get_json(&state_key::market_owner_orders(owner))?
        .unwrap_or_default();
    mine.push(id);
    state.set_json(state_key::market_owner_orders(owner), &mine);
    update_totals(state, |t| {
        t.escrowed = t.escrowed.checked_add(terms.deposit)?;
        Some(())
    })?;
    Ok(())
}

/// Bid rule.
pub(crate) fn place_bid(
    state: &mut StateOverlay<'_>,
    height: u64,
    provider: &Address,
    order_id: u64,
    device: &PublicKey,
    price: Amount,
    deposit: Amount,
) -> Result<(), TxFailure> {
    let mut order = load_order(state, order_id)?;
    let takes = match order.state {
        OrderState::Open => height <= order.bid_deadline,
        OrderState::Matched => true,
        OrderState::Closed { .. } => false,
    };
    if !takes {
        return fail(
            TxCode::NotTakingBids,
            format!("order {order_id} takes no bids now"),
        );
    }
    let Some(dev) = crate::registry::load(state, device)? else {
        return fail(TxCode::UnknownDevice, format!("no device {device}"));
    };
    if dev.owner != *provider {
        return fail(
            TxCode::Unauthorized,
            format!("device {device} belongs to {}", dev.owner),
        );
    }
    if dev.status != DeviceStatus::Active {
        return fail(
            TxCode::DeviceNotActive,
            format!("device {device} is not active"),
        );
    }
    if !covers(&dev.capabilities, &order.terms.resources) {
        return fail(
            TxCode::CannotRun,
            format!("device {device} does not declare the hardware order {order_id} asks for"),
        );
    }
    if provider_record(state, provider)?.banned() {
        return fail(
            TxCode::ProviderBanned,
            format!("{provider} lost a bond for a wrong result and may not bid"),
        );
    }
    if price > order.terms.max_price_per_block {
        return fail(
            TxCode::AbovePriceCap,
            format!(
                "bid of {price} uplx per block is above order {order_id}'s cap of {}",
                order.terms.max_price_per_block
            ),
        );
    }
    if deposit < MIN_BID_DEPOSIT {
        return fail(
            TxCode::DepositTooLow,
            format!("a bid bonds at least {MIN_BID_DEPOSIT} uplx"),
        );
    }
    if order.bids.len() >= MAX_BIDS_PER_ORDER {
        return fail(
            TxCode::TooManyBids,
            format!("order {order_id} has {MAX_BIDS_PER_ORDER} bids"),
        );
    }
    for b in &order.bids {
        let other = load_bid(state, *b)?;
        if other.provider == *provider && other.state == BidState::Open {
            return fail(
                TxCode::AlreadyBid,
                format!(
                    "{provider} already has open bid {} on order {order_id}",
                    other.id
                ),
            );
        }
    }
    for l in &order.leases {
        let lease = load_lease(state, *l)?;
        if lease.provider == *provider && lease.is_active() {
            return fail(
                TxCode::AlreadyBid,
                format!(
                    "{provider} already runs lease {} of order {order_id}",
                    lease.id
                ),
            );
        }
    }
    if !state.move_funds(provider, &module_account::market_escrow(), deposit)? {
        return fail(
            TxCode::InsufficientFunds,
            format!("cannot bond {deposit} uplx"),
        );
    }
    let id = next_id(state, "bid")?;
    let bid = Bid {
        id,
        order: order_id,
        provider: *provider,
        device: *device,
        price_per_block: price,
        deposit,
        state: BidState::Open,
        height,
    };
    save_bid(state, &bid);
    order.bids.push(id);
    update_totals(state, |t| {
        t.bonded = t.bonded.checked_add(deposit)?;
        Some(())
    })?;
    if order.state == OrderState::Matched {
        assign_checkers(state, height, &mut order)?;
    }
    save_order(state, &order);
    Ok(())
}

/// The bidder withdraws an open bid.
pub(crate) fn close_bid(
    state: &mut StateOverlay<'_>,
    sender: &Address,
    id: u64,
) -> Result<(), TxFailure> {
    let mut bid = load_bid(state, id)?;
    if bid.provider != *sender {
        return fail(
            TxCode::Unauthorized,
            format!("bid {id} is {}'s", bid.provider),
        );
    }
    if bid.state != BidState::Open {
        return fail(TxCode::BidClosed, format!("bid {id} is no longer open"));
    }
    bid.state = BidState::Withdrawn;
    return_bond(state, &bid.provider, bid.deposit)?;
    save_bid(state, &bid);
    Ok(())
}

fn return_bond(
    state: &mut StateOverlay<'_>,
    provider: &Address,
    deposit: Amount,
) -> Result<(), StoreError> {
    pay_out(state, provider, deposit)?;
    update_totals(state, |t| {
        t.bonds_returned = t.bonds_returned.checked_add(deposit)?;
        Some(())
    })
}

/// Settlement rule: moves what `lease` owes up to `height` from the order's escrow into the
/// lease. Returns false, having closed the lease with `insufficient_funds`, when the escrow
/// could not pay it all.
fn settle(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
    lease: &mut Lease,
    height: u64,
) -> Result<bool, StoreError> {
    if !lease.is_active() || height <= lease.settled_to {
        return Ok(true);
    }
    let blocks = (height - lease.settled_to) as u128;
    let due = lease
        .price_per_block
        .0
        .checked_mul(blocks)
        .map(Amount)
        .unwrap_or(Amount(u128::MAX));
    if due <= order.escrow {
        order.escrow = sub(order.escrow, due)?;
        lease.accrued = add(lease.accrued, due)?;
        lease.settled_to = height;
        return Ok(true);
    }
    lease.accrued = add(lease.accrued, order.escrow)?;
    order.escrow = Amount::ZERO;
    lease.settled_to = height;
    lease.state = LeaseState::Closed {
        reason: LeaseCloseReason::InsufficientFunds,
        height,
    };
    // Paid for the blocks it ran; no result to check.
    release(state, order, lease)?;
    return_bond(state, &lease.provider, lease.deposit)?;
    Ok(false)
}

/// Release rule: the lease's earnings, less the fee, become the provider's to withdraw.
fn release(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
    lease: &mut Lease,
) -> Result<(), StoreError> {
    if lease.released {
        return Ok(());
    }
    let fee = Amount(lease.accrued.0 * FEE_PER_MILLE / 1000);
    let net = sub(lease.accrued, fee)?;
    if fee > Amount::ZERO
        && !state.move_funds(
            &module_account::market_escrow(),
            &module_account::fee_pool(),
            fee,
        )?
    {
        return Err(corrupt("the market escrow cannot pay a fee"));
    }
    lease.releasable = net;
    lease.released = true;
    order.paid = add(order.paid, net)?;
    order.fees = add(order.fees, fee)?;
    update_totals(state, |t| {
        t.paid = t.paid.checked_add(net)?;
        t.fees = t.fees.checked_add(fee)?;
        Some(())
    })
}

/// A result that stands: paid, bond returned, and for a run, recorded as the order's output.
fn accept(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
    lease: &mut Lease,
    check: Check,
) -> Result<(), StoreError> {
    lease.check = check;
    release(state, order, lease)?;
    return_bond(state, &lease.provider, lease.deposit)?;
    if check == Check::Confirmed {
        let mut rec = provider_record(state, &lease.provider)?;
        rec.confirmed = rec.confirmed.saturating_add(1);
        state.set_json(state_key::market_provider(&lease.provider), &rec);
    }
    Ok(())
}

/// Slash rule: a wrong result earns nothing (its earnings go back to the escrow) and its bond
/// goes to the slashed account.
fn reject(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
    lease: &mut Lease,
    height: u64,
) -> Result<(), StoreError> {
    lease.check = Check::Wrong;
    lease.state = LeaseState::Closed {
        reason: LeaseCloseReason::WrongResult,
        height,
    };
    order.escrow = add(order.escrow, lease.accrued)?;
    lease.accrued = Amount::ZERO;
    if lease.deposit > Amount::ZERO
        && !state.move_funds(
            &module_account::market_escrow(),
            &module_account::slashed(),
            lease.deposit,
        )?
    {
        return Err(corrupt("the market escrow cannot slash a bond"));
    }
    let mut rec = provider_record(state, &lease.provider)?;
    rec.wrong = rec.wrong.saturating_add(1);
    state.set_json(state_key::market_provider(&lease.provider), &rec);
    let deposit = lease.deposit;
    update_totals(state, |t| {
        t.bonds_slashed = t.bonds_slashed.checked_add(deposit)?;
        t.wrong_results += 1;
        Some(())
    })
}

fn load_leases(state: &StateOverlay<'_>, order: &Order) -> Result<Vec<Lease>, StoreError> {
    order
        .leases
        .iter()
        .map(|id| must(load_lease(state, *id), "an order's lease"))
        .collect()
}

/// What check a run needs next: `Some((run, None))` a verifier, `Some((run, Some(v)))` a
/// referee between the run and its verifier `v`.
fn checks_wanted(leases: &[Lease]) -> Vec<(u64, Option<u64>)> {
    let mut wanted = Vec::new();
    for run in leases.iter().filter(|l| l.role == LeaseRole::Run) {
        if run.check != Check::Pending {
            continue;
        }
        let verifiers: Vec<&Lease> = leases
            .iter()
            .filter(|l| l.role == LeaseRole::Verifier { of: run.id })
            .collect();
        let referees: Vec<&Lease> = leases
            .iter()
            .filter(|l| matches!(l.role, LeaseRole::Referee { of, .. } if of == run.id))
            .collect();
        let busy = verifiers
            .iter()
            .chain(referees.iter())
            .any(|l| l.is_active());
        if busy {
            continue;
        }
        // The last verifier with a result (timed-out ones have none).
        match verifiers.iter().rev().find(|v| v.output.is_some()) {
            None => wanted.push((run.id, None)),
            Some(v) => {
                if !referees.iter().any(|r| r.output.is_some()) {
                    wanted.push((run.id, Some(v.id)));
                }
            }
        }
    }
    wanted
}

/// Turns stand-in bids into verifier and referee leases for every run that waits for one.
fn assign_checkers(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
) -> Result<(), StoreError> {
    let leases = load_leases(state, order)?;
    for (run_id, verifier) in checks_wanted(&leases) {
        // Providers already on this run's chain of checks may not check it.
        let involved: Vec<Address> = leases
            .iter()
            .filter(|l| {
                l.id == run_id
                    || matches!(l.role, LeaseRole::Verifier { of } if of == run_id)
                    || matches!(l.role, LeaseRole::Referee { of, .. } if of == run_id)
            })
            .map(|l| l.provider)
            .collect();
        let mut candidates = Vec::new();
        let mut trusted = Vec::new();
        for id in &order.bids {
            let bid = must(load_bid(state, *id), "an order's bid")?;
            let rec = provider_record(state, &bid.provider)?;
            if bid.state == BidState::Open && !involved.contains(&bid.provider) && !rec.banned() {
                candidates.push((bid.id, bid.provider, bid.price_per_block));
                if rec.confirmed >= PROBATION_JOBS {
                    trusted.push((bid.id, bid.provider, bid.price_per_block));
                }
            }
        }
        // A referee decides alone: a provider with a record of confirmed results is preferred
        // (any other is taken only while none has such a record).
        let pool = if verifier.is_some() && !trusted.is_empty() {
            &trusted
        } else {
            &candidates
        };
        let Some(chosen) = winners(pool, order.terms.max_price_per_block, 1)
            .first()
            .copied()
        else {
            continue;
        };
        let role = match verifier {
            None => LeaseRole::Verifier { of: run_id },
            Some(v) => LeaseRole::Referee {
                of: run_id,
                verifier: v,
            },
        };
        open_lease(state, height, order, chosen, role)?;
    }
    Ok(())
}

fn open_lease(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
    bid_id: u64,
    role: LeaseRole,
) -> Result<(), StoreError> {
    let mut bid = must(load_bid(state, bid_id), "a winning bid")?;
    let id = next_id(state, "lease")?;
    let lease = Lease {
        id,
        order: order.id,
        bid: bid.id,
        provider: bid.provider,
        device: bid.device,
        price_per_block: bid.price_per_block,
        deposit: bid.deposit,
        role,
        state: LeaseState::Active,
        started: height,
        settled_to: height,
        accrued: Amount::ZERO,
        releasable: Amount::ZERO,
        released: false,
        withdrawn: Amount::ZERO,
        output: None,
        agrees_with: Vec::new(),
        check: Check::None,
    };
    bid.state = BidState::Won { lease: id };
    save_bid(state, &bid);
    save_lease(state, &lease);
    order.leases.push(id);
    Ok(())
}

/// Whether output `a` and lease `b`'s output agree: WASM by hash, inference by the submitter's
/// word (`agrees_with`).
fn agrees(order: &Order, checker: &Lease, other: &Lease) -> bool {
    match order.terms.runtime {
        JobRuntime::Wasm => checker.output.is_some() && checker.output == other.output,
        JobRuntime::Inference => checker.agrees_with.contains(&other.id),
    }
}

/// Check rule: a provider's result for its lease.
pub(crate) fn submit_result(
    state: &mut StateOverlay<'_>,
    height: u64,
    seed: &Hash,
    sender: &Address,
    result: &JobResult,
) -> Result<(), TxFailure> {
    let mut lease = load_lease(state, result.lease)?;
    if lease.provider != *sender {
        return fail(
            TxCode::Unauthorized,
            format!("lease {} is {}'s", lease.id, lease.provider),
        );
    }
    if !lease.is_active() || lease.output.is_some() {
        return fail(
            TxCode::LeaseClosed,
            format!("lease {} has ended or has a result", lease.id),
        );
    }
    let mut order = load_order(state, lease.order)?;
    if !settle(state, &mut order, &mut lease, height)? {
        // The escrow ran out first: the lease closed with `insufficient_funds` and the
        // result is not taken.
        save_lease(state, &lease);
        finish_if_done(state, height, &mut order)?;
        save_order(state, &order);
        return Ok(());
    }
    lease.output = Some(result.output);
    lease.agrees_with = result.agrees_with.clone();
    lease.state = LeaseState::Closed {
        reason: LeaseCloseReason::Completed,
        height,
    };
    match lease.role {
        LeaseRole::Run => {
            let rec = provider_record(state, &lease.provider)?;
            if rec.confirmed < PROBATION_JOBS
                || sampled(seed, lease.id, order.terms.sample_per_mille)
            {
                lease.check = Check::Pending;
            } else {
                accept(state, &mut order, &mut lease, Check::Unchecked)?;
                order.results.push((lease.id, result.output));
            }
            save_lease(state, &lease);
        }
        LeaseRole::Verifier { of } => {
            let mut run = must(load_lease(state, of), "a verified run")?;
            if agrees(&order, &lease, &run) {
                accept(state, &mut order, &mut run, Check::Confirmed)?;
                accept(state, &mut order, &mut lease, Check::Confirmed)?;
                order
                    .results
                    .push((run.id, run.output.ok_or_else(|| corrupt("run output"))?));
                save_lease(state, &run);
            }
            // Otherwise a referee is wanted; the verifier's fate waits for it.
            save_lease(state, &lease);
        }
        LeaseRole::Referee { of, verifier } => {
            let mut run = must(load_lease(state, of), "a refereed run")?;
            let mut ver = must(load_lease(state, verifier), "a refereed verifier")?;
            let with_run = agrees(&order, &lease, &run);
            let with_ver = agrees(&order, &lease, &ver);
            let output = if with_run {
                accept(state, &mut order, &mut run, Check::Confirmed)?;
                reject(state, &mut order, &mut ver, height)?;
                run.output
            } else if with_ver {
                accept(state, &mut order, &mut ver, Check::Confirmed)?;
                reject(state, &mut order, &mut run, height)?;
                ver.output
            } else {
                reject(state, &mut order, &mut run, height)?;
                reject(state, &mut order, &mut ver, height)?;
                lease.output
            };
            accept(state, &mut order, &mut lease, Check::Confirmed)?;
            order
                .results
                .push((of, output.ok_or_else(|| corrupt("refereed output"))?));
            save_lease(state, &run);
            save_lease(state, &ver);
            save_lease(state, &lease);
        }
    }
    assign_checkers(state, height, &mut order)?;
    finish_if_done(state, height, &mut order)?;
    save_order(state, &order);
    Ok(())
}

/// The provider takes what its lease has released.
pub(crate) fn withdraw(
    state: &mut StateOverlay<'_>,
    sender: &Address,
    id: u64,
) -> Result<(), TxFailure> {
    let mut lease = load_lease(state, id)?;
    if lease.provider != *sender {
        return fail(
            TxCode::Unauthorized,
            format!("lease {id} is {}'s", lease.provider),
        );
    }
    let amount = if lease.released {
        sub(lease.releasable, lease.withdrawn)?
    } else {
        Amount::ZERO
    };
    if amount == Amount::ZERO {
        return fail(
            TxCode::NothingToWithdraw,
            format!("lease {id} has released nothing more to withdraw"),
        );
    }
    pay_out(state, sender, amount)?;
    lease.withdrawn = add(lease.withdrawn, amount)?;
    save_lease(state, &lease);
    update_totals(state, |t| {
        t.withdrawn = t.withdrawn.checked_add(amount)?;
        Some(())
    })?;
    Ok(())
}

/// Ends a lease without a result: unpaid (what it accrued goes back to the escrow), its bond
/// returned; a run is looked for again.
fn abandon(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
    lease: &mut Lease,
    reason: LeaseCloseReason,
) -> Result<(), StoreError> {
    settle(state, order, lease, height)?;
    if !lease.is_active() {
        return Ok(());
    }
    order.escrow = add(order.escrow, lease.accrued)?;
    lease.accrued = Amount::ZERO;
    lease.state = LeaseState::Closed { reason, height };
    return_bond(state, &lease.provider, lease.deposit)?;
    if lease.role == LeaseRole::Run && !order.is_closed() {
        order.wanted += 1;
        if order.state == OrderState::Matched {
            order.state = OrderState::Open;
            order.bid_deadline = height + BID_WINDOW_BLOCKS;
        }
    }
    Ok(())
}

/// The provider gives its lease up.
pub(crate) fn close_lease(
    state: &mut StateOverlay<'_>,
    height: u64,
    sender: &Address,
    id: u64,
) -> Result<(), TxFailure> {
    let mut lease = load_lease(state, id)?;
    if lease.provider != *sender {
        return fail(
            TxCode::Unauthorized,
            format!("lease {id} is {}'s", lease.provider),
        );
    }
    if !lease.is_active() {
        return fail(TxCode::LeaseClosed, format!("lease {id} has ended"));
    }
    let mut order = load_order(state, lease.order)?;
    abandon(
        state,
        height,
        &mut order,
        &mut lease,
        LeaseCloseReason::ClosedByProvider,
    )?;
    save_lease(state, &lease);
    assign_checkers(state, height, &mut order)?;
    save_order(state, &order);
    Ok(())
}

/// Close rule, on the consumer's request.
pub(crate) fn close_order(
    state: &mut StateOverlay<'_>,
    height: u64,
    sender: &Address,
    id: u64,
) -> Result<(), TxFailure> {
    let mut order = load_order(state, id)?;
    if order.owner != *sender {
        return fail(
            TxCode::Unauthorized,
            format!("order {id} is {}'s", order.owner),
        );
    }
    if order.is_closed() {
        return fail(TxCode::OrderClosed, format!("order {id} has ended"));
    }
    for mut lease in load_leases(state, &order)? {
        if lease.is_active() {
            settle(state, &mut order, &mut lease, height)?;
            if lease.is_active() {
                // Paid for the blocks it ran.
                lease.state = LeaseState::Closed {
                    reason: LeaseCloseReason::ClosedByOwner,
                    height,
                };
                release(state, &mut order, &mut lease)?;
                return_bond(state, &lease.provider, lease.deposit)?;
            }
            save_lease(state, &lease);
        } else if lease.check == Check::Pending {
            // The consumer gives up the check: the result stands unchecked.
            accept(state, &mut order, &mut lease, Check::Unchecked)?;
            save_lease(state, &lease);
        } else if lease.output.is_some() && !lease.released && lease.check == Check::None {
            // A verifier whose disagreement was never refereed: paid for its run.
            accept(state, &mut order, &mut lease, Check::Unchecked)?;
            save_lease(state, &lease);
        }
    }
    close(state, height, &mut order, OrderCloseReason::Cancelled)?;
    save_order(state, &order);
    Ok(())
}

/// Ends an order: open bids lost (bonds returned), the escrow's rest refunded.
fn close(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
    reason: OrderCloseReason,
) -> Result<(), StoreError> {
    for id in order.bids.clone() {
        let mut bid = must(load_bid(state, id), "an order's bid")?;
        if bid.state == BidState::Open {
            bid.state = BidState::Lost;
            return_bond(state, &bid.provider, bid.deposit)?;
            save_bid(state, &bid);
        }
    }
    let rest = order.escrow;
    pay_out(state, &order.owner, rest)?;
    order.escrow = Amount::ZERO;
    order.refunded = add(order.refunded, rest)?;
    order.state = OrderState::Closed { reason, height };
    update_totals(state, |t| {
        t.refunded = t.refunded.checked_add(rest)?;
        Some(())
    })?;
    let mut live = live_orders(state)?;
    live.retain(|o| *o != order.id);
    state.set_json(state_key::market_live_orders(), &live);
    Ok(())
}

/// Closes a matched order whose leases have all ended and whose results are all decided.
fn finish_if_done(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
) -> Result<(), StoreError> {
    if order.state != OrderState::Matched {
        return Ok(());
    }
    let leases = load_leases(state, order)?;
    if leases.iter().any(|l| l.is_active()) {
        return Ok(());
    }
    let undecided = leases.iter().any(|l| l.check == Check::Pending);
    if order.wanted > 0 && !undecided && order.escrow > Amount::ZERO {
        // Runs still wanted (too few bids last time, or a run was given up): bid again.
        order.state = OrderState::Open;
        order.bid_deadline = height + BID_WINDOW_BLOCKS;
    } else if order.results.len() as u32 >= order.terms.replicas && !undecided {
        // Verifiers whose disagreement a referee settled in the run's favour were rejected;
        // any other finished checker was accepted with its run.
        close(state, height, order, OrderCloseReason::Completed)?;
    } else if order.escrow == Amount::ZERO {
        for mut l in leases {
            if l.check == Check::Pending {
                // No one can be paid to check it: the result stands unchecked.
                accept(state, order, &mut l, Check::Unchecked)?;
                order
                    .results
                    .push((l.id, l.output.ok_or_else(|| corrupt("pending output"))?));
                save_lease(state, &l);
            }
        }
        let reason = if order.results.len() as u32 >= order.terms.replicas {
            OrderCloseReason::Completed
        } else {
            OrderCloseReason::InsufficientFunds
        };
        close(state, height, order, reason)?;
    }
    Ok(())
}

/// Match, timeout, funds and close rules, at the end of every block.
pub(crate) fn end_block(state: &mut StateOverlay<'_>, height: u64) -> Result<(), StoreError> {
    for id in live_orders(state)? {
        let mut order = must(load_order(state, id), "a live order")?;
        if order.state == OrderState::Open && height >= order.bid_deadline {
            match_order(state, height, &mut order)?;
        }
        if order.state == OrderState::Matched {
            // A provider may have become trusted enough to referee since the last block.
            assign_checkers(state, height, &mut order)?;
            let mut owed = Amount::ZERO;
            let mut timed_out = false;
            let leases = load_leases(state, &order)?;
            for l in leases.iter().filter(|l| l.is_active()) {
                let blocks = (height.saturating_sub(l.settled_to)) as u128;
                owed = owed
                    .checked_add(
                        l.price_per_block
                            .0
                            .checked_mul(blocks)
                            .map(Amount)
                            .unwrap_or(Amount(u128::MAX)),
                    )
                    .unwrap_or(Amount(u128::MAX));
                timed_out |= height >= l.started + order.terms.duration_blocks;
            }
            // Touched only when a lease times out or the escrow cannot pay what is owed.
            if owed > order.escrow || timed_out {
                for mut l in leases.into_iter().filter(|l| l.is_active()) {
                    if height >= l.started + order.terms.duration_blocks {
                        abandon(state, height, &mut order, &mut l, LeaseCloseReason::Timeout)?;
                    } else {
                        settle(state, &mut order, &mut l, height)?;
                    }
                    save_lease(state, &l);
                }
                assign_checkers(state, height, &mut order)?;
                finish_if_done(state, height, &mut order)?;
            }
        }
        save_order(state, &order);
    }
    Ok(())
}

fn match_order(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
) -> Result<(), StoreError> {
    let leases = load_leases(state, order)?;
    // A provider that already ran (or runs) one of this order's replicas is not picked again.
    let taken: Vec<Address> = leases
        .iter()
        .filter(|l| {
            l.role == LeaseRole::Run
                && l.check != Check::Wrong
                && (l.is_active() || l.output.is_some())
        })
        .map(|l| l.provider)
        .collect();
    let mut candidates = Vec::new();
    for id in &order.bids {
        let bid = must(load_bid(state, *id), "an order's bid")?;
        if bid.state == BidState::Open && !taken.contains(&bid.provider) {
            candidates.push((bid.id, bid.provider, bid.price_per_block));
        }
    }
    let chosen = winners(
        &candidates,
        order.terms.max_price_per_block,
        order.wanted as usize,
    );
    if chosen.is_empty() {
        if leases
            .iter()
            .any(|l| l.is_active() || l.check == Check::Pending)
        {
            // Others still run: wait for them, then try again.
            order.state = OrderState::Matched;
            return Ok(());
        }
        let reason = if order.results.is_empty() {
            OrderCloseReason::NoBids
        } else {
            OrderCloseReason::Completed
        };
        return close(state, height, order, reason);
    }
    order.wanted -= chosen.len() as u32;
    for bid in chosen {
        open_lease(state, height, order, bid, LeaseRole::Run)?;
    }
    order.state = OrderState::Matched;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid(id: u64, provider: u8, uplx: u128) -> (u64, Address, Amount) {
        (
            id,
            Address([provider; plexus_types::address::ADDRESS_LEN]),
            Amount(uplx),
        )
    }

    #[test]
    fn the_cheapest_distinct_providers_win_and_ties_go_to_the_earlier_bid() {
        let bids = [
            bid(0, 1, 50),
            bid(1, 2, 30),
            bid(2, 2, 20), // provider 2's cheaper bid counts
            bid(3, 3, 30),
            bid(4, 4, 30),
            bid(5, 5, 500), // above the cap
        ];
        assert_eq!(winners(&bids, Amount(100), 3), vec![2, 3, 4]);
        assert_eq!(winners(&bids, Amount(100), 10), vec![2, 3, 4, 0]);
        assert_eq!(winners(&bids, Amount(10), 1), Vec::<u64>::new());
    }

    #[test]
    fn samples_follow_the_rate() {
        let seed = Hash::of(b"seed");
        let hits = (0..10_000).filter(|l| sampled(&seed, *l, 100)).count();
        assert!((800..1200).contains(&hits), "{hits} of 10 000 at 10%");
        assert!((0..1000).all(|l| sampled(&seed, l, 1000)));
        assert!(!(0..1000).any(|l| sampled(&seed, l, 0)));
    }
}
