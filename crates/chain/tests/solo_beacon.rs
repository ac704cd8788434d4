//! The solo driver's beacon: every block it makes carries the next reveal of the operator's
//! hash chain, across restarts, and it refuses to run on a chain it does not hold the reveals
//! of.

use plexus_chain::{Chain, ChainError, MempoolConfig, RevealChain};
use plexus_ledger::beacon::hash_chain_step;
use plexus_ledger::{Genesis, GenesisAccount};
use plexus_types::{Address, Amount, Hash, SecretKey};
use std::path::Path;

/// Longer than one checkpoint interval, so reveals come from several checkpoints.
const LENGTH: u64 = plexus_chain::reveal_chain::CHECKPOINT_EVERY + 20;

fn genesis(reveals: &RevealChain) -> Genesis {
    let mut g = Genesis::new(
        "beacon-chain",
        1_700_000_000_000,
        vec![GenesisAccount {
            address: Address::from_public_key(&SecretKey::from_seed([7; 32]).public_key()),
            balance: Amount::plx(1_000),
        }],
    );
    g.beacon = Some(reveals.genesis_commitment());
    g
}

fn open(dir: &Path, g: &Genesis, reveals_file: &Path) -> Chain {
    let chain = Chain::open(dir, Some(g), MempoolConfig::default()).unwrap();
    chain
        .set_reveal_chain(RevealChain::load(reveals_file).unwrap())
        .unwrap();
    chain
}

#[test]
fn a_restarted_solo_node_continues_its_hash_chain() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("beacon_chain");
    let reveals = RevealChain::from_seed(Hash::of(b"operator"), LENGTH).unwrap();
    reveals.save(&file).unwrap();
    let g = genesis(&reveals);
    let data = dir.path().join("data");
    {
        let chain = open(&data, &g, &file);
        for _ in 0..3 {
            chain.produce_block(Address([1; 20])).unwrap();
        }
    }
    let chain = open(&data, &g, &file);
    assert_eq!(chain.produce_block(Address([1; 20])).unwrap().height, 4);
    assert_eq!(chain.produce_block(Address([1; 20])).unwrap().height, 5);
    let mut previous = reveals.commitment();
    for height in 1..=5 {
        let block = chain.block(height).unwrap().unwrap();
        let reveal = Hash::from_slice(&block.header.beacon).unwrap();
        assert_eq!(hash_chain_step(&reveal), previous, "height {height}");
        previous = reveal;
    }
}

#[test]
fn a_solo_node_without_the_committed_hash_chain_makes_no_block() {
    let dir = tempfile::tempdir().unwrap();
    let reveals = RevealChain::from_seed(Hash::of(b"operator"), LENGTH).unwrap();
    let g = genesis(&reveals);
    let chain = Chain::open(&dir.path().join("data"), Some(&g), MempoolConfig::default()).unwrap();
    let missing = chain.produce_block(Address([1; 20]));
    assert!(
        matches!(&missing, Err(ChainError::Beacon(m)) if m.contains("beacon_chain")),
        "{missing:?}"
    );
    let other = RevealChain::from_seed(Hash::of(b"another seed"), LENGTH).unwrap();
    assert!(matches!(
        chain.set_reveal_chain(other),
        Err(ChainError::Beacon(_))
    ));
    assert_eq!(chain.status().height, 0);
}

#[test]
fn a_solo_chain_stops_with_a_clear_error_at_the_end_of_its_hash_chain() {
    let dir = tempfile::tempdir().unwrap();
    let reveals = RevealChain::from_seed(Hash::of(b"short"), 2).unwrap();
    let g = genesis(&reveals);
    let chain = Chain::open(&dir.path().join("data"), Some(&g), MempoolConfig::default()).unwrap();
    chain.set_reveal_chain(reveals).unwrap();
    chain.produce_block(Address([1; 20])).unwrap();
    chain.produce_block(Address([1; 20])).unwrap();
    let err = chain.produce_block(Address([1; 20])).unwrap_err();
    assert!(err.to_string().contains("no more blocks"), "{err}");
    assert_eq!(chain.status().height, 2);
}
