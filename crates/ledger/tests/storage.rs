//! Storage deals end to end through blocks: escrow, replica assignment, payment each epoch,
//! replacement of departed providers, expiry with refund, and exact escrow accounting.
mod common;

use common::*;
use plexus_ledger::storage::{self, DealStatus, StorageDeal};
use plexus_ledger::{module_account, query, Genesis, Ledger, OracleSet, RewardParams, TxCode};
use plexus_types::blob_size::prove_size;
use plexus_types::{
    Address, Amount, Body, Capabilities, Hash, PublicKey, SecretKey, StorageDealTerms,
    StorageFailure,
};
use proptest::prelude::*;

const EPOCH_BLOCKS: u64 = 8;
const STAKE: u128 = 100_000_000;

fn storage_genesis(funded: &[Address]) -> Genesis {
    let all: Vec<(Address, u128)> = funded.iter().map(|a| (*a, 10_000_000_000)).collect();
    let mut g = genesis(&all);
    g.rewards = RewardParams {
        epoch_blocks: EPOCH_BLOCKS,
        ..RewardParams::default()
    };
    g
}

impl Net {
    fn new(funded: &[Address]) -> Net {
        Net::with_genesis(storage_genesis(funded))
    }

    fn register(&mut self, owner: &SecretKey, device: &SecretKey, class: &str) -> TxCode {
        let body = register_body(owner, device, class, Capabilities::default(), STAKE);
        self.send(owner, body)
    }

    /// Registers `device(i)` under `owners[i]` in a storage class, for every owner.
    fn register_storage_devices(&mut self, owners: &[SecretKey]) {
        for (i, owner) in owners.iter().enumerate() {
            assert_eq!(
                self.register(owner, &device(i as u8), "storage-small"),
                TxCode::Ok
            );
        }
    }

    /// Makes a deal for the blob `content`, with its true size and the proof of it.
    fn deal(
        &mut self,
        client: &SecretKey,
        content: &[u8],
        replicas: u32,
        epochs: u64,
        price: u128,
    ) -> TxCode {
        let terms = deal_terms(content, replicas, epochs, price);
        self.send(client, Body::StorageDeal(terms))
    }

    /// Runs empty blocks until the epoch in progress ends, so what follows starts an epoch.
    fn align(&mut self) {
        self.end_epoch(self.epoch_in_progress());
    }

    fn deals(&self, blob: &Hash) -> Vec<StorageDeal> {
        query::storage_deals_of_blob(self.ledger.store(), blob).unwrap()
    }

    /// Every escrowed unit is paid, refunded or held, and each deal's own books add up.
    fn assert_accounted(&self) {
        let acct = query::storage_totals(self.ledger.store()).unwrap();
        assert!(acct.balances(), "storage escrow does not balance: {acct:?}");
        assert_eq!(self.balance(&module_account::storage_escrow()), acct.held.0);
    }
}

fn deal_terms(content: &[u8], replicas: u32, epochs: u64, price: u128) -> StorageDealTerms {
    StorageDealTerms {
        blob: Hash::of(content),
        size: content.len() as u64,
        replicas,
        epochs,
        price_per_replica_epoch: Amount(price),
        size_proof: prove_size(content),
    }
}

fn device(i: u8) -> SecretKey {
    SecretKey::from_seed([100 + i; 32])
}

/// Defect: a client that declared a wrong size made every honest replica fail its audits
/// (the challenges and proofs were drawn for a tree of the wrong size) and got its escrow
/// back. Now the deal carries a proof of the size, and a wrong one never takes effect.
#[test]
fn a_deal_with_a_wrong_size_never_takes_effect() {
    let client = key(0);
    let owners: Vec<SecretKey> = (1..=3).map(key).collect();
    let mut funded = vec![addr(&client)];
    funded.extend(owners.iter().map(addr));
    let mut net = Net::new(&funded);
    net.register_storage_devices(&owners);
    let content = vec![7u8; 70_000];
    let blob = Hash::of(&content);
    let before = net.balance(&addr(&client));

    // The true proof, but a size the blob is not.
    let mut larger = deal_terms(&content, 3, 2, 1_000);
    larger.size = 1 << 30;
    // A proof made for a prefix of the blob, claiming the prefix's size.
    let mut prefix = deal_terms(&content[..65_536], 3, 2, 1_000);
    prefix.blob = blob;
    // A proof made for other bytes of the declared size.
    let mut other = deal_terms(&[8u8; 70_001], 3, 2, 1_000);
    other.blob = blob;
    for terms in [larger, prefix, other] {
        let result = net.send_for_result(&client, Body::StorageDeal(terms));
        assert_eq!(result.code, TxCode::BadProof, "{}", result.log);
    }
    assert!(net.deals(&blob).is_empty(), "no deal exists");
    assert_eq!(
        net.balance(&addr(&client)),
        before - 3 * FEE,
        "only fees were paid"
    );
    net.assert_accounted();

    assert_eq!(net.deal(&client, &content, 3, 2, 1_000), TxCode::Ok);
    assert_eq!(net.deals(&blob)[0].size, 70_000);
}

