//! A follower of the registry (the oracle) reads what later blocks changed rather than every
//! device: each block records the devices it registered or changed.
mod common;

use common::*;
use plexus_ledger::query;
use plexus_ledger::registry::DeviceStatus;
use plexus_ledger::{Ledger, TxCode};
use plexus_types::{Body, Capabilities};

#[test]
fn a_follower_reads_only_the_devices_that_later_blocks_changed() {
    let owner = key(1);
    let mut net = Net::funded(&[&owner]);
    let devices: Vec<_> = (0..3).map(|i| key(50 + i)).collect();
    for d in &devices {
        let body = register_body(&owner, d, "cpu-small", Capabilities::default(), 100_000_000);
        assert_eq!(net.send(&owner, body), TxCode::Ok);
    }
    let seen = net.ledger.last_committed().0;
    net.empty_blocks(3);
    let retire = Body::RetireDevice {
        device: devices[1].public_key(),
    };
    assert_eq!(net.send(&owner, retire), TxCode::Ok);
    let now = net.ledger.last_committed().0;
    let store = net.ledger.store();

    let (all, through) = query::devices_changed(store, 0, now, 1000, 1000).unwrap();
    assert_eq!(through, now);
    let keys: Vec<_> = all.iter().map(|d| d.key).collect();
    let expected: Vec<_> = devices.iter().map(|d| d.public_key()).collect();
    assert_eq!(
        keys, expected,
        "every device once, in the order first changed"
    );
    assert!(
        matches!(all[1].status, DeviceStatus::Retired { .. }),
        "as it is now"
    );

    let (later, through) = query::devices_changed(store, seen, now, 1000, 1000).unwrap();
    assert_eq!(through, now);
    assert_eq!(later.len(), 1, "only the retired device changed since");
    assert_eq!(later[0].key, devices[1].public_key());

    // Bounded steps: at most 2 blocks per read, resumed from where the last one stopped.
    let (first, through) = query::devices_changed(store, 0, now, 2, 1000).unwrap();
    assert_eq!(through, 2);
    assert!(first.len() <= 2);
    let (nothing, through) = query::devices_changed(store, now, now, 2, 1000).unwrap();
    assert!(nothing.is_empty() && through == now);
}
