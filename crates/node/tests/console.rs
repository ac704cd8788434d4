//! The web console: its files are served with their content types, an unknown one is a 404,
//! and `/v1/events` streams the blocks committed after a client subscribed.

use plexus_types::{Address, Amount, Body, SecretKey, UnsignedTx};
use serde_json::Value;
use std::time::Duration;

mod common;

const CHAIN: &str = "plexus-console-test";

fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_at_the_root_with_its_files_and_content_types() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), CHAIN, &alice).await;
    let base = format!("http://{}", node.api_addr);

    let root = reqwest::get(format!("{base}/")).await.unwrap();
    assert_eq!(root.status(), 200);
    assert!(
        content_type(&root).starts_with("text/html"),
        "{}",
        content_type(&root)
    );
    let html = root.text().await.unwrap();
    assert!(html.contains("<script src=\"/console/app.js\">"), "{html}");
    assert!(html.contains("/console/style.css"), "{html}");

    for (file, kind, holds) in [
        (
            "app.js",
            "text/javascript",
            "new EventSource(\"/v1/events\")",
        ),
        ("style.css", "text/css", "font"),
        ("index.html", "text/html", "Plexus console"),
    ] {
        let resp = reqwest::get(format!("{base}/console/{file}"))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{file}");
        assert!(
            content_type(&resp).starts_with(kind),
            "{file}: {}",
            content_type(&resp)
        );
        assert!(resp.text().await.unwrap().contains(holds), "{file}");
    }

    let missing = reqwest::get(format!("{base}/console/secrets.js"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "no_such_file", "{body}");

    // The console learns of oracles only when told.
    let settings: Value = reqwest::get(format!("{base}/v1/console"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["oracles"], serde_json::json!([]));
    node.console
        .set_oracles(vec!["http://127.0.0.1:26651".to_string()]);
    let settings: Value = reqwest::get(format!("{base}/v1/console"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        settings["oracles"],
        serde_json::json!(["http://127.0.0.1:26651"])
    );
    node.shutdown().await.unwrap();
}

/// The `block` events in what a stream has sent so far, in order.
fn block_events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter(|frame| frame.lines().any(|l| l == "event: block"))
        .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data: ")))
        .map(|data| serde_json::from_str(data).expect("a block event's data is JSON"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_to_events_hears_of_a_block_committed_after_it_subscribed() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), CHAIN, &alice).await;
    let base = format!("http://{}", node.api_addr);

    let mut stream = reqwest::get(format!("{base}/v1/events")).await.unwrap();
    assert_eq!(stream.status(), 200);
    assert!(content_type(&stream).starts_with("text/event-stream"));
    // Subscribed before the answer's headers came: a transfer sent now lands in a later block.
    let transfer = UnsignedTx {
        chain_id: CHAIN.into(),
        nonce: 0,
        fee: Amount(1_000),
        body: Body::Transfer {
            to: Address([3; 20]),
            amount: Amount(5),
        },
    }
    .sign(&alice);
    let submitted = reqwest::Client::new()
        .post(format!("{base}/v1/txs"))
        .header("content-type", "application/octet-stream")
        .body(transfer.bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 202);

    let mut text = String::new();
    let with_the_transfer = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the event stream ended");
            text.push_str(std::str::from_utf8(&chunk).unwrap());
            if let Some(block) = block_events(&text).into_iter().find(|b| b["txs"] == 1) {
                return block;
            }
        }
    })
    .await
    .expect("no event of the block with the transfer within 10 s");

    let height = with_the_transfer["height"].as_u64().unwrap();
    let block: Value = reqwest::get(format!("{base}/v1/blocks/{height}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(with_the_transfer["hash"], block["hash"]);
    assert_eq!(with_the_transfer["app_hash"], block["app_hash"]);
    assert_eq!(with_the_transfer["time_ms"], block["time_ms"]);
    assert_eq!(block["txs"][0], transfer.hash.to_hex(), "{block}");
    // Events come in height order, without gaps.
    let heights: Vec<u64> = block_events(&text)
        .iter()
        .map(|b| b["height"].as_u64().unwrap())
        .collect();
    assert!(heights.windows(2).all(|w| w[1] == w[0] + 1), "{heights:?}");
    node.shutdown().await.unwrap();
}