#[test]
fn a_deal_escrows_pays_its_providers_each_epoch_and_refunds_the_rest_when_it_ends() {
    let client = key(0);
    let owners: Vec<SecretKey> = (1..=4).map(key).collect();
    let mut funded = vec![addr(&client)];
    funded.extend(owners.iter().map(addr));
    let mut net = Net::new(&funded);
    net.register_storage_devices(&owners);
    // A compute device never holds replicas.
    assert_eq!(
        net.register(&owners[0], &device(9), "cpu-small"),
        TxCode::Ok
    );

    net.align();
    let blob = Hash::of(b"the blob");
    assert_eq!(
        net.deal(&client, b"the blob", 5, 3, 10),
        TxCode::NotEnoughProviders
    );
    let before = net.balance(&addr(&client));
    let made_in = net.epoch_in_progress();
    assert_eq!(net.deal(&client, b"the blob", 3, 2, 1_000), TxCode::Ok);
    assert_eq!(net.balance(&addr(&client)), before - FEE - 6_000);
    net.assert_accounted();
    // The epoch it was made in is not covered; from here on the figures count from the next,
    // the providers' handover epoch, which is not covered either.
    net.end_epoch(made_in);
    assert_eq!(net.deals(&blob)[0].paid, Amount::ZERO);
    let made_in = made_in + 1;

    let deal = net.deals(&blob).remove(0);
    assert_eq!(
        (deal.first_epoch, deal.last_epoch),
        (made_in + 1, made_in + 2)
    );
    assert_eq!(deal.escrow, Amount(6_000));
    // The assignment is the three best-ranked storage devices, recomputable by anyone.
    let mut ranked: Vec<_> = (0..4u8)
        .map(|i| {
            (
                storage::rank(&blob, &device(i).public_key()),
                device(i).public_key(),
            )
        })
        .collect();
    ranked.sort();
    let expected: Vec<_> = ranked.iter().take(3).map(|(_, k)| *k).collect();
    assert_eq!(deal.providers, expected);
    let owner_of = |k: &plexus_types::PublicKey| {
        let i = (0..4u8).find(|i| device(*i).public_key() == *k).unwrap();
        addr(&owners[i as usize])
    };
    let left_out = owner_of(&ranked[3].1);

    // The handover epoch is not paid; the next two are.
    let start: Vec<u128> = (0..4).map(|i| net.balance(&addr(&owners[i]))).collect();
    net.end_epoch(made_in);
    assert_eq!(net.deals(&blob)[0].paid, Amount::ZERO);
    net.end_epoch(made_in + 1);
    assert_eq!(net.deals(&blob)[0].paid, Amount(3_000));
    net.assert_accounted();
    net.end_epoch(made_in + 2);
    let ended = net.deals(&blob).remove(0);
    assert_eq!(
        ended.status,
        DealStatus::Ended {
            at_epoch: made_in + 2
        }
    );
    assert_eq!((ended.paid, ended.refunded), (Amount(6_000), Amount::ZERO));
    for (i, owner) in owners.iter().enumerate() {
        let gain = net.balance(&addr(owner)) - start[i];
        let want = if addr(owner) == left_out { 0 } else { 2_000 };
        assert_eq!(gain, want, "owner {i}");
    }
    assert_eq!(net.balance(&module_account::storage_escrow()), 0);
    assert!(query::open_storage_deals(net.ledger.store())
        .unwrap()
        .is_empty());
    net.assert_accounted();
}

