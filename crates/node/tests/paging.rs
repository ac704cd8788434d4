//! Every list endpoint answers a page at a time: at most `limit` items (100 by default, never
//! more than 1000), and a `next` cursor that walks the whole list exactly once.

use plexus_client::{NodeApi, NodeClient, TxSender};
use plexus_types::{Amount, Body, Capabilities, Hash, JobRuntime, OrderTerms, SecretKey};
use serde_json::Value;

mod common;

async fn get(base: &str, path: &str) -> Value {
    reqwest::get(format!("{base}{path}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn terms() -> OrderTerms {
    OrderTerms {
        spec: Hash::of(b"spec"),
        runtime: JobRuntime::Wasm,
        resources: Capabilities {
            cpu_cores: 1,
            memory_mb: 128,
            ..Capabilities::default()
        },
        max_price_per_block: Amount(10),
        duration_blocks: 1_000,
        replicas: 1,
        sample_per_mille: 0,
        deposit: Amount(1_000_000),
    }
}

/// The ids of `path`'s `field` items, page by page with `limit`.
async fn walk(base: &str, path: &str, field: &str, limit: usize) -> (Vec<u64>, usize) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (mut ids, mut pages, mut from) = (Vec::new(), 0, 0);
    loop {
        let page = get(base, &format!("{path}{sep}from={from}&limit={limit}")).await;
        let items = page[field].as_array().unwrap().clone();
        assert!(
            items.len() <= limit,
            "{path}: {} items over {limit}",
            items.len()
        );
        ids.extend(items.iter().map(|o| o["order"]["id"].as_u64().unwrap()));
        pages += 1;
        match page["next"].as_u64() {
            Some(next) => from = next,
            None => return (ids, pages),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_pages_through_every_order_once_and_no_page_is_over_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), "plexus-paging-test", &alice).await;
    let base = format!("http://{}", node.api_addr);
    let client = NodeClient::new(&base).unwrap();
    let sender = TxSender::new(client.clone(), alice.clone());
    for _ in 0..5 {
        sender.send_ok(Body::CreateOrder(terms())).await.unwrap();
    }
    let owner = sender.address();
    for path in [
        "/v1/market/orders".to_string(),
        format!("/v1/market/orders?owner={owner}"),
    ] {
        let (ids, pages) = walk(&base, &path, "orders", 2).await;
        assert_eq!(pages, 3, "{path}: 5 orders in pages of 2");
        assert_eq!(ids, vec![0, 1, 2, 3, 4], "{path}: oldest first");
    }
    // Orders without bids end as blocks pass, so the live ones are some of them, each once.
    let (mut live, _) = walk(&base, "/v1/market/orders?live=true", "orders", 2).await;
    let n = live.len();
    live.sort();
    live.dedup();
    assert_eq!(live.len(), n, "a live order listed twice");
    assert!(live.iter().all(|id| *id < 5));
    // Limits are held to 1..=1000.
    let page = get(&base, "/v1/market/orders?limit=0").await;
    assert_eq!(page["orders"].as_array().unwrap().len(), 1);
    assert_eq!(page["next"], 1);
    let page = get(&base, "/v1/market/orders?limit=5000").await;
    assert_eq!(page["orders"].as_array().unwrap().len(), 5);
    assert!(page["next"].is_null());
    // Past the end: an empty last page.
    let page = get(&base, "/v1/market/orders?from=99").await;
    assert!(page["orders"].as_array().unwrap().is_empty() && page["next"].is_null());
    // The client follows the pages.
    assert!(client.live_orders().await.unwrap().len() <= 5);
    let devices = get(&base, "/v1/devices?limit=1").await;
    assert!(devices["devices"].as_array().unwrap().len() <= 1);
    let deals = get(&base, "/v1/storage/deals?limit=1").await;
    assert!(deals["deals"].as_array().unwrap().is_empty() && deals["next"].is_null());
    let tasks = get(&base, "/v1/learn/tasks?limit=1").await;
    assert!(tasks["tasks"].as_array().unwrap().is_empty() && tasks["next"].is_null());
}
