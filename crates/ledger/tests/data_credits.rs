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
