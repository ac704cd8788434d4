//! A storage device's agent keeps the blobs the chain assigns to it: it fetches each from
//! the node (verifying every byte), serves it, and reports a blob it cannot fetch.

use axum::routing::get;
use plexus_agent::ReplicaKeeper;
use plexus_blobs::client::{BlobClient, PreparedBlob};
use plexus_blobs::upload_gate::NoUploads;
use plexus_blobs::{http, BlobId, BlobState, BlobStore};
use plexus_client::views::{DealStatusView, DealView, DealsView};
use plexus_client::{HttpTransport, NodeClient};
use plexus_types::{Address, Amount, Hash, SecretKey};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An open deal of `blob`, as the node lists it.
fn deal(id: u64, blob: BlobId) -> DealView {
    DealView {
        id,
        client: Address::from_public_key(&SecretKey::from_seed([1; 32]).public_key()),
        blob: Hash(blob.0),
        size: 1,
        replicas: 1,
        price_per_replica_epoch: Amount(1),
        first_epoch: 1,
        last_epoch: 9,
        escrow: Amount(9),
        paid: Amount(0),
        refunded: Amount(0),
        providers: vec![],
        failed: vec![],
        handovers: vec![],
        status: DealStatusView::Open,
        created_height: 1,
        assigned: None,
    }
}

/// A node that serves blobs from `store` and lists `deals` as the open deals of any device.
async fn fake_node(store: Arc<BlobStore>, deals: Arc<Mutex<Vec<BlobId>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let deals_route = get(move || {
        let deals = deals.lock().unwrap().clone();
        async move {
            let deals = deals
                .iter()
                .enumerate()
                .map(|(i, b)| deal(i as u64, *b))
                .collect();
            axum::Json(DealsView {
                height: 1,
                deals,
                next: None,
            })
        }
    });
    let app = axum::Router::new()
        .route("/v1/storage/deals", deals_route)
        .merge(http::router(store, Arc::new(NoUploads)));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assigned_blob_is_fetched_verified_kept_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let node_store = Arc::new(BlobStore::open(dir.path().join("node")).unwrap());
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = dir.path().join("blob");
    std::fs::write(&file, &bytes).unwrap();
    let (id, _) = node_store.import_file(&file).unwrap();
    let missing = BlobId::of(b"nobody has this");
    let deals = Arc::new(Mutex::new(vec![id]));
    let node = fake_node(node_store, deals.clone()).await;

    let transport = Arc::new(HttpTransport::new(None, Duration::from_secs(3)).unwrap());
    let keeper = ReplicaKeeper::open(
        &dir.path().join("agent"),
        Arc::new(NodeClient::new(&node).unwrap()),
        &node,
        transport,
        &SecretKey::from_seed([3; 32]),
        &[],
    )
    .unwrap();
    let report = keeper.sync_once().await.unwrap();
    assert_eq!(report.fetched, vec![id]);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(
        keeper.store().status(id).unwrap().state,
        BlobState::Complete
    );

    // Served by the agent's own blob service, byte for byte.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let served = format!("http://{}", listener.local_addr().unwrap());
    let router = keeper.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let out = dir.path().join("out");
    BlobClient::new()
        .get(std::slice::from_ref(&served), id, &out)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);

    // Kept blobs are not fetched again; one nobody serves is reported and not kept.
    deals.lock().unwrap().push(missing);
    let report = keeper.sync_once().await.unwrap();
    assert_eq!(report.assigned, vec![id, missing]);
    assert!(report.fetched.is_empty());
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, missing);
    assert_eq!(
        keeper.store().status(missing).unwrap().state,
        BlobState::Absent
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_upload_to_a_storage_agent() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, fill: u8| {
        let path = dir.path().join(name);
        let bytes: Vec<u8> = (0..150_000u32)
            .map(|i| (i as u8).wrapping_mul(fill))
            .collect();
        std::fs::write(&path, bytes).unwrap();
        PreparedBlob::prepare(&path).unwrap()
    };
    let junk = write("junk", 3);
    let assigned = write("assigned", 5);
    // The node lists a deal of `assigned` but has no copy: the device must be sent it.
    let node_store = Arc::new(BlobStore::open(dir.path().join("node")).unwrap());
    let deals = Arc::new(Mutex::new(vec![assigned.id]));
    let node = fake_node(node_store, deals).await;
    let transport = Arc::new(HttpTransport::new(None, Duration::from_secs(3)).unwrap());
    let keeper = ReplicaKeeper::open(
        &dir.path().join("agent"),
        Arc::new(NodeClient::new(&node).unwrap()),
        &node,
        transport,
        &SecretKey::from_seed([3; 32]),
        &[],
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let served = format!("http://{}", listener.local_addr().unwrap());
    let router = keeper.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = BlobClient::new();

    // Before the agent has read its deals, it takes nothing.
    let err = client
        .put(&served, &assigned)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not_assigned"), "{err}");
    keeper.sync_once().await.unwrap();
    let err = client.put(&served, &junk).await.unwrap_err().to_string();
    assert!(err.contains("403") && err.contains("not_assigned"), "{err}");
    assert_eq!(
        keeper.store().status(junk.id).unwrap().state,
        BlobState::Absent
    );
    // The blob of its deal is taken and kept.
    let status = client.put(&served, &assigned).await.unwrap();
    assert_eq!(status.state, BlobState::Complete);
}
