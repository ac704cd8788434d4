//! The market's end of every block: bid windows that close are matched, results are sampled
//! and checkers drawn from the block's beacon, leases that time out or that the escrow cannot
//! pay are settled, and orders that are done are closed.

use super::lifecycle::{
    abandon, assign_checkers, close, draw_samples, finish_if_done, forfeit_unrevealed, load_leases,
    open_lease, settle, undecided,
};
use super::rules::winners;
use super::schedule;
use super::store::{load_bid, load_order, put_order, save_lease};
use super::{
    must, BidState, Check, LeaseCloseReason, LeaseRole, Order, OrderCloseReason, OrderState,
};
use crate::beacon::Beacon;
use crate::codes::TxFailure;
use crate::overlay::StateOverlay;
use plexus_store::StoreError;
use plexus_types::{Address, Amount};
use std::collections::BTreeSet;

/// Match, timeout, funds and close rules, at the end of every block.
pub(crate) fn end_block(state: &mut StateOverlay<'_>, beacon: &Beacon) -> Result<(), StoreError> {
    let height = beacon.height;
    let due: BTreeSet<u64> = schedule::due(height).drain(state)?.into_iter().collect();
    for id in due {
        let mut order = must(load_order(state, id), "a due order")?;
        if order.is_closed() {
            continue;
        }
        if order.state == OrderState::Open && height >= order.bid_deadline {
            match_order(state, height, &mut order)?;
        }
        if !order.is_closed() {
            forfeit_unrevealed(state, height, &mut order)?;
            // Results of earlier blocks are sampled, and checks they need drawn, by this
            // block's beacon.
            draw_samples(state, beacon, &mut order)?;
            assign_checkers(state, beacon, &mut order)?;
            finish_if_done(state, height, &mut order)?;
        }
        if order.state == OrderState::Matched {
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
                timed_out |= height >= l.started.saturating_add(order.terms.duration_blocks);
            }
            // Touched only when a lease times out or the escrow cannot pay what is owed.
            if owed > order.escrow || timed_out {
                for mut l in leases.into_iter().filter(|l| l.is_active()) {
                    if height >= l.started.saturating_add(order.terms.duration_blocks) {
                        abandon(state, height, &mut order, &mut l, LeaseCloseReason::Timeout)?;
                    } else {
                        settle(state, &mut order, &mut l, height)?;
                    }
                    save_lease(state, &l);
                }
                finish_if_done(state, height, &mut order)?;
            }
        }
        put_order(state, &order);
        if let Some(at) = schedule::next_due(state, &order, height)? {
            schedule::due(at).push(state, id)?;
        }
    }
    Ok(())
}

fn match_order(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
) -> Result<(), TxFailure> {
    let leases = load_leases(state, order)?;
    // A provider that already ran (or runs) one of this order's replicas is not picked again.
    let taken: Vec<Address> = leases
        .iter()
        .filter(|l| {
            l.role == LeaseRole::Run
                && l.check != Check::Wrong
                && (l.is_active() || l.sealed.is_some())
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
            .any(|l| l.is_active() || undecided(l) || l.awaits_reveal())
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
