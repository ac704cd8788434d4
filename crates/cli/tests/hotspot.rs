//! A hotspot's owner asserts its location from the command line and finds it by hex; bad
//! coordinates and a stranger's assertion are refused with errors that say why.
mod support;

use plexus_client::{NodeClient, TxSender};
use plexus_types::{statements, Amount, Body, Capabilities, SecretKey};
use support::*;

const CHAIN: &str = "plexus-hotspot-test";
/// Where the hotspot registers: a res-12 cell in San Francisco.
const CELL: &str = "8c2a100d2c0a5ff";

/// The secret of `name` in `home`'s test keyring.
fn secret(home: &std::path::Path, name: &str) -> SecretKey {
    let text = std::fs::read_to_string(home.join(format!("keyring-test/{name}.json"))).unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    let bytes = hex::decode(file["secret_key"].as_str().unwrap()).unwrap();
    SecretKey::from_slice(&bytes).unwrap()
}

fn stderr_of(node: &NodeProcess, args: &[&str]) -> String {
    let out = node.cli(args);
    assert!(!out.status.success(), "plexus {args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_owner_asserts_a_hotspot_location_from_the_cli_and_finds_it_by_hex() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let bob_addr = add_key(&home, "bob");
    add_key(&home, "hotspot");
    init_node(
        &home,
        &[
            "--chain-id",
            CHAIN,
            "--account",
            &format!("{bob_addr}=100plx"),
            "--block-ms",
            "200",
        ],
    );
    let node = NodeProcess::start(&home, free_port());
    let (bob, hotspot) = (secret(&home, "bob"), secret(&home, "hotspot"));
    let statement =
        statements::device_registration(CHAIN, &bob_addr.parse().unwrap(), &hotspot.public_key());
    let register = Body::RegisterDevice {
        device: hotspot.public_key(),
        class: "wifi-indoor".into(),
        capabilities: Capabilities::default(),
        h3_cell: u64::from_str_radix(CELL, 16).unwrap(),
        stake: Amount::plx(50),
        device_signature: hotspot.sign(&statement),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(TxSender::new(NodeClient::new(&node.url).unwrap(), bob).send_ok(register))
        .unwrap();
    let here = node.cli_json(&["--json", "query", "coverage", "--hex", CELL]);
    assert_eq!(here["devices"].as_array().unwrap().len(), 1, "{here}");

    let asserted = node.cli_json(&[
        "--json",
        "hotspot",
        "assert-location",
        "--from",
        "bob",
        "--device",
        "hotspot",
        "--lat",
        "48.8566",
        "--lng",
        "2.3522",
        "--gain-dbi",
        "5.5",
        "--elevation-m",
        "10",
        "--azimuth",
        "90",
    ]);
    assert_eq!(asserted["tx"]["code"], "ok", "{asserted}");
    let paris = asserted["h3_cell"].as_str().unwrap().to_string();
    let there = node.cli_json(&["--json", "query", "coverage", "--hex", &paris]);
    let found = &there["devices"][0];
    assert_eq!(found["key"], hotspot.public_key().to_string(), "{there}");
    assert_eq!(found["class"], "wifi-indoor");
    assert_eq!(found["location"]["antenna"]["gain_cdbi"], 550);
    // The compass bearing is recorded turned into the model's grid frame, as the command said.
    assert_eq!(asserted["bearing_deg"], 90, "{asserted}");
    assert_eq!(
        found["location"]["antenna"]["azimuth_deg"],
        asserted["antenna"]["azimuth_deg"]
    );
    assert_eq!(
        found["location"]["seniority_height"],
        asserted["tx"]["height"]
    );
    let left = node.cli_json(&["--json", "query", "coverage", "--hex", CELL]);
    assert!(left["devices"].as_array().unwrap().is_empty(), "{left}");
    // For people: a table with the asserted cell.
    let table = node.cli(&["query", "coverage", "--hex", &paris]);
    assert!(String::from_utf8_lossy(&table.stdout).contains(&paris));

    let mut args = vec!["hotspot", "assert-location", "--device", "hotspot"];
    let off_earth = stderr_of(
        &node,
        &[&args[..], &["--from", "bob", "--lat", "95", "--lng", "0"]].concat(),
    );
    assert!(off_earth.contains("--lat 95"), "{off_earth}");
    args.extend(["--lat", "48.8566", "--lng", "2.3522"]);
    let stranger = stderr_of(&node, &[&args[..], &["--from", "faucet"]].concat());
    assert!(stranger.contains("only its owner"), "{stranger}");
    let coarse = stderr_of(&node, &["query", "coverage", "--hex", "zz"]);
    assert!(coarse.contains("not an H3 cell index"), "{coarse}");
}
