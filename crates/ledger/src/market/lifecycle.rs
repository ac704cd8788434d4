//! What happens to leases and orders as results land, blocks pass and escrow runs out:
//! settlement, release, acceptance and slashing of results, assignment of checkers, and the
//! end of orders.

use super::rules::{draw_checker, sampled};
use super::store::{
    load_bid, load_lease, next_id, pay_out, provider_record, save_bid, save_lease, update_totals,
};
use super::{
    add, corrupt, escrow_account, must, state_key, sub, BidState, Check, Lease, LeaseCloseReason,
    LeaseRole, LeaseState, Order, OrderCloseReason, OrderState, BID_WINDOW_BLOCKS, FEE_PER_MILLE,
    PROBATION_JOBS,
};
use crate::bank::module_account;
use crate::beacon::Beacon;
use crate::codes::TxFailure;
use crate::id_set::IdSet;
use crate::overlay::StateOverlay;
use crate::registry::{self, DeviceStatus};
use plexus_types::{Address, Amount, JobRuntime};

pub(super) fn return_bond(
    state: &mut StateOverlay<'_>,
    provider: &Address,
    deposit: Amount,
) -> Result<(), TxFailure> {
    pay_out(state, provider, deposit)?;
    update_totals(state, |t| {
        t.bonds_returned = t.bonds_returned.checked_add(deposit)?;
        Some(())
    })
}

/// Settlement rule: moves what `lease` owes up to `height` from the order's escrow into the
/// lease. Returns false, having closed the lease with `insufficient_funds`, when the escrow
/// could not pay it all.
pub(super) fn settle(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
    lease: &mut Lease,
    height: u64,
) -> Result<bool, TxFailure> {
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
    // The escrow cannot pay the blocks and no result came: as for a timeout, nothing is paid
    // (else a provider could wait the escrow out instead of working); what the lease accrued
    // goes back to the escrow, refunded when the order closes.
    order.escrow = add(order.escrow, lease.accrued)?;
    lease.accrued = Amount::ZERO;
    lease.settled_to = height;
    lease.state = LeaseState::Closed {
        reason: LeaseCloseReason::InsufficientFunds,
        height,
    };
    return_bond(state, &lease.provider, lease.deposit)?;
    Ok(false)
}

