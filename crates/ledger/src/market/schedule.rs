//! When a block's end must look at an order: the market's end-of-block work is the orders due
//! at that height, not every live order, so it stays flat however many orders are open.
//!
//! An order is due at the end of every block in which a transaction touched it, and at the
//! next height where anything can happen to it without one: its bid window closing, a result
//! to sample or a check to draw (the block after the result or the need), a sealed result's
//! reveal deadline, a lease timing out,
//! or the escrow no longer covering what its active leases owe.

use super::lifecycle::{checks_wanted, closed_at, load_leases};
use super::{state_key, Check, LeaseRole, Order, OrderState};
use crate::codes::TxFailure;
use crate::id_set::IdList;
use crate::overlay::StateOverlay;

/// The orders due at the end of block `height` (a transaction's `save_order` adds to it).
pub(super) fn due(height: u64) -> IdList {
    IdList(state_key::market_due(height))
}

/// The first height after `now` at which `order` must be looked at, if any.
pub(super) fn next_due(
    state: &StateOverlay<'_>,
    order: &Order,
    now: u64,
) -> Result<Option<u64>, TxFailure> {
    if order.is_closed() {
        return Ok(None);
    }
    let after = now.saturating_add(1);
    let mut next: Option<u64> = None;
    let mut at = |h: u64| {
        let h = h.max(after);
        next = Some(next.map_or(h, |n| n.min(h)));
    };
    if order.state == OrderState::Open {
        at(order.bid_deadline);
    }
    let leases = load_leases(state, order)?;
    let (mut price, mut settled) = (0u128, Some(0u128));
    for l in &leases {
        if l.role == LeaseRole::Run && l.check == Check::Drawing {
            at(closed_at(l).saturating_add(1));
        }
        if let Some(by) = l.reveal_by() {
            at(by);
        }
        if l.is_active() {
            at(l.started.saturating_add(order.terms.duration_blocks));
            price = price.saturating_add(l.price_per_block.0);
            settled = settled.and_then(|s| {
                s.checked_add(l.price_per_block.0.checked_mul(l.settled_to as u128)?)
            });
        }
    }
    for need in checks_wanted(&leases) {
        at(need.since.saturating_add(1));
    }
    // What the active leases owe at height h is price·h − settled; the escrow runs out at the
    // first h where that exceeds it.
    if price > 0 {
        let dry = settled
            .and_then(|s| s.checked_add(order.escrow.0))
            .and_then(|covered| (covered / price).checked_add(1))
            .and_then(|h| u64::try_from(h).ok());
        if let Some(h) = dry {
            at(h);
        }
    }
    Ok(next)
}
