//! Audit answers are the device's own: a service keeping replicas signs each answer with its
//! device key over the auditor's nonce, and an auditor takes no answer that the device the
//! chain assigned did not sign, however right its bytes.

use plexus_blobs::answer_auth::{AnswerCheck, AnswerSigner};
use plexus_blobs::client::BlobClient;
use plexus_blobs::retrievability::challenge_groups;
use plexus_blobs::upload_gate::NoUploads;
use plexus_blobs::{http, BlobStore};
use plexus_types::SecretKey;
use std::sync::Arc;
use std::time::Duration;

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_answered_by_another_devices_server_fails_its_audit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BlobStore::open(dir.path().join("store")).unwrap());
    let path = dir.path().join("blob");
    std::fs::write(&path, vec![5u8; 300_000]).unwrap();
    let (id, size) = store.import_file(&path).unwrap();

    // One server keeps the blob and holds device A's key; device B declares it as its own
    // endpoint, hoping to be paid for a replica it does not keep.
    let a = SecretKey::from_seed([1; 32]);
    let b = SecretKey::from_seed([2; 32]);
    let signer = AnswerSigner::new(a.clone());
    signer.set_chain("plexus-test");
    let app = http::signing_router(store.clone(), Arc::new(NoUploads), Some(signer));
    let server = serve(app).await;
    let unsigned = serve(http::router(store, Arc::new(NoUploads))).await;

    let client = BlobClient::new();
    let groups = challenge_groups(id, size, &[9; 32], 4);
    let deadline = Duration::from_secs(5);
    let check = |device: &SecretKey, chain: &str, nonce: u8| AnswerCheck {
        chain_id: chain.into(),
        device: device.public_key(),
        nonce: [nonce; 32],
    };
    let audit = |url: String, c: AnswerCheck| {
        let client = client.clone();
        let groups = groups.clone();
        async move {
            client
                .challenge(&url, id, size, &groups, deadline, Some(&c))
                .await
        }
    };

    // A's own answer passes.
    assert!(audit(server.clone(), check(&a, "plexus-test", 7))
        .await
        .is_ok());
    // The same bytes do not pass as B's.
    let err = audit(server.clone(), check(&b, "plexus-test", 7))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not signed by device"), "{err}");
    // An answer signed for another chain does not pass.
    let err = audit(server.clone(), check(&a, "other-chain", 7))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not signed by device"), "{err}");
    // A service that signs nothing answers for no device.
    let err = audit(unsigned, check(&a, "plexus-test", 7))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not signed"), "{err}");
    // Unaudited reads stay open: a challenge without a nonce still verifies its bytes.
    assert!(client
        .challenge(&server, id, size, &groups, deadline, None)
        .await
        .is_ok());
}
