//! `plexus bench storage`: blob put (signed and admitted as a node admits uploads) and get
//! throughput over loopback HTTP, next to one core's
//! blake3 throughput over the same file in the same run, and what verifying retrievability
//! challenges costs per GiB stored.

use crate::progress::{tracked, Steps};
use plexus_blobs::client::{BlobClient, PreparedBlob};
use plexus_blobs::retrievability::{challenge_groups, verify};
use plexus_blobs::upload_auth::{system_millis, KeySigner, SigningTransport, UploadRefused};
use plexus_blobs::upload_gate::{SignedUploads, UploadAccounts};
use plexus_blobs::{http, BlobStore, CHUNK_GROUP_BYTES};
use rand::{RngCore, SeedableRng};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Runs the benchmark and prints its report.
pub async fn run(mib: u64, dir: Option<&Path>, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!(mib > 0, "--mib must be at least 1");
    let report = bench_storage(mib, dir, json).await?;
    if json {
        crate::print_json(&report);
    } else {
        let f = |k: &str| report[k].as_f64().unwrap_or_default();
        println!(
            "put {:.0} MiB/s ({:.2}x), get {:.0} MiB/s ({:.2}x) of blake3 on one core {:.0} MiB/s\n\
             blake3 on all cores: {:.0} MiB/s (put {:.2}x, get {:.2}x of that)\n\
             copying the file and syncing it: {:.0} MiB/s (put {:.2}x, get {:.2}x of that)\n\
             verifying a challenge: {:.1} us",
            f("put_mib_per_sec"),
            f("put_ratio"),
            f("get_mib_per_sec"),
            f("get_ratio"),
            f("blake3_one_core_mib_per_sec"),
            f("blake3_all_cores_mib_per_sec"),
            f("put_ratio_to_all_cores"),
            f("get_ratio_to_all_cores"),
            f("copy_and_sync_mib_per_sec"),
            f("put_ratio_to_copy"),
            f("get_ratio_to_copy"),
            report["challenge"]["verify_us_per_challenge"].as_f64().unwrap_or_default(),
        );
    }
    Ok(())
}

/// The chain id uploads are signed for in the benchmark.
const BENCH_CHAIN: &str = "plexus-bench";

/// The benchmark's only funded account.
struct OneAccount(plexus_types::PublicKey);

impl UploadAccounts for OneAccount {
    fn account_of(
        &self,
        signer: &plexus_types::PublicKey,
    ) -> Result<plexus_types::Address, UploadRefused> {
        if *signer == self.0 {
            return Ok(plexus_types::Address::from_public_key(signer));
        }
        Err(UploadRefused::new(
            axum::http::StatusCode::FORBIDDEN,
            "unfunded",
            "not the benchmark's account",
        ))
    }
}

/// Serves `store` on loopback with uploads authenticated as a node's are (signed, checked
/// against the account, counted against a quota of `quota` bytes); answers its URL, a client
/// whose uploads the benchmark's account signs, and the server's task.
async fn serve_signed(
    store: Arc<BlobStore>,
    quota: u64,
) -> anyhow::Result<(
    String,
    BlobClient,
    tokio::task::JoinHandle<std::io::Result<()>>,
)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let uploader = plexus_types::SecretKey::from_seed([7; 32]);
    let gate = SignedUploads::new(
        BENCH_CHAIN,
        Arc::new(system_millis),
        OneAccount(uploader.public_key()),
        quota,
    );
    let app = http::router(store, Arc::new(gate));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let transport = plexus_client::HttpTransport::new(None, std::time::Duration::from_secs(5))?;
    let client = BlobClient::with_transport(Arc::new(SigningTransport::new(
        Arc::new(transport),
        Arc::new(KeySigner::new(uploader, BENCH_CHAIN)),
    )));
    Ok((url, client, server))
}

/// Chunk groups named by one challenge in the benchmark.
const GROUPS_PER_CHALLENGE: usize = 16;
/// Challenges timed for the verifier's cost.
const CHALLENGES: usize = 2_000;

/// Times blake3 over the file: on one core, or on every core (blake3's own multithreaded
/// hashing, fed 16 MiB at a time).
fn blake3_timed(path: &Path, all_cores: bool) -> anyhow::Result<f64> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; if all_cores { 16 << 20 } else { 1 << 20 }];
    let mut hasher = blake3::Hasher::new();
    let started = Instant::now();
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if all_cores {
            hasher.update_rayon(&buf[..n]);
        } else {
            hasher.update(&buf[..n]);
        }
    }
    std::hint::black_box(hasher.finalize());
    Ok(started.elapsed().as_secs_f64())
}

/// Second baseline: copying the file within the same directory and syncing it, which is
/// what a put and a get must at least do to keep the bytes durably.
fn copy_and_sync(from: &Path, to: &Path) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut input = std::fs::File::open(from)?;
    let mut output = std::fs::File::create(to)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        output.write_all(&buf[..n])?;
    }
    output.sync_all()?;
    let secs = started.elapsed().as_secs_f64();
    drop(output);
    std::fs::remove_file(to)?;
    Ok(secs)
}

/// `mib` MiB of seeded random bytes in a new file at `path`.
fn write_random_file(path: &Path, mib: u64) -> anyhow::Result<()> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut piece = vec![0u8; 1 << 20];
    for _ in 0..mib {
        rng.fill_bytes(&mut piece);
        out.write_all(&piece)?;
    }
    out.flush()?;
    Ok(())
}

