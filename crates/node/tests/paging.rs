//! Every list endpoint answers a page at a time: at most `limit` items (100 by default, never
//! more than 1000), and a `next` cursor that walks the whole list exactly once.

use plexus_client::{NodeApi, NodeClient, Overrides, TxSender};
use plexus_types::blob_size::prove_size;
use plexus_types::{
    statements, Amount, Body, Capabilities, Hash, JobRuntime, OrderTerms, SecretKey,
    StorageDealTerms, TrainingRound, TrainingTaskTerms,
};
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

/// Task 0's rounds, page by page with `limit`: the round numbers seen and how many pages.
async fn walk_rounds(base: &str, limit: usize) -> (Vec<u64>, usize) {
    let (mut rounds, mut pages, mut from) = (Vec::new(), 0, 0);
    loop {
        let page = get(
            base,
            &format!("/v1/learn/tasks/0/rounds?from={from}&limit={limit}"),
        )
        .await;
        let items = page["rounds"].as_array().unwrap();
        assert!(items.len() <= limit, "{} rounds over {limit}", items.len());
        rounds.extend(items.iter().map(|r| r["round"].as_u64().unwrap()));
        pages += 1;
        match page["next"].as_u64() {
            Some(next) => from = next,
            None => return (rounds, pages),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_with_more_rounds_than_a_page_answers_its_newest_and_the_client_reads_every_round() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), "plexus-paging-test", &alice).await;
    let base = format!("http://{}", node.api_addr);
    let client = NodeClient::new(&base).unwrap();
    let sender = TxSender::new(client.clone(), alice.clone());
    const ROUNDS: u32 = 130;
    sender
        .send_ok(Body::CreateTrainingTask(TrainingTaskTerms {
            dataset: "digits".into(),
            spec: "{}".into(),
            validation_commitment: Hash::of(b"validation"),
            rounds: ROUNDS + 1,
            min_participants: 1,
            budget: Amount(1_000_000),
            coordinator: sender.address(),
        }))
        .await
        .unwrap();
    // Alice coordinates her own task: every round, one after another, in a few blocks.
    let first = client.account_of(&sender.address()).await.unwrap().nonce;
    let mut last = None;
    for (i, round) in (1..=ROUNDS).enumerate() {
        let body = Body::SubmitTrainingRound(TrainingRound {
            task: 0,
            round,
            model: Hash::of(&round.to_be_bytes()),
            record: Hash::of(b"record"),
            accuracy_ppm: round,
            loss_micro: 0,
            scores: Vec::new(),
        });
        let nonce = Overrides {
            nonce: Some(first + i as u64),
            ..Overrides::default()
        };
        last = Some(sender.submit(body, &nonce).await.unwrap());
    }
    let done = sender
        .wait_committed(&last.unwrap(), std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert!(done.succeeded(), "{} {}", done.code, done.log);

    // The task's view carries only its newest rounds, and says how many there are.
    let task = get(&base, "/v1/learn/tasks/0").await;
    let shown = task["rounds"].as_array().unwrap();
    assert_eq!(task["rounds_done"], ROUNDS);
    assert_eq!(shown.len(), 100);
    assert_eq!(shown[0]["round"], ROUNDS - 99);
    assert_eq!(shown[99]["round"], ROUNDS);
    let listed = get(&base, "/v1/learn/tasks").await;
    assert_eq!(listed["tasks"][0]["rounds"].as_array().unwrap().len(), 100);

    // Every round, a bounded page at a time, each once, in order.
    let (rounds, pages) = walk_rounds(&base, 50).await;
    assert_eq!(pages, 3);
    assert!(rounds.iter().copied().eq(1..=u64::from(ROUNDS)));
    let page = get(&base, "/v1/learn/tasks/0/rounds?limit=5000").await;
    assert_eq!(page["rounds"].as_array().unwrap().len(), ROUNDS as usize);
    assert!(page["next"].is_null());
    let page = get(&base, "/v1/learn/tasks/0/rounds").await;
    assert_eq!(page["rounds"].as_array().unwrap().len(), 100);
    assert_eq!(page["next"], 101);

    // The client follows the pages.
    let all = client.training_rounds(0).await.unwrap();
    assert!(all.iter().map(|r| r.round).eq(1..=ROUNDS));
    assert_eq!(
        all[ROUNDS as usize - 1].model,
        Hash::of(&ROUNDS.to_be_bytes())
    );
    let tasks = client.training_tasks().await.unwrap();
    assert_eq!(tasks[0].rounds_done(), ROUNDS);
    let unknown = reqwest::get(format!("{base}/v1/learn/tasks/7/rounds"))
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"]["code"],
        "unknown_task"
    );
}

