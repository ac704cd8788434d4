//! The data market: oracles finalize an epoch's data set, a buyer pays its listed price, and
//! the devices in the set claim the revenue by their quality-weighted share.

mod common;

use common::*;
use plexus_ledger::data_market::{data_resource, data_set_name, DataMarketParams};
use plexus_ledger::{module_account, query, TxCode};
use plexus_rewards::{Manifest, ManifestLeaf};
use plexus_types::{Address, Amount, Body, Hash, RewardClaim, SecretKey};

const EPOCH_BLOCKS: u64 = 5;

fn region() -> u64 {
    let cell = h3o::LatLng::new(37.98, 23.73)
        .unwrap()
        .to_cell(h3o::Resolution::Five);
    u64::from(cell)
}

struct World {
    net: Net,
    buyer: SecretKey,
    other_buyer: SecretKey,
    claimer: SecretKey,
    set: Manifest,
    name: String,
    price: u128,
}

/// Three devices' shares of epoch 1's weather data set in [`region`], with qualities 0.6,
/// 0.9 and 1.0.
fn world() -> World {
    let (buyer, other_buyer, claimer) = (key(1), key(2), key(3));
    let oracles: Vec<SecretKey> = (0..3).map(oracle).collect();
    let funded: Vec<(Address, u128)> = [&buyer, &other_buyer, &claimer]
        .into_iter()
        .chain(&oracles)
        .map(|k| (addr(k), FUNDS))
        .collect();
    let g = oracle_genesis(&funded, EPOCH_BLOCKS, 3);
    let price = DataMarketParams::default().prices["weather"].0;
    let mut leaves: Vec<ManifestLeaf> = [(10, 600_000), (11, 900_000), (12, 1_000_000)]
        .into_iter()
        .map(|(i, units)| ManifestLeaf {
            device: key(i).public_key(),
            owner: addr(&key(i + 10)),
            units,
        })
        .collect();
    leaves.sort_by_key(|l| l.device);
    let resource = data_resource("weather", region());
    let set = Manifest::from_leaves(1, &resource, leaves, Hash::of(b"the batches")).unwrap();
    let mut net = Net::with_genesis(g);
    net.end_epoch(1);
    World {
        net,
        buyer,
        other_buyer,
        claimer,
        set,
        name: data_set_name("weather", region()),
        price,
    }
}

impl World {
    fn vote(&mut self, oracle_index: u8, set: &Manifest) -> TxCode {
        let body = Body::SubmitManifest {
            epoch: set.epoch(),
            resource: set.resource().to_string(),
            root: set.root(),
            total_units: set.total_units(),
            evidence_root: set.evidence_root(),
        };
        self.net.send(&oracle(oracle_index), body)
    }

    fn buy(&mut self, who: &SecretKey, max_price: u128) -> TxCode {
        let body = Body::BuyData {
            epoch: 1,
            data_set: self.name.clone(),
            max_price: Amount(max_price),
        };
        self.net.send(who, body)
    }

    fn claim(&mut self, leaf: ManifestLeaf) -> TxCode {
        let (_, proof) = self.set.proof(&leaf.device).unwrap();
        let body = Body::ClaimReward(RewardClaim {
            epoch: 1,
            resource: self.set.resource().to_string(),
            device: leaf.device,
            owner: leaf.owner,
            units: leaf.units,
            proof,
        });
        let claimer = self.claimer.clone();
        self.net.send(&claimer, body)
    }

    fn market_account(&self) -> u128 {
        self.net.balance(&module_account::data_market())
    }

    fn record(&self) -> plexus_ledger::data_market::DataSetRecord {
        query::data_set(self.net.ledger.store(), 1, &self.name)
            .unwrap()
            .unwrap()
    }
}

#[test]
fn a_data_set_is_final_when_a_threshold_of_oracles_agree_and_only_then_for_sale() {
    let mut w = world();
    let set = w.set.clone();
    assert_eq!(w.vote(0, &set), TxCode::Ok);
    assert_eq!(w.buy(&w.buyer.clone(), w.price), TxCode::UnknownDataSet);
    assert!(query::data_sets(w.net.ledger.store(), 1)
        .unwrap()
        .is_empty());
    assert_eq!(w.vote(1, &set), TxCode::Ok);
    assert_eq!(w.vote(2, &set), TxCode::ManifestFinal);
    let listed = query::data_sets(w.net.ledger.store(), 1).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, w.name);
    assert_eq!(listed[0].root, set.root());
    assert_eq!(listed[0].data_root, set.evidence_root());
    assert_eq!(listed[0].price, Amount(w.price));
}

