//! Compute orders end to end through blocks: bids and matching, per-block escrow settled when
//! touched, re-execution of results with the wrong provider slashed, timeouts that look for a
//! new provider, escrow that runs out, refusals that change nothing, and the accounting that
//! makes `deposit = paid + fees + refunded` exactly.
mod common;

use common::market::*;
use common::*;
use plexus_ledger::market::{
    BidState, Check, Lease, LeaseCloseReason, LeaseRole, LeaseState, OrderCloseReason, OrderState,
    BID_WINDOW_BLOCKS, MIN_BID_DEPOSIT, PROBATION_JOBS,
};
use plexus_ledger::{module_account, query, TxCode};
use plexus_types::{Amount, Body, Hash, JobRuntime, SecretKey};

#[test]
fn a_result_is_re_executed_on_probation_and_both_providers_are_paid() {
    let (mut net, consumer, ps) = setup(3);
    let before = net.balance(&addr(&consumer));
    assert_eq!(
        net.send(
            &consumer,
            Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 20, 0))
        ),
        TxCode::Ok
    );
    assert_eq!(net.balance(&addr(&consumer)), before - 100_000 - FEE);
    // Provider 1 is cheapest; 0 and 2 stand in.
    assert_eq!(net.bid(&ps[0], 0, 0, 500), TxCode::Ok);
    assert_eq!(net.bid(&ps[1], 1, 0, 300), TxCode::Ok);
    assert_eq!(net.bid(&ps[2], 2, 0, 800), TxCode::Ok);
    assert_eq!(net.bid(&ps[1], 1, 0, 200), TxCode::AlreadyBid);
    let order = net.order(0);
    assert_eq!(
        order.state,
        OrderState::Matched,
        "matched when the window closed"
    );
    let run = &leases_of(&net, 0)[0];
    assert_eq!(run.provider, addr(&ps[1]));
    assert_eq!(run.role, LeaseRole::Run);
    net.empty_blocks(2);
    assert_eq!(net.result(&ps[1], run.id, b"out", vec![]), TxCode::Ok);
    // Whether it is checked is drawn by the next block's beacon; on probation it is, whatever
    // the sample, and a stand-in drawn by bond verifies.
    assert_eq!(leases_of(&net, 0)[0].check, Check::Drawing);
    assert_eq!(leases_of(&net, 0).len(), 1, "no checker before the draw");
    net.empty_blocks(1);
    let leases = leases_of(&net, 0);
    assert_eq!(leases[0].check, Check::Pending);
    assert_eq!(leases[1].role, LeaseRole::Verifier { of: run.id });
    let (checker, other, price) = if leases[1].provider == addr(&ps[0]) {
        (&ps[0], &ps[2], 500)
    } else {
        (&ps[2], &ps[0], 800)
    };
    assert_eq!(leases[1].provider, addr(checker));
    assert_eq!(
        net.result(other, leases[1].id, b"out", vec![]),
        TxCode::Unauthorized
    );
    assert_eq!(
        net.result(checker, leases[1].id, b"out", vec![]),
        TxCode::Ok
    );
    let order = net.order(0);
    assert!(matches!(
        order.state,
        OrderState::Closed {
            reason: OrderCloseReason::Completed,
            ..
        }
    ));
    assert_eq!(order.results, vec![(run.id, Hash::of(b"out"))]);
    let leases = leases_of(&net, 0);
    assert!(leases
        .iter()
        .all(|l| l.check == Check::Confirmed && l.released));
    // The run lasted 3 blocks at 300 (2 empty blocks, its result), the verifier 2 at its price
    // (a refused result, its own).
    assert_eq!(leases[0].accrued, Amount(900));
    assert_eq!(leases[1].accrued, Amount(2 * price));
    assert_eq!(order.paid.0 + order.fees.0, 900 + 2 * price);
    assert_eq!(order.fees.0, 9 + 2 * price / 100);
    assert_eq!(order.paid.0 + order.fees.0 + order.refunded.0, 100_000);
    // The other stand-in's bid lost and its bond came back.
    let lost = if price == 500 { 2 } else { 0 };
    let b = query::market_bid(net.ledger.store(), lost)
        .unwrap()
        .unwrap();
    assert_eq!(b.provider, addr(other));
    assert_eq!(b.state, BidState::Lost);
    let p1 = net.balance(&addr(&ps[1]));
    assert_eq!(
        net.send(&ps[1], Body::WithdrawLease { lease: run.id }),
        TxCode::Ok
    );
    assert_eq!(net.balance(&addr(&ps[1])), p1 + 891 - FEE);
    assert_eq!(
        net.send(&ps[1], Body::WithdrawLease { lease: run.id }),
        TxCode::NothingToWithdraw
    );
    net.accounting_balances();
}

