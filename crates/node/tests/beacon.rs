//! `GET /v1/beacon` on a solo node: every block's beacon comes from the next reveal of the
//! operator's hash chain, and a restarted node goes on revealing where it stopped.

use plexus_ledger::beacon::{hash_chain_step, Beacon};
use plexus_node::{run_node, NodeFiles};
use plexus_types::{Hash, SecretKey};
use std::time::Duration;

mod common;

async fn wait_for_height(node: &plexus_node::RunningNode, height: u64) {
    let (tx, mut committed) = tokio::sync::watch::channel(node.chain.status().height);
    node.chain.on_commit(Box::new(move |block| {
        let _ = tx.send(block.height);
    }));
    tokio::time::timeout(
        Duration::from_secs(20),
        committed.wait_for(|h| *h >= height),
    )
    .await
    .expect("the node made no blocks")
    .expect("the node stopped");
}

/// The reveals of heights `from..=to`, checked against the value the node reports.
async fn reveals(base: &str, from: u64, to: u64) -> Vec<Hash> {
    let client = plexus_client::NodeClient::new(base).unwrap();
    let mut out = Vec::new();
    for height in from..=to {
        let view = client.beacon(Some(height)).await.unwrap();
        assert_eq!(view.height, height);
        assert_eq!(view.source, "hash_chain");
        let field = hex::decode(&view.field).unwrap();
        assert_eq!(view.value, Beacon::of_field(height, &field).value());
        out.push(Hash::from_slice(&field).unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_solo_node_reports_beacons_that_continue_its_hash_chain() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), "plexus-beacon-test", &alice).await;
    wait_for_height(&node, 3).await;
    let base = format!("http://{}", node.api_addr);
    let first = reveals(&base, 1, 3).await;
    let latest = plexus_client::NodeClient::new(&base)
        .unwrap()
        .beacon(None)
        .await
        .unwrap();
    assert!(latest.height >= 3);
    let missing = reqwest::get(format!("{base}/v1/beacon?height=999999"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    node.shutdown().await.unwrap();

    let files = NodeFiles::new(dir.path());
    let config = files.load_config().unwrap();
    let node = run_node(&files, config).await.unwrap();
    let stopped_at = node.chain.status().height;
    wait_for_height(&node, stopped_at + 2).await;
    let base = format!("http://{}", node.api_addr);
    let all = reveals(&base, 1, stopped_at + 2).await;
    assert_eq!(&all[..3], &first[..]);
    let genesis = files.load_genesis().unwrap();
    let Some(plexus_ledger::BeaconCommitment::HashChain { commitment, .. }) = genesis.beacon else {
        panic!("the node's genesis commits to no hash chain");
    };
    let mut previous = commitment;
    for (i, reveal) in all.iter().enumerate() {
        assert_eq!(hash_chain_step(reveal), previous, "height {}", i + 1);
        previous = *reveal;
    }
    node.shutdown().await.unwrap();
}
