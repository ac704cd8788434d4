//! The beacon on a chain whose genesis commits to a hash chain: what a solo proposer may and
//! may not put in a block's header.

mod common;

use common::*;
use plexus_ledger::beacon::{hash_chain_step, Beacon};
use plexus_ledger::{BeaconCommitment, BlockReject, Ledger, PlexusLedger};
use plexus_types::{Block, Hash};

const LENGTH: u64 = 8;

/// `reveals[i] = H^i(seed)`; genesis commits to `reveals[LENGTH]` and block `h` reveals
/// `reveals[LENGTH - h]`.
fn reveals() -> Vec<Hash> {
    let mut out = vec![Hash::of(b"operator seed")];
    for _ in 0..LENGTH {
        out.push(hash_chain_step(out.last().unwrap()));
    }
    out
}

fn chained_ledger() -> (tempfile::TempDir, PlexusLedger, Vec<Hash>) {
    let reveals = reveals();
    let mut g = genesis(&[(addr(&key(0)), FUNDS)]);
    g.beacon = Some(BeaconCommitment::HashChain {
        commitment: reveals[LENGTH as usize],
        length: LENGTH,
    });
    let (dir, ledger) = fresh_ledger(&g);
    (dir, ledger, reveals)
}

fn revealing(ledger: &PlexusLedger, txs: Vec<Vec<u8>>, reveal: Hash) -> Block {
    let mut block = block_on(ledger, txs);
    block.header.beacon = reveal.0.to_vec();
    block
}

fn commitment(ledger: &PlexusLedger) -> Option<BeaconCommitment> {
    ledger.chain_info().and_then(|i| i.beacon.clone())
}

#[test]
fn a_solo_proposer_that_reveals_a_wrong_reused_or_skipped_value_is_refused_and_changes_nothing() {
    let (_dir, mut ledger, reveals) = chained_ledger();
    let next = |h: u64| reveals[(LENGTH - h) as usize];
    let tx = transfer(&key(0), addr(&key(1)), 5, 0, FEE).bytes;
    ledger
        .execute(&revealing(&ledger, vec![], next(1)))
        .unwrap();
    ledger.commit().unwrap();
    let before = ledger.last_committed();
    let balance = ledger.account(&addr(&key(0))).unwrap();

    let attempts = [
        ("a value of its choosing", Hash::of(b"chosen")),
        ("the previous block's reveal again", next(1)),
        ("the genesis commitment", reveals[LENGTH as usize]),
        ("a reveal skipped ahead", next(3)),
    ];
    for (what, reveal) in attempts {
        let refused = ledger.execute(&revealing(&ledger, vec![tx.clone()], reveal));
        assert!(
            matches!(refused, Err(BlockReject::BadBeacon { height: 2, .. })),
            "{what}: {refused:?}"
        );
        ledger.commit().unwrap();
        assert_eq!(ledger.last_committed(), before, "{what}");
        assert_eq!(ledger.account(&addr(&key(0))).unwrap(), balance, "{what}");
    }
    let missing = ledger.execute(&block_on(&ledger, vec![tx.clone()]));
    assert!(matches!(missing, Err(BlockReject::BadBeacon { .. })));

    let outcome = ledger
        .execute(&revealing(&ledger, vec![tx], next(2)))
        .unwrap();
    ledger.commit().unwrap();
    assert_eq!(outcome.height, 2);
    assert_eq!(outcome.results[0].code, plexus_ledger::TxCode::Ok);
}

#[test]
fn a_proposer_that_reorders_or_retimes_its_transactions_gets_the_same_beacon() {
    let txs = [
        transfer(&key(0), addr(&key(1)), 5, 0, FEE).bytes,
        transfer(&key(0), addr(&key(2)), 7, 1, FEE).bytes,
    ];
    let mut beacons = Vec::new();
    let mut header_hash_beacons = Vec::new();
    for (order, time_shift) in [([0, 1], 0), ([1, 0], 0), ([0, 1], 777)] {
        let (_dir, mut ledger, reveals) = chained_ledger();
        let mut block = revealing(
            &ledger,
            order.iter().map(|i| txs[*i].clone()).collect(),
            reveals[LENGTH as usize - 1],
        );
        block.header.time_ms += time_shift;
        ledger.execute(&block).unwrap();
        ledger.commit().unwrap();
        beacons.push(Beacon::of_block(&block, commitment(&ledger).as_ref()));
        header_hash_beacons.push(Beacon::of_block(&block, None));
    }
    assert_eq!(beacons[0], beacons[1]);
    assert_eq!(beacons[0], beacons[2]);
    // The old beacon, the header's hash, was the proposer's to choose.
    assert_ne!(header_hash_beacons[0], header_hash_beacons[1]);
    assert_ne!(header_hash_beacons[0], header_hash_beacons[2]);
}

#[test]
fn a_block_past_the_end_of_the_hash_chain_is_refused_with_a_clear_error() {
    let (_dir, mut ledger, reveals) = chained_ledger();
    for h in 1..=LENGTH {
        ledger
            .execute(&revealing(&ledger, vec![], reveals[(LENGTH - h) as usize]))
            .unwrap();
        ledger.commit().unwrap();
    }
    let past = ledger.execute(&revealing(&ledger, vec![], Hash::of(b"anything")));
    let err = past.unwrap_err();
    assert!(matches!(
        err,
        BlockReject::BeaconExhausted { length: LENGTH }
    ));
    assert!(err.to_string().contains("no more blocks"), "{err}");
    assert_eq!(ledger.last_committed().0, LENGTH);
}