/// Registers a storage device of alice's, seeded `seed`.
async fn register_storage_device(sender: &TxSender<NodeClient>, seed: u8) {
    let device = SecretKey::from_seed([seed; 32]);
    let statement = statements::device_registration(
        "plexus-paging-test",
        &sender.address(),
        &device.public_key(),
    );
    sender
        .send_ok(Body::RegisterDevice {
            device: device.public_key(),
            class: "storage-small".into(),
            capabilities: Capabilities::default(),
            h3_cell: 0x8c2a100d2c0a5ff,
            stake: Amount::plx(100),
            device_signature: device.sign(&statement),
        })
        .await
        .unwrap();
}

/// Attack: anyone may pay for deals naming any blob, and every deal ever made stays listed
/// under it, so an answer with all of them grows without bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_named_by_many_deals_answers_a_bounded_page_and_the_walk_sees_every_deal() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), "plexus-paging-test", &alice).await;
    let base = format!("http://{}", node.api_addr);
    let client = NodeClient::new(&base).unwrap();
    let sender = TxSender::new(client.clone(), alice.clone());
    // One open deal of a blob per device: five devices take five deals of one blob.
    const DEALS: u64 = 5;
    for seed in 0..DEALS as u8 {
        register_storage_device(&sender, 100 + seed).await;
    }
    let content = b"a blob many deals name".to_vec();
    let blob = Hash::of(&content);
    for _ in 0..DEALS {
        sender
            .send_ok(Body::StorageDeal(StorageDealTerms {
                blob,
                size: content.len() as u64,
                replicas: 1,
                epochs: 1,
                price_per_replica_epoch: Amount(1),
                size_proof: prove_size(&content),
            }))
            .await
            .unwrap();
    }

    let path = format!("/v1/storage/blobs/{blob}");
    let page = get(&base, &format!("{path}?limit=2")).await;
    assert_eq!(page["deals"].as_array().unwrap().len(), 2);
    assert_eq!(page["next"], 2);
    let (mut ids, mut from, mut pages) = (Vec::new(), 0, 0);
    loop {
        let page = get(&base, &format!("{path}?from={from}&limit=2")).await;
        let deals = page["deals"].as_array().unwrap();
        assert!(deals.len() <= 2, "{} deals over 2", deals.len());
        assert!(deals.iter().all(|d| d["blob"] == blob.to_string()));
        ids.extend(deals.iter().map(|d| d["id"].as_u64().unwrap()));
        pages += 1;
        match page["next"].as_u64() {
            Some(next) => from = next,
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        ids,
        (0..DEALS).collect::<Vec<_>>(),
        "oldest first, each once"
    );
    let page = get(&base, &format!("{path}?from=99")).await;
    assert!(page["deals"].as_array().unwrap().is_empty() && page["next"].is_null());
    // The CLI's walk (`NodeClient::list`) follows the pages to every deal.
    let all: Vec<Value> = client.list(&path, "deals").await.unwrap();
    assert_eq!(all.len() as u64, DEALS);
}