#[test]
fn a_retired_provider_stops_being_paid_and_is_replaced_by_the_next_ranked_device() {
    let client = key(0);
    let owners: Vec<SecretKey> = (1..=3).map(key).collect();
    let mut funded = vec![addr(&client)];
    funded.extend(owners.iter().map(addr));
    let mut net = Net::new(&funded);
    net.register_storage_devices(&owners);
    net.align();
    let blob = Hash::of(b"kept by two");
    let before = net.balance(&addr(&client));
    let made_in = net.epoch_in_progress();
    assert_eq!(net.deal(&client, b"kept by two", 2, 3, 500), TxCode::Ok);
    // A second deal for the same blob goes to the device not already holding it.
    assert_eq!(
        net.deal(&client, b"kept by two", 2, 3, 500),
        TxCode::NotEnoughProviders
    );
    assert_eq!(net.deal(&client, b"kept by two", 1, 1, 500), TxCode::Ok);
    // Count from the handover epoch: the deals cover the epochs after it.
    net.end_epoch(made_in);
    let made_in = made_in + 1;
    let deals = net.deals(&blob);
    assert!(!deals[0].providers.contains(&deals[1].providers[0]));
    // That one ends, freeing its device; then a first-deal provider retires mid-term.
    net.end_epoch(made_in + 1);
    let spare = deals[1].providers[0];
    let leaver = deals[0].providers[0];
    let leaver_owner = (0..3)
        .find(|i| device(*i as u8).public_key() == leaver)
        .unwrap();
    assert_eq!(
        net.send(&owners[leaver_owner], Body::RetireDevice { device: leaver }),
        TxCode::Ok
    );
    net.end_epoch(made_in + 2);
    let deal = net.deals(&blob).remove(0);
    // The leaver was not paid for epoch made_in + 2, and the spare took its place; it has
    // epoch made_in + 3 to fetch the blob, unpaid (handover rule), and would serve after.
    assert_eq!(deal.paid, Amount(500 * 2 + 500));
    assert!(!deal.providers.contains(&leaver));
    assert!(deal.providers.contains(&spare));
    assert!(!deal.serves_in(&spare, made_in + 3));
    assert!(deal.serves_in(&spare, made_in + 4));
    // Each device's list of deals follows: the spare's has the deal, the leaver's not.
    let of = |net: &Net, d: &PublicKey| -> Vec<u64> {
        query::open_storage_deals_of(net.ledger.store(), d)
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect()
    };
    assert_eq!(of(&net, &spare), vec![deal.id]);
    assert_eq!(of(&net, &leaver), Vec::<u64>::new());
    net.end_epoch(made_in + 3);
    assert_eq!(of(&net, &spare), Vec::<u64>::new());
    let deal = net.deals(&blob).remove(0);
    assert_eq!(deal.paid, Amount(500 * 2 + 500 + 500));
    assert_eq!(deal.refunded, Amount(1_000));
    assert_eq!(deal.paid.0 + deal.refunded.0, deal.escrow.0);
    // The client paid 3000 + 500, got 1000 back, and three fees.
    assert_eq!(
        net.balance(&addr(&client)),
        before - 3 * FEE - 3_500 + 1_000
    );
    net.assert_accounted();
}

fn audit(epoch: u64, deal: u64, device: PublicKey) -> Body {
    Body::StorageAudit {
        epoch,
        failures: vec![StorageFailure { deal, device }],
    }
}

