//! Data credits: bought by burning PLX, spent by settling data sessions that a subscriber and a
//! hotspot both signed, reported per hotspot and per carrier.

mod common;

use common::*;
use plexus_ledger::{module_account, query, TxCode};
use plexus_types::{Address, Amount, Body, Capabilities, DataSession, SecretKey};

/// uplx that buy one data credit at the default 100 000 credits per PLX.
const UPLX_PER_DC: u128 = 10;
/// Bytes one data credit pays for by default.
const BYTES_PER_DC: u64 = 24 * 1024;

struct World {
    net: Net,
    owner: SecretKey,
    hotspot: SecretKey,
    subscriber: SecretKey,
    carrier: SecretKey,
}

/// A chain of 50-block epochs where `owner` runs the registered hotspot `hotspot`, and
/// `subscriber` and `carrier` hold funds.
fn world() -> World {
    world_of_epochs(50)
}

/// [`world`] with epochs of `epoch_blocks` blocks.
fn world_of_epochs(epoch_blocks: u64) -> World {
    let (owner, hotspot, subscriber, carrier) = (key(1), key(2), key(3), key(4));
    let funded: Vec<(Address, u128)> = [&owner, &subscriber, &carrier]
        .iter()
        .map(|k| (addr(k), FUNDS))
        .collect();
    let mut g = genesis(&funded);
    g.rewards.epoch_blocks = epoch_blocks;
    let mut net = Net::with_genesis(g);
    let register = register_body(
        &owner,
        &hotspot,
        "wifi-indoor",
        Capabilities::default(),
        Amount::plx(1_000).0,
    );
    assert_eq!(net.send(&owner, register), TxCode::Ok);
    World {
        net,
        owner,
        hotspot,
        subscriber,
        carrier,
    }
}

impl World {
    fn credits(&self, holder: &SecretKey) -> u128 {
        query::data_credit_balance(self.net.ledger.store(), &addr(holder))
            .unwrap()
            .map_or(0, |b| b.credits)
    }

    fn buy(&mut self, signer: &SecretKey, uplx: u128, beneficiary: &SecretKey) -> TxCode {
        let body = Body::BuyDataCredits {
            amount: Amount(uplx),
            beneficiary: addr(beneficiary),
        };
        let signer = signer.clone();
        self.net.send(&signer, body)
    }

    /// A session of `bytes` down on the world's hotspot in the epoch in progress, signed by
    /// the subscriber and `hotspot_key`.
    fn receipt(&self, session: u64, bytes: u64, hotspot_key: &SecretKey) -> Body {
        let s = DataSession {
            hotspot: self.hotspot.public_key(),
            subscriber: self.subscriber.public_key(),
            session,
            epoch: self.net.epoch_in_progress(),
            bytes_up: 0,
            bytes_down: bytes,
        };
        Body::SettleDataSession(s.sign(CHAIN, &self.subscriber, hotspot_key))
    }

    fn settle(&mut self, body: Body) -> TxCode {
        let submitter = self.owner.clone();
        self.net.send(&submitter, body)
    }

    fn epoch_data(&self, epoch: u64) -> query::EpochDataPage {
        query::epoch_data_page(self.net.ledger.store(), epoch, 0, 1000).unwrap()
    }

    /// Every unit of the supply in an account the test knows.
    fn held(&self) -> u128 {
        let mut known: Vec<Address> = [&self.owner, &self.subscriber, &self.carrier]
            .iter()
            .map(|k| addr(k))
            .collect();
        known.extend(module_account::all());
        known.iter().map(|a| self.net.balance(a)).sum()
    }
}

