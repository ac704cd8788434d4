//! The market's actions: orders, bids, results, withdrawals and closes.

use super::lifecycle::{
    abandon, accept, agrees, close, finish_if_done, load_leases, reject, release, return_bond,
    settle,
};
use super::rules::covers;
use super::store::{
    load_bid, load_lease, load_order, next_id, pay_out, provider_record, save_bid, save_lease,
    save_order, update_totals,
};
use super::{
    add, corrupt, escrow_account, fail, must, state_key, sub, Bid, BidState, Check, Lease,
    LeaseCloseReason, LeaseRole, LeaseState, Order, OrderCloseReason, OrderState,
    BID_WINDOW_BLOCKS, MAX_BIDS_PER_ORDER, MIN_BID_DEPOSIT,
};
use crate::codes::{TxCode, TxFailure};
use crate::id_set::{IdList, IdSet};
use crate::overlay::StateOverlay;
use crate::registry::{self, DeviceStatus};
use plexus_types::{Address, Amount, Hash, JobResult, OrderTerms, PublicKey};

/// Order rule.
pub(crate) fn create_order(
    state: &mut StateOverlay<'_>,
    height: u64,
    owner: &Address,
    terms: &OrderTerms,
) -> Result<(), TxFailure> {
    if !escrow_account().lock(state, owner, terms.deposit)? {
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
    save_order(state, height, &order)?;
    IdSet(state_key::market_live()).insert(state, id)?;
    IdList(state_key::market_owner_orders(owner)).push(state, id)?;
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
    check_bidder(state, provider, device, &order)?;
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
    if !escrow_account().lock(state, provider, deposit)? {
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
    save_order(state, height, &order)?;
    Ok(())
}

/// The bid rule's checks of who bids: a device the provider owns, active, that can run the
/// order, from a provider not banned.
fn check_bidder(
    state: &StateOverlay<'_>,
    provider: &Address,
    device: &PublicKey,
    order: &Order,
) -> Result<(), TxFailure> {
    let order_id = order.id;
    let Some(dev) = registry::load(state, device)? else {
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
            format!("{provider} lost a bond for a wrong result, or for sealed results it hid, and may not bid"),
        );
    }
    Ok(())
}

/// The bidder withdraws an open bid.
pub(crate) fn close_bid(
    state: &mut StateOverlay<'_>,
    sender: &Address,
    id: u64,
) -> Result<(), TxFailure> {
    let mut bid = load_bid(state, id)?;
    only_by(sender, &bid.provider, format_args!("bid {id}"))?;
    if bid.state != BidState::Open {
        return fail(TxCode::BidClosed, format!("bid {id} is no longer open"));
    }
    bid.state = BidState::Withdrawn;
    return_bond(state, &bid.provider, bid.deposit)?;
    save_bid(state, &bid);
    Ok(())
}

/// Seal rule: a provider's sealed result for its lease ends and settles the lease. A run's
/// seal waits for the sample draw (`Check::Drawing`); a verifier's asks its run to reveal; a
/// referee, whose run and verifier have revealed, is asked to reveal at once.
pub(crate) fn seal_result(
    state: &mut StateOverlay<'_>,
    height: u64,
    sender: &Address,
    id: u64,
    seal: Hash,
) -> Result<(), TxFailure> {
    let mut lease = own_lease(state, sender, id)?;
    if !lease.is_active() || lease.sealed.is_some() {
        return fail(
            TxCode::LeaseClosed,
            format!("lease {id} has ended or has a result"),
        );
    }
    let mut order = load_order(state, lease.order)?;
    if !settle(state, &mut order, &mut lease, height)? {
        // The escrow ran out first: the lease closed with `insufficient_funds` and the
        // result is not taken.
        save_lease(state, &lease);
        finish_if_done(state, height, &mut order)?;
        save_order(state, height, &order)?;
        return Ok(());
    }
    lease.sealed = Some(seal);
    lease.state = LeaseState::Closed {
        reason: LeaseCloseReason::Completed,
        height,
    };
    match lease.role {
        LeaseRole::Run => lease.check = Check::Drawing,
        LeaseRole::Verifier { of } => {
            let mut run = must(load_lease(state, of), "a verified run")?;
            if run.output.is_some() {
                lease.reveal_from = height;
            } else if run.reveal_from == 0 {
                run.reveal_from = height;
                save_lease(state, &run);
            }
        }
        LeaseRole::Referee { .. } => lease.reveal_from = height,
    }
    save_lease(state, &lease);
    finish_if_done(state, height, &mut order)?;
    save_order(state, height, &order)?;
    Ok(())
}

/// Reveal rule: the output a provider sealed, once the ledger asks for it. A run left
/// unchecked is accepted; a sampled run's verifier is asked to reveal in turn; a check decides
/// as [`decide_check`] says.
pub(crate) fn reveal_result(
    state: &mut StateOverlay<'_>,
    height: u64,
    sender: &Address,
    result: &JobResult,
) -> Result<(), TxFailure> {
    let id = result.lease;
    let mut lease = own_lease(state, sender, id)?;
    let Some(seal) = lease.sealed else {
        return fail(
            TxCode::NotSealed,
            format!("lease {id} has no sealed result to reveal: seal it first"),
        );
    };
    if !lease.awaits_reveal() {
        return fail(
            TxCode::LeaseClosed,
            format!("lease {id}'s result was revealed or forfeited"),
        );
    }
    if lease.reveal_from == 0 {
        let after = match lease.role {
            LeaseRole::Run => "its sample draw, or its verifier's seal",
            _ => "the run it checks reveals",
        };
        return fail(
            TxCode::RevealTooEarly,
            format!("lease {id}'s result is not asked for yet: it is revealed after {after}"),
        );
    }
    if result.seal(sender) != seal {
        return fail(
            TxCode::SealMismatch,
            format!("the output and salt do not open lease {id}'s seal"),
        );
    }
    let mut order = load_order(state, lease.order)?;
    lease.output = Some(result.output);
    lease.agrees_with = result.agrees_with.clone();
    match lease.role {
        LeaseRole::Run if lease.check == Check::Revealing => {
            accept(state, &mut order, &mut lease, Check::Unchecked)?;
            order.results.push((lease.id, result.output));
        }
        LeaseRole::Run => {
            // Sampled: its sealed verifier is asked to reveal now.
            for mut ver in load_leases(state, &order)? {
                if ver.role == (LeaseRole::Verifier { of: id }) && ver.awaits_reveal() {
                    ver.reveal_from = height;
                    save_lease(state, &ver);
                }
            }
        }
        _ => decide_check(state, height, &mut order, &mut lease)?,
    }
    save_lease(state, &lease);
    finish_if_done(state, height, &mut order)?;
    save_order(state, height, &order)?;
    Ok(())
}

/// Check rule, on a checker's revealed output: a verifier that agrees confirms the run (one
/// that does not calls for a referee); a referee confirms whichever of the two it agrees
/// with and shows the other wrong, and if it agrees with neither the run stands unchecked.
fn decide_check(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
    lease: &mut Lease,
) -> Result<(), TxFailure> {
    match lease.role {
        LeaseRole::Run => {}
        LeaseRole::Verifier { of } => {
            let mut run = must(load_lease(state, of), "a verified run")?;
            if agrees(order, lease, &run) {
                accept(state, order, &mut run, Check::Confirmed)?;
                accept(state, order, lease, Check::Confirmed)?;
                order
                    .results
                    .push((run.id, run.output.ok_or_else(|| corrupt("run output"))?));
                save_lease(state, &run);
            }
            // Otherwise a referee is wanted; the verifier's fate waits for it.
        }
        LeaseRole::Referee { of, verifier } => {
            let mut run = must(load_lease(state, of), "a refereed run")?;
            let mut ver = must(load_lease(state, verifier), "a refereed verifier")?;
            let with_run = agrees(order, lease, &run);
            let with_ver = agrees(order, lease, &ver);
            let output = if with_run {
                accept(state, order, &mut run, Check::Confirmed)?;
                reject(state, order, &mut ver, height)?;
                run.output
            } else if with_ver {
                accept(state, order, &mut ver, Check::Confirmed)?;
                reject(state, order, &mut run, height)?;
                ver.output
            } else {
                // Three outputs, no two alike: nobody is shown wrong on one provider's word.
                // The run's result stands unchecked, as a disagreement no one can referee
                // does (else one lying checker after another could slash an honest run).
                accept(state, order, &mut run, Check::Unchecked)?;
                accept(state, order, &mut ver, Check::Unchecked)?;
                run.output
            };
            let check = if with_run || with_ver {
                Check::Confirmed
            } else {
                Check::Unchecked
            };
            accept(state, order, lease, check)?;
            order
                .results
                .push((of, output.ok_or_else(|| corrupt("refereed output"))?));
            save_lease(state, &run);
            save_lease(state, &ver);
        }
    }
    Ok(())
}

/// The provider takes what its lease has released.
pub(crate) fn withdraw(
    state: &mut StateOverlay<'_>,
    sender: &Address,
    id: u64,
) -> Result<(), TxFailure> {
    let mut lease = own_lease(state, sender, id)?;
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

/// The provider gives its lease up.
pub(crate) fn close_lease(
    state: &mut StateOverlay<'_>,
    height: u64,
    sender: &Address,
    id: u64,
) -> Result<(), TxFailure> {
    let mut lease = own_lease(state, sender, id)?;
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
    save_order(state, height, &order)?;
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
    only_by(sender, &order.owner, format_args!("order {id}"))?;
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
        }
    }
    // What is undecided stands unchecked (the consumer gives up its checks).
    close(state, height, &mut order, OrderCloseReason::Cancelled)?;
    save_order(state, height, &order)?;
    Ok(())
}

/// Lease `id`, which only its provider may act on.
fn own_lease(
    state: &StateOverlay<'_>,
    sender: &Address,
    id: u64,
) -> Result<super::Lease, TxFailure> {
    let lease = load_lease(state, id)?;
    only_by(sender, &lease.provider, format_args!("lease {id}"))?;
    Ok(lease)
}

/// Refuses `sender` acting on `what`, which is `owner`'s.
fn only_by(
    sender: &Address,
    owner: &Address,
    what: std::fmt::Arguments<'_>,
) -> Result<(), TxFailure> {
    if sender != owner {
        return fail(TxCode::Unauthorized, format!("{what} is {owner}'s"));
    }
    Ok(())
}