/// Seconds to blake3-hash `input` on one core and on all, and to copy it to `copy` with fsync.
fn baselines(input: &Path, copy: &Path) -> anyhow::Result<(f64, f64, f64)> {
    // Warm the page cache so every phase reads the file from memory alike.
    blake3_timed(input, false)?;
    let hash_secs = blake3_timed(input, false)?;
    let hash_all_secs = blake3_timed(input, true)?;
    Ok((hash_secs, hash_all_secs, copy_and_sync(input, copy)?))
}

pub async fn bench_storage(
    mib: u64,
    dir: Option<&Path>,
    json: bool,
) -> anyhow::Result<serde_json::Value> {
    let mut steps = Steps::new(json, true);
    steps.step(format!("writing a {mib} MiB file of random bytes"));
    let tmp = match dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let size = mib * 1024 * 1024;
    let input = tmp.path().join("input");
    write_random_file(&input, mib)?;
    steps.step("baselines: blake3 on one core and on all, a copy with fsync");
    let (p, q) = (input.clone(), tmp.path().join("copy"));
    let (hash_secs, hash_all_secs, copy_secs) =
        tokio::task::spawn_blocking(move || baselines(&p, &q)).await??;

    let store = Arc::new(BlobStore::open(tmp.path().join("store"))?);
    let (url, client, server) = serve_signed(store.clone(), size).await?;

    steps.step("put: hashing the blob, then uploading it over loopback");
    let started = Instant::now();
    let p = input.clone();
    let blob = tokio::task::spawn_blocking(move || PreparedBlob::prepare(&p)).await??;
    let prepare_secs = started.elapsed().as_secs_f64();
    let upload_started = Instant::now();
    let bar = steps.byte_bar(size, "uploaded");
    tracked(&client, &bar).put(&url, &blob).await?;
    bar.finish_and_clear();
    let upload_secs = upload_started.elapsed().as_secs_f64();
    let put_secs = started.elapsed().as_secs_f64();

    steps.step("get: downloading and verifying the blob");
    let output = tmp.path().join("output");
    let started = Instant::now();
    let bar = steps.byte_bar(size, "downloaded");
    let sources = std::slice::from_ref(&url);
    tracked(&client, &bar)
        .get(sources, blob.id, &output)
        .await?;
    bar.finish_and_clear();
    let get_secs = started.elapsed().as_secs_f64();
    let p = output.clone();
    let got = tokio::task::spawn_blocking(move || PreparedBlob::prepare(&p)).await??;
    anyhow::ensure!(
        got.id == blob.id,
        "the downloaded blob differs from the input"
    );

    steps.step("challenges: verifying retrievability answers");
    // The verifier's side of retrievability challenges: re-derive the groups and check the
    // answer against the blob id. Answers are made beforehand, so only verification is timed.
    let id = blob.id;
    let challenge = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut cases = Vec::with_capacity(CHALLENGES);
        let mut answer_bytes = 0usize;
        for i in 0..CHALLENGES {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let groups = challenge_groups(id, size, &seed, GROUPS_PER_CHALLENGE);
            let mut answer = Vec::new();
            store.prove(id, &groups, &mut answer)?;
            answer_bytes += answer.len();
            cases.push((seed, answer));
        }
        let started = Instant::now();
        for (seed, answer) in &cases {
            let groups = challenge_groups(id, size, seed, GROUPS_PER_CHALLENGE);
            verify(id, size, &groups, answer).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok((started.elapsed().as_secs_f64(), answer_bytes))
    })
    .await??;
    server.abort();

    let (verify_secs, answer_bytes) = challenge;
    let mib_f = mib as f64;
    let per_challenge_us = verify_secs / CHALLENGES as f64 * 1e6;
    let gib = size as f64 / (1u64 << 30) as f64;
    steps.finish();
    Ok(serde_json::json!({
        "scenario": "storage",
        "bytes": size,
        "blake3_one_core_mib_per_sec": mib_f / hash_secs,
        "put_mib_per_sec": mib_f / put_secs,
        "put_hash_secs": prepare_secs,
        "put_upload_secs": upload_secs,
        "get_mib_per_sec": mib_f / get_secs,
        "put_ratio": hash_secs / put_secs,
        "get_ratio": hash_secs / get_secs,
        // A put and a get hash on every core; against blake3 on every core too they do two
        // full hashing passes (the sender's and the receiver's) and one, respectively.
        "blake3_all_cores_mib_per_sec": mib_f / hash_all_secs,
        "put_ratio_to_all_cores": hash_all_secs / put_secs,
        "get_ratio_to_all_cores": hash_all_secs / get_secs,
        // Second baseline: the disk. A put or a get writes every byte and syncs it.
        "copy_and_sync_mib_per_sec": mib_f / copy_secs,
        "put_ratio_to_copy": copy_secs / put_secs,
        "get_ratio_to_copy": copy_secs / get_secs,
        "challenge": {
            "groups_per_challenge": GROUPS_PER_CHALLENGE,
            "group_bytes": CHUNK_GROUP_BYTES,
            "challenges": CHALLENGES,
            "verify_us_per_challenge": per_challenge_us,
            "answer_bytes_per_challenge": answer_bytes / CHALLENGES,
            // One challenge per blob-GiB per epoch: what the verifier spends per GiB stored.
            "verify_us_per_gib_stored_one_challenge_per_gib": per_challenge_us,
            "fraction_of_stored_bytes_read_per_challenge":
                (GROUPS_PER_CHALLENGE as u64 * CHUNK_GROUP_BYTES) as f64 / size as f64,
            "blob_gib": gib,
        },
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    }))
}