/// Opens an order that provider 3 wins (cheapest) and provider 2 and 0 stand in for; 3
/// submits `output` as its run's result and the verifier is drawn. Returns the order id, the
/// run, the verifier's lease and the keys of the verifier and of the other stand-in (the
/// referee-to-be).
fn run_by_three_checked_by_two_and_zero<'a>(
    net: &mut Net,
    consumer: &SecretKey,
    ps: &'a [SecretKey],
    output: &[u8],
) -> (u64, Lease, Lease, &'a SecretKey, &'a SecretKey) {
    let id = query::market_orders(net.ledger.store(), 0, 10_000)
        .unwrap()
        .len() as u64;
    assert_eq!(
        net.send(
            consumer,
            Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 20, 0))
        ),
        TxCode::Ok
    );
    assert_eq!(net.bid(&ps[3], 3, id, 100), TxCode::Ok);
    assert_eq!(net.bid(&ps[2], 2, id, 200), TxCode::Ok);
    assert_eq!(net.bid(&ps[0], 0, id, 300), TxCode::Ok);
    net.empty_blocks(BID_WINDOW_BLOCKS - 3);
    let run = leases_of(net, id)[0].clone();
    assert_eq!(run.provider, addr(&ps[3]));
    assert_eq!(net.result(&ps[3], run.id, output, vec![]), TxCode::Ok);
    net.empty_blocks(1);
    let ver = leases_of(net, id)[1].clone();
    let (verifier, referee) = if ver.provider == addr(&ps[2]) {
        (&ps[2], &ps[0])
    } else {
        (&ps[0], &ps[2])
    };
    assert_eq!(ver.provider, addr(verifier));
    (id, run, ver, verifier, referee)
}

#[test]
fn two_checkers_each_lying_in_its_own_way_cannot_slash_an_honest_run() {
    let (mut net, consumer, ps) = setup(4);
    let slashed_before = net.balance(&module_account::slashed());
    // 3 is honest and runs; 2 and 0 stand in and lie about whatever they check.
    let (id, run, ver, verifier, referee_key) =
        run_by_three_checked_by_two_and_zero(&mut net, &consumer, &ps, b"right");
    assert_eq!(net.result(verifier, ver.id, b"lie one", vec![]), TxCode::Ok);
    net.empty_blocks(1);
    let referee = leases_of(&net, id)[2].clone();
    assert_eq!(referee.provider, addr(referee_key));
    assert_eq!(
        net.result(referee_key, referee.id, b"lie two", vec![]),
        TxCode::Ok
    );
    let leases = leases_of(&net, id);
    assert_eq!(leases[0].check, Check::Unchecked, "the run stands");
    assert!(leases.iter().all(|l| l.check != Check::Wrong));
    assert_eq!(
        net.balance(&module_account::slashed()),
        slashed_before,
        "nobody is slashed on one provider's word"
    );
    assert_eq!(net.order(id).results, vec![(run.id, Hash::of(b"right"))]);
    assert_eq!(
        query::market_provider(net.ledger.store(), &addr(&ps[3]))
            .unwrap()
            .wrong,
        0
    );
    net.accounting_balances();
}