#[test]
fn a_replica_reported_failing_by_the_oracle_threshold_is_unpaid_and_reassigned_for_good() {
    let client = key(0);
    let owners: Vec<SecretKey> = (1..=4).map(key).collect();
    let oracles = [key(20), key(21)];
    let mut funded = vec![addr(&client)];
    funded.extend(owners.iter().map(addr));
    funded.extend(oracles.iter().map(addr));
    let mut genesis = storage_genesis(&funded);
    genesis.oracles = OracleSet {
        members: oracles.iter().map(addr).collect(),
        threshold: 2,
    };
    let mut net = Net::with_genesis(genesis);
    net.register_storage_devices(&owners);
    net.align();
    let blob = Hash::of(b"audited");
    let made_in = net.epoch_in_progress();
    assert_eq!(net.deal(&client, b"audited", 3, 5, 500), TxCode::Ok);
    let deal = net.deals(&blob).remove(0);
    let spare = (0..4)
        .map(|i| device(i).public_key())
        .find(|k| !deal.providers.contains(k))
        .unwrap();
    net.end_epoch(made_in + 1);
    let e = made_in + 2;
    let victim = deal.providers[1];

    // Reports that do not hold change nothing but the sender's fee.
    assert_eq!(net.send(&client, audit(e, 0, victim)), TxCode::Unauthorized);
    assert_eq!(
        net.send(&oracles[0], audit(e + 1, 0, victim)),
        TxCode::WrongEpoch
    );
    assert_eq!(
        net.send(&oracles[0], audit(e - 1, 0, victim)),
        TxCode::WrongEpoch
    );
    assert_eq!(
        net.send(&oracles[0], audit(e, 0, spare)),
        TxCode::NotAssigned
    );
    assert_eq!(
        net.send(&oracles[0], audit(e, 7, victim)),
        TxCode::NotAssigned
    );
    // One oracle of a threshold of two is not enough: every replica is paid for epoch e.
    assert_eq!(net.send(&oracles[0], audit(e, 0, victim)), TxCode::Ok);
    assert_eq!(net.send(&oracles[0], audit(e, 0, victim)), TxCode::Ok);
    net.end_epoch(e);
    let deal = net.deals(&blob).remove(0);
    assert_eq!(deal.paid, Amount(3 * 500));
    assert!(deal.failed.is_empty());
    assert!(deal.providers.contains(&victim));

    // Both oracles report it in epoch e + 1: unpaid for that epoch, and the spare takes over.
    assert_eq!(net.send(&oracles[0], audit(e + 1, 0, victim)), TxCode::Ok);
    assert_eq!(net.send(&oracles[1], audit(e + 1, 0, victim)), TxCode::Ok);
    net.end_epoch(e + 1);
    let deal = net.deals(&blob).remove(0);
    assert_eq!(deal.paid, Amount(3 * 500 + 2 * 500));
    assert!(!deal.providers.contains(&victim));
    assert!(deal.providers.contains(&spare));
    assert_eq!(deal.providers.len(), 3);
    assert_eq!(deal.failed.len(), 1);
    assert_eq!(
        (deal.failed[0].epoch, deal.failed[0].device),
        (e + 1, victim)
    );

    // Epoch e + 2 is the spare's handover: it fetches, and is neither paid nor challenged.
    assert_eq!(
        net.send(&oracles[0], audit(e + 2, 0, spare)),
        TxCode::NotAssigned
    );
    net.end_epoch(e + 2);
    let deal = net.deals(&blob).remove(0);
    assert_eq!(deal.paid, Amount(5 * 500 + 2 * 500));
    assert!(deal.serves_in(&spare, e + 3));

    // The spare fails in e + 3: nobody who never failed this deal is left, so it keeps two.
    assert_eq!(net.send(&oracles[1], audit(e + 3, 0, spare)), TxCode::Ok);
    assert_eq!(net.send(&oracles[0], audit(e + 3, 0, spare)), TxCode::Ok);
    net.end_epoch(e + 3);
    let deal = net.deals(&blob).remove(0);
    assert_eq!(deal.paid, Amount(7 * 500 + 2 * 500));
    assert_eq!(deal.providers.len(), 2);
    assert!(!deal.providers.contains(&victim) && !deal.providers.contains(&spare));
    assert!(deal.handovers.is_empty());

    net.end_epoch(e + 4);
    let deal = net.deals(&blob).remove(0);
    assert_eq!(deal.status, DealStatus::Ended { at_epoch: e + 4 });
    assert_eq!(deal.paid, Amount(11 * 500));
    assert_eq!(deal.paid.0 + deal.refunded.0, deal.escrow.0);
    assert_eq!(deal.refunded, Amount(3 * 5 * 500 - 11 * 500));
    net.assert_accounted();
}

