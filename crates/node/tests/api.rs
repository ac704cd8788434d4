//! The HTTP API answers bad input with a 4xx and a JSON error, and keeps working.

use plexus_types::{Address, Amount, Body, SecretKey, UnsignedTx};
use serde_json::Value;
use std::time::Duration;

mod common;

const CHAIN: &str = "plexus-api-test";

fn transfer(key: &SecretKey, chain_id: &str, nonce: u64) -> Vec<u8> {
    UnsignedTx {
        chain_id: chain_id.into(),
        nonce,
        fee: Amount(1_000),
        body: Body::Transfer {
            to: Address([3; 20]),
            amount: Amount(5),
        },
    }
    .sign(key)
    .bytes
}

async fn expect_error(resp: reqwest::Response, status: u16, code: &str) {
    assert_eq!(resp.status().as_u16(), status, "expected {status} {code}");
    let body: Value = resp.json().await.expect("error bodies are JSON");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        !body["error"]["message"].as_str().unwrap_or("").is_empty(),
        "error without a message: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_clear_4xx_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), CHAIN, &alice).await;
    let base = format!("http://{}", node.api_addr);
    let http = reqwest::Client::new();
    let post_raw = |body: Vec<u8>| {
        http.post(format!("{base}/v1/txs"))
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };

    expect_error(
        post_raw(b"\xff\xfe garbage".to_vec()).await.unwrap(),
        400,
        "malformed",
    )
    .await;
    expect_error(post_raw(vec![0x0a; 40_000]).await.unwrap(), 400, "oversize").await;
    expect_error(
        post_raw(transfer(&alice, "another-chain", 0))
            .await
            .unwrap(),
        400,
        "wrong_chain_id",
    )
    .await;
    // A transaction whose payload claims alice but is signed by mallory.
    let forged = {
        use prost::Message;
        let good = UnsignedTx {
            chain_id: CHAIN.into(),
            nonce: 0,
            fee: Amount(1_000),
            body: Body::Transfer {
                to: Address([3; 20]),
                amount: Amount(5),
            },
        }
        .sign(&alice);
        plexus_types::proto::SignedTx {
            signature: SecretKey::from_seed([66; 32])
                .sign(&good.payload)
                .to_bytes()
                .to_vec(),
            payload: good.payload,
        }
        .encode_to_vec()
    };
    expect_error(post_raw(forged).await.unwrap(), 400, "invalid_signature").await;
    let json_post = |body: &'static str| {
        http.post(format!("{base}/v1/txs"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    expect_error(json_post("{\"tx\": \"zz\"}").await.unwrap(), 400, "bad_hex").await;
    expect_error(
        json_post("{\"tx\": \"00\", \"extra\": 1}").await.unwrap(),
        400,
        "bad_json",
    )
    .await;
    expect_error(json_post("not json").await.unwrap(), 400, "bad_json").await;
    let get = |path: String| http.get(format!("{base}{path}")).send();
    expect_error(
        get("/v1/txs/not-a-hash".into()).await.unwrap(),
        400,
        "bad_hash",
    )
    .await;
    let unknown = get(format!("/v1/txs/{}", "ab".repeat(32))).await.unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(unknown.json::<Value>().await.unwrap()["status"], "unknown");
    expect_error(
        get("/v1/accounts/plx1nope".into()).await.unwrap(),
        400,
        "bad_address",
    )
    .await;
    let alice_addr = Address::from_public_key(&alice.public_key());
    expect_error(
        get(format!("/v1/accounts/{alice_addr}?height=abc"))
            .await
            .unwrap(),
        400,
        "bad_query",
    )
    .await;
    expect_error(
        get(format!("/v1/accounts/{alice_addr}?height=99999999"))
            .await
            .unwrap(),
        404,
        "height_not_committed",
    )
    .await;
    expect_error(
        get("/v1/blocks/minus-one".into()).await.unwrap(),
        400,
        "bad_height",
    )
    .await;
    expect_error(
        get("/v1/blocks/99999999".into()).await.unwrap(),
        404,
        "no_such_block",
    )
    .await;
    expect_error(get("/no/such/path".into()).await.unwrap(), 404, "not_found").await;

    // Nothing above changed alice's account; a valid transfer still goes through.
    let acct: Value = get(format!("/v1/accounts/{alice_addr}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(acct["nonce"], 0);
    assert_eq!(acct["balance"], "1000000000");
    let (tx, mut blocks) = tokio::sync::watch::channel(0u64);
    node.chain.on_commit(Box::new(move |block| {
        let _ = tx.send(block.height);
    }));
    let ok = post_raw(transfer(&alice, CHAIN, 0)).await.unwrap();
    assert_eq!(ok.status().as_u16(), 202);
    let hash = ok.json::<Value>().await.unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_string();
    // Asked again after each committed block, for at most 5 s.
    let committed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let v: Value = get(format!("/v1/txs/{hash}"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if v["status"] == "committed" {
                return v;
            }
            blocks.changed().await.expect("the node stopped");
        }
    })
    .await
    .expect("the transfer was not committed within 5 s");
    assert_eq!(committed["code"], "ok", "{committed}");
    // Replaying the committed transaction is refused.
    expect_error(
        post_raw(transfer(&alice, CHAIN, 0)).await.unwrap(),
        400,
        "nonce_too_low",
    )
    .await;

    let metrics = get("/metrics".into()).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("plexus_height"), "{metrics}");
    assert!(metrics.contains("plexus_txs_rejected_total"), "{metrics}");
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_at_a_pruned_height_is_refused_with_410_naming_the_oldest_kept_height() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start_keeping(dir.path(), CHAIN, &alice, 3).await;
    let base = format!("http://{}", node.api_addr);
    let get = |path: String| reqwest::get(format!("{base}{path}"));
    // Empty blocks come every 100 ms; wait (up to 20 s) for the commit of height 8.
    let (tx, mut committed) = tokio::sync::watch::channel(node.chain.status().height);
    node.chain.on_commit(Box::new(move |block| {
        let _ = tx.send(block.height);
    }));
    tokio::time::timeout(Duration::from_secs(20), committed.wait_for(|h| *h >= 8))
        .await
        .expect("the node made no blocks")
        .expect("the node stopped");
    let alice_addr = Address::from_public_key(&alice.public_key());
    let gone = get(format!("/v1/accounts/{alice_addr}?height=1"))
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 410);
    let body: Value = gone.json().await.unwrap();
    assert_eq!(body["error"]["code"], "height_pruned", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("height 1 is pruned"), "{message}");
    assert!(message.contains("keeps heights"), "{message}");
    // The newest height still proves; the block log keeps the same heights as the state.
    let now = node.chain.status().height;
    let acct: Value = get(format!("/v1/accounts/{alice_addr}?height={now}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(acct["height"], now, "{acct}");
    assert_eq!(acct["balance"], "1000000000", "{acct}");
    let first = node.chain.first_block_height();
    assert!(first > 1, "the oldest blocks were pruned with their state");
    let block: Value = get(format!("/v1/blocks/{first}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(block["app_hash"].is_string(), "{block}");
    let old: Value = get("/v1/blocks/1".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message = old["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("keeps blocks from {first}")),
        "{old}"
    );
    node.shutdown().await.unwrap();
}

/// `schema`, or the component it refers to.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// `answer` has every field `schema` requires, and no field it does not name unless it allows
/// more.
fn assert_fits(path: &str, schema: &Value, answer: &Value) {
    let answered: Vec<&String> = answer.as_object().unwrap().keys().collect();
    let named = schema["properties"].as_object().unwrap();
    for required in schema["required"].as_array().into_iter().flatten() {
        let required = required.as_str().unwrap();
        assert!(
            answered.iter().any(|k| k.as_str() == required),
            "{path}: the answer lacks {required}: {answer}"
        );
    }
    if schema.get("additionalProperties").is_none() {
        for key in answered {
            assert!(
                named.contains_key(key),
                "{path}: {key} is not in the schema: {answer}"
            );
        }
    }
}

/// `/v1/devices/{key}` → `/v1/devices/1`: a value of the right place, if not of the right form.
fn fill_path_params(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => inside = true,
            '}' => {
                inside = false;
                out.push('1');
            }
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_only_routes_the_node_serves() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), CHAIN, &alice).await;
    let base = format!("http://{}", node.api_addr);
    let doc: Value = reqwest::get(format!("{base}/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Every documented method and path is served: none falls through to the "no such
    // endpoint" answer or is refused as a method the path does not take.
    let client = reqwest::Client::new();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 30, "{} paths", paths.len());
    for (path, item) in paths {
        let url = format!("{base}{}", fill_path_params(path));
        for method in item.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = client.request(method.clone(), &url).send().await.unwrap();
            let status = response.status().as_u16();
            // An event stream never ends; its status and headers are the answer.
            let streams = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
            let body = match streams {
                true => String::new(),
                false => response.text().await.unwrap(),
            };
            let fell_through = status == 404 && body.contains("no such endpoint");
            assert!(
                !fell_through && status != 405,
                "{method} {path} is documented but not served: {status} {body}"
            );
        }
    }
    // Every JSON answer the node gives a plain GET has the fields its schema names.
    let alice_address = Address::from_public_key(&alice.public_key()).to_string();
    let mut checked = 0;
    for (path, item) in paths {
        let Some(schema) = item["get"]["responses"]["200"]["content"]["application/json"]
            .get("schema")
            .map(|s| resolve(&doc, s))
        else {
            continue;
        };
        let url = match path.as_str() {
            "/v1/epochs/{epoch}" => format!("{base}/v1/epochs/latest"),
            p if p.contains("{address}") => {
                format!("{base}{}", p.replace("{address}", &alice_address))
            }
            p if p.contains('{') => continue,
            p => format!("{base}{p}"),
        };
        let response = client.get(&url).send().await.unwrap();
        if response.status() != 200 || schema.get("properties").is_none() {
            continue;
        }
        let answer: Value = response.json().await.unwrap();
        assert_fits(path, schema, &answer);
        checked += 1;
    }
    assert!(
        checked >= 12,
        "only {checked} answers checked against their schemas"
    );
    node.shutdown().await.unwrap();
}
