//! Who may write to a blob service, over loopback HTTP: a provider takes only the blobs
//! assigned to it; a node takes only uploads signed by an account that may upload, within its
//! quota; a partial upload that stops growing expires.

use plexus_blobs::client::{BlobClient, PreparedBlob};
use plexus_blobs::upload_auth::{KeySigner, SigningTransport, UploadAuth, UploadRefused};
use plexus_blobs::upload_gate::{ListedBlobs, SignedUploads, UploadAccounts, UploadGate};
use plexus_blobs::{http, BlobId, BlobState, BlobStore, StoreError};
use plexus_transport::HttpTransport;
use plexus_types::{Address, PublicKey, SecretKey};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const CHAIN: &str = "plexus-test";

fn blob_file(dir: &Path, name: &str, len: usize, fill: u8) -> PreparedBlob {
    let path = dir.join(name);
    let bytes: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(fill)).collect();
    std::fs::write(&path, bytes).unwrap();
    PreparedBlob::prepare(&path).unwrap()
}

async fn serve(store: Arc<BlobStore>, gate: Arc<dyn UploadGate>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = http::router(store, gate);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A client whose uploads `key` signs on `clock`.
fn signed_client(key: &SecretKey, clock: Arc<AtomicU64>) -> BlobClient {
    let signer = KeySigner::with_clock(
        key.clone(),
        CHAIN,
        Arc::new(move || clock.load(Ordering::SeqCst)),
    );
    let http = HttpTransport::new(None, Duration::from_secs(5)).unwrap();
    BlobClient::with_transport(Arc::new(SigningTransport::new(
        Arc::new(http),
        Arc::new(signer),
    )))
}

/// Accounts as a ledger would answer: only the listed keys may upload.
struct Funded(Vec<PublicKey>);

impl UploadAccounts for Funded {
    fn account_of(&self, signer: &PublicKey) -> Result<Address, UploadRefused> {
        if self.0.contains(signer) {
            Ok(Address::from_public_key(signer))
        } else {
            Err(UploadRefused::new(
                axum::http::StatusCode::FORBIDDEN,
                "unfunded",
                "no funds",
            ))
        }
    }
}

const NOW_MS: u64 = 1_800_000_000_000;

fn node_gate(funded: &[&SecretKey], quota: u64) -> SignedUploads<Funded> {
    SignedUploads::new(
        CHAIN,
        Arc::new(|| NOW_MS),
        Funded(funded.iter().map(|k| k.public_key()).collect()),
        quota,
    )
}

fn leaves_no_trace(store: &BlobStore, id: BlobId) {
    assert_eq!(store.status(id).unwrap().state, BlobState::Absent);
    let partial = std::fs::read_dir(store.dir().join("partial"))
        .unwrap()
        .count();
    assert_eq!(partial, 0, "nothing was written under partial/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_upload_to_a_provider() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BlobStore::open(dir.path().join("store")).unwrap());
    let assigned = Arc::new(ListedBlobs::default());
    let url = serve(store.clone(), assigned.clone()).await;
    let theirs = blob_file(dir.path(), "theirs", 300_000, 3);
    let deal = blob_file(dir.path(), "deal", 200_000, 5);
    assigned.set([deal.id]);

    let client = BlobClient::new();
    let err = client.put(&url, &theirs).await.unwrap_err().to_string();
    assert!(err.contains("403") && err.contains("not_assigned"), "{err}");
    leaves_no_trace(&store, theirs.id);

    // The blob of a deal the chain assigned is taken, verified, and kept.
    assert_eq!(
        client.put(&url, &deal).await.unwrap().state,
        BlobState::Complete
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_upload_to_the_node_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BlobStore::open(dir.path().join("store")).unwrap());
    let funded = SecretKey::from_seed([1; 32]);
    let stranger = SecretKey::from_seed([2; 32]);
    let url = serve(store.clone(), Arc::new(node_gate(&[&funded], 1 << 30))).await;
    let blob = blob_file(dir.path(), "blob", 100_000, 7);
    let clock = Arc::new(AtomicU64::new(NOW_MS));

    let refused = |client: BlobClient| {
        let (url, blob) = (&url, &blob);
        async move { client.put(url, blob).await.unwrap_err().to_string() }
    };
    let err = refused(BlobClient::new()).await;
    assert!(err.contains("401") && err.contains("unsigned"), "{err}");
    let err = refused(signed_client(&stranger, clock.clone())).await;
    assert!(err.contains("403") && err.contains("unfunded"), "{err}");
    // A signature from ten minutes ago is refused, so a captured one does not last.
    clock.store(NOW_MS - 10 * 60 * 1000, Ordering::SeqCst);
    let err = refused(signed_client(&funded, clock.clone())).await;
    assert!(err.contains("stale_signature"), "{err}");
    leaves_no_trace(&store, blob.id);

    // A signature over another size does not authorize this one.
    let http = reqwest::Client::new();
    let mut headers = axum::http::HeaderMap::new();
    UploadAuth::sign(&funded, CHAIN, blob.id, blob.size + 1, NOW_MS).to_headers(&mut headers);
    let mut request = http.put(format!("{url}/v1/blobs/{}?size={}", blob.id, blob.size));
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.to_str().unwrap());
    }
    let answer = request.body(vec![0u8; 10]).send().await.unwrap();
    assert_eq!(answer.status(), 401);
    assert!(answer.text().await.unwrap().contains("bad_signature"));
    leaves_no_trace(&store, blob.id);

    clock.store(NOW_MS, Ordering::SeqCst);
    let status = signed_client(&funded, clock)
        .put(&url, &blob)
        .await
        .unwrap();
    assert_eq!(status.state, BlobState::Complete);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_past_the_quota_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BlobStore::open(dir.path().join("store")).unwrap());
    let account = SecretKey::from_seed([1; 32]);
    let gate = Arc::new(node_gate(&[&account], 500_000));
    let url = serve(store.clone(), gate.clone()).await;
    let client = signed_client(&account, Arc::new(AtomicU64::new(NOW_MS)));
    let first = blob_file(dir.path(), "first", 300_000, 3);
    let second = blob_file(dir.path(), "second", 300_000, 5);

    client.put(&url, &first).await.unwrap();
    // Putting the same blob again costs nothing more.
    client.put(&url, &first).await.unwrap();
    assert_eq!(
        gate.quota()
            .used(&Address::from_public_key(&account.public_key())),
        300_000
    );
    let err = client.put(&url, &second).await.unwrap_err().to_string();
    assert!(
        err.contains("429") && err.contains("quota_exceeded"),
        "{err}"
    );
    leaves_no_trace(&store, second.id);
}

