//! What an attacker tries in order to abort a block: a transaction whose content would overdraw
//! an account or overflow an amount. Each must fail as a transaction with a code, with its
//! state changes discarded, while the block commits, later transactions in the block still
//! execute and every token stays accounted for.
mod common;

use common::*;
use plexus_ledger::market::MIN_BID_DEPOSIT;
use plexus_ledger::{query, Ledger, TxCode, TxResult};
use plexus_rewards::{Manifest, ManifestLeaf};
use plexus_types::{
    Address, Amount, Body, Capabilities, Hash, JobRuntime, OrderTerms, PublicKey, SecretKey,
    TrainingTaskTerms,
};

const EPOCH_BLOCKS: u64 = 16;

/// Executes and commits one block of `txs`, failing the test if the block aborts.
fn commit_block(net: &mut Net, txs: Vec<Vec<u8>>) -> Vec<TxResult> {
    let block = block_on(&net.ledger, txs);
    let outcome = net
        .ledger
        .execute(&block)
        .unwrap_or_else(|e| panic!("block {} aborted: {e}", block.header.height));
    net.ledger.commit().unwrap();
    outcome.results
}

/// Runs empty blocks, each of which must commit, until `epoch` has ended.
fn end_epoch_committing(net: &mut Net, epoch: u64) {
    while net.ledger.last_committed().0 < epoch * net.epoch_blocks() {
        commit_block(net, vec![]);
    }
}

fn transfer_body(to: &SecretKey, amount: u128) -> Body {
    Body::Transfer {
        to: addr(to),
        amount: Amount(amount),
    }
}

fn reward_net(funded: &[&SecretKey]) -> Net {
    let mut all: Vec<(Address, u128)> = funded.iter().map(|k| (addr(k), FUNDS)).collect();
    for i in 0..3 {
        all.push((addr(&oracle(i)), FUNDS));
    }
    Net::with_genesis(oracle_genesis(&all, EPOCH_BLOCKS, 3))
}

fn compute_manifest(epoch: u64, leaves: &[(PublicKey, Address, u128)]) -> Manifest {
    let mut leaves: Vec<ManifestLeaf> = leaves
        .iter()
        .map(|(device, owner, units)| ManifestLeaf {
            device: *device,
            owner: *owner,
            units: *units,
        })
        .collect();
    leaves.sort_by_key(|l| *l.device.as_bytes());
    Manifest::from_leaves(epoch, "compute", leaves, Hash::of(b"evidence")).unwrap()
}

fn assert_rewards_accounted(net: &Net) {
    let acct = query::reward_totals(net.ledger.store()).unwrap();
    assert!(acct.balances(), "reward accounting: {acct:?}");
}

#[test]
fn a_manifest_whose_leaves_overdraw_its_total_cannot_abort_a_block() {
    let (alice, bob) = (key(0), key(1));
    let (d1, d2) = (
        SecretKey::from_seed([61; 32]),
        SecretKey::from_seed([62; 32]),
    );
    let mut net = reward_net(&[&alice, &bob]);
    let supply0 = net.ledger.supply().unwrap().0;
    // Two leaves of 10 units each under a root the oracles finalize with a total of 10: each
    // leaf alone proves, and each claims the whole pool.
    let m = compute_manifest(
        1,
        &[
            (d1.public_key(), addr(&alice), 10),
            (d2.public_key(), addr(&bob), 10),
        ],
    );
    let vote = Body::SubmitManifest {
        epoch: 1,
        resource: "compute".into(),
        root: m.root(),
        total_units: 10,
        evidence_root: m.evidence_root(),
    };
    // Two epochs of pools in the rewards account, so the overdraw finds tokens to take.
    end_epoch_committing(&mut net, 2);
    for i in 0..2 {
        let tx = net.signed(&oracle(i), vote.clone());
        assert_eq!(commit_block(&mut net, vec![tx])[0].code, TxCode::Ok);
    }
    let (_, pools) = query::epoch(net.ledger.store(), 1).unwrap().unwrap();
    let pool = pools
        .iter()
        .find(|p| p.resource.as_str() == "compute")
        .unwrap()
        .amount
        .0;
    let (alice0, bob0) = (net.balance(&addr(&alice)), net.balance(&addr(&bob)));

    let txs = vec![
        net.signed(&alice, claim_body(&m, &d1.public_key())),
        net.signed(&alice, claim_body(&m, &d2.public_key())),
        net.signed(&alice, transfer_body(&bob, 5)),
    ];
    let results = commit_block(&mut net, txs);
    assert_eq!(results[0].code, TxCode::Ok, "{}", results[0].log);
    assert_eq!(
        results[1].code,
        TxCode::ManifestExhausted,
        "{}",
        results[1].log
    );
    assert_eq!(results[1].fee, Amount(FEE), "a failed claim pays its fee");
    assert_eq!(results[2].code, TxCode::Ok, "later transactions still run");
    assert_eq!(
        net.balance(&addr(&alice)),
        alice0 + pool - 3 * FEE - 5,
        "the first claim takes the whole pool"
    );
    assert_eq!(
        net.balance(&addr(&bob)),
        bob0 + 5,
        "bob's leaf paid nothing"
    );
    assert_rewards_accounted(&net);

    // The pool settles when its window closes, and the chain goes on.
    let claim_epochs = net.ledger.chain_info().unwrap().rewards.claim_epochs;
    end_epoch_committing(&mut net, 1 + claim_epochs);
    let (_, pools) = query::epoch(net.ledger.store(), 1).unwrap().unwrap();
    let compute = pools
        .iter()
        .find(|p| p.resource.as_str() == "compute")
        .unwrap();
    assert!(compute.settlement.is_some(), "the pool settled");
    assert!(compute.paid.0 <= compute.amount.0, "{compute:?}");
    assert_rewards_accounted(&net);
    let minted = query::reward_totals(net.ledger.store())
        .unwrap()
        .totals
        .minted
        .0;
    assert_eq!(net.ledger.supply().unwrap().0, supply0 + minted);
}