#[test]
fn buying_burns_exactly_the_plx_and_credits_exactly_the_data_credits() {
    let mut w = world();
    let supply = w.net.ledger.supply().unwrap().0;
    let burned = w.net.balance(&module_account::burned());
    let before = w.net.balance(&addr(&w.subscriber));
    let sub = w.subscriber.clone();
    assert_eq!(w.buy(&sub, 2_500_000, &sub), TxCode::Ok);
    assert_eq!(
        w.credits(&w.subscriber),
        250_000,
        "2.5 PLX at 100 000 DC/PLX"
    );
    assert_eq!(
        w.net.balance(&addr(&w.subscriber)),
        before - 2_500_000 - FEE
    );
    assert_eq!(
        w.net.balance(&module_account::burned()),
        burned + 2_500_000,
        "the PLX paid sits in the burned account"
    );
    assert_eq!(w.net.ledger.supply().unwrap().0, supply, "nothing minted");
    assert_eq!(
        w.held(),
        w.net.ledger.supply().unwrap().0,
        "supply accounted"
    );
    let totals = query::data_credit_totals(w.net.ledger.store()).unwrap();
    assert_eq!(
        (totals.burned.0, totals.issued, totals.spent),
        (2_500_000, 250_000, 0)
    );

    // Below the price of one credit: refused, only the fee is paid.
    let before = w.net.balance(&addr(&w.subscriber));
    assert_eq!(
        w.buy(&sub, UPLX_PER_DC - 1, &sub),
        TxCode::BuysNoDataCredits
    );
    assert_eq!(w.net.balance(&addr(&w.subscriber)), before - FEE);
    assert_eq!(w.credits(&w.subscriber), 250_000);
    // More than it holds: refused.
    assert_eq!(w.buy(&sub, FUNDS, &sub), TxCode::InsufficientFunds);
    assert_eq!(w.credits(&w.subscriber), 250_000);
    assert_eq!(w.held(), w.net.ledger.supply().unwrap().0);
}

#[test]
fn a_receipt_settles_once_and_its_replay_is_refused_and_changes_nothing() {
    let mut w = world();
    let sub = w.subscriber.clone();
    assert_eq!(w.buy(&sub, 1_000 * UPLX_PER_DC, &sub), TxCode::Ok);
    let epoch = w.net.epoch_in_progress();
    let receipt = w.receipt(7, 3 * BYTES_PER_DC + 1, &w.hotspot.clone());
    assert_eq!(w.settle(receipt.clone()), TxCode::Ok);
    assert_eq!(
        w.credits(&w.subscriber),
        1_000 - 4,
        "⌈(3 × 24 KiB + 1) / 24 KiB⌉"
    );
    let data = w.epoch_data(epoch);
    assert_eq!(data.hotspots.len(), 1);
    assert_eq!(data.hotspots[0].device, w.hotspot.public_key());
    assert_eq!(data.hotspots[0].owner, addr(&w.owner));
    assert_eq!(data.hotspots[0].credits, 4);
    assert_eq!(data.hotspots[0].bytes, u128::from(3 * BYTES_PER_DC + 1));

    assert_eq!(w.settle(receipt), TxCode::SessionSettled);
    assert_eq!(w.credits(&w.subscriber), 996);
    assert_eq!(w.epoch_data(epoch), data);
}

#[test]
fn a_receipt_with_a_forged_signature_or_signed_by_another_hotspot_is_refused() {
    let mut w = world();
    let sub = w.subscriber.clone();
    assert_eq!(w.buy(&sub, 1_000 * UPLX_PER_DC, &sub), TxCode::Ok);
    let epoch = w.net.epoch_in_progress();

    // Another key signs in the hotspot's place.
    let other = key(9);
    assert_eq!(
        w.settle(w.receipt(1, 100, &other)),
        TxCode::BadReceiptSignature
    );
    // The hotspot signed, but the subscriber's signature is over other bytes.
    let Body::SettleDataSession(mut forged) = w.receipt(2, 100, &w.hotspot.clone()) else {
        unreachable!()
    };
    forged.subscriber_signature = w.subscriber.sign(b"something else");
    assert_eq!(
        w.settle(Body::SettleDataSession(forged)),
        TxCode::BadReceiptSignature
    );
    // Both signatures fine, but the bytes were raised after signing.
    let Body::SettleDataSession(mut raised) = w.receipt(3, 100, &w.hotspot.clone()) else {
        unreachable!()
    };
    raised.bytes_down *= 1_000;
    assert_eq!(
        w.settle(Body::SettleDataSession(raised)),
        TxCode::BadReceiptSignature
    );
    // A session signed by a key that is no registered device.
    let stranger = DataSession {
        hotspot: other.public_key(),
        subscriber: w.subscriber.public_key(),
        session: 4,
        epoch,
        bytes_up: 1,
        bytes_down: 1,
    }
    .sign(CHAIN, &w.subscriber, &other);
    assert_eq!(
        w.settle(Body::SettleDataSession(stranger)),
        TxCode::UnknownDevice
    );
    assert_eq!(w.credits(&w.subscriber), 1_000, "nothing was spent");
    assert!(w.epoch_data(epoch).hotspots.is_empty());
}