/// Release rule: the lease's earnings, less the fee, become the provider's to withdraw.
pub(super) fn release(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
    lease: &mut Lease,
) -> Result<(), TxFailure> {
    if lease.released {
        return Ok(());
    }
    // floor(accrued × 10 / 1000) exactly: the product alone overflows for earnings near the
    // largest amount, which a consumer's deposit and a provider's price can reach.
    let fee = plexus_rewards::payout(lease.accrued.0, FEE_PER_MILLE, 1000)
        .map(Amount)
        .map_err(|e| corrupt(&format!("market fee: {e}")))?;
    let net = sub(lease.accrued, fee)?;
    if fee > Amount::ZERO {
        let fee_pool = module_account::fee_pool();
        escrow_account().pay_out(state, &fee_pool, fee, "the market escrow cannot pay a fee")?;
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
pub(super) fn accept(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
    lease: &mut Lease,
    check: Check,
) -> Result<(), TxFailure> {
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
pub(super) fn reject(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
    lease: &mut Lease,
    height: u64,
) -> Result<(), TxFailure> {
    lease.check = Check::Wrong;
    take_bond(state, order, lease, LeaseCloseReason::WrongResult, height)?;
    let mut rec = provider_record(state, &lease.provider)?;
    rec.wrong = rec.wrong.saturating_add(1);
    state.set_json(state_key::market_provider(&lease.provider), &rec);
    update_totals(state, |t| {
        t.wrong_results += 1;
        Some(())
    })
}

/// Closes `lease` for `reason`, unpaid (what it accrued goes back to the escrow), its bond to
/// the slashed account.
fn take_bond(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
    lease: &mut Lease,
    reason: LeaseCloseReason,
    height: u64,
) -> Result<(), TxFailure> {
    lease.state = LeaseState::Closed { reason, height };
    order.escrow = add(order.escrow, lease.accrued)?;
    lease.accrued = Amount::ZERO;
    let deposit = lease.deposit;
    if deposit > Amount::ZERO {
        let slashed = module_account::slashed();
        let what = "the market escrow cannot slash a bond";
        escrow_account().pay_out(state, &slashed, deposit, what)?;
    }
    update_totals(state, |t| {
        t.bonds_slashed = t.bonds_slashed.checked_add(deposit)?;
        Some(())
    })
}

pub(super) fn load_leases(
    state: &StateOverlay<'_>,
    order: &Order,
) -> Result<Vec<Lease>, TxFailure> {
    order
        .leases
        .iter()
        .map(|id| must(load_lease(state, *id), "an order's lease"))
        .collect()
}

/// A check a run needs: a verifier (`verifier: None`) or a referee between the run and its
/// verifier, wanted since the block `since` (the result, or the timeout, that called for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Wanted {
    pub run: u64,
    pub verifier: Option<u64>,
    pub since: u64,
}

pub(super) fn closed_at(lease: &Lease) -> u64 {
    match lease.state {
        LeaseState::Closed { height, .. } => height,
        LeaseState::Active => lease.started,
    }
}

/// What checks an order's runs need next.
pub(super) fn checks_wanted(leases: &[Lease]) -> Vec<Wanted> {
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
            .any(|l| l.is_active() || l.awaits_reveal());
        if busy {
            continue;
        }
        let latest =
            |ls: &[&Lease], from: u64| ls.iter().map(|l| closed_at(l)).fold(from, u64::max);
        // The last verifier with a result (timed-out ones have none).
        match verifiers.iter().rev().find(|v| v.output.is_some()) {
            None => wanted.push(Wanted {
                run: run.id,
                verifier: None,
                since: latest(&verifiers, closed_at(run)),
            }),
            Some(v) => {
                if !referees.iter().any(|r| r.output.is_some()) {
                    wanted.push(Wanted {
                        run: run.id,
                        verifier: Some(v.id),
                        since: latest(&referees, closed_at(v)),
                    });
                }
            }
        }
    }
    wanted
}

/// Sample rule, at the end of a block after a run's seal: a provider on probation is always
/// checked, any other as the beacon draws; an unchecked result is asked for, and accepted
/// when revealed.
pub(super) fn draw_samples(
    state: &mut StateOverlay<'_>,
    beacon: &Beacon,
    order: &mut Order,
) -> Result<(), TxFailure> {
    for mut run in load_leases(state, order)? {
        if run.check != Check::Drawing || !beacon.follows(closed_at(&run)) {
            continue;
        }
        let rec = provider_record(state, &run.provider)?;
        if rec.confirmed < PROBATION_JOBS || sampled(beacon, run.id, order.terms.sample_per_mille) {
            run.check = Check::Pending;
        } else {
            run.check = Check::Revealing;
            run.reveal_from = beacon.height;
        }
        save_lease(state, &run);
    }
    Ok(())
}

/// Checker rule, at the end of a block after the need arose: every run waiting for a check
/// gets a verifier or referee drawn by the beacon from the order's open bids, weighted by bond.
/// Eligible are bids placed before the run's result (nobody bids to check a result it has
/// seen), from providers not banned, whose device is still active, and not already on this
/// run's chain of checks; a referee with a record of confirmed results is preferred.
pub(super) fn assign_checkers(
    state: &mut StateOverlay<'_>,
    beacon: &Beacon,
    order: &mut Order,
) -> Result<(), TxFailure> {
    let leases = load_leases(state, order)?;
    for need in checks_wanted(&leases) {
        if !beacon.follows(need.since) {
            continue;
        }
        let run = leases
            .iter()
            .find(|l| l.id == need.run)
            .ok_or_else(|| corrupt("a checked run"))?;
        // Providers already on this run's chain of checks may not check it.
        let involved: Vec<Address> = leases
            .iter()
            .filter(|l| {
                l.id == need.run
                    || matches!(l.role, LeaseRole::Verifier { of } if of == need.run)
                    || matches!(l.role, LeaseRole::Referee { of, .. } if of == need.run)
            })
            .map(|l| l.provider)
            .collect();
        let mut candidates = Vec::new();
        let mut trusted = Vec::new();
        for id in &order.bids {
            let bid = must(load_bid(state, *id), "an order's bid")?;
            if bid.state != BidState::Open
                || bid.height >= closed_at(run)
                || involved.contains(&bid.provider)
            {
                continue;
            }
            let rec = provider_record(state, &bid.provider)?;
            let active = registry::load(state, &bid.device)?
                .is_some_and(|d| d.status == DeviceStatus::Active);
            if rec.banned() || !active {
                continue;
            }
            candidates.push((bid.id, bid.deposit));
            if rec.confirmed >= PROBATION_JOBS {
                trusted.push((bid.id, bid.deposit));
            }
        }
        let (pool, domain) = match need.verifier {
            None => (&candidates, "market/verifier"),
            Some(_) if !trusted.is_empty() => (&trusted, "market/referee"),
            Some(_) => (&candidates, "market/referee"),
        };
        let Some(chosen) = draw_checker(beacon, domain, need.run, pool) else {
            // No bid placed before the result can check it, and none ever will: rather than
            // trust a bidder who has seen it, what is undecided stands unchecked.
            stand_unchecked(state, beacon.height, order, need)?;
            continue;
        };
        let role = match need.verifier {
            None => LeaseRole::Verifier { of: need.run },
            Some(v) => LeaseRole::Referee {
                of: need.run,
                verifier: v,
            },
        };
        open_lease(state, beacon.height, order, chosen, role)?;
    }
    Ok(())
}

pub(super) fn open_lease(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
    bid_id: u64,
    role: LeaseRole,
) -> Result<(), TxFailure> {
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
        sealed: None,
        reveal_from: 0,
    };
    bid.state = BidState::Won { lease: id };
    save_bid(state, &bid);
    save_lease(state, &lease);
    order.leases.push(id);
    Ok(())
}

