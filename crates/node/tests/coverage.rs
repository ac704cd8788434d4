//! `GET /v1/coverage/{hex}`: the hotspots asserted within a hex, found after they assert and
//! gone from where they moved away, a page at a time; bad hexes get a 400 that says why.

use plexus_client::views::{CoverageView, DeviceView};
use plexus_client::{NodeClient, TxSender};
use plexus_types::{statements, Amount, Antenna, Body, Capabilities, SecretKey};
use serde_json::Value;

mod common;

const CHAIN: &str = "plexus-coverage-test";
const CELL: u64 = 0x8c2a100d2c0a5ff;

async fn get(base: &str, path: &str) -> (u16, Value) {
    let answer = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap())
}

/// Every hotspot within `hex`, pages of one.
async fn hotspots_in(base: &str, hex: h3o::CellIndex) -> Vec<DeviceView> {
    let (mut out, mut from) = (Vec::new(), 0);
    loop {
        let (status, page) = get(base, &format!("/v1/coverage/{hex}?from={from}&limit=1")).await;
        assert_eq!(status, 200, "{page}");
        let page: CoverageView = serde_json::from_value(page).unwrap();
        assert_eq!(page.hex, hex.to_string());
        assert_eq!(page.resolution, u8::from(hex.resolution()));
        assert!(page.devices.len() <= 1);
        out.extend(page.devices);
        match page.next {
            Some(next) => from = next,
            None => return out,
        }
    }
}

async fn register_hotspot(sender: &TxSender<NodeClient>, device: &SecretKey) {
    let statement = statements::device_registration(CHAIN, &sender.address(), &device.public_key());
    sender
        .send_ok(Body::RegisterDevice {
            device: device.public_key(),
            class: "wifi-indoor".into(),
            capabilities: Capabilities::default(),
            h3_cell: CELL,
            stake: Amount::plx(50),
            device_signature: device.sign(&statement),
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coverage_of_a_hex_lists_the_hotspots_asserted_there_until_they_move() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), CHAIN, &alice).await;
    let base = format!("http://{}", node.api_addr);
    let sender = TxSender::new(NodeClient::new(&base).unwrap(), alice.clone());
    let (a, b) = (
        SecretKey::from_seed([60; 32]),
        SecretKey::from_seed([61; 32]),
    );
    register_hotspot(&sender, &a).await;
    register_hotspot(&sender, &b).await;

    let cell = h3o::CellIndex::try_from(CELL).unwrap();
    let district = cell.parent(h3o::Resolution::Seven).unwrap();
    let mut found: Vec<_> = hotspots_in(&base, district).await;
    found.sort_by_key(|d| d.key);
    let mut expected = vec![a.public_key(), b.public_key()];
    expected.sort();
    assert_eq!(found.iter().map(|d| d.key).collect::<Vec<_>>(), expected);
    for device in &found {
        assert_eq!(device.class, "wifi-indoor");
        assert!(device.is_active());
        let location = device.location.expect("a hotspot's location");
        assert_eq!(location.h3_cell, CELL);
        assert_eq!(location.seniority_height, device.registered_height);
    }

    let antenna = Antenna {
        gain_cdbi: 400,
        elevation_m: 8,
        azimuth_deg: 45,
    };
    let paris: u64 = h3o::LatLng::new(48.8566, 2.3522)
        .unwrap()
        .to_cell(h3o::Resolution::Twelve)
        .into();
    let moved = sender
        .send_ok(Body::AssertLocation {
            device: a.public_key(),
            h3_cell: paris,
            antenna,
        })
        .await
        .unwrap();
    let left: Vec<_> = hotspots_in(&base, cell).await;
    assert_eq!(
        left.iter().map(|d| d.key).collect::<Vec<_>>(),
        vec![b.public_key()]
    );
    let there = hotspots_in(&base, h3o::CellIndex::try_from(paris).unwrap()).await;
    assert_eq!(there.len(), 1);
    let location = there[0].location.unwrap();
    assert_eq!(location.antenna, antenna);
    assert_eq!(location.seniority_height, moved.height);

    // The device view carries the location too.
    let (status, view) = get(&base, &format!("/v1/devices/{}", a.public_key())).await;
    assert_eq!(status, 200);
    assert_eq!(view["location"]["h3_cell"], paris);
    assert_eq!(view["location"]["assertions"], 2);

    let too_fine = cell.children(h3o::Resolution::Thirteen).next().unwrap();
    for bad in ["zz".to_string(), "0".to_string(), too_fine.to_string()] {
        let (status, body) = get(&base, &format!("/v1/coverage/{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "bad_hex", "{bad}");
    }
    let (_, body) = get(&base, &format!("/v1/coverage/{too_fine}")).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("resolution 13"),
        "{body}"
    );
}