#[test]
fn a_subscriber_without_enough_credits_is_refused_and_keeps_what_it_holds() {
    let mut w = world();
    let sub = w.subscriber.clone();
    assert_eq!(w.buy(&sub, 2 * UPLX_PER_DC, &sub), TxCode::Ok);
    let epoch = w.net.epoch_in_progress();
    let hotspot = w.hotspot.clone();
    assert_eq!(
        w.settle(w.receipt(1, 2 * BYTES_PER_DC + 1, &hotspot)),
        TxCode::InsufficientDataCredits
    );
    assert_eq!(w.credits(&w.subscriber), 2);
    assert!(w.epoch_data(epoch).hotspots.is_empty());
    // The same session number settles once the session fits.
    assert_eq!(
        w.settle(w.receipt(1, 2 * BYTES_PER_DC, &hotspot)),
        TxCode::Ok
    );
    assert_eq!(w.credits(&w.subscriber), 0);
    assert_eq!(
        w.settle(w.receipt(2, 1, &hotspot)),
        TxCode::InsufficientDataCredits
    );
    assert_eq!(w.settle(w.receipt(3, 0, &hotspot)), TxCode::EmptySession);
}

#[test]
fn a_carriers_purchases_and_its_subscribers_usage_show_in_its_usage_report() {
    let mut w = world();
    let (carrier, sub) = (w.carrier.clone(), w.subscriber.clone());
    let epoch = w.net.epoch_in_progress();
    assert_eq!(w.buy(&carrier, 500 * UPLX_PER_DC, &sub), TxCode::Ok);
    let balance = query::data_credit_balance(w.net.ledger.store(), &addr(&sub))
        .unwrap()
        .unwrap();
    assert_eq!((balance.credits, balance.bought_by), (500, addr(&carrier)));
    // While the carrier's credits last, no one else adds to them, the subscriber included.
    assert_eq!(w.buy(&sub, 10 * UPLX_PER_DC, &sub), TxCode::OtherCarrier);
    assert_eq!(w.buy(&carrier, 10 * UPLX_PER_DC, &sub), TxCode::Ok);

    let hotspot = w.hotspot.clone();
    assert_eq!(
        w.settle(w.receipt(1, 10 * BYTES_PER_DC, &hotspot)),
        TxCode::Ok
    );
    assert_eq!(w.settle(w.receipt(2, BYTES_PER_DC, &hotspot)), TxCode::Ok);
    assert_eq!(w.net.epoch_in_progress(), epoch, "one epoch");

    let data = w.epoch_data(epoch);
    assert_eq!(data.carriers.len(), 1);
    let report = &data.carriers[0];
    assert_eq!(report.carrier, addr(&carrier));
    assert_eq!(report.burned, Amount(510 * UPLX_PER_DC));
    assert_eq!(report.credits_bought, 510);
    assert_eq!(report.credits_used, 11);
    assert_eq!(report.bytes, u128::from(11 * BYTES_PER_DC));
    assert_eq!(report.sessions, 2);
    assert_eq!(data.summary.credits_used, 11);
    assert_eq!(data.summary.sessions, 2);
    assert_eq!((data.summary.hotspots, data.summary.carriers), (1, 1));
}

