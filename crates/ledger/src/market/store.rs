//! The market's records in the state a block is building: loads and saves of orders, bids,
//! leases, provider records and totals, and payments out of the market escrow.

use super::state_key;
use super::{escrow_account, fail, Bid, Lease, MarketTotals, Order, ProviderRecord};
use crate::codes::{TxCode, TxFailure};
use crate::id_set::IdList;
use crate::overlay::StateOverlay;
use plexus_types::{Address, Amount};

pub(super) fn next_id(state: &mut StateOverlay<'_>, kind: &str) -> Result<u64, TxFailure> {
    let key = state_key::market_count(kind);
    let id = state.get_u64(&key)?;
    let next = id
        .checked_add(1)
        .ok_or_else(|| TxFailure::overflow(format_args!("the market's {kind} count")))?;
    state.set_u64(key, next);
    Ok(id)
}

pub(super) fn load_order(state: &StateOverlay<'_>, id: u64) -> Result<Order, TxFailure> {
    match state.get_json(&state_key::market_order(id))? {
        Some(o) => Ok(o),
        None => fail(TxCode::UnknownOrder, format!("no order {id}")),
    }
}

pub(super) fn load_bid(state: &StateOverlay<'_>, id: u64) -> Result<Bid, TxFailure> {
    match state.get_json(&state_key::market_bid(id))? {
        Some(b) => Ok(b),
        None => fail(TxCode::UnknownBid, format!("no bid {id}")),
    }
}

pub(super) fn load_lease(state: &StateOverlay<'_>, id: u64) -> Result<Lease, TxFailure> {
    match state.get_json(&state_key::market_lease(id))? {
        Some(l) => Ok(l),
        None => fail(TxCode::UnknownLease, format!("no lease {id}")),
    }
}

/// Saves an order a transaction of block `height` changed; the block's end looks at it.
pub(super) fn save_order(
    state: &mut StateOverlay<'_>,
    height: u64,
    o: &Order,
) -> Result<(), TxFailure> {
    put_order(state, o);
    Ok(IdList(state_key::market_due(height)).push(state, o.id)?)
}

/// Saves an order without marking it due (the block's end, which schedules it itself).
pub(super) fn put_order(state: &mut StateOverlay<'_>, o: &Order) {
    state.set_json(state_key::market_order(o.id), o);
}

pub(super) fn save_bid(state: &mut StateOverlay<'_>, b: &Bid) {
    state.set_json(state_key::market_bid(b.id), b);
}

pub(super) fn save_lease(state: &mut StateOverlay<'_>, l: &Lease) {
    state.set_json(state_key::market_lease(l.id), l);
}

pub(super) fn totals(state: &StateOverlay<'_>) -> Result<MarketTotals, TxFailure> {
    Ok(state
        .get_json(&state_key::market_totals())?
        .unwrap_or_default())
}

pub(super) fn update_totals(
    state: &mut StateOverlay<'_>,
    f: impl FnOnce(&mut MarketTotals) -> Option<()>,
) -> Result<(), TxFailure> {
    let mut t = totals(state)?;
    f(&mut t).ok_or_else(|| TxFailure::overflow("the market's running totals"))?;
    state.set_json(state_key::market_totals(), &t);
    Ok(())
}

pub(super) fn provider_record(
    state: &StateOverlay<'_>,
    p: &Address,
) -> Result<ProviderRecord, TxFailure> {
    Ok(state
        .get_json(&state_key::market_provider(p))?
        .unwrap_or_default())
}

pub(super) fn pay_out(
    state: &mut StateOverlay<'_>,
    to: &Address,
    amount: Amount,
) -> Result<(), TxFailure> {
    if amount > Amount::ZERO {
        escrow_account().pay_out(state, to, amount, "the market escrow cannot pay")?;
    }
    Ok(())
}