/// Whether a checker's revealed output and lease `other`'s agree: the same hash, or for
/// inference (whose outputs agree within the job's tolerance, which the ledger cannot read) the
/// checker's word (`agrees_with`), given over outputs both revealed and published.
pub(super) fn agrees(order: &Order, checker: &Lease, other: &Lease) -> bool {
    let same = checker.output.is_some() && checker.output == other.output;
    match order.terms.runtime {
        JobRuntime::Wasm => same,
        JobRuntime::Inference => same || checker.agrees_with.contains(&other.id),
    }
}

/// Ends a lease without a result: unpaid (what it accrued goes back to the escrow), its bond
/// returned; a run is looked for again.
pub(super) fn abandon(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
    lease: &mut Lease,
    reason: LeaseCloseReason,
) -> Result<(), TxFailure> {
    settle(state, order, lease, height)?;
    if !lease.is_active() {
        return Ok(());
    }
    order.escrow = add(order.escrow, lease.accrued)?;
    lease.accrued = Amount::ZERO;
    lease.state = LeaseState::Closed { reason, height };
    return_bond(state, &lease.provider, lease.deposit)?;
    if lease.role == LeaseRole::Run {
        want_another_run(height, order);
    }
    Ok(())
}

/// Reorder rule: one of the order's runs ended without a result; the order takes bids again.
fn want_another_run(height: u64, order: &mut Order) {
    if order.is_closed() {
        return;
    }
    order.wanted += 1;
    if order.state == OrderState::Matched {
        order.state = OrderState::Open;
        order.bid_deadline = height + BID_WINDOW_BLOCKS;
    }
}

/// A run no one eligible can check: it (once revealed), and a verifier no one can referee,
/// stand unchecked.
fn stand_unchecked(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
    need: Wanted,
) -> Result<(), TxFailure> {
    let mut run = must(load_lease(state, need.run), "an unchecked run")?;
    match run.output {
        Some(output) => {
            accept(state, order, &mut run, Check::Unchecked)?;
            order.results.push((run.id, output));
        }
        None => {
            run.check = Check::Revealing;
            run.reveal_from = height;
        }
    }
    save_lease(state, &run);
    if let Some(v) = need.verifier {
        let mut ver = must(load_lease(state, v), "an unrefereed verifier")?;
        accept(state, order, &mut ver, Check::Unchecked)?;
        save_lease(state, &ver);
    }
    Ok(())
}

/// A run's result not yet accepted or rejected.
pub(super) fn undecided(lease: &Lease) -> bool {
    lease.role == LeaseRole::Run
        && matches!(
            lease.check,
            Check::Pending | Check::Drawing | Check::Revealing
        )
}

/// Reveal deadline rule, at the end of the last block in which a sealed result may be
/// revealed: its provider is paid nothing and forfeits its bond. A run is looked for again and
/// its sealed verifier, which did its work, is paid; a run a verifier or referee left
/// undecided stands unchecked (its output is known now, so no new checker could check it
/// blind).
pub(super) fn forfeit_unrevealed(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
) -> Result<(), TxFailure> {
    for listed in load_leases(state, order)? {
        if listed.reveal_by().is_none_or(|by| height < by) {
            continue;
        }
        // An earlier forfeit in this loop may have settled it.
        let mut lease = must(load_lease(state, listed.id), "an unrevealed lease")?;
        if !lease.awaits_reveal() {
            continue;
        }
        forfeit(state, order, &mut lease, height)?;
        save_lease(state, &lease);
        match lease.role {
            LeaseRole::Run => {
                want_another_run(height, order);
                for mut ver in load_leases(state, order)? {
                    if ver.role == (LeaseRole::Verifier { of: lease.id }) && ver.awaits_reveal() {
                        accept(state, order, &mut ver, Check::Unchecked)?;
                        save_lease(state, &ver);
                    }
                }
            }
            LeaseRole::Verifier { of } => {
                let need = Wanted {
                    run: of,
                    verifier: None,
                    since: height,
                };
                stand_unchecked(state, height, order, need)?;
            }
            LeaseRole::Referee { of, verifier } => {
                let need = Wanted {
                    run: of,
                    verifier: Some(verifier),
                    since: height,
                };
                stand_unchecked(state, height, order, need)?;
            }
        }
    }
    Ok(())
}

