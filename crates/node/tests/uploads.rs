//! Blob uploads to a running node: only signed uploads from funded accounts, each account
//! within its quota; refused uploads leave nothing behind.
mod common;

use plexus_blobs::client::{BlobClient, PreparedBlob};
use plexus_blobs::upload_auth::{KeySigner, SigningTransport};
use plexus_blobs::BlobState;
use plexus_node::UploadSettings;
use plexus_transport::HttpTransport;
use plexus_types::SecretKey;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const CHAIN: &str = "plexus-uploads-test";

fn blob_file(dir: &Path, name: &str, len: usize, fill: u8) -> PreparedBlob {
    let path = dir.join(name);
    let bytes: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(fill)).collect();
    std::fs::write(&path, bytes).unwrap();
    PreparedBlob::prepare(&path).unwrap()
}

fn signed_by(key: &SecretKey) -> BlobClient {
    let http = HttpTransport::new(None, Duration::from_secs(5)).unwrap();
    let signer = KeySigner::new(key.clone(), CHAIN);
    BlobClient::with_transport(Arc::new(SigningTransport::new(
        Arc::new(http),
        Arc::new(signer),
    )))
}

async fn refused(client: &BlobClient, url: &str, blob: &PreparedBlob) -> String {
    let err = client.put(url, blob).await.unwrap_err().to_string();
    let status = BlobClient::new().status(url, blob.id).await.unwrap();
    assert_eq!(
        status.state,
        BlobState::Absent,
        "a refused upload leaves nothing"
    );
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_or_unfunded_upload_to_the_node_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(home.path(), CHAIN, &alice).await;
    let url = format!("http://{}", node.api_addr);
    let blob = blob_file(home.path(), "blob", 200_000, 3);

    let err = refused(&BlobClient::new(), &url, &blob).await;
    assert!(err.contains("401") && err.contains("unsigned"), "{err}");
    let stranger = SecretKey::from_seed([2; 32]);
    let err = refused(&signed_by(&stranger), &url, &blob).await;
    assert!(err.contains("403") && err.contains("unfunded"), "{err}");
    // A signature for another chain is not one for this node.
    let http = HttpTransport::new(None, Duration::from_secs(5)).unwrap();
    let elsewhere = BlobClient::with_transport(Arc::new(SigningTransport::new(
        Arc::new(http),
        Arc::new(KeySigner::new(alice.clone(), "another-chain")),
    )));
    let err = refused(&elsewhere, &url, &blob).await;
    assert!(err.contains("bad_signature"), "{err}");

    let status = signed_by(&alice).put(&url, &blob).await.unwrap();
    assert_eq!(status.state, BlobState::Complete);
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_past_the_quota_are_refused_by_the_node() {
    let home = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let uploads = UploadSettings {
        quota_bytes: 300_000,
        ..UploadSettings::default()
    };
    let node = common::start_with_uploads(home.path(), CHAIN, &alice, uploads).await;
    let url = format!("http://{}", node.api_addr);
    let client = signed_by(&alice);

    let first = blob_file(home.path(), "first", 200_000, 3);
    client.put(&url, &first).await.unwrap();
    let second = blob_file(home.path(), "second", 200_000, 5);
    let err = refused(&client, &url, &second).await;
    assert!(
        err.contains("429") && err.contains("quota_exceeded"),
        "{err}"
    );
    node.shutdown().await.unwrap();
}
