//! Helpers shared by the ledger's integration tests.
#![allow(dead_code)]

use plexus_ledger::{Genesis, GenesisAccount, Ledger, Outcome, Params, PlexusLedger};
use plexus_store::Store;
use plexus_types::{Address, Amount, Block, BlockHeader, Body, SecretKey, SignedTx, UnsignedTx};

pub const CHAIN: &str = "plexus-test";

pub fn key(i: u8) -> SecretKey {
    SecretKey::from_seed([i + 1; 32])
}

pub fn addr(k: &SecretKey) -> Address {
    Address::from_public_key(&k.public_key())
}

pub fn genesis(balances: &[(Address, u128)]) -> Genesis {
    Genesis {
        chain_id: CHAIN.into(),
        genesis_time_ms: 1_700_000_000_000,
        params: Params::default(),
        rewards: Default::default(),
        oracles: Default::default(),
        device_classes: plexus_ledger::default_device_classes(),
        validators: Vec::new(),
        accounts: balances
            .iter()
            .map(|(a, b)| GenesisAccount {
                address: *a,
                balance: Amount(*b),
            })
            .collect(),
    }
}

pub fn fresh_ledger(g: &Genesis) -> (tempfile::TempDir, PlexusLedger) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("state.redb")).unwrap();
    let mut ledger = PlexusLedger::open(store).unwrap();
    ledger.init_chain(g).unwrap();
    (dir, ledger)
}

pub fn transfer(from: &SecretKey, to: Address, amount: u128, nonce: u64, fee: u128) -> SignedTx {
    UnsignedTx {
        chain_id: CHAIN.into(),
        nonce,
        fee: Amount(fee),
        body: Body::Transfer {
            to,
            amount: Amount(amount),
        },
    }
    .sign(from)
}

pub fn block_on(ledger: &PlexusLedger, txs: Vec<Vec<u8>>) -> Block {
    let (height, app_hash) = ledger.last_committed();
    Block {
        header: BlockHeader {
            chain_id: CHAIN.into(),
            height: height + 1,
            time_ms: 1_700_000_000_000 + height * 1000,
            proposer: Address([0; 20]),
            prev_app_hash: app_hash,
            tx_root: Block::tx_root(&txs),
        },
        txs,
    }
}

pub fn run_block(ledger: &mut PlexusLedger, txs: Vec<Vec<u8>>) -> Outcome {
    let block = block_on(ledger, txs);
    let outcome = ledger.execute(&block).unwrap();
    ledger.commit().unwrap();
    outcome
}