#[test]
fn receipts_of_epochs_not_begun_or_too_old_are_refused_and_old_sessions_are_forgotten() {
    let mut w = world_of_epochs(3);
    let sub = w.subscriber.clone();
    let hotspot = w.hotspot.clone();
    assert_eq!(w.buy(&sub, 1_000 * UPLX_PER_DC, &sub), TxCode::Ok);
    let first = w.net.epoch_in_progress();
    let at = |w: &World, session: u64, epoch: u64| {
        Body::SettleDataSession(
            DataSession {
                hotspot: hotspot.public_key(),
                subscriber: sub.public_key(),
                session,
                epoch,
                bytes_up: 1,
                bytes_down: 0,
            }
            .sign(CHAIN, &w.subscriber, &hotspot),
        )
    };
    assert_eq!(w.settle(at(&w, 1, first + 1)), TxCode::EpochNotStarted);
    assert_eq!(w.settle(at(&w, 1, first)), TxCode::Ok);
    let store = w.net.ledger.store().clone();
    assert!(query::session_settled(&store, &sub.public_key(), 1).unwrap());

    // Two epochs later a receipt of `first` still settles (max age 2), and its replay is
    // still refused; a third epoch on, it is too old and the chain has forgotten it.
    w.net.end_epoch(first + 1);
    assert_eq!(w.settle(at(&w, 1, first)), TxCode::SessionSettled);
    assert_eq!(w.settle(at(&w, 2, first)), TxCode::Ok);
    w.net.end_epoch(first + 2);
    assert_eq!(w.net.epoch_in_progress(), first + 3);
    assert_eq!(w.settle(at(&w, 3, first)), TxCode::ReceiptExpired);
    assert_eq!(w.settle(at(&w, 1, first)), TxCode::ReceiptExpired);
    let store = w.net.ledger.store().clone();
    assert!(!query::session_settled(&store, &sub.public_key(), 1).unwrap());
    assert_eq!(
        query::settled_sessions_remembered(&store, first).unwrap(),
        0
    );
    assert_eq!(w.credits(&w.subscriber), 998);
}

#[test]
fn a_retired_hotspot_settles_no_session() {
    let mut w = world();
    let (sub, owner, hotspot) = (w.subscriber.clone(), w.owner.clone(), w.hotspot.clone());
    assert_eq!(w.buy(&sub, 100 * UPLX_PER_DC, &sub), TxCode::Ok);
    let retire = Body::RetireDevice {
        device: hotspot.public_key(),
    };
    assert_eq!(w.net.send(&owner, retire), TxCode::Ok);
    assert_eq!(
        w.settle(w.receipt(1, 10, &hotspot)),
        TxCode::DeviceNotActive
    );
    assert_eq!(w.credits(&w.subscriber), 100);
}

#[test]
fn a_device_that_is_not_a_wifi_hotspot_settles_no_session() {
    let mut w = world();
    let (sub, owner) = (w.subscriber.clone(), w.owner.clone());
    assert_eq!(w.buy(&sub, 100 * UPLX_PER_DC, &sub), TxCode::Ok);
    // A compute device and a LoRa gateway, both active and staked, carry no data.
    for (n, class) in [(20, "cpu-small"), (21, "lora")] {
        let device = key(n);
        let register = register_body(
            &owner,
            &device,
            class,
            Capabilities::default(),
            Amount::plx(1_000).0,
        );
        assert_eq!(w.net.send(&owner, register), TxCode::Ok);
        let s = DataSession {
            hotspot: device.public_key(),
            subscriber: sub.public_key(),
            session: u64::from(n),
            epoch: w.net.epoch_in_progress(),
            bytes_up: 0,
            bytes_down: 10 * BYTES_PER_DC,
        };
        let body = Body::SettleDataSession(s.sign(CHAIN, &sub, &device));
        let before = w.held();
        assert_eq!(w.settle(body), TxCode::NotAHotspot, "{class}");
        assert_eq!(w.credits(&sub), 100, "{class}: no credit moved");
        assert_eq!(w.held(), before, "{class}: every unit still held");
        assert!(w.epoch_data(w.net.epoch_in_progress()).hotspots.is_empty());
    }
}

#[test]
fn credits_for_a_module_account_are_refused() {
    let mut w = world();
    let sub = w.subscriber.clone();
    let body = Body::BuyDataCredits {
        amount: Amount(100 * UPLX_PER_DC),
        beneficiary: module_account::fee_pool(),
    };
    assert_eq!(w.net.send(&sub, body), TxCode::Unauthorized);
}