#[test]
fn a_deal_the_client_cannot_pay_or_that_overflows_changes_nothing_but_the_fee() {
    let rich = key(0);
    let poor = SecretKey::from_seed([77; 32]);
    let owner = key(1);
    let mut net = Net::new(&[addr(&rich), addr(&owner)]);
    assert_eq!(
        net.send(
            &rich,
            Body::Transfer {
                to: addr(&poor),
                amount: Amount(5_000)
            }
        ),
        TxCode::Ok
    );
    assert_eq!(
        net.register(&owner, &device(0), "storage-small"),
        TxCode::Ok
    );
    let blob = Hash::of(b"x");
    assert_eq!(
        net.deal(&poor, b"x", 1, 10, 1_000),
        TxCode::InsufficientFunds
    );
    assert_eq!(net.balance(&addr(&poor)), 4_000);
    assert_eq!(
        net.deal(&rich, b"x", 16, 1_000_000, u128::MAX / 2),
        TxCode::Overflow
    );
    assert!(net.deals(&blob).is_empty());
    net.assert_accounted();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Whatever deals are made and whoever retires, every ended deal's escrow is exactly
    /// paid + refunded, and the escrow account holds exactly what open deals still hold.
    #[test]
    fn escrow_is_always_paid_refunded_or_held_exactly(
        deals in proptest::collection::vec((0u8..3, 1u32..4, 1u64..4, 1u128..5_000), 1..6),
        retire in proptest::collection::vec(0u8..4, 0..3),
    ) {
        let client = key(0);
        let owners: Vec<SecretKey> = (1..=4).map(key).collect();
        let mut funded = vec![addr(&client)];
        funded.extend(owners.iter().map(addr));
        let mut net = Net::new(&funded);
        for (i, owner) in owners.iter().enumerate() {
            prop_assert_eq!(net.register(owner, &device(i as u8), "storage-small"), TxCode::Ok);
        }
        for (i, (blob, replicas, epochs, price)) in deals.iter().enumerate() {
            let _ = net.deal(&client, &[*blob], *replicas, *epochs, *price);
            if let Some(d) = retire.get(i) {
                let _ = net.send(&owners[*d as usize], Body::RetireDevice { device: device(*d).public_key() });
            }
            net.assert_accounted();
        }
        let last = net.epoch_in_progress() + 4;
        net.end_epoch(last);
        net.assert_accounted();
        prop_assert_eq!(net.balance(&module_account::storage_escrow()), 0);
        for b in 0u8..3 {
            for d in net.deals(&Hash::of(&[b])) {
                let ended = matches!(d.status, DealStatus::Ended { .. });
                prop_assert!(ended, "deal {} still open", d.id);
                prop_assert_eq!(d.paid.0 + d.refunded.0, d.escrow.0);
            }
        }
    }
}

fn paid_so_far(net: &Net) -> u128 {
    query::storage_totals(net.ledger.store())
        .unwrap()
        .totals
        .paid
        .0
}

/// Defect: the block that ended an epoch walked every open deal, so a client with many small
/// deals made that block as slow as it liked. Now a block's end settles at most
/// `SETTLE_PER_BLOCK` deals and the next blocks settle the rest, every unit accounted for at
/// each block.
#[test]
fn an_epoch_with_more_deals_than_a_block_settles_is_paid_over_the_next_blocks() {
    let (client, owner) = (key(0), key(1));
    let mut net = Net::new(&[addr(&client), addr(&owner)]);
    net.register_storage_devices(std::slice::from_ref(&owner));
    net.align();
    let made_in = net.epoch_in_progress();
    let deals: u64 = storage::SETTLE_PER_BLOCK + 6;
    let txs = (0..deals)
        .map(|i| {
            let terms = deal_terms(&i.to_be_bytes(), 1, 3, 10);
            net.signed(&client, Body::StorageDeal(terms))
        })
        .collect();
    let out = run_block(&mut net.ledger, txs);
    assert!(out.results.iter().all(|r| r.code == TxCode::Ok));
    // Epoch made_in + 1 is the handover; made_in + 2 the first paid.
    let first_paid = made_in + 2;
    while net.ledger.last_committed().0 + 1 < first_paid * EPOCH_BLOCKS {
        net.empty_blocks(1);
        assert_eq!(paid_so_far(&net), 0);
        net.assert_accounted();
    }
    net.empty_blocks(1);
    assert_eq!(paid_so_far(&net), storage::SETTLE_PER_BLOCK as u128 * 10);
    net.assert_accounted();
    net.empty_blocks(1);
    assert_eq!(paid_so_far(&net), deals as u128 * 10);
    net.assert_accounted();
    net.empty_blocks(1);
    assert_eq!(paid_so_far(&net), deals as u128 * 10);
}