#[test]
fn stale_partials_expire() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).unwrap();
    let bytes: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let source = BlobStore::open(dir.path().join("source")).unwrap();
    let path = dir.path().join("bytes");
    std::fs::write(&path, &bytes).unwrap();
    let (id, size) = source.import_file(&path).unwrap();
    let mut encoded = Vec::new();
    source.encode(id, 0, size, &mut encoded).unwrap();
    // An upload that stops half way, as an abandoned one does.
    let err = store
        .receive(id, size, 0, &encoded[..encoded.len() / 2])
        .unwrap_err();
    assert!(matches!(err, StoreError::Incomplete { .. }), "{err}");
    assert_eq!(store.status(id).unwrap().state, BlobState::Partial);
    let written = ["meta", "data", "obao"]
        .iter()
        .map(|ext| {
            let path = dir.path().join(format!("partial/{id}.{ext}"));
            std::fs::metadata(path).unwrap().modified().unwrap()
        })
        .max()
        .unwrap();
    let ttl = Duration::from_secs(3600);

    // Not yet stale: kept, and the upload can resume.
    let early = written + ttl - Duration::from_secs(1);
    assert!(store.expire_partials(early, ttl).unwrap().is_empty());
    assert_eq!(store.status(id).unwrap().state, BlobState::Partial);
    // Stale: every file of it is gone.
    let late = written + ttl + Duration::from_secs(1);
    assert_eq!(store.expire_partials(late, ttl).unwrap(), vec![id]);
    assert_eq!(store.status(id).unwrap().state, BlobState::Absent);
    let left: Vec<_> = std::fs::read_dir(dir.path().join("partial"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Complete blobs never expire.
    store.receive(id, size, 0, &encoded[..]).unwrap();
    let much_later = SystemTime::now() + ttl * 100;
    assert!(store.expire_partials(much_later, ttl).unwrap().is_empty());
    assert_eq!(store.status(id).unwrap().state, BlobState::Complete);
}