#[test]
fn a_wrong_result_is_refereed_slashed_unpaid_and_its_provider_banned() {
    let (mut net, consumer, ps) = setup(4);
    // Providers 0 and 1 earn a record of confirmed results (they may referee).
    for _ in 0..PROBATION_JOBS {
        confirm_once(&mut net, &consumer, &ps, 0, 1);
        confirm_once(&mut net, &consumer, &ps, 1, 0);
    }
    // The cheater (3) is cheapest and runs; 2 and 0 stand in, one verifies and the other
    // referees, as the beacon draws.
    let slashed_before = net.balance(&module_account::slashed());
    let (id, run, ver, verifier, referee_key) =
        run_by_three_checked_by_two_and_zero(&mut net, &consumer, &ps, b"garbage");
    assert_eq!(net.result(verifier, ver.id, b"right", vec![]), TxCode::Ok);
    // The referee is drawn by the beacon of the block that revealed the disagreement, a
    // block after the verifier's seal.
    let referee = leases_of(&net, id)[2].clone();
    assert_eq!(
        referee.role,
        LeaseRole::Referee {
            of: run.id,
            verifier: ver.id
        }
    );
    assert_eq!(referee.provider, addr(referee_key));
    assert_eq!(
        net.result(referee_key, referee.id, b"right", vec![]),
        TxCode::Ok
    );
    let leases = leases_of(&net, id);
    assert_eq!(leases[0].check, Check::Wrong);
    assert!(matches!(
        leases[0].state,
        LeaseState::Closed {
            reason: LeaseCloseReason::WrongResult,
            ..
        }
    ));
    assert_eq!(
        leases[0].accrued,
        Amount::ZERO,
        "a wrong result earns nothing"
    );
    assert_eq!(leases[1].check, Check::Confirmed);
    assert_eq!(
        net.balance(&module_account::slashed()),
        slashed_before + MIN_BID_DEPOSIT.0,
        "the cheater's bond is slashed"
    );
    let order = net.order(id);
    assert_eq!(order.results, vec![(run.id, Hash::of(b"right"))]);
    assert_eq!(
        net.send(&ps[3], Body::WithdrawLease { lease: run.id }),
        TxCode::NothingToWithdraw
    );
    // Banned from bidding again.
    assert_eq!(
        net.send(
            &consumer,
            Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 20, 0))
        ),
        TxCode::Ok
    );
    assert_eq!(net.bid(&ps[3], 3, id + 1, 100), TxCode::ProviderBanned);
    net.accounting_balances();
}

#[test]
fn a_lease_without_a_result_times_out_unpaid_and_the_order_finds_another_provider() {
    let (mut net, consumer, ps) = setup(2);
    assert_eq!(
        net.send(
            &consumer,
            Body::CreateOrder(terms(JobRuntime::Inference, 100_000, 4, 0))
        ),
        TxCode::Ok
    );
    assert_eq!(net.bid(&ps[0], 0, 0, 100), TxCode::Ok);
    assert_eq!(net.bid(&ps[1], 1, 0, 200), TxCode::Ok);
    net.empty_blocks(BID_WINDOW_BLOCKS - 2);
    let first = leases_of(&net, 0)[0].clone();
    assert_eq!(first.provider, addr(&ps[0]));
    net.empty_blocks(4 + BID_WINDOW_BLOCKS);
    let leases = leases_of(&net, 0);
    assert!(matches!(
        leases[0].state,
        LeaseState::Closed {
            reason: LeaseCloseReason::Timeout,
            ..
        }
    ));
    assert_eq!(
        leases[0].accrued,
        Amount::ZERO,
        "a timed-out lease is unpaid"
    );
    assert_eq!(leases[1].provider, addr(&ps[1]), "the stand-in runs it now");
    assert_eq!(leases[1].role, LeaseRole::Run);
    assert_eq!(net.order(0).state, OrderState::Matched);
    net.accounting_balances();
}

#[test]
fn a_provider_that_waits_out_the_escrow_without_a_result_is_not_paid() {
    let (mut net, consumer, ps) = setup(1);
    let before = net.balance(&addr(&ps[0]));
    // 1 000 uplx pays 10 blocks at 100; the lease may last 50.
    assert_eq!(
        net.send(
            &consumer,
            Body::CreateOrder(terms(JobRuntime::Wasm, 1_000, 50, 0))
        ),
        TxCode::Ok
    );
    assert_eq!(net.bid(&ps[0], 0, 0, 100), TxCode::Ok);
    net.empty_blocks(BID_WINDOW_BLOCKS + 12);
    let lease = leases_of(&net, 0)[0].clone();
    assert!(matches!(
        lease.state,
        LeaseState::Closed {
            reason: LeaseCloseReason::InsufficientFunds,
            ..
        }
    ));
    assert_eq!(
        lease.accrued,
        Amount::ZERO,
        "no result, no pay, as for a timeout"
    );
    assert!(matches!(
        net.order(0).state,
        OrderState::Closed {
            reason: OrderCloseReason::InsufficientFunds,
            ..
        }
    ));
    assert_eq!(
        net.result(&ps[0], lease.id, b"late", vec![]),
        TxCode::LeaseClosed
    );
    assert_eq!(
        net.send(&ps[0], Body::WithdrawLease { lease: lease.id }),
        TxCode::NothingToWithdraw
    );
    // Bond back, nothing earned, three fees paid (bid, late result, refused withdrawal).
    assert_eq!(net.balance(&addr(&ps[0])), before - 3 * FEE);
    // The consumer has its whole deposit back.
    assert_eq!(net.order(0).refunded, Amount(1_000));
    net.accounting_balances();
}

