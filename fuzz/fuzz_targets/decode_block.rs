//! Blocks come from the block log on disk and, later, from peers, so `Block::decode` must reject
//! any byte string without panicking, and an accepted block must survive the re-encoding the
//! node does when it stores and serves it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use plexus_types::{Block, Hash, SignedTx};

fuzz_target!(|data: &[u8]| {
    let Ok(block) = Block::decode(data) else {
        return;
    };

    // The stored form is the canonical encoding; reading it back must give the same block,
    // and writing that again must not drift, or the log and the API would disagree.
    let encoded = block.encode();
    let reread = Block::decode(&encoded).expect("a canonical block encoding decodes");
    assert_eq!(reread, block);
    assert_eq!(reread.encode(), encoded);
    assert_eq!(reread.hash(), block.hash());

    // Attacker-chosen transaction lists must not break the root computation.
    let root = Block::tx_root(&block.txs);
    match block.txs.as_slice() {
        [] => assert_eq!(root, Hash::ZERO),
        [only] => assert_eq!(root, Hash::of(only)),
        _ => {}
    }

    // Block execution verifies a block's transactions as one batch and falls back to single
    // checks; both must give the same verdict per transaction (ZIP 215), with many items in
    // a batch, which the single-transaction target never exercises.
    let txs: Vec<SignedTx> = block
        .txs
        .iter()
        .filter_map(|bytes| SignedTx::decode(bytes).ok())
        .collect();
    let refs: Vec<&SignedTx> = txs.iter().collect();
    let single: Vec<_> = txs.iter().map(SignedTx::verify_signature).collect();
    assert_eq!(SignedTx::verify_many(&refs), single);
});
