//! A node verifies each transaction's signature once: on admission, or, for a block it did not
//! build (agreed by consensus, replayed from the block log), before executing it. What it
//! remembers is "these exact bytes carry a valid signature", so an attacker gains nothing from
//! a valid copy of a transaction having been admitted: bytes it never verified are verified,
//! and a forged signature is refused wherever it comes from.

use plexus_chain::{Chain, MempoolConfig};
use plexus_ledger::{Genesis, GenesisAccount, TxCode};
use plexus_types::{Address, Amount, Block, BlockHeader, Body, SecretKey, UnsignedTx};
use prost::Message;
use std::path::Path;

const CHAIN_ID: &str = "signature-trust";

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed([n; 32])
}

fn addr(key: &SecretKey) -> Address {
    Address::from_public_key(&key.public_key())
}

fn genesis() -> Genesis {
    Genesis::new(
        CHAIN_ID,
        1_700_000_000_000,
        vec![
            GenesisAccount {
                address: addr(&key(1)),
                balance: Amount::plx(1_000),
            },
            GenesisAccount {
                address: addr(&key(2)),
                balance: Amount::plx(1_000),
            },
        ],
    )
}

fn open(dir: &Path) -> Chain {
    Chain::open(dir, Some(&genesis()), MempoolConfig::default()).unwrap()
}

fn transfer(chain: &Chain, from: &SecretKey, to: Address, amount: u128, nonce: u64) -> Vec<u8> {
    UnsignedTx {
        chain_id: CHAIN_ID.into(),
        nonce,
        fee: chain.checker().params().min_fee,
        body: Body::Transfer {
            to,
            amount: Amount(amount),
        },
    }
    .sign(from)
    .bytes
}

/// The same transaction with one byte of its signature flipped.
fn flip_signature_byte(bytes: &[u8]) -> Vec<u8> {
    let mut envelope = plexus_types::proto::SignedTx::decode(bytes).unwrap();
    envelope.signature[17] ^= 0x01;
    envelope.encode_to_vec()
}

/// `from`'s transfer signed by `forger` instead: well formed, signature invalid.
fn forged_transfer(chain: &Chain, from: &SecretKey, forger: &SecretKey, to: Address) -> Vec<u8> {
    let honest = plexus_types::SignedTx::decode(&transfer(chain, from, to, 500, 0)).unwrap();
    plexus_types::proto::SignedTx {
        signature: forger.sign(&honest.payload).to_bytes().to_vec(),
        payload: honest.payload,
    }
    .encode_to_vec()
}

/// A block of `txs` on top of the chain's committed state, as another validator would
/// propose it.
fn block_from_elsewhere(chain: &Chain, txs: Vec<Vec<u8>>) -> Block {
    let (height, prev_app_hash) = chain.committed();
    Block {
        header: BlockHeader {
            chain_id: CHAIN_ID.into(),
            height: height + 1,
            time_ms: chain.status().last_block_time_ms + 1_000,
            proposer: Address([9; 20]),
            prev_app_hash,
            tx_root: Block::tx_root(&txs),
            beacon: Vec::new(),
        },
        txs,
    }
}

fn balance(chain: &Chain, who: &SecretKey) -> Amount {
    plexus_ledger::query::account(chain.store(), &addr(who))
        .unwrap()
        .balance
}

#[test]
fn a_forged_transfer_in_a_block_the_node_never_admitted_is_refused_and_moves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let chain = open(dir.path());
    let (alice, bob, mallory) = (key(1), key(2), key(3));
    let forged = forged_transfer(&chain, &alice, &mallory, addr(&mallory));
    let honest = transfer(&chain, &bob, addr(&alice), 7, 0);
    let before = (balance(&chain, &alice), balance(&chain, &bob));

    let summary = chain
        .commit_agreed(block_from_elsewhere(&chain, vec![honest, forged]))
        .unwrap();

    let codes: Vec<TxCode> = summary.results.iter().map(|r| r.code).collect();
    assert_eq!(codes, vec![TxCode::Ok, TxCode::InvalidSignature]);
    assert_eq!(balance(&chain, &mallory), Amount::ZERO);
    assert_eq!(
        balance(&chain, &alice),
        before.0.checked_add(Amount(7)).unwrap(),
        "alice only received bob's transfer; her forged one took nothing, not even its fee"
    );
    assert!(balance(&chain, &bob) < before.1);
    assert_eq!(
        plexus_ledger::query::account(chain.store(), &addr(&alice))
            .unwrap()
            .nonce,
        0,
        "the forged transfer did not use alice's nonce"
    );
}

#[test]
fn a_copy_with_one_flipped_signature_byte_is_refused_after_the_valid_copy_was_admitted() {
    let dir = tempfile::tempdir().unwrap();
    let chain = open(dir.path());
    let (alice, bob) = (key(1), key(2));
    let valid = transfer(&chain, &alice, addr(&bob), 500, 0);
    let flipped = flip_signature_byte(&valid);
    assert_ne!(valid, flipped);

    chain.submit(valid.clone()).unwrap();
    let refused = chain.submit(flipped.clone()).unwrap_err();
    assert_eq!(refused.code, TxCode::InvalidSignature);
    let refused_in_batch = chain.submit_many(vec![flipped.clone()]);
    assert_eq!(
        refused_in_batch[0].as_ref().unwrap_err().code,
        TxCode::InvalidSignature
    );

    // Nor does a block from elsewhere carrying the flipped copy get it executed.
    let bob_before = balance(&chain, &bob);
    let summary = chain
        .commit_agreed(block_from_elsewhere(&chain, vec![flipped]))
        .unwrap();
    assert_eq!(summary.results[0].code, TxCode::InvalidSignature);
    assert_eq!(balance(&chain, &bob), bob_before);

    // The valid copy still executes when its own bytes come in a block.
    let summary = chain.produce_block(Address([1; 20])).unwrap();
    assert_eq!(summary.results.len(), 1);
    assert_eq!(summary.results[0].code, TxCode::Ok);
    assert_eq!(
        balance(&chain, &bob),
        bob_before.checked_add(Amount(500)).unwrap()
    );
}

#[test]
fn a_forged_transfer_replayed_from_the_block_log_is_refused_again_and_replicas_agree() {
    let first = tempfile::tempdir().unwrap();
    let (alice, bob, mallory) = (key(1), key(2), key(3));
    let app_hash = {
        let chain = open(first.path());
        let honest = transfer(&chain, &bob, addr(&alice), 9, 0);
        chain.submit(honest).unwrap();
        chain.produce_block(Address([1; 20])).unwrap();
        let forged = forged_transfer(&chain, &alice, &mallory, addr(&mallory));
        chain
            .commit_agreed(block_from_elsewhere(&chain, vec![forged]))
            .unwrap();
        chain.committed().1
    };

    // A fresh replica with only the genesis and the block log: nothing was admitted there, so
    // every signature is checked as the blocks replay.
    let second = tempfile::tempdir().unwrap();
    std::fs::copy(
        first.path().join("blocks.log"),
        second.path().join("blocks.log"),
    )
    .unwrap();
    let replica = open(second.path());
    assert_eq!(replica.committed(), (2, app_hash));
    assert_eq!(balance(&replica, &mallory), Amount::ZERO);
    let result = replica
        .committed_tx(&plexus_types::Hash::of(
            &replica.block(2).unwrap().unwrap().txs[0],
        ))
        .unwrap();
    assert_eq!(result, None, "a refused transaction records no result");
}
