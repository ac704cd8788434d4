mod common;

use common::*;
use plexus_ledger::{fee_pool_address, Ledger, TxCode};
use plexus_types::Amount;

#[test]
fn a_transfer_moves_funds_charges_the_fee_and_uses_the_nonce() {
    let (alice, bob) = (key(0), key(1));
    let (_d, mut ledger) = fresh_ledger(&genesis(&[(addr(&alice), 1_000_000)]));
    let tx = transfer(&alice, addr(&bob), 250_000, 0, 1_000);
    ledger.check_tx(&tx.bytes).unwrap();
    let out = run_block(&mut ledger, vec![tx.bytes.clone()]);
    assert_eq!(out.results[0].code, TxCode::Ok);
    assert_eq!(
        ledger.account(&addr(&alice)).unwrap().balance,
        Amount(749_000)
    );
    assert_eq!(ledger.account(&addr(&alice)).unwrap().nonce, 1);
    assert_eq!(
        ledger.account(&addr(&bob)).unwrap().balance,
        Amount(250_000)
    );
    assert_eq!(
        ledger.account(&fee_pool_address()).unwrap().balance,
        Amount(1_000)
    );
    let committed = ledger.committed_tx(&tx.hash).unwrap().unwrap();
    assert_eq!((committed.height, committed.result.code), (1, TxCode::Ok));
}

#[test]
fn a_transfer_beyond_the_balance_fails_but_pays_its_fee() {
    let (alice, bob) = (key(0), key(1));
    let (_d, mut ledger) = fresh_ledger(&genesis(&[(addr(&alice), 10_000)]));
    let tx = transfer(&alice, addr(&bob), 9_500, 0, 1_000);
    let out = run_block(&mut ledger, vec![tx.bytes]);
    assert_eq!(out.results[0].code, TxCode::InsufficientFunds);
    assert_eq!(
        ledger.account(&addr(&alice)).unwrap().balance,
        Amount(9_000)
    );
    assert_eq!(ledger.account(&addr(&bob)).unwrap().balance, Amount(0));
}

#[test]
fn a_replayed_transaction_is_refused_and_changes_nothing() {
    let (alice, bob) = (key(0), key(1));
    let (_d, mut ledger) = fresh_ledger(&genesis(&[(addr(&alice), 1_000_000)]));
    let tx = transfer(&alice, addr(&bob), 100, 0, 1_000);
    run_block(&mut ledger, vec![tx.bytes.clone()]);
    assert_eq!(
        ledger.check_tx(&tx.bytes).unwrap_err().code,
        TxCode::NonceTooLow
    );
    let before = ledger.last_committed().1;
    let out = run_block(&mut ledger, vec![tx.bytes.clone()]);
    assert_eq!(out.results[0].code, TxCode::NonceTooLow);
    assert_eq!(ledger.account(&addr(&bob)).unwrap().balance, Amount(100));
    assert_ne!(
        out.app_hash, before,
        "the block itself still advances the chain"
    );
    // The original result is not overwritten by the replay.
    assert_eq!(ledger.committed_tx(&tx.hash).unwrap().unwrap().height, 1);
}

