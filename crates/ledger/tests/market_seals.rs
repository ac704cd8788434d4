//! Sealed results, as a lazy checker or a cheating provider would try them: a checker cannot
//! copy the output it checks (the run's is sealed until the checker has sealed its own), a
//! seal opens to one output only, nothing is revealed before the ledger asks, and whoever
//! hides a result it sealed is paid nothing and forfeits its bond, without stopping the order.
mod common;

use common::market::*;
use common::*;
use plexus_ledger::market::{
    Check, Lease, LeaseCloseReason, LeaseRole, LeaseState, OrderCloseReason, OrderState,
    BID_WINDOW_BLOCKS, MAX_FORFEITS, MIN_BID_DEPOSIT, REVEAL_BLOCKS,
};
use plexus_ledger::{module_account, TxCode};
use plexus_types::{Amount, Body, Hash, JobRuntime, SecretKey};

/// An order every result of which is checked, run by the cheapest of three providers; the run
/// seals `output` (the harness reveals it when asked) and the verifier is drawn. Returns the
/// run and the verifier.
fn sealed_run_and_its_verifier(net: &mut Net, ps: &[SecretKey], output: &[u8]) -> (Lease, Lease) {
    let consumer = key(1);
    let body = Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 40, 1000));
    assert_eq!(net.send(&consumer, body), TxCode::Ok);
    assert_eq!(net.bid(&ps[0], 0, 0, 100), TxCode::Ok);
    assert_eq!(net.bid(&ps[1], 1, 0, 200), TxCode::Ok);
    assert_eq!(net.bid(&ps[2], 2, 0, 200), TxCode::Ok);
    net.empty_blocks(BID_WINDOW_BLOCKS - 2);
    let run = leases_of(net, 0)[0].clone();
    assert_eq!(run.provider, addr(&ps[0]));
    assert_eq!(net.seal(&ps[0], run.id, output, vec![]), TxCode::Ok);
    net.empty_blocks(1);
    let leases = leases_of(net, 0);
    assert_eq!(leases[0].check, Check::Pending, "on probation: checked");
    assert_eq!(leases[1].role, LeaseRole::Verifier { of: run.id });
    (leases[0].clone(), leases[1].clone())
}

fn key_of<'a>(ps: &'a [SecretKey], lease: &Lease) -> &'a SecretKey {
    ps.iter().find(|k| addr(k) == lease.provider).unwrap()
}

/// A seal sent without the harness keeping it: its provider never reveals.
fn seal_and_hide(net: &mut Net, provider: &SecretKey, lease: u64, output: &[u8]) {
    let seal = sealed_result(provider, lease, output, vec![])
        .result
        .seal(&addr(provider));
    assert_eq!(
        net.send(provider, Body::SealJobResult { lease, seal }),
        TxCode::Ok
    );
}

/// The old rule published the run's output with its result, and a verifier that echoed it
/// was paid for a check it never ran. Now the verifier must seal before anything of the run's
/// output is on chain, and a seal opens to the one output it was made of.
#[test]
fn a_lazy_verifier_cannot_copy_the_output_it_was_drawn_to_check() {
    let (mut net, _consumer, ps) = setup(3);
    let (run, ver) = sealed_run_and_its_verifier(&mut net, &ps, b"right");
    let lazy = key_of(&ps, &ver);
    assert_eq!(net.lease(run.id).output, None, "nothing to copy yet");
    let attempt = sealed_result(lazy, ver.id, b"right", vec![]).result;
    assert_eq!(
        net.send(lazy, Body::SubmitJobResult(attempt.clone())),
        TxCode::NotSealed
    );
    // It seals a guess, and the run is asked to reveal; the verifier is not, yet.
    seal_and_hide(&mut net, lazy, ver.id, b"a guess");
    assert!(net.lease(run.id).reveal_from > 0);
    assert_eq!(
        net.send(lazy, Body::SubmitJobResult(attempt.clone())),
        TxCode::RevealTooEarly
    );
    net.empty_blocks(1);
    assert_eq!(net.lease(run.id).output, Some(Hash::of(b"right")));
    // Now that it has seen the output, echoing it does not open its seal.
    let before = net.lease(ver.id);
    let balance = net.balance(&addr(lazy));
    assert_eq!(
        net.send(lazy, Body::SubmitJobResult(attempt)),
        TxCode::SealMismatch
    );
    assert_eq!(
        net.lease(ver.id),
        before,
        "a refused reveal changes nothing"
    );
    assert_eq!(net.balance(&addr(lazy)), balance - FEE);
    // Its guess, the only thing it can reveal, disagrees: the run is not confirmed on it.
    let guess = sealed_result(lazy, ver.id, b"a guess", vec![]).result;
    assert_eq!(net.send(lazy, Body::SubmitJobResult(guess)), TxCode::Ok);
    assert_eq!(net.lease(run.id).check, Check::Pending);
    net.accounting_balances();
}

