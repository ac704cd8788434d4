//! Wireless hotspots: location assertions, what they cost, the seniority they keep or lose,
//! and the index of hotspots by H3 hex.
mod common;

use common::*;
use h3o::{CellIndex, LatLng, Resolution};
use plexus_ledger::{module_account, query, Ledger, TxCode};
use plexus_types::{Address, Antenna, Body, Capabilities, PublicKey, SecretKey};

const STAKE: u128 = 100_000_000;

/// What the default genesis charges for an assertion.
fn assert_fee() -> u128 {
    plexus_ledger::WirelessParams::default()
        .location_assert_fee
        .0
}

fn cell_at(lat: f64, lng: f64) -> u64 {
    LatLng::new(lat, lng)
        .unwrap()
        .to_cell(Resolution::Twelve)
        .into()
}

/// Another res-12 cell within the same res-11 hex as `cell`.
fn sibling(cell: u64) -> u64 {
    let cell = CellIndex::try_from(cell).unwrap();
    cell.parent(Resolution::Eleven)
        .unwrap()
        .children(Resolution::Twelve)
        .find(|c| *c != cell)
        .unwrap()
        .into()
}

fn assert_body(device: &SecretKey, h3_cell: u64, antenna: Antenna) -> Body {
    Body::AssertLocation {
        device: device.public_key(),
        h3_cell,
        antenna,
    }
}

fn register_hotspot(net: &mut Net, owner: &SecretKey, device: &SecretKey, class: &str) {
    let body = register_body(owner, device, class, Capabilities::default(), STAKE);
    assert_eq!(net.send(owner, body), TxCode::Ok);
}

fn location(net: &Net, device: &SecretKey) -> plexus_ledger::registry::AssertedLocation {
    query::device(net.ledger.store(), &device.public_key())
        .unwrap()
        .unwrap()
        .location
        .expect("a hotspot has a location")
}

/// The hotspots the index holds within `hex`, all pages read.
fn hotspots_in(net: &Net, hex: u64) -> Vec<PublicKey> {
    let mut out = Vec::new();
    let mut from = Some(0);
    while let Some(at) = from {
        let (page, next) = query::coverage_page(net.ledger.store(), hex, at, 1).unwrap();
        out.extend(page.iter().map(|d| d.key));
        from = next;
    }
    out
}

fn parent(cell: u64, resolution: Resolution) -> u64 {
    CellIndex::try_from(cell)
        .unwrap()
        .parent(resolution)
        .unwrap()
        .into()
}

/// Every balance the test's accounts and the module accounts hold.
fn held(net: &Net, accounts: &[Address]) -> u128 {
    accounts
        .iter()
        .chain(module_account::all().iter())
        .map(|a| net.balance(a))
        .sum()
}

#[test]
fn a_hotspot_registration_and_each_assertion_burn_exactly_the_fee_and_the_supply_adds_up() {
    let (owner, device) = (key(1), key(50));
    let mut net = Net::funded(&[&owner]);
    let supply = net.ledger.supply().unwrap().0;

    register_hotspot(&mut net, &owner, &device, "wifi-outdoor");
    let after_register = FUNDS - FEE - STAKE - assert_fee();
    assert_eq!(net.balance(&addr(&owner)), after_register);
    assert_eq!(net.balance(&module_account::burned()), assert_fee());
    let first = location(&net, &device);
    assert_eq!((first.h3_cell, first.assertions), (CELL, 1));

    let moved = cell_at(48.8566, 2.3522);
    let antenna = Antenna {
        gain_cdbi: 550,
        elevation_m: 12,
        azimuth_deg: 90,
    };
    assert_eq!(
        net.send(&owner, assert_body(&device, moved, antenna)),
        TxCode::Ok
    );
    assert_eq!(
        net.balance(&addr(&owner)),
        after_register - FEE - assert_fee()
    );
    assert_eq!(net.balance(&module_account::burned()), 2 * assert_fee());
    assert_eq!(
        net.ledger.supply().unwrap().0,
        supply,
        "burning mints nothing"
    );
    assert_eq!(held(&net, &[addr(&owner)]), supply, "every uplx accounted");
}

