//! A chain restarting over a damaged block log: what a crash leaves is cut off and the chain
//! carries on; what no crash leaves stops the start with the file and the offset, and no
//! executed block is cut away.

use plexus_chain::{Chain, MempoolConfig};
use plexus_ledger::{Genesis, GenesisAccount};
use plexus_types::{Address, Amount, SecretKey};
use std::path::Path;

fn genesis() -> Genesis {
    Genesis::new(
        "restart-chain",
        1_700_000_000_000,
        vec![GenesisAccount {
            address: Address::from_public_key(&SecretKey::from_seed([7; 32]).public_key()),
            balance: Amount::plx(1_000),
        }],
    )
}

/// Offsets of the log's records, read from their headers (magic, body length, checksum).
fn record_offsets(log: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut pos = 0;
    while pos < log.len() {
        offsets.push(pos);
        pos += 12 + u32::from_le_bytes(log[pos + 4..pos + 8].try_into().unwrap()) as usize;
    }
    offsets
}

fn chain_with_blocks(dir: &Path, blocks: u64) {
    let chain = Chain::open(dir, Some(&genesis()), MempoolConfig::default()).unwrap();
    for _ in 0..blocks {
        chain.produce_block(Address([1; 20])).unwrap();
    }
}

#[test]
fn a_chain_over_a_block_log_corrupt_in_the_middle_refuses_to_start_naming_the_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    chain_with_blocks(dir.path(), 4);
    let path = dir.path().join("blocks.log");
    let mut log = std::fs::read(&path).unwrap();
    let second = record_offsets(&log)[1];
    log[second + 14] ^= 0x01;
    std::fs::write(&path, &log).unwrap();

    let message = match Chain::open(dir.path(), None, MempoolConfig::default()) {
        Ok(chain) => panic!("the chain started at height {}", chain.status().height),
        Err(e) => e.to_string(),
    };
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(&format!("byte {second}")), "{message}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        log,
        "no executed block was cut away"
    );
}

#[test]
fn a_chain_over_a_block_log_with_a_torn_tail_starts_and_keeps_producing() {
    let dir = tempfile::tempdir().unwrap();
    chain_with_blocks(dir.path(), 3);
    let path = dir.path().join("blocks.log");
    let log = std::fs::read(&path).unwrap();
    let mut torn = log.clone();
    torn.extend_from_slice(&log[..record_offsets(&log)[1] - 3]);
    std::fs::write(&path, &torn).unwrap();

    let chain = Chain::open(dir.path(), None, MempoolConfig::default()).unwrap();
    assert_eq!(chain.status().height, 3);
    assert_eq!(chain.produce_block(Address([1; 20])).unwrap().height, 4);
    assert!(chain.block(4).unwrap().is_some());
}

#[test]
fn a_node_that_pruned_its_genesis_state_restarts_with_its_genesis_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let chain = Chain::open(dir.path(), Some(&genesis()), MempoolConfig::default()).unwrap();
        chain
            .store()
            .set_retain_versions(std::num::NonZeroU64::new(2));
        for _ in 0..10 {
            chain.produce_block(Address([1; 20])).unwrap();
        }
        assert!(
            chain.store().oldest_version().unwrap() > 0,
            "height 0 is pruned"
        );
    }
    // A node starts with its genesis file every time.
    let chain = Chain::open(dir.path(), Some(&genesis()), MempoolConfig::default()).unwrap();
    assert_eq!(chain.status().height, 10);
    assert_eq!(chain.produce_block(Address([1; 20])).unwrap().height, 11);
}

#[test]
fn a_node_keeping_its_newest_blocks_prunes_the_log_and_restarts_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blocks.log");
    {
        let chain = Chain::open(dir.path(), Some(&genesis()), MempoolConfig::default()).unwrap();
        chain.set_retain_blocks(std::num::NonZeroU64::new(5));
        for _ in 0..9 {
            chain.produce_block(Address([1; 20])).unwrap();
        }
        assert_eq!(
            chain.first_block_height(),
            1,
            "fewer than 5 blocks below the newest 5"
        );
        let before = std::fs::metadata(&path).unwrap().len();
        chain.produce_block(Address([1; 20])).unwrap();
        assert_eq!(chain.first_block_height(), 6);
        assert!(chain.block(5).unwrap().is_none());
        assert!(chain.block(6).unwrap().is_some());
        assert!(std::fs::metadata(&path).unwrap().len() < before);
    }
    let chain = Chain::open(dir.path(), Some(&genesis()), MempoolConfig::default()).unwrap();
    assert_eq!(chain.status().height, 10);
    assert_eq!(chain.first_block_height(), 6);
    assert_eq!(chain.produce_block(Address([1; 20])).unwrap().height, 11);
}