#[test]
fn a_claim_for_epoch_u64_max_is_refused_not_wrapped() {
    let (alice, bob) = (key(0), key(1));
    let device = SecretKey::from_seed([61; 32]);
    let mut net = reward_net(&[&alice, &bob]);
    end_epoch_committing(&mut net, 1);
    let m = compute_manifest(u64::MAX, &[(device.public_key(), addr(&alice), 10)]);
    let vote = Body::SubmitManifest {
        epoch: u64::MAX,
        resource: "compute".into(),
        root: m.root(),
        total_units: 10,
        evidence_root: m.evidence_root(),
    };
    let bob0 = net.balance(&addr(&bob));
    let txs = vec![
        net.signed(&alice, claim_body(&m, &device.public_key())),
        net.signed(&oracle(0), vote),
        net.signed(&alice, transfer_body(&bob, 7)),
    ];
    let results = commit_block(&mut net, txs);
    assert_eq!(results[0].code, TxCode::NoManifest, "{}", results[0].log);
    assert_eq!(results[1].code, TxCode::EpochNotEnded, "{}", results[1].log);
    assert_eq!(results[2].code, TxCode::Ok, "later transactions still run");
    assert_eq!(net.balance(&addr(&bob)), bob0 + 7);
    assert_rewards_accounted(&net);
}

/// A chain where `rich` holds nearly every token there can be.
fn rich_net(rich: &SecretKey, others: &[&SecretKey]) -> Net {
    let mut balances = vec![(addr(rich), u128::MAX - 1_000 * FUNDS)];
    balances.extend(others.iter().map(|k| (addr(k), FUNDS)));
    Net::with_genesis(common::genesis(&balances))
}

fn training_terms(coordinator: &SecretKey, budget: u128) -> TrainingTaskTerms {
    TrainingTaskTerms {
        dataset: "digits".into(),
        spec: "{}".into(),
        validation_commitment: Hash::of(b"validation"),
        rounds: 1,
        min_participants: 1,
        budget: Amount(budget),
        coordinator: addr(coordinator),
    }
}

#[test]
fn budgets_recycled_until_the_escrow_totals_overflow_fail_the_tx_not_the_block() {
    let (sponsor, bob) = (key(0), key(1));
    let mut net = rich_net(&sponsor, &[&bob]);
    let budget = (u128::MAX / 2) + 1;
    let create = Body::CreateTrainingTask(training_terms(&bob, budget));
    assert_eq!(net.send(&sponsor, create.clone()), TxCode::Ok);
    assert_eq!(
        net.send(&sponsor, Body::CancelTrainingTask { task: 0 }),
        TxCode::Ok
    );
    let sponsor0 = net.balance(&addr(&sponsor));
    let bob0 = net.balance(&addr(&bob));
    // The same budget again: what the escrow ever took would pass the largest amount.
    let txs = vec![
        net.signed(&sponsor, create),
        net.signed(&sponsor, transfer_body(&bob, 9)),
    ];
    let results = commit_block(&mut net, txs);
    assert_eq!(results[0].code, TxCode::Overflow, "{}", results[0].log);
    assert_eq!(results[1].code, TxCode::Ok, "later transactions still run");
    assert_eq!(net.balance(&addr(&sponsor)), sponsor0 - 2 * FEE - 9);
    assert_eq!(net.balance(&addr(&bob)), bob0 + 9);
    assert!(
        query::training_task(net.ledger.store(), 1)
            .unwrap()
            .is_none(),
        "the failed task left nothing behind"
    );
    let acct = query::training_totals(net.ledger.store()).unwrap();
    assert!(acct.balances(), "training accounting: {acct:?}");
}

