//! The state every input starts from, so that a plan's first transactions already find
//! devices to bid with, an order with a lease, bids, a training task with participants, a
//! storage deal and an ended epoch: four devices registered (three compute, one storage), an
//! order matched to a provider, a task and a deal, run once per process and copied for each
//! input.

use super::plan::BlockTime;
use super::{account, addr, device, Built, Chain, CHAIN, FEE};
use plexus_ledger::market::MIN_BID_DEPOSIT;
use plexus_ledger::{query, Ledger, TxCode};
use plexus_types::{
    statements, Amount, Body, Capabilities, Hash, JobRuntime, OrderTerms, SecretKey,
    StorageDealTerms, TrainingTaskTerms, UnsignedTx,
};
use std::collections::BTreeMap;

/// A valid H3 cell.
const CELL: u64 = 0x8c2a100d2c0a5ff;

/// Runs the setup blocks on a chain fresh from genesis; every setup transaction must succeed.
pub(super) fn run(chain: &mut Chain) {
    let mut nonces: BTreeMap<u8, u64> = BTreeMap::new();
    let mut tx = |from: u8, body: Body| {
        let nonce = nonces.entry(from).or_default();
        *nonce += 1;
        UnsignedTx {
            chain_id: CHAIN.into(),
            nonce: *nonce - 1,
            fee: Amount(FEE),
            body,
        }
        .sign(&account(from))
        .bytes
    };
    let registrations = (0..4)
        .map(|i| {
            tx(
                i,
                register(i, if i == 3 { "storage-small" } else { "cpu-small" }),
            )
        })
        .collect();
    commit(chain, registrations);
    let order = Body::CreateOrder(OrderTerms {
        spec: Hash::of(b"spec"),
        runtime: JobRuntime::Wasm,
        resources: Capabilities {
            cpu_cores: 2,
            memory_mb: 1024,
            ..Capabilities::default()
        },
        max_price_per_block: Amount(100),
        duration_blocks: 20,
        replicas: 1,
        sample_per_mille: 1000,
        deposit: Amount(20_000),
    });
    let task = Body::CreateTrainingTask(TrainingTaskTerms {
        dataset: "digits".into(),
        spec: "{}".into(),
        validation_commitment: Hash::of(b"validation"),
        rounds: 3,
        min_participants: 1,
        budget: Amount(30_000),
        coordinator: addr(&account(1)),
    });
    let bytes = vec![0u8; 1 << 10];
    let deal = Body::StorageDeal(StorageDealTerms {
        blob: Hash::of(&bytes),
        size: bytes.len() as u64,
        replicas: 1,
        epochs: 3,
        price_per_replica_epoch: Amount(100),
        size_proof: plexus_types::blob_size::prove_size(&bytes),
    });
    commit(chain, vec![tx(0, order), tx(3, task), tx(2, deal)]);
    let bid = |i: u8, price: u128| Body::PlaceBid {
        order: 0,
        device: device(i).public_key(),
        price_per_block: Amount(price),
        deposit: MIN_BID_DEPOSIT,
    };
    let join = Body::JoinTrainingTask { task: 0 };
    commit(
        chain,
        vec![
            tx(1, bid(1, 50)),
            tx(2, bid(2, 60)),
            tx(0, join.clone()),
            tx(2, join),
        ],
    );
    while query::market_order(chain.ledger.store(), 0)
        .expect("order")
        .expect("the setup's order")
        .leases
        .is_empty()
    {
        assert!(
            chain.ledger.last_committed().0 < 12,
            "the setup's order never matched"
        );
        commit(chain, vec![]);
    }
}

fn commit(chain: &mut Chain, txs: Vec<Vec<u8>>) {
    let refused = vec![false; txs.len()];
    let outcome = chain.run(Built { txs, refused }, BlockTime::OneSecondPerBlock);
    for result in &outcome.results {
        assert_eq!(
            result.code,
            TxCode::Ok,
            "a setup transaction failed: {result:?}"
        );
    }
}

/// Device `i`'s registration under account `i`, with the class's minimum stake.
fn register(i: u8, class: &str) -> Body {
    let owner: SecretKey = account(i);
    let dev = device(i);
    let statement = statements::device_registration(CHAIN, &addr(&owner), &dev.public_key());
    Body::RegisterDevice {
        device: dev.public_key(),
        class: class.into(),
        capabilities: Capabilities {
            cpu_cores: 4,
            memory_mb: 8192,
            ..Capabilities::default()
        },
        h3_cell: CELL,
        stake: Amount::plx(100),
        device_signature: dev.sign(&statement),
    }
}