#[test]
fn refused_bids_and_results_change_nothing_but_the_fee() {
    let (mut net, consumer, ps) = setup(2);
    let mut next = 0;
    let mut order = |net: &mut Net| {
        assert_eq!(
            net.send(
                &consumer,
                Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 20, 0))
            ),
            TxCode::Ok
        );
        next += 1;
        next - 1
    };
    let before = net.balance(&addr(&ps[0]));
    let o = order(&mut net);
    assert_eq!(net.bid(&ps[0], 0, o, 1_001), TxCode::AbovePriceCap);
    let o = order(&mut net);
    assert_eq!(
        net.bid(&ps[0], 1, o, 100),
        TxCode::Unauthorized,
        "not its device"
    );
    assert_eq!(net.bid(&ps[0], 0, 70, 100), TxCode::UnknownOrder);
    let o = order(&mut net);
    assert_eq!(
        net.send(
            &ps[0],
            Body::PlaceBid {
                order: o,
                device: device(0).public_key(),
                price_per_block: Amount(100),
                deposit: Amount(MIN_BID_DEPOSIT.0 - 1),
            }
        ),
        TxCode::DepositTooLow
    );
    let mut big = terms(JobRuntime::Wasm, 100_000, 20, 0);
    big.resources.cpu_cores = 64;
    assert_eq!(net.send(&consumer, Body::CreateOrder(big)), TxCode::Ok);
    assert_eq!(net.bid(&ps[0], 0, 3, 100), TxCode::CannotRun);
    assert_eq!(net.result(&ps[0], 0, b"x", vec![]), TxCode::UnknownLease);
    assert_eq!(net.balance(&addr(&ps[0])), before - 6 * FEE);
    // Every window closed without a bid: every order refunded whole.
    net.empty_blocks(BID_WINDOW_BLOCKS);
    for id in 0..4 {
        let o = net.order(id);
        assert!(matches!(
            o.state,
            OrderState::Closed {
                reason: OrderCloseReason::NoBids,
                ..
            }
        ));
        assert_eq!(o.refunded, Amount(100_000));
    }
    assert_eq!(net.bid(&ps[0], 0, 0, 100), TxCode::NotTakingBids);
    net.accounting_balances();
}

#[test]
fn the_consumer_closes_an_order_paying_for_blocks_run_and_getting_the_rest_back() {
    let (mut net, consumer, ps) = setup(1);
    assert_eq!(
        net.send(
            &consumer,
            Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 50, 0))
        ),
        TxCode::Ok
    );
    assert_eq!(net.bid(&ps[0], 0, 0, 100), TxCode::Ok);
    net.empty_blocks(BID_WINDOW_BLOCKS - 1);
    assert_eq!(
        net.send(&ps[0], Body::CloseOrder { order: 0 }),
        TxCode::Unauthorized
    );
    assert_eq!(
        net.send(&consumer, Body::CloseOrder { order: 0 }),
        TxCode::Ok
    );
    let order = net.order(0);
    assert!(matches!(
        order.state,
        OrderState::Closed {
            reason: OrderCloseReason::Cancelled,
            ..
        }
    ));
    let lease = leases_of(&net, 0)[0].clone();
    assert!(lease.released);
    assert_eq!(lease.accrued, Amount(200), "two blocks at 100");
    assert_eq!(order.paid.0 + order.fees.0 + order.refunded.0, 100_000);
    assert_eq!(
        net.send(&consumer, Body::CloseOrder { order: 0 }),
        TxCode::OrderClosed
    );
    net.accounting_balances();
}