/// A data claim of `device`'s traffic in `epoch`, as its owner of record with the credits the
/// chain counted: no proof, the chain holds the record.
fn data_claim(epoch: u64, device: &SecretKey, owner: &SecretKey, credits: u128) -> Body {
    Body::ClaimReward(plexus_types::RewardClaim {
        epoch,
        resource: "data".into(),
        device: device.public_key(),
        owner: addr(owner),
        units: credits,
        proof: plexus_types::MerkleProof {
            index: 0,
            leaf_count: 0,
            siblings: Vec::new(),
        },
    })
}

impl World {
    /// A session of `credits` credits' worth of bytes on `hotspot`, signed by `subscriber`.
    fn session_on(
        &mut self,
        hotspot: &SecretKey,
        subscriber: &SecretKey,
        session: u64,
        credits: u64,
    ) -> TxCode {
        let s = DataSession {
            hotspot: hotspot.public_key(),
            subscriber: subscriber.public_key(),
            session,
            epoch: self.net.epoch_in_progress(),
            bytes_up: 0,
            bytes_down: credits * BYTES_PER_DC,
        };
        self.settle(Body::SettleDataSession(s.sign(CHAIN, subscriber, hotspot)))
    }

    /// Registers `device` as a `wifi-indoor` hotspot of `owner`.
    fn register_hotspot(&mut self, owner: &SecretKey, device: &SecretKey) {
        let body = register_body(
            owner,
            device,
            "wifi-indoor",
            Capabilities::default(),
            Amount::plx(100).0,
        );
        assert_eq!(self.net.send(owner, body), TxCode::Ok);
    }

    fn coverage_pool(&self, epoch: u64) -> u128 {
        let (_, pools) = query::epoch(self.net.ledger.store(), epoch)
            .unwrap()
            .unwrap();
        pools
            .iter()
            .find(|p| p.resource == plexus_ledger::ResourceClass::Coverage)
            .unwrap()
            .amount
            .0
    }

    fn assert_accounted(&self) {
        let rewards = query::reward_totals(self.net.ledger.store()).unwrap();
        assert!(rewards.balances(), "{rewards:?}");
    }
}

/// Two hotspots carry `credits` each in epoch 1 of a chain minting `emission` per epoch; the
/// epoch ends. Returns the world and the second hotspot (owned by the carrier).
fn two_hotspots_carry(emission: u128, credits: [u64; 2]) -> (World, SecretKey) {
    let (owner, hotspot, subscriber, carrier) = (key(1), key(2), key(3), key(4));
    let funded: Vec<(Address, u128)> = [&owner, &subscriber, &carrier]
        .iter()
        .map(|k| (addr(k), FUNDS))
        .collect();
    let mut g = genesis(&funded);
    g.rewards.epoch_blocks = 50;
    g.rewards.initial_epoch_emission = Amount(emission);
    let mut w = World {
        net: Net::with_genesis(g),
        owner: owner.clone(),
        hotspot: hotspot.clone(),
        subscriber: subscriber.clone(),
        carrier: carrier.clone(),
    };
    let second = key(5);
    w.register_hotspot(&owner, &hotspot);
    w.register_hotspot(&carrier, &second);
    let total = u128::from(credits[0] + credits[1]);
    assert_eq!(
        w.buy(&subscriber, total * UPLX_PER_DC, &subscriber),
        TxCode::Ok
    );
    assert_eq!(
        w.session_on(&hotspot, &subscriber, 1, credits[0]),
        TxCode::Ok
    );
    assert_eq!(
        w.session_on(&second, &subscriber, 2, credits[1]),
        TxCode::Ok
    );
    assert_eq!(w.net.epoch_in_progress(), 1);
    w.net.end_epoch(1);
    (w, second)
}

/// The rule's payout for the world's two hotspots out of `pool`.
fn by_the_rule(
    w: &World,
    second: &SecretKey,
    pool: u128,
) -> plexus_rewards::wireless::DataPayout<plexus_types::PublicKey> {
    let store = w.net.ledger.store();
    let hotspots: Vec<(plexus_types::PublicKey, u128)> = [&w.hotspot, second]
        .iter()
        .map(|k| {
            let d = query::hotspot_data(store, 1, &k.public_key())
                .unwrap()
                .unwrap();
            (d.device, d.credits)
        })
        .collect();
    plexus_rewards::wireless::pay_data_transfer(&hotspots, 100_000, pool).unwrap()
}