/// A sealed result not revealed in time: what the lease accrued goes back to the escrow and
/// its bond to the slashed account. Unlike a wrong result, one does not bar the provider (it
/// shows nothing about its work, and an agent may crash); [`super::MAX_FORFEITS`] do.
fn forfeit(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
    lease: &mut Lease,
    height: u64,
) -> Result<(), TxFailure> {
    lease.check = Check::Forfeited;
    take_bond(state, order, lease, LeaseCloseReason::Unrevealed, height)?;
    let mut rec = provider_record(state, &lease.provider)?;
    rec.forfeited = rec.forfeited.saturating_add(1);
    state.set_json(state_key::market_provider(&lease.provider), &rec);
    Ok(())
}

/// Results still undecided when their order ends stand unchecked: a run's becomes one of the
/// order's results, a checker whose disagreement was never refereed is paid for its run. No
/// lease keeps units once its order has ended.
pub(super) fn accept_undecided(
    state: &mut StateOverlay<'_>,
    order: &mut Order,
) -> Result<(), TxFailure> {
    for mut l in load_leases(state, order)? {
        if l.is_active() || l.released || (l.output.is_none() && !l.awaits_reveal()) {
            continue;
        }
        if l.role == LeaseRole::Run {
            if !undecided(&l) {
                continue;
            }
            // A result still sealed is paid for, as a lease the consumer closes is, but is
            // no result of the order's.
            if let Some(output) = l.output {
                order.results.push((l.id, output));
            }
        } else if l.check != Check::None {
            continue;
        }
        accept(state, order, &mut l, Check::Unchecked)?;
        save_lease(state, &l);
    }
    Ok(())
}

/// Ends an order: undecided results stand unchecked, open bids are lost (bonds returned), the
/// escrow's rest refunded.
pub(super) fn close(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
    reason: OrderCloseReason,
) -> Result<(), TxFailure> {
    accept_undecided(state, order)?;
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
    IdSet(state_key::market_live()).remove(state, order.id)?;
    Ok(())
}

/// Closes a matched order whose leases have all ended and whose results are all decided.
pub(super) fn finish_if_done(
    state: &mut StateOverlay<'_>,
    height: u64,
    order: &mut Order,
) -> Result<(), TxFailure> {
    if order.state != OrderState::Matched {
        return Ok(());
    }
    let leases = load_leases(state, order)?;
    if leases.iter().any(|l| l.is_active()) {
        return Ok(());
    }
    let undecided = leases.iter().any(|l| undecided(l) || l.awaits_reveal());
    // The escrow could not pay a lease's blocks (what that lease accrued went back to it).
    let out_of_funds = order.escrow == Amount::ZERO
        || leases.iter().any(|l| {
            matches!(
                l.state,
                LeaseState::Closed {
                    reason: LeaseCloseReason::InsufficientFunds,
                    ..
                }
            )
        });
    if order.wanted > 0 && !undecided && !out_of_funds {
        // Runs still wanted (too few bids last time, or a run was given up): bid again.
        order.state = OrderState::Open;
        order.bid_deadline = height + BID_WINDOW_BLOCKS;
    } else if order.results.len() as u32 >= order.terms.replicas && !undecided {
        // Verifiers whose disagreement a referee settled in the run's favour were rejected;
        // any other finished checker was accepted with its run.
        close(state, height, order, OrderCloseReason::Completed)?;
    } else if out_of_funds {
        // No one can be paid to check what is undecided: it stands unchecked.
        accept_undecided(state, order)?;
        let reason = if order.results.len() as u32 >= order.terms.replicas {
            OrderCloseReason::Completed
        } else {
            OrderCloseReason::InsufficientFunds
        };
        close(state, height, order, reason)?;
    }
    Ok(())
}