fn order_terms(price_cap: u128, deposit: u128) -> OrderTerms {
    OrderTerms {
        spec: Hash::of(b"spec"),
        runtime: JobRuntime::Wasm,
        resources: Capabilities {
            cpu_cores: 2,
            memory_mb: 1024,
            ..Capabilities::default()
        },
        max_price_per_block: Amount(price_cap),
        duration_blocks: 50,
        replicas: 1,
        sample_per_mille: 0,
        deposit: Amount(deposit),
    }
}

#[test]
fn a_lease_earning_near_the_largest_amount_cannot_overflow_the_market_fee() {
    let (consumer, provider) = (key(0), key(1));
    let mut net = rich_net(&consumer, &[&provider]);
    let device = key(100);
    let capabilities = Capabilities {
        cpu_cores: 4,
        memory_mb: 8192,
        ..Capabilities::default()
    };
    let register = register_body(&provider, &device, "cpu-small", capabilities, 100_000_000);
    assert_eq!(net.send(&provider, register), TxCode::Ok);
    // An escrow so large that a thousandth-based fee on it overflows a naive product.
    let deposit = u128::MAX / 4;
    assert_eq!(
        net.send(&consumer, Body::CreateOrder(order_terms(deposit, deposit))),
        TxCode::Ok
    );
    let bid = Body::PlaceBid {
        order: 0,
        device: device.public_key(),
        price_per_block: Amount(deposit),
        deposit: MIN_BID_DEPOSIT,
    };
    assert_eq!(net.send(&provider, bid), TxCode::Ok);
    // Once the lease runs, the consumer closes the order a block later: the lease is paid that
    // block, the whole escrow, and released with the market's fee.
    let matched = |net: &Net| {
        let order = query::market_order(net.ledger.store(), 0).unwrap().unwrap();
        !order.leases.is_empty()
    };
    for _ in 0..8 {
        if matched(&net) {
            break;
        }
        commit_block(&mut net, vec![]);
    }
    assert!(matched(&net), "the order never matched");
    assert_eq!(
        net.send(&consumer, Body::CloseOrder { order: 0 }),
        TxCode::Ok
    );
    let order = query::market_order(net.ledger.store(), 0).unwrap().unwrap();
    let lease = query::market_lease(net.ledger.store(), order.leases[0])
        .unwrap()
        .unwrap();
    assert_eq!(
        lease.accrued,
        Amount(deposit),
        "the lease earned the escrow"
    );
    assert!(lease.released);
    // The fee is exactly 10 per mille of what the lease earned, rounded down.
    assert_eq!(
        order.fees.0,
        deposit / 1000 * 10 + (deposit % 1000) * 10 / 1000
    );
    assert_eq!(order.paid.0 + order.fees.0, deposit);
    let acct = query::market_totals(net.ledger.store()).unwrap();
    assert!(acct.balances(), "market accounting: {acct:?}");
}

#[test]
fn deposits_recycled_until_the_market_totals_overflow_fail_the_tx_not_the_block() {
    let (consumer, bob) = (key(0), key(1));
    let mut net = rich_net(&consumer, &[&bob]);
    let deposit = (u128::MAX / 2) + 1;
    let create = Body::CreateOrder(order_terms(1_000, deposit));
    assert_eq!(net.send(&consumer, create.clone()), TxCode::Ok);
    assert_eq!(
        net.send(&consumer, Body::CloseOrder { order: 0 }),
        TxCode::Ok
    );
    let consumer0 = net.balance(&addr(&consumer));
    let bob0 = net.balance(&addr(&bob));
    // The same deposit again: what the escrow ever took would pass the largest amount.
    let txs = vec![
        net.signed(&consumer, create),
        net.signed(&consumer, transfer_body(&bob, 9)),
    ];
    let results = commit_block(&mut net, txs);
    assert_eq!(results[0].code, TxCode::Overflow, "{}", results[0].log);
    assert_eq!(results[1].code, TxCode::Ok, "later transactions still run");
    assert_eq!(net.balance(&addr(&consumer)), consumer0 - 2 * FEE - 9);
    assert_eq!(net.balance(&addr(&bob)), bob0 + 9);
    assert!(
        query::market_order(net.ledger.store(), 1)
            .unwrap()
            .is_none(),
        "the failed order left nothing behind"
    );
    let acct = query::market_totals(net.ledger.store()).unwrap();
    assert!(acct.balances(), "market accounting: {acct:?}");
}
