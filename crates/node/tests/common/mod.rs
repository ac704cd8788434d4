//! What the node's integration tests share: a node on a fresh home, serving on a free port.
#![allow(dead_code)]

use plexus_ledger::{Genesis, GenesisAccount, Params};
use plexus_node::{run_node, NodeConfig, NodeFiles, RunningNode, UploadSettings};
use plexus_types::{Address, Amount, SecretKey};

/// Blocks the test nodes' beacon hash chains last.
pub const BEACON_REVEALS: u64 = 100_000;

/// Starts a node of chain `chain_id` in `home`, making blocks every 100 ms, with `alice`
/// holding 1 000 PLX at genesis, keeping every height.
pub async fn start(home: &std::path::Path, chain_id: &str, alice: &SecretKey) -> RunningNode {
    start_node(home, chain_id, alice, UploadSettings::default(), 0).await
}

/// [`start`] with the node's upload rules given.
pub async fn start_with_uploads(
    home: &std::path::Path,
    chain_id: &str,
    alice: &SecretKey,
    uploads: UploadSettings,
) -> RunningNode {
    start_node(home, chain_id, alice, uploads, 0).await
}

/// Like [`start`], keeping state for the newest `retain_versions` heights (0: all).
pub async fn start_keeping(
    home: &std::path::Path,
    chain_id: &str,
    alice: &SecretKey,
    retain_versions: u64,
) -> RunningNode {
    start_node(
        home,
        chain_id,
        alice,
        UploadSettings::default(),
        retain_versions,
    )
    .await
}

async fn start_node(
    home: &std::path::Path,
    chain_id: &str,
    alice: &SecretKey,
    uploads: UploadSettings,
    retain_versions: u64,
) -> RunningNode {
    let files = NodeFiles::new(home);
    let mut genesis = Genesis {
        chain_id: chain_id.into(),
        genesis_time_ms: 1,
        params: Params::default(),
        rewards: Default::default(),
        oracles: Default::default(),
        device_classes: plexus_ledger::default_device_classes(),
        validators: Vec::new(),
        beacon: None,
        staking: Default::default(),
        wireless: Default::default(),
        data_credits: Default::default(),
        data_market: Default::default(),
        accounts: vec![GenesisAccount {
            address: Address::from_public_key(&alice.public_key()),
            balance: Amount::plx(1_000),
        }],
    };
    let config = NodeConfig {
        api: "127.0.0.1:0".parse().unwrap(),
        block_ms: 100,
        min_block_ms: 0,
        uploads,
        retain_versions,
        oracles: Vec::new(),
    };
    files
        .new_beacon_chain(&mut genesis, BEACON_REVEALS)
        .unwrap();
    files
        .write_new(&genesis, &config, &SecretKey::from_seed([9; 32]))
        .unwrap();
    run_node(&files, config).await.unwrap()
}