#[test]
fn moving_resets_seniority_and_reasserting_the_same_cell_keeps_it() {
    let (owner, device) = (key(1), key(50));
    let mut net = Net::funded(&[&owner]);
    register_hotspot(&mut net, &owner, &device, "wifi-indoor");
    let registered = location(&net, &device);
    assert_eq!(registered.seniority_height, registered.asserted_height);

    net.empty_blocks(2);
    let antenna = Antenna {
        gain_cdbi: 300,
        elevation_m: 3,
        azimuth_deg: 180,
    };
    assert_eq!(
        net.send(&owner, assert_body(&device, CELL, antenna)),
        TxCode::Ok
    );
    let same = location(&net, &device);
    assert_eq!(same.antenna, antenna, "a new antenna is recorded");
    assert!(same.asserted_height > registered.asserted_height);
    assert_eq!(
        same.seniority_height, registered.seniority_height,
        "the same cell keeps its seniority"
    );
    assert_eq!(same.assertions, 2);

    let next_door = sibling(CELL);
    assert_eq!(
        net.send(&owner, assert_body(&device, next_door, antenna)),
        TxCode::Ok
    );
    let moved = location(&net, &device);
    let height = net.ledger.last_committed().0;
    assert_eq!(moved.h3_cell, next_door);
    assert_eq!(
        moved.seniority_height, height,
        "a move, however short, starts seniority over"
    );
    assert_eq!(moved.assertions, 3);
    let record = query::device(net.ledger.store(), &device.public_key())
        .unwrap()
        .unwrap();
    assert_eq!(record.h3_cell, next_door, "the device's cell follows");
}

#[test]
fn only_the_owner_of_an_active_hotspot_asserts_and_a_refusal_costs_only_the_fee() {
    let (owner, stranger, device, server) = (key(1), key(2), key(50), key(51));
    let mut net = Net::funded(&[&owner, &stranger]);
    register_hotspot(&mut net, &owner, &device, "lora");
    let body = register_body(&owner, &server, "cpu-small", Capabilities::default(), STAKE);
    assert_eq!(net.send(&owner, body), TxCode::Ok);
    let before = location(&net, &device);
    let elsewhere = cell_at(51.5072, -0.1276);

    let refused = net.send_for_result(
        &stranger,
        assert_body(&device, elsewhere, Antenna::default()),
    );
    assert_eq!(refused.code, TxCode::Unauthorized);
    assert!(refused.log.contains("only its owner"), "{}", refused.log);
    assert_eq!(net.balance(&addr(&stranger)), FUNDS - FEE);
    assert_eq!(location(&net, &device), before);
    assert_eq!(net.balance(&module_account::burned()), assert_fee());

    let not_wireless =
        net.send_for_result(&owner, assert_body(&server, elsewhere, Antenna::default()));
    assert_eq!(not_wireless.code, TxCode::NotWireless);
    assert!(
        not_wireless.log.contains("cpu-small"),
        "{}",
        not_wireless.log
    );

    let retire = Body::RetireDevice {
        device: device.public_key(),
    };
    assert_eq!(net.send(&owner, retire), TxCode::Ok);
    assert_eq!(
        net.send(&owner, assert_body(&device, elsewhere, Antenna::default())),
        TxCode::DeviceNotActive
    );
    assert_eq!(location(&net, &device), before);
    assert_eq!(net.balance(&module_account::burned()), assert_fee());
}

#[test]
fn an_owner_who_cannot_pay_the_assertion_fee_keeps_the_old_location() {
    let (owner, device) = (key(1), key(50));
    let fee_and_stake = 2 * FEE + STAKE + assert_fee();
    let mut net = Net::with_genesis(genesis(&[(addr(&owner), fee_and_stake + FEE)]));
    register_hotspot(&mut net, &owner, &device, "wifi-indoor");
    let before = location(&net, &device);
    let result = net.send_for_result(
        &owner,
        assert_body(&device, sibling(CELL), Antenna::default()),
    );
    assert_eq!(result.code, TxCode::InsufficientFunds);
    assert!(result.log.contains("costs"), "{}", result.log);
    assert_eq!(location(&net, &device), before);
    assert_eq!(net.balance(&addr(&owner)), FEE);
}