#[test]
fn votes_from_strangers_for_unknown_classes_or_unended_epochs_change_nothing() {
    let mut w = world();
    let set = w.set.clone();
    let stranger = w.buyer.clone();
    let body = Body::SubmitManifest {
        epoch: 1,
        resource: set.resource().to_string(),
        root: set.root(),
        total_units: set.total_units(),
        evidence_root: set.evidence_root(),
    };
    assert_eq!(w.net.send(&stranger, body), TxCode::Unauthorized);
    for resource in [
        "data/weather/zz".to_string(),
        data_resource("cpu-small", region()),
    ] {
        let bad = Manifest::from_leaves(1, &resource, set.leaves().to_vec(), Hash::ZERO).unwrap();
        assert_eq!(w.vote(0, &bad), TxCode::UnknownResource, "{resource}");
    }
    let future = Manifest::from_leaves(
        5,
        set.resource(),
        set.leaves().to_vec(),
        set.evidence_root(),
    )
    .unwrap();
    assert_eq!(w.vote(0, &future), TxCode::EpochNotEnded);
}

#[test]
fn revenue_reaches_exactly_the_devices_in_the_set_by_their_share() {
    let mut w = world();
    let set = w.set.clone();
    w.vote(0, &set);
    w.vote(1, &set);
    let buyer = w.buyer.clone();
    let before = w.net.balance(&addr(&buyer));
    assert_eq!(w.buy(&buyer, w.price - 1), TxCode::AbovePriceCap);
    assert_eq!(w.market_account(), 0);
    assert_eq!(w.buy(&buyer, w.price), TxCode::Ok);
    assert_eq!(
        before - w.net.balance(&addr(&buyer)),
        w.price + 2 * FEE,
        "the buyer pays the price and two fees"
    );
    assert_eq!(w.buy(&buyer, w.price), TxCode::AlreadyBought);
    assert_eq!(w.market_account(), w.price);
    let sale = query::data_sale(w.net.ledger.store(), 1, &w.name, &addr(&buyer)).unwrap();
    assert_eq!(sale.map(|s| s.price), Some(Amount(w.price)));

    // A leaf that says more units than the oracles committed to is refused.
    let mut forged = set.leaves()[0].clone();
    forged.units += 1;
    let (_, proof) = set.proof(&forged.device).unwrap();
    let body = Body::ClaimReward(RewardClaim {
        epoch: 1,
        resource: set.resource().to_string(),
        device: forged.device,
        owner: forged.owner,
        units: forged.units,
        proof,
    });
    let claimer = w.claimer.clone();
    assert_eq!(w.net.send(&claimer, body), TxCode::BadProof);

    let total = set.total_units();
    let share = |revenue: u128, units: u128| revenue * units / total;
    for leaf in set.leaves().to_vec() {
        assert_eq!(w.claim(leaf.clone()), TxCode::Ok);
        assert_eq!(w.net.balance(&leaf.owner), share(w.price, leaf.units));
        assert_eq!(w.claim(leaf), TxCode::NothingToWithdraw);
    }
    let paid: u128 = set.leaves().iter().map(|l| share(w.price, l.units)).sum();
    assert_eq!(w.market_account(), w.price - paid, "the remainder stays");

    // A second sale: each device is owed its share of the revenue to date, less what it had.
    let other = w.other_buyer.clone();
    assert_eq!(w.buy(&other, u128::MAX), TxCode::Ok);
    for leaf in set.leaves().to_vec() {
        assert_eq!(w.claim(leaf.clone()), TxCode::Ok);
        assert_eq!(w.net.balance(&leaf.owner), share(2 * w.price, leaf.units));
    }
    let record = w.record();
    assert_eq!(record.sales, 2);
    assert_eq!(record.revenue, Amount(2 * w.price));
    let paid: u128 = set
        .leaves()
        .iter()
        .map(|l| share(2 * w.price, l.units))
        .sum();
    assert_eq!(record.paid, Amount(paid));
    assert_eq!(w.market_account(), 2 * w.price - paid);
    let totals = query::data_market_totals(w.net.ledger.store()).unwrap();
    assert_eq!((totals.sets, totals.sales), (1, 2));
    assert_eq!(totals.revenue.0 - totals.paid.0, w.market_account());
}

#[test]
fn a_buyer_without_the_price_is_refused_and_charged_only_the_fee() {
    let mut w = world();
    let set = w.set.clone();
    w.vote(0, &set);
    w.vote(1, &set);
    let poor = key(40);
    let buyer = w.buyer.clone();
    let fee_and_a_little = 3 * FEE;
    assert_eq!(
        w.net.send(
            &buyer,
            Body::Transfer {
                to: addr(&poor),
                amount: Amount(fee_and_a_little)
            }
        ),
        TxCode::Ok
    );
    assert_eq!(w.buy(&poor, w.price), TxCode::InsufficientFunds);
    assert_eq!(w.market_account(), 0);
    assert!(
        query::data_sale(w.net.ledger.store(), 1, &w.name, &addr(&poor))
            .unwrap()
            .is_none()
    );
}