/// Defect: every deal ranked every storage device ever registered, so registering devices
/// made each deal and each replacement dearer without bound. Now a deal ranks only the
/// sample of the provider set its blob draws, which anyone recomputes from the devices in
/// registration order.
#[test]
fn a_deal_among_more_devices_than_its_sample_takes_the_best_of_the_sample() {
    let client = key(0);
    // One owner per device: the spread rule gives one owner at most one replica of a deal.
    let owners: Vec<SecretKey> = (0..40u8).map(|i| key(100 + i)).collect();
    let mut funded = vec![addr(&client)];
    funded.extend(owners.iter().map(addr));
    let mut net = Net::new(&funded);
    let devices: Vec<storage::Candidate> = (0..40u8)
        .map(|i| storage::Candidate {
            key: device(i).public_key(),
            owner: addr(&owners[i as usize]),
            endpoint: String::new(),
        })
        .collect();
    let txs = (0..40u8)
        .map(|i| {
            let owner = &owners[i as usize];
            let body = register_body(
                owner,
                &device(i),
                "storage-small",
                Capabilities::default(),
                STAKE,
            );
            net.signed(owner, body)
        })
        .collect();
    let out = run_block(&mut net.ledger, txs);
    assert!(out.results.iter().all(|r| r.code == TxCode::Ok));
    let replicas = 2;
    assert!(devices.len() as u64 > storage::SAMPLE_PER_REPLICA * replicas as u64);
    let mut differs = false;
    for i in 0..6u8 {
        let content = [b'b', i];
        assert_eq!(net.deal(&client, &content, replicas, 2, 10), TxCode::Ok);
        let blob = Hash::of(&content);
        let taken = net.deals(&blob).remove(0).providers;
        assert_eq!(taken, storage::assignment(&blob, replicas, &devices));
        let slots = storage::sample_slots(&blob, replicas, devices.len() as u64);
        assert!(slots.len() as u64 <= storage::SAMPLE_PER_REPLICA * replicas as u64);
        let mut everyone: Vec<PublicKey> = devices.iter().map(|c| c.key).collect();
        everyone.sort_by_key(|d| storage::rank(&blob, d));
        differs |= everyone[..replicas as usize] != taken[..];
    }
    // Some blob's best devices overall were outside its sample: nobody scanned them all.
    assert!(differs);
}

/// One server posing as many devices: an owner with many storage devices, or devices of
/// different owners declaring the same endpoint, keep at most one replica of a deal, so one
/// copy is never paid as several.
#[test]
fn one_owner_or_one_endpoint_keeps_at_most_one_replica_of_a_deal() {
    let client = key(0);
    let owners: Vec<SecretKey> = (1..=4u8).map(key).collect();
    let mut funded = vec![addr(&client)];
    funded.extend(owners.iter().map(addr));
    let mut net = Net::new(&funded);
    let with_endpoint = |endpoint: &str| Capabilities {
        endpoint: endpoint.into(),
        ..Capabilities::default()
    };
    // Owner 1 registers three devices on three ports; owners 2 and 3 declare one shared
    // server (the same URL up to case and a trailing slash); owner 4 runs its own.
    let plan: [(usize, u8, &str); 6] = [
        (0, 0, "http://10.0.0.1:7001"),
        (0, 1, "http://10.0.0.1:7002"),
        (0, 2, "http://10.0.0.1:7003"),
        (1, 3, "http://shared.example:9000"),
        (2, 4, "http://SHARED.example:9000/"),
        (3, 5, "http://10.0.0.4:7000"),
    ];
    for (o, d, endpoint) in plan {
        let body = register_body(
            &owners[o],
            &device(d),
            "storage-small",
            with_endpoint(endpoint),
            STAKE,
        );
        assert_eq!(net.send(&owners[o], body), TxCode::Ok);
    }
    for i in 0..8u8 {
        let content = [b's', i];
        assert_eq!(net.deal(&client, &content, 3, 2, 10), TxCode::Ok);
        let taken = net.deals(&Hash::of(&content)).remove(0).providers;
        assert_eq!(taken.len(), 3);
        let of_owner_1 = taken
            .iter()
            .filter(|k| (0..3).any(|d| device(d).public_key() == **k));
        assert_eq!(of_owner_1.count(), 1, "{taken:?}");
        let shared = taken
            .iter()
            .filter(|k| (3..5).any(|d| device(d).public_key() == **k));
        assert_eq!(shared.count(), 1, "{taken:?}");
        assert!(taken.contains(&device(5).public_key()));
    }
    // Four replicas cannot be spread over three owners-and-servers: refused, nothing moves.
    let escrow = net.balance(&module_account::storage_escrow());
    assert_eq!(
        net.deal(&client, b"four", 4, 2, 10),
        TxCode::NotEnoughProviders
    );
    assert_eq!(net.balance(&module_account::storage_escrow()), escrow);
}