#[test]
fn a_cell_not_at_resolution_12_is_refused_with_a_reason_and_changes_nothing() {
    let (owner, device) = (key(1), key(50));
    let mut net = Net::funded(&[&owner]);
    register_hotspot(&mut net, &owner, &device, "wifi-indoor");
    let before = location(&net, &device);
    let balance = net.balance(&addr(&owner));

    for (cell, why) in [
        (parent(CELL, Resolution::Eleven), "resolution 11"),
        (0, "not an H3 cell"),
    ] {
        let result = net.send_for_result(&owner, assert_body(&device, cell, Antenna::default()));
        assert_eq!(result.code, TxCode::Malformed);
        assert!(result.log.contains("h3_cell"), "{}", result.log);
        assert!(result.log.contains(why), "{}", result.log);
        assert_eq!(result.fee.0, 0, "refused before any fee");
    }
    assert_eq!(net.balance(&addr(&owner)), balance);
    assert_eq!(location(&net, &device), before);

    // A hotspot registers at a res-12 cell: its registration is its first assertion.
    let coarse = key(51);
    let mut body = register_body(
        &owner,
        &coarse,
        "wifi-indoor",
        Capabilities::default(),
        STAKE,
    );
    if let Body::RegisterDevice { h3_cell, .. } = &mut body {
        *h3_cell = parent(CELL, Resolution::Ten);
    }
    let result = net.send_for_result(&owner, body);
    assert_eq!(result.code, TxCode::InvalidLocation);
    assert!(result.log.contains("resolution 10"), "{}", result.log);
    assert!(query::device(net.ledger.store(), &coarse.public_key())
        .unwrap()
        .is_none());
    assert_eq!(net.balance(&addr(&owner)), balance - FEE);
}

#[test]
fn update_device_cannot_move_a_hotspot_but_can_change_what_it_declares() {
    let (owner, device) = (key(1), key(50));
    let mut net = Net::funded(&[&owner]);
    register_hotspot(&mut net, &owner, &device, "wifi-outdoor");
    let move_it = Body::UpdateDevice {
        device: device.public_key(),
        capabilities: Capabilities::default(),
        h3_cell: sibling(CELL),
    };
    let result = net.send_for_result(&owner, move_it);
    assert_eq!(result.code, TxCode::LocationAsserted);
    assert!(result.log.contains("assert-location"), "{}", result.log);
    assert_eq!(location(&net, &device).h3_cell, CELL);

    let declared = Capabilities {
        cpu_cores: 2,
        ..Capabilities::default()
    };
    let stay = Body::UpdateDevice {
        device: device.public_key(),
        capabilities: declared.clone(),
        h3_cell: CELL,
    };
    assert_eq!(net.send(&owner, stay), TxCode::Ok);
    let record = query::device(net.ledger.store(), &device.public_key())
        .unwrap()
        .unwrap();
    assert_eq!(record.capabilities, declared);
}

#[test]
fn the_hex_index_finds_a_hotspot_where_it_stands_and_not_after_it_moves_or_retires() {
    let (owner, a, b) = (key(1), key(50), key(51));
    let mut net = Net::funded(&[&owner]);
    register_hotspot(&mut net, &owner, &a, "wifi-indoor");
    register_hotspot(&mut net, &owner, &b, "wifi-outdoor");
    let both = {
        let mut v = vec![a.public_key(), b.public_key()];
        v.sort();
        v
    };
    for resolution in [Resolution::Twelve, Resolution::Seven, Resolution::Zero] {
        let mut found = hotspots_in(&net, parent(CELL, resolution));
        found.sort();
        assert_eq!(found, both, "both within the res-{resolution} hex");
    }

    let paris = cell_at(48.8566, 2.3522);
    assert_eq!(
        net.send(&owner, assert_body(&a, paris, Antenna::default())),
        TxCode::Ok
    );
    assert_eq!(hotspots_in(&net, CELL), vec![b.public_key()]);
    assert_eq!(
        hotspots_in(&net, parent(CELL, Resolution::Zero)),
        vec![b.public_key()]
    );
    assert_eq!(hotspots_in(&net, paris), vec![a.public_key()]);
    assert_eq!(
        hotspots_in(&net, parent(paris, Resolution::Four)),
        vec![a.public_key()]
    );

    let retire = Body::RetireDevice {
        device: b.public_key(),
    };
    assert_eq!(net.send(&owner, retire), TxCode::Ok);
    assert!(hotspots_in(&net, CELL).is_empty());
    assert!(hotspots_in(&net, parent(CELL, Resolution::Zero)).is_empty());
    assert_eq!(hotspots_in(&net, paris), vec![a.public_key()]);
}