/// A run may not reveal before the draw: else it would see whether it is checked first.
#[test]
fn a_result_cannot_be_revealed_before_the_ledger_asks_for_it() {
    let (mut net, consumer, ps) = setup(1);
    let body = Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 40, 0));
    assert_eq!(net.send(&consumer, body), TxCode::Ok);
    assert_eq!(net.bid(&ps[0], 0, 0, 100), TxCode::Ok);
    net.empty_blocks(BID_WINDOW_BLOCKS);
    let run = leases_of(&net, 0)[0].clone();
    seal_and_hide(&mut net, &ps[0], run.id, b"out");
    let result = sealed_result(&ps[0], run.id, b"out", vec![]).result;
    assert_eq!(
        net.send(&ps[0], Body::SubmitJobResult(result.clone())),
        TxCode::RevealTooEarly,
        "in the block after its seal the draw has not happened"
    );
    // On probation with no one to check it, it stands unchecked: asked for, then accepted.
    assert!(net.lease(run.id).reveal_from > 0);
    assert_eq!(net.send(&ps[0], Body::SubmitJobResult(result)), TxCode::Ok);
    let order = net.order(0);
    assert_eq!(order.results, vec![(run.id, Hash::of(b"out"))]);
    assert!(order.is_closed());
    net.accounting_balances();
}

/// A run that sees it is checked (its verifier has sealed) and hides its result rather than
/// be shown wrong loses its bond and its pay; the verifier that did the work is paid, and the
/// order looks for another run.
#[test]
fn a_run_that_hides_a_checked_result_forfeits_its_bond_and_the_order_runs_again() {
    let (mut net, consumer, ps) = setup(3);
    let body = Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 60, 1000));
    assert_eq!(net.send(&consumer, body), TxCode::Ok);
    assert_eq!(net.bid(&ps[0], 0, 0, 100), TxCode::Ok);
    assert_eq!(net.bid(&ps[1], 1, 0, 200), TxCode::Ok);
    assert_eq!(net.bid(&ps[2], 2, 0, 200), TxCode::Ok);
    net.empty_blocks(BID_WINDOW_BLOCKS - 2);
    let run = leases_of(&net, 0)[0].clone();
    seal_and_hide(&mut net, &ps[0], run.id, b"wrong");
    net.empty_blocks(1);
    let ver = leases_of(&net, 0)[1].clone();
    assert_eq!(
        net.seal(key_of(&ps, &ver), ver.id, b"right", vec![]),
        TxCode::Ok
    );
    let slashed = net.balance(&module_account::slashed());
    let asked = net.lease(run.id).reveal_from;
    net.empty_blocks(REVEAL_BLOCKS);
    let hidden = net.lease(run.id);
    assert_eq!(hidden.check, Check::Forfeited);
    assert!(matches!(
        hidden.state,
        LeaseState::Closed {
            reason: LeaseCloseReason::Unrevealed,
            height
        } if height == asked + REVEAL_BLOCKS - 1
    ));
    assert_eq!(hidden.releasable, Amount::ZERO);
    assert_eq!(
        net.balance(&module_account::slashed()),
        slashed + MIN_BID_DEPOSIT.0
    );
    let paid = net.lease(ver.id);
    assert!(paid.released && paid.releasable > Amount::ZERO, "{paid:?}");
    assert_eq!(paid.check, Check::Unchecked);
    let order = net.order(0);
    assert!(order.results.is_empty());
    assert_eq!(order.state, OrderState::Open, "bids taken for a new run");
    assert_eq!(order.wanted, 1);
    // The third provider runs it; the one that hid its result is not picked again.
    net.empty_blocks(BID_WINDOW_BLOCKS);
    let rerun = leases_of(&net, 0)[2].clone();
    assert_eq!(rerun.role, LeaseRole::Run);
    assert_ne!(rerun.provider, addr(&ps[0]));
    // Hiding shows nothing about its work: it is not barred from other orders.
    let body = Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 60, 1000));
    assert_eq!(net.send(&consumer, body), TxCode::Ok);
    assert_eq!(net.bid(&ps[0], 0, 1, 100), TxCode::Ok);
    net.accounting_balances();
}

