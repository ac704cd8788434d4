//! Blobs over loopback HTTP: put, get, resume, and what happens with bytes that do not verify.

use plexus_blobs::client::{BlobClient, PreparedBlob};
use plexus_blobs::upload_gate::OpenUploads;
use plexus_blobs::{http, BlobId, BlobState, BlobStore, StoreError};
use rand::{RngCore, SeedableRng};
use std::path::Path;
use std::sync::Arc;

fn random_file(dir: &Path, name: &str, len: usize, seed: u64) -> (std::path::PathBuf, Vec<u8>) {
    let mut bytes = vec![0u8; len];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

async fn serve(store: Arc<BlobStore>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // A loopback service that no stranger reaches; the gates have their own tests.
    let app = http::router(store, Arc::new(OpenUploads));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn prepare(path: &Path) -> PreparedBlob {
    PreparedBlob::prepare(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_blob_comes_back_byte_identical_and_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BlobStore::open(dir.path().join("store")).unwrap());
    let url = serve(store.clone()).await;
    // Not a multiple of the chunk group, so the last group is short.
    let (path, bytes) = random_file(dir.path(), "in", 3 * 1024 * 1024 + 12_345, 1);
    let blob = prepare(&path);
    assert_eq!(blob.id, BlobId::of(&bytes));

    let client = BlobClient::new();
    let status = client.put(&url, &blob).await.unwrap();
    assert_eq!(status.state, BlobState::Complete);
    assert_eq!(store.list().unwrap(), vec![(blob.id, bytes.len() as u64)]);

    let out = dir.path().join("out");
    let report = client
        .get(std::slice::from_ref(&url), blob.id, &out)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    assert!(report.failures.is_empty(), "{:?}", report.failures);

    // A second put of the same bytes is a no-op that answers complete.
    assert_eq!(
        client.put(&url, &blob).await.unwrap().state,
        BlobState::Complete
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_byte_is_caught_and_that_range_comes_from_another_provider() {
    let dir = tempfile::tempdir().unwrap();
    let honest = Arc::new(BlobStore::open(dir.path().join("honest")).unwrap());
    let corrupt = Arc::new(BlobStore::open(dir.path().join("corrupt")).unwrap());
    let (path, bytes) = random_file(dir.path(), "in", 5 * 1024 * 1024, 2);
    let (id, _) = honest.import_file(&path).unwrap();
    corrupt.import_file(&path).unwrap();
    // Flip one byte in the middle of the corrupt provider's copy.
    let bad_at = 2 * 1024 * 1024 + 777;
    let mut copy = std::fs::read(corrupt.data_path(id)).unwrap();
    copy[bad_at] ^= 0x40;
    std::fs::write(corrupt.data_path(id), copy).unwrap();

    let corrupt_url = serve(corrupt).await;
    let honest_url = serve(honest).await;
    let out = dir.path().join("out");
    let report = BlobClient::new()
        .get(&[corrupt_url.clone(), honest_url.clone()], id, &out)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    let failure = &report.failures[0];
    assert_eq!(failure.source, corrupt_url);
    assert!(failure.start <= bad_at as u64 && (bad_at as u64) < failure.end);
    assert!(
        failure.reason.contains("hash mismatch"),
        "{}",
        failure.reason
    );
    // The corrupt provider's verified bytes before the bad chunk group were kept.
    assert_eq!(report.bytes_from[0].1, failure.start);
    assert_eq!(report.bytes_from[1].1, bytes.len() as u64 - failure.start);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_is_never_served_and_resumes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = random_file(dir.path(), "in", 4 * 1024 * 1024 + 5, 3);
    let source = BlobStore::open(dir.path().join("source")).unwrap();
    let (id, size) = source.import_file(&path).unwrap();
    let mut encoded = Vec::new();
    source.encode(id, 0, size, &mut encoded).unwrap();

    let store_dir = dir.path().join("target");
    {
        let store = BlobStore::open(&store_dir).unwrap();
        // The sender stops a little past the middle, as a killed client or a dropped link would.
        let cut = encoded.len() / 2 + 1000;
        let err = store.receive(id, size, 0, &encoded[..cut]).unwrap_err();
        assert!(matches!(err, StoreError::Incomplete { .. }), "{err}");
        assert!(store.list().unwrap().is_empty());
        assert!(matches!(store.open_blob(id), Err(StoreError::NotFound(_))));
    }
    // Restart: the partial blob is still not served, and knows its verified prefix.
    let store = Arc::new(BlobStore::open(&store_dir).unwrap());
    let status = store.status(id).unwrap();
    assert_eq!(status.state, BlobState::Partial);
    assert!(
        status.verified > 1024 * 1024 && status.verified < size,
        "{status:?}"
    );
    let url = serve(store.clone()).await;
    let client = BlobClient::new();
    let err = client
        .get(std::slice::from_ref(&url), id, &dir.path().join("early"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no source"), "{err}");

    // The client resumes from the verified prefix and the blob completes.
    let status = client.put(&url, &prepare(&path)).await.unwrap();
    assert_eq!(status.state, BlobState::Complete);
    let out = dir.path().join("out");
    client.get(&[url], id, &out).await.unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_with_a_corrupted_byte_is_refused_at_that_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = random_file(dir.path(), "in", 2 * 1024 * 1024, 4);
    let source = BlobStore::open(dir.path().join("source")).unwrap();
    let (id, size) = source.import_file(&path).unwrap();
    let mut encoded = Vec::new();
    source.encode(id, 0, size, &mut encoded).unwrap();
    let flip = encoded.len() * 3 / 4;
    encoded[flip] ^= 1;

    let store = BlobStore::open(dir.path().join("target")).unwrap();
    let err = store.receive(id, size, 0, &encoded[..]).unwrap_err();
    let StoreError::Corrupt { verified, .. } = err else {
        panic!("expected a corrupt error, got {err}");
    };
    assert!(verified > 0 && verified < size);
    assert_eq!(store.status(id).unwrap().state, BlobState::Partial);
    assert!(store.list().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BlobStore::open(dir.path()).unwrap());
    let url = serve(store.clone()).await;
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{url}/v1/blobs/nothex"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let missing = BlobId::of(b"missing");
    let r = http
        .get(format!("{url}/v1/blobs/{missing}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .put(format!("{url}/v1/blobs/{missing}?size=100&offset=16384"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = http
        .put(format!("{url}/v1/blobs/{missing}?size=100"))
        .body(vec![0u8; 200])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(store.list().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_over_http_verifies_a_kept_blob_and_fails_a_lost_or_altered_one() {
    use plexus_blobs::retrievability::challenge_groups;
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BlobStore::open(dir.path().join("store")).unwrap());
    let (path, bytes) = random_file(dir.path(), "in", 2 * 1024 * 1024 + 99, 7);
    let (id, size) = store.import_file(&path).unwrap();
    let url = serve(store.clone()).await;
    let client = BlobClient::new();
    let deadline = Duration::from_secs(5);
    let groups = challenge_groups(id, size, &[3; 32], 8);

    let proved = client
        .challenge(&url, id, size, &groups, deadline, None)
        .await
        .unwrap();
    assert_eq!(proved, 8 * plexus_blobs::CHUNK_GROUP_BYTES);

    // Asked about other groups than it answers for, the verifier refuses: the answer is
    // checked against the challenge the verifier drew, not the one the prover chose.
    let other = challenge_groups(id, size, &[4; 32], 8);
    assert_ne!(other, groups);
    let answer = reqwest::get(format!(
        "{url}/v1/blobs/{id}/proof?groups={}",
        other
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    ))
    .await
    .unwrap()
    .bytes()
    .await
    .unwrap();
    assert!(plexus_blobs::retrievability::verify(id, size, &groups, &answer).is_err());

    // A malformed challenge is refused with a code.
    let bad = reqwest::get(format!("{url}/v1/blobs/{id}/proof?groups=1,x"))
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("bad_challenge"));

    // Altered bytes in a challenged group: the answer no longer verifies.
    let mut copy = std::fs::read(store.data_path(id)).unwrap();
    copy[(groups[2] * plexus_blobs::CHUNK_GROUP_BYTES + 11) as usize] ^= 1;
    std::fs::write(store.data_path(id), &copy).unwrap();
    let err = client
        .challenge(&url, id, size, &groups, deadline, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");

    // A deleted blob cannot be proved at all.
    std::fs::write(store.data_path(id), &bytes).unwrap();
    store.remove(id).unwrap();
    let err = client
        .challenge(&url, id, size, &groups, deadline, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("blob_not_found"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_whose_only_copy_rotted_is_refused_on_get_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BlobStore::open(dir.path().join("store")).unwrap());
    let (path, _) = random_file(dir.path(), "in", 6 * 1024 * 1024, 6);
    let (id, _) = store.import_file(&path).unwrap();
    // One flipped bit on the provider's disk, past the first decoder batch.
    let bad_at = 5 * 1024 * 1024 + 3;
    let mut copy = std::fs::read(store.data_path(id)).unwrap();
    copy[bad_at] ^= 0x02;
    std::fs::write(store.data_path(id), copy).unwrap();

    let url = serve(store).await;
    let out = dir.path().join("out");
    let err = BlobClient::new()
        .get(std::slice::from_ref(&url), id, &out)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("hash mismatch"), "{err}");
    // Neither the file nor the verified bytes before the bad group are left behind.
    assert!(!out.exists());
    assert!(!out.with_extension("part").exists());
}

/// A body that yields its bytes and then fails, as an upload's body does when the sender goes
/// away halfway (the HTTP handler hands the store exactly such a reader).
struct CutOff(std::io::Cursor<Vec<u8>>);

impl std::io::Read for CutOff {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(std::io::Error::other("the sender went away")),
            n => Ok(n),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_off_midway_leaves_no_blob_that_anyone_can_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = random_file(dir.path(), "in", 9 * 1024 * 1024 + 77, 7);
    let source = BlobStore::open(dir.path().join("source")).unwrap();
    let (id, size) = source.import_file(&path).unwrap();
    let mut encoded = Vec::new();
    source.encode(id, 0, size, &mut encoded).unwrap();

    let store = Arc::new(BlobStore::open(dir.path().join("target")).unwrap());
    // Half the encoding, then the body fails.
    encoded.truncate(encoded.len() / 2);
    let received = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            store.receive(id, size, 0, CutOff(std::io::Cursor::new(encoded)))
        })
        .await
        .unwrap()
    };
    assert!(received.is_err(), "{received:?}");
    // What verified before the cut is kept for a resume, but it is not a blob.
    let status = store.status(id).unwrap();
    assert_eq!(status.state, BlobState::Partial, "{status:?}");
    assert!(status.verified > 0 && status.verified < size, "{status:?}");
    assert!(store.list().unwrap().is_empty());
    assert!(matches!(store.open_blob(id), Err(StoreError::NotFound(_))));
    let url = serve(store.clone()).await;
    let err = BlobClient::new()
        .get(std::slice::from_ref(&url), id, &dir.path().join("out"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no source"), "{err}");
}
