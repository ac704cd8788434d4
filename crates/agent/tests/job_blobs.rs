//! The blobs a provider's job runner downloads are held to the size the job's spec allows,
//! asked of the blob service before a byte is downloaded.

use axum::extract::Path as UrlPath;
use axum::routing::get;
use plexus_agent::jobs::fetch_bounded;
use plexus_blobs::client::BlobClient;
use plexus_blobs::{http, BlobId, BlobState, BlobStatus, BlobStore};
use plexus_types::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A blob service that says it holds every blob, complete, at a terabyte each, and counts the
/// downloads it is asked for.
async fn terabyte_service(downloads: Arc<AtomicUsize>) -> String {
    let status = get(|UrlPath(id): UrlPath<String>| async move {
        let id = BlobId(Hash::from_hex(&id).unwrap().0);
        axum::Json(BlobStatus {
            id,
            state: BlobState::Complete,
            size: Some(1 << 40),
            verified: 1 << 40,
        })
    });
    let download = get(move || {
        downloads.fetch_add(1, Ordering::SeqCst);
        async { "" }
    });
    serve(
        axum::Router::new()
            .route("/v1/blobs/{id}/status", status)
            .route("/v1/blobs/{id}", download),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_announced_at_a_terabyte_is_refused_without_a_download() {
    let downloads = Arc::new(AtomicUsize::new(0));
    let service = terabyte_service(downloads.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let id = Hash::of(b"a terabyte, they say");
    let fetched = fetch_bounded(&BlobClient::new(), &service, dir.path(), &id, 64 << 20)
        .await
        .expect("a refusal, not a failure to retry");
    let refusal = fetched.expect_err("a terabyte is over 64 MiB");
    assert!(refusal.contains("holds 1099511627776 bytes"), "{refusal}");
    assert_eq!(downloads.load(Ordering::SeqCst), 0);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_within_the_limit_is_downloaded_and_one_over_it_is_not() {
    let store_dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BlobStore::open(store_dir.path()).unwrap());
    let file = store_dir.path().join("input");
    std::fs::write(&file, vec![7u8; 1000]).unwrap();
    let (blob, _) = store.import_file(&file).unwrap();
    let service = serve(http::router(
        store,
        Arc::new(plexus_blobs::upload_gate::NoUploads),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let id = Hash(blob.0);
    let client = BlobClient::new();
    let over = fetch_bounded(&client, &service, dir.path(), &id, 999)
        .await
        .unwrap();
    assert!(over.is_err());
    let bytes = fetch_bounded(&client, &service, dir.path(), &id, 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bytes, vec![7u8; 1000]);
    // Kept, it is still held to the limit it is asked under.
    let kept = fetch_bounded(&client, &service, dir.path(), &id, 999)
        .await
        .unwrap();
    assert!(kept.is_err());
}