#[test]
fn admission_refuses_forged_wrong_chain_and_underfunded_transactions() {
    let (alice, bob, mallory) = (key(0), key(1), key(2));
    let (_d, ledger) = fresh_ledger(&genesis(&[(addr(&alice), 1_000_000)]));

    let mut forged = transfer(&alice, addr(&mallory), 100, 0, 1_000);
    forged.signature = mallory.sign(&forged.payload);
    let reencoded = {
        use prost::Message;
        plexus_types::proto::SignedTx {
            payload: forged.payload.clone(),
            signature: forged.signature.to_bytes().to_vec(),
        }
        .encode_to_vec()
    };
    assert_eq!(
        ledger.check_tx(&reencoded).unwrap_err().code,
        TxCode::InvalidSignature
    );

    let mut other_chain = plexus_types::UnsignedTx {
        chain_id: "other-chain".into(),
        nonce: 0,
        fee: Amount(1_000),
        body: plexus_types::Body::Transfer {
            to: addr(&bob),
            amount: Amount(1),
        },
    };
    assert_eq!(
        ledger
            .check_tx(&other_chain.sign(&alice).bytes)
            .unwrap_err()
            .code,
        TxCode::WrongChainId
    );
    other_chain.chain_id = CHAIN.into();
    other_chain.fee = Amount(1);
    assert_eq!(
        ledger
            .check_tx(&other_chain.sign(&alice).bytes)
            .unwrap_err()
            .code,
        TxCode::FeeTooLow
    );
    let broke = transfer(&bob, addr(&alice), 1, 0, 1_000);
    assert_eq!(
        ledger.check_tx(&broke.bytes).unwrap_err().code,
        TxCode::InsufficientFee
    );
    assert_eq!(
        ledger.check_tx(b"\x0a\x03abc").unwrap_err().code,
        TxCode::Malformed
    );
    assert_eq!(
        ledger.check_tx(&vec![7u8; 20_000]).unwrap_err().code,
        TxCode::Oversize
    );
}

#[test]
fn genesis_is_applied_once_and_refuses_another_chain() {
    let alice = key(0);
    let g = genesis(&[(addr(&alice), 5)]);
    let (_d, mut ledger) = fresh_ledger(&g);
    let (h, root) = ledger.last_committed();
    assert_eq!(ledger.init_chain(&g).unwrap().app_hash, root);
    assert_eq!(h, 0);
    let mut other = g.clone();
    other.chain_id = "another".into();
    assert!(ledger.init_chain(&other).is_err());
}

#[test]
fn a_block_that_does_not_follow_the_committed_one_is_refused() {
    let alice = key(0);
    let (_d, mut ledger) = fresh_ledger(&genesis(&[(addr(&alice), 5)]));
    let mut block = block_on(&ledger, vec![]);
    block.header.height = 5;
    assert!(ledger.execute(&block).is_err());
    let mut block = block_on(&ledger, vec![]);
    block.header.prev_app_hash = plexus_types::Hash([1; 32]);
    assert!(ledger.execute(&block).is_err());
    let mut block = block_on(&ledger, vec![b"x".to_vec()]);
    block.header.tx_root = plexus_types::Hash([1; 32]);
    assert!(ledger.verify(&block).is_err());
}

/// An attacker (or a careless user) sends tokens straight into module accounts: escrows,
/// the stake and rewards accounts, the fee pool. Each transfer fails with its fee charged, the
/// module accounts hold what they held, and every component's books still balance.
#[test]
fn sending_tokens_straight_into_a_module_account_is_refused_and_leaves_every_book_balanced() {
    use plexus_ledger::{module_account, query};
    let alice = key(0);
    let mut net = Net::funded(&[&alice]);
    for target in module_account::all() {
        let before = (net.balance(&addr(&alice)), net.balance(&target));
        let result = net.send_for_result(
            &alice,
            plexus_types::Body::Transfer {
                to: target,
                amount: Amount(50_000),
            },
        );
        assert_eq!(result.code, TxCode::Unauthorized, "transfer to {target}");
        assert!(result.log.contains("module account"), "{}", result.log);
        let fee_back = if target == fee_pool_address() { FEE } else { 0 };
        assert_eq!(net.balance(&addr(&alice)), before.0 - FEE);
        assert_eq!(net.balance(&target), before.1 + fee_back);
    }
    let store = net.ledger.store();
    assert!(query::market_totals(store).unwrap().balances());
    assert!(query::reward_totals(store).unwrap().balances());
    assert!(query::storage_totals(store).unwrap().balances());
    assert!(query::training_totals(store).unwrap().balances());
    assert_eq!(net.balance(&module_account::stake()), 0);
}