/// A verifier that seals and then hides its output (say, once it saw the run's) forfeits its
/// bond; the run's revealed result stands unchecked, since a new checker could now copy it.
#[test]
fn a_verifier_that_never_reveals_forfeits_its_bond_and_the_run_stands() {
    let (mut net, _consumer, ps) = setup(3);
    let (run, ver) = sealed_run_and_its_verifier(&mut net, &ps, b"right");
    let hider = key_of(&ps, &ver);
    seal_and_hide(&mut net, hider, ver.id, b"whatever");
    net.empty_blocks(1);
    assert_eq!(net.lease(run.id).output, Some(Hash::of(b"right")));
    let asked = net.lease(ver.id).reveal_from;
    assert!(asked > 0, "asked once the run revealed");
    let slashed = net.balance(&module_account::slashed());
    net.empty_blocks(REVEAL_BLOCKS);
    assert_eq!(net.lease(ver.id).check, Check::Forfeited);
    assert_eq!(
        net.balance(&module_account::slashed()),
        slashed + MIN_BID_DEPOSIT.0
    );
    let run = net.lease(run.id);
    assert_eq!(run.check, Check::Unchecked);
    assert!(run.released);
    let order = net.order(0);
    assert_eq!(order.results, vec![(run.id, Hash::of(b"right"))]);
    assert!(matches!(
        order.state,
        OrderState::Closed {
            reason: OrderCloseReason::Completed,
            ..
        }
    ));
    assert_eq!(order.paid.0 + order.fees.0 + order.refunded.0, 100_000);
    net.accounting_balances();
}

/// Each hidden result delays its order; a provider that keeps hiding them is barred from
/// bidding after `MAX_FORFEITS`, as one whose result was shown wrong is after one.
#[test]
fn a_provider_that_keeps_hiding_sealed_results_is_barred() {
    let (mut net, consumer, ps) = setup(2);
    for id in 0..u64::from(MAX_FORFEITS) {
        let body = Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 60, 0));
        assert_eq!(net.send(&consumer, body), TxCode::Ok);
        assert_eq!(net.bid(&ps[0], 0, id, 100), TxCode::Ok);
        net.empty_blocks(BID_WINDOW_BLOCKS);
        let run = leases_of(&net, id).last().unwrap().clone();
        assert_eq!(run.provider, addr(&ps[0]));
        seal_and_hide(&mut net, &ps[0], run.id, b"whatever");
        net.empty_blocks(REVEAL_BLOCKS + 1);
        assert_eq!(net.lease(run.id).check, Check::Forfeited);
    }
    let body = Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 60, 0));
    assert_eq!(net.send(&consumer, body), TxCode::Ok);
    let next = u64::from(MAX_FORFEITS);
    assert_eq!(net.bid(&ps[0], 0, next, 100), TxCode::ProviderBanned);
    assert_eq!(net.bid(&ps[1], 1, next, 100), TxCode::Ok);
    net.accounting_balances();
}

/// An inference check that revealed the very output its run did agrees with it, whatever it
/// lists: its word is needed only where the outputs differ within the job's tolerance.
#[test]
fn an_inference_check_revealing_the_same_output_confirms_the_run() {
    let (mut net, consumer, ps) = setup(2);
    let body = Body::CreateOrder(terms(JobRuntime::Inference, 100_000, 40, 1000));
    assert_eq!(net.send(&consumer, body), TxCode::Ok);
    assert_eq!(net.bid(&ps[0], 0, 0, 100), TxCode::Ok);
    assert_eq!(net.bid(&ps[1], 1, 0, 200), TxCode::Ok);
    net.empty_blocks(BID_WINDOW_BLOCKS - 1);
    let run = leases_of(&net, 0)[0].clone();
    assert_eq!(net.result(&ps[0], run.id, b"logits", vec![]), TxCode::Ok);
    net.empty_blocks(1);
    let ver = leases_of(&net, 0)[1].clone();
    assert_eq!(net.result(&ps[1], ver.id, b"logits", vec![]), TxCode::Ok);
    assert_eq!(net.lease(run.id).check, Check::Confirmed);
    assert_eq!(net.lease(ver.id).check, Check::Confirmed);
    assert!(net.order(0).is_closed());
    net.accounting_balances();
}