/// The Coverage pool of an epoch that mints `emission`, by the default pool weights.
fn coverage_pool_of(emission: u128) -> u128 {
    let params = plexus_ledger::RewardParams::default();
    let (pools, _) = plexus_ledger::epochs::split_emission(&params, Amount(emission));
    pools[&plexus_ledger::ResourceClass::Coverage].0
}

#[test]
fn a_pool_that_covers_the_traffic_pays_each_hotspot_its_value_and_leaves_the_rest_to_coverage() {
    // 10 000 PLX a epoch: the Coverage pool (6 of 100 weights) holds 600 PLX.
    let (mut w, second) = two_hotspots_carry(Amount::plx(10_000).0, [7_001, 5_003]);
    let coverage_before = coverage_pool_of(Amount::plx(10_000).0);
    assert_eq!(coverage_before, Amount::plx(600).0);
    let rule = by_the_rule(&w, &second, coverage_before);
    assert_eq!(rule.paid, 70_010 + 50_030);
    let pool = query::data_pool(w.net.ledger.store(), 1).unwrap().unwrap();
    assert_eq!(pool.coverage_pool.0, coverage_before);
    assert_eq!(pool.total_value, rule.paid);
    assert_eq!(pool.held.0, rule.paid + rule.dust);
    assert_eq!(pool.to_coverage.0, rule.to_coverage);
    // The Coverage pool that manifests pay is what the data pool did not take.
    assert_eq!(w.coverage_pool(1), rule.to_coverage);
    let page = w.epoch_data(1);
    assert_eq!(page.pool.as_ref(), Some(&pool));

    let (owner, carrier, hotspot) = (w.owner.clone(), w.carrier.clone(), w.hotspot.clone());
    let owner_before = w.net.balance(&addr(&owner));
    let carrier_before = w.net.balance(&addr(&carrier));
    // Anyone may submit a claim; the pay goes to the hotspot's owner.
    let sub = w.subscriber.clone();
    assert_eq!(
        w.net.send(&sub, data_claim(1, &hotspot, &owner, 7_001)),
        TxCode::Ok
    );
    assert_eq!(
        w.net
            .send(&carrier, data_claim(1, &second, &carrier, 5_003)),
        TxCode::Ok
    );
    assert_eq!(w.net.balance(&addr(&owner)), owner_before + 70_010);
    assert_eq!(
        w.net.balance(&addr(&carrier)),
        carrier_before + 50_030 - FEE
    );
    for (k, p) in [&hotspot, &second].iter().zip(&rule.payments) {
        let claimed = query::data_claim(w.net.ledger.store(), 1, &k.public_key()).unwrap();
        assert_eq!(claimed, Some(Amount(p.paid)));
    }
    // Paid once.
    assert_eq!(
        w.net.send(&owner, data_claim(1, &hotspot, &owner, 7_001)),
        TxCode::AlreadyClaimed
    );
    w.assert_accounted();
    let pool = query::data_pool(w.net.ledger.store(), 1).unwrap().unwrap();
    assert_eq!(pool.paid.0, rule.paid);
}

#[test]
fn a_short_pool_pays_pro_rata_exactly_as_the_rule_and_settles_its_dust() {
    // 1 000 003 uplx a epoch: the Coverage pool holds 60 000 uplx, short of the 120 040 the
    // traffic is worth.
    let (mut w, second) = two_hotspots_carry(1_000_003, [7_001, 5_003]);
    let rule = by_the_rule(&w, &second, coverage_pool_of(1_000_003));
    assert_eq!(rule.to_coverage, 0);
    assert!(rule.dust > 0, "{rule:?}");
    let pool = query::data_pool(w.net.ledger.store(), 1).unwrap().unwrap();
    assert_eq!(pool.held.0, rule.paid + rule.dust);
    assert_eq!(pool.to_coverage.0, 0);
    assert_eq!(w.coverage_pool(1), 0);
    let (owner, carrier, hotspot) = (w.owner.clone(), w.carrier.clone(), w.hotspot.clone());
    assert_eq!(
        w.net.send(&owner, data_claim(1, &hotspot, &owner, 7_001)),
        TxCode::Ok
    );
    assert_eq!(
        w.net
            .send(&carrier, data_claim(1, &second, &carrier, 5_003)),
        TxCode::Ok
    );
    for (k, p) in [&hotspot, &second].iter().zip(&rule.payments) {
        let claimed = query::data_claim(w.net.ledger.store(), 1, &k.public_key()).unwrap();
        assert_eq!(claimed, Some(Amount(p.paid)), "{rule:?}");
    }
    // The window closes with epoch 3: the pro-rata rounding goes to the dust account.
    w.net.end_epoch(3);
    let pool = query::data_pool(w.net.ledger.store(), 1).unwrap().unwrap();
    let settled = pool.settlement.expect("settled");
    assert_eq!(settled.unclaimed.0, 0);
    assert_eq!(settled.dust.0, rule.dust);
    w.assert_accounted();
}