/// A page of devices as `(key, field)` pairs and its `next`.
async fn device_page(
    base: &str,
    path: &str,
    list: &str,
    field: &str,
) -> (Vec<(String, String)>, Option<u64>) {
    let page = get(base, path).await;
    let items = page[list]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no {list} in {page}"))
        .iter()
        .map(|d| {
            let key = d.get("key").or(d.get("device")).unwrap().as_str().unwrap();
            (key.to_string(), d[field].to_string())
        })
        .collect();
    (items, page["next"].as_u64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_lists_rewards_and_filters_page_like_the_device_list() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), "plexus-paging-test", &alice).await;
    let base = format!("http://{}", node.api_addr);
    let sender = TxSender::new(NodeClient::new(&base).unwrap(), alice.clone());
    // Five devices, storage and cpu in turn.
    for seed in 0..5u8 {
        let device = SecretKey::from_seed([100 + seed; 32]);
        let statement = statements::device_registration(
            "plexus-paging-test",
            &sender.address(),
            &device.public_key(),
        );
        let class = if seed % 2 == 0 {
            "storage-small"
        } else {
            "cpu-small"
        };
        sender
            .send_ok(Body::RegisterDevice {
                device: device.public_key(),
                class: class.into(),
                capabilities: Capabilities {
                    cpu_cores: 2,
                    memory_mb: 1024,
                    ..Capabilities::default()
                },
                h3_cell: 0x8c2a100d2c0a5ff,
                stake: Amount::plx(100),
                device_signature: device.sign(&statement),
            })
            .await
            .unwrap();
    }

    // The rewards walk the same devices, in the same pages, with the same cursor, each total
    // the one of that device's own rewards.
    let mut from = Some(0);
    let mut seen = Vec::new();
    while let Some(at) = from {
        let (devices, next) = device_page(
            &base,
            &format!("/v1/devices?from={at}&limit=2"),
            "devices",
            "class",
        )
        .await;
        let (rewards, rewards_next) = device_page(
            &base,
            &format!("/v1/devices/rewards?from={at}&limit=2"),
            "rewards",
            "total",
        )
        .await;
        assert_eq!(rewards_next, next, "from {at}");
        let keys: Vec<_> = devices.iter().map(|d| &d.0).collect();
        assert_eq!(
            keys,
            rewards.iter().map(|r| &r.0).collect::<Vec<_>>(),
            "from {at}"
        );
        for (key, total) in &rewards {
            let one = get(&base, &format!("/v1/devices/{key}/rewards")).await;
            assert_eq!(total, &one["total"].to_string(), "{key}");
        }
        seen.extend(devices);
        from = next;
    }
    assert_eq!(seen.len(), 5);

    // A filter finds the matching devices past the first page's worth of registrations, on
    // every device list alike.
    let storage: Vec<_> = seen
        .iter()
        .filter(|d| d.1 == "\"storage-small\"")
        .map(|d| d.0.clone())
        .collect();
    assert_eq!(storage.len(), 3);
    for (path, list, field) in [
        ("/v1/devices", "devices", "class"),
        ("/v1/devices/cells", "cells", "class"),
        ("/v1/devices/rewards", "rewards", "total"),
    ] {
        let (found, next) = device_page(
            &base,
            &format!("{path}?class=storage-small&limit=100"),
            list,
            field,
        )
        .await;
        assert_eq!(
            found.into_iter().map(|d| d.0).collect::<Vec<_>>(),
            storage,
            "{path}"
        );
        assert_eq!(next, None, "{path}");
    }
    let owner = sender.address();
    let (owned, _) = device_page(
        &base,
        &format!("/v1/devices?owner={owner}&status=active"),
        "devices",
        "class",
    )
    .await;
    assert_eq!(owned.len(), 5);
    let (slashed, next) =
        device_page(&base, "/v1/devices?status=slashed", "devices", "class").await;
    assert!(slashed.is_empty() && next.is_none(), "{slashed:?} {next:?}");
    // Two matches a page: the scan stops at the second and the next page goes on from there.
    let (first, next) = device_page(
        &base,
        "/v1/devices?class=storage-small&limit=2",
        "devices",
        "class",
    )
    .await;
    assert_eq!(
        first.into_iter().map(|d| d.0).collect::<Vec<_>>(),
        storage[..2]
    );
    assert_eq!(
        next,
        Some(3),
        "the second storage device is the third registered"
    );

    for bad in [
        "/v1/devices?status=asleep",
        "/v1/devices/rewards?owner=nobody",
    ] {
        let resp = reqwest::get(format!("{base}{bad}")).await.unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
    }
}