#[test]
fn a_data_claim_that_misstates_the_record_or_comes_late_is_refused_and_pays_nothing() {
    let (mut w, second) = two_hotspots_carry(Amount::plx(10_000).0, [7_001, 5_003]);
    let (owner, carrier, hotspot) = (w.owner.clone(), w.carrier.clone(), w.hotspot.clone());
    let before = w.net.balance(&addr(&carrier));
    // The carrier names itself the owner of the owner's hotspot, or inflates its credits.
    let stolen = w
        .net
        .send(&carrier, data_claim(1, &hotspot, &carrier, 7_001));
    let inflated = w
        .net
        .send(&carrier, data_claim(1, &second, &carrier, 9_999));
    let unended = w
        .net
        .send(&carrier, data_claim(2, &second, &carrier, 5_003));
    assert_eq!(stolen, TxCode::BadProof);
    assert_eq!(inflated, TxCode::BadProof);
    assert_eq!(unended, TxCode::NoManifest);
    assert_eq!(w.net.balance(&addr(&carrier)), before - 3 * FEE);
    let pool = query::data_pool(w.net.ledger.store(), 1).unwrap().unwrap();
    assert_eq!(pool.paid, Amount::ZERO);
    // After the window closes (end of epoch 3) the owner's claim is refused and its share
    // has moved to the unclaimed account.
    w.net.end_epoch(3);
    assert_eq!(
        w.net.send(&owner, data_claim(1, &hotspot, &owner, 7_001)),
        TxCode::ClaimWindowClosed
    );
    let pool = query::data_pool(w.net.ledger.store(), 1).unwrap().unwrap();
    assert_eq!(pool.settlement.unwrap().unclaimed.0, 70_010 + 50_030);
    w.assert_accounted();
}

#[test]
fn a_self_dealer_routing_its_own_traffic_to_its_own_hotspot_is_paid_at_most_what_it_burned() {
    let mut w = world();
    let owner = w.owner.clone();
    let hotspot = w.hotspot.clone();
    let before = w.net.balance(&addr(&owner));
    // 1 234 567 uplx buy 123 456 credits (the last 7 uplx buy nothing).
    let burned = 1_234_567;
    assert_eq!(w.buy(&owner, burned, &owner), TxCode::Ok);
    let mut fees = FEE;
    let mut session = 0;
    let mut left = w.credits(&owner) as u64;
    while left > 0 {
        let credits = left.min(50_000);
        session += 1;
        let s = DataSession {
            hotspot: hotspot.public_key(),
            subscriber: owner.public_key(),
            session,
            epoch: w.net.epoch_in_progress(),
            bytes_up: 0,
            bytes_down: credits * BYTES_PER_DC,
        };
        let body = Body::SettleDataSession(s.sign(CHAIN, &owner, &hotspot));
        assert_eq!(w.net.send(&owner, body), TxCode::Ok);
        fees += FEE;
        left -= credits;
    }
    w.net.end_epoch(1);
    assert_eq!(
        w.net.send(&owner, data_claim(1, &hotspot, &owner, 123_456)),
        TxCode::Ok
    );
    fees += FEE;
    let paid = query::data_claim(w.net.ledger.store(), 1, &hotspot.public_key())
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(paid, 1_234_560);
    let after = w.net.balance(&addr(&owner));
    assert!(after <= before - fees, "before {before}, after {after}");
    assert_eq!(after, before - burned - fees + paid);
    w.assert_accounted();
}
