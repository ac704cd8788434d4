//! `plexus bench storage`: blob put (signed and admitted as a node admits uploads) and get
//! throughput over loopback HTTP, next to copying the same file with an fsync (the disk's
//! pace) and to blake3 over it on one core and on all, each measured afresh in every one of
//! `--runs` runs; and what verifying retrievability challenges costs per GiB stored.

use super::stats::{cores, Spread};
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

/// A put and a get each keep up with this fraction of copying the file with an fsync.
pub const GOAL_RATIO_TO_COPY: f64 = 0.8;

/// Runs the benchmark and prints its report.
pub async fn run(mib: u64, runs: u16, dir: Option<&Path>, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!(mib > 0, "--mib must be at least 1");
    anyhow::ensure!((1..=100).contains(&runs), "--runs must be 1 to 100");
    let report = bench_storage(mib, runs, dir, json).await?;
    if json {
        crate::print_json(&report);
    } else {
        let spread = |k: &str| {
            let f = |field: &str| report[k][field].as_f64().unwrap_or_default();
            Spread {
                median: f("median"),
                min: f("min"),
                max: f("max"),
                runs: Vec::new(),
            }
        };
        println!(
            "{} runs of {mib} MiB on {} cores; medians (min–max):\n\
             put {} MiB/s, get {} MiB/s\n\
             copying the file and syncing it: {} MiB/s (put {}x, get {}x of that; goal {GOAL_RATIO_TO_COPY}x: {})\n\
             blake3 on one core {} MiB/s, on all cores {} MiB/s\n\
             verifying a challenge: {:.1} us",
            runs,
            report["cores"],
            spread("put_mib_per_sec_spread").show(0),
            spread("get_mib_per_sec_spread").show(0),
            spread("copy_and_sync_mib_per_sec_spread").show(0),
            spread("put_ratio_to_copy_spread").show(2),
            spread("get_ratio_to_copy_spread").show(2),
            if report["goal_met"] == true { "met" } else { "not met" },
            spread("blake3_one_core_mib_per_sec_spread").show(0),
            spread("blake3_all_cores_mib_per_sec_spread").show(0),
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
    // On disk, so that its writeback does not land in the first run's measurements.
    out.into_inner()?.sync_all()?;
    Ok(())
}

/// What one run measured, in seconds.
struct RunSecs {
    copy: f64,
    hash_one_core: f64,
    hash_all_cores: f64,
    put: f64,
    put_hash: f64,
    get: f64,
}

pub async fn bench_storage(
    mib: u64,
    runs: u16,
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
    // Warm the page cache so that every phase of every run reads the file from memory alike.
    let p = input.clone();
    tokio::task::spawn_blocking(move || blake3_timed(&p, false)).await??;

    let store = Arc::new(BlobStore::open(tmp.path().join("store"))?);
    // Every run uploads the blob anew, and each upload counts against the quota.
    let (url, client, server) = serve_signed(store.clone(), size * u64::from(runs)).await?;

    let mut measured = Vec::with_capacity(usize::from(runs));
    let mut id = None;
    for run in 1..=runs {
        let (secs, blob) =
            measure_run(&mut steps, run, runs, tmp.path(), &input, &url, &client).await?;
        if run < runs {
            // So that the next put really writes every byte.
            store.remove(blob)?;
        }
        id = Some(blob);
        measured.push(secs);
    }
    let id = id.expect("at least one run");

    steps.step("challenges: verifying retrievability answers");
    // The verifier's side of retrievability challenges: re-derive the groups and check the
    // answer against the blob id. Answers are made beforehand, so only verification is timed.
    let challenge =
        tokio::task::spawn_blocking(move || time_challenges(&store, id, size)).await??;
    server.abort();

    let (verify_secs, answer_bytes) = challenge;
    let mib_f = mib as f64;
    let rate = |f: fn(&RunSecs) -> f64| Spread::of(measured.iter().map(|r| mib_f / f(r)).collect());
    let secs = |f: fn(&RunSecs) -> f64| Spread::of(measured.iter().map(f).collect());
    let put = rate(|r| r.put);
    let get = rate(|r| r.get);
    let copy = rate(|r| r.copy);
    let one_core = rate(|r| r.hash_one_core);
    let all_cores = rate(|r| r.hash_all_cores);
    let ratio = |a: &Spread, b: &Spread| Spread::pairwise(a, b, |x, y| x / y);
    let put_to_copy = ratio(&put, &copy);
    let get_to_copy = ratio(&get, &copy);
    let put_to_one = ratio(&put, &one_core);
    let get_to_one = ratio(&get, &one_core);
    let put_to_all = ratio(&put, &all_cores);
    let get_to_all = ratio(&get, &all_cores);
    let put_hash = secs(|r| r.put_hash);
    let put_upload = secs(|r| r.put - r.put_hash);
    let goal_met =
        put_to_copy.median >= GOAL_RATIO_TO_COPY && get_to_copy.median >= GOAL_RATIO_TO_COPY;
    let per_challenge_us = verify_secs / CHALLENGES as f64 * 1e6;
    let gib = size as f64 / (1u64 << 30) as f64;
    steps.finish();
    Ok(serde_json::json!({
        "scenario": "storage",
        "bytes": size,
        "runs": runs,
        "cores": cores(),
        // Medians over the runs; each `_spread` has the median, min, max and every run.
        "blake3_one_core_mib_per_sec": one_core.median,
        "put_mib_per_sec": put.median,
        "put_hash_secs": put_hash.median,
        "put_upload_secs": put_upload.median,
        "get_mib_per_sec": get.median,
        "put_ratio": put_to_one.median,
        "get_ratio": get_to_one.median,
        // A put and a get hash on every core; against blake3 on every core too they do two
        // full hashing passes (the sender's and the receiver's) and one, respectively.
        "blake3_all_cores_mib_per_sec": all_cores.median,
        "put_ratio_to_all_cores": put_to_all.median,
        "get_ratio_to_all_cores": get_to_all.median,
        // The disk: a put or a get writes every byte and syncs it, as the copy does. Ratios
        // are taken run by run, each against the copy of the same run.
        "copy_and_sync_mib_per_sec": copy.median,
        "put_ratio_to_copy": put_to_copy.median,
        "get_ratio_to_copy": get_to_copy.median,
        "goal_ratio_to_copy": GOAL_RATIO_TO_COPY,
        "goal_met": goal_met,
        "put_mib_per_sec_spread": put,
        "get_mib_per_sec_spread": get,
        "copy_and_sync_mib_per_sec_spread": copy,
        "blake3_one_core_mib_per_sec_spread": one_core,
        "blake3_all_cores_mib_per_sec_spread": all_cores,
        "put_ratio_to_copy_spread": put_to_copy,
        "get_ratio_to_copy_spread": get_to_copy,
        "put_ratio_spread": put_to_one,
        "get_ratio_spread": get_to_one,
        "put_ratio_to_all_cores_spread": put_to_all,
        "get_ratio_to_all_cores_spread": get_to_all,
        "put_hash_secs_spread": put_hash,
        "put_upload_secs_spread": put_upload,
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
    }))
}

/// One run: the copy with fsync and blake3 baselines, then a put and a get of the file.
async fn measure_run(
    steps: &mut Steps,
    run: u16,
    runs: u16,
    dir: &Path,
    input: &Path,
    url: &str,
    client: &BlobClient,
) -> anyhow::Result<(RunSecs, plexus_blobs::BlobId)> {
    let size = std::fs::metadata(input)?.len();
    steps.step(format!(
        "run {run} of {runs}: baselines (a copy with fsync, blake3 on one core and on all)"
    ));
    let (p, q) = (input.to_path_buf(), dir.join("copy"));
    let (copy, hash_one_core, hash_all_cores) = tokio::task::spawn_blocking(move || {
        anyhow::Ok((
            copy_and_sync(&p, &q)?,
            blake3_timed(&p, false)?,
            blake3_timed(&p, true)?,
        ))
    })
    .await??;

    steps.step(format!(
        "run {run} of {runs}: put (hashing the blob, then uploading it)"
    ));
    let started = Instant::now();
    let p = input.to_path_buf();
    let blob = tokio::task::spawn_blocking(move || PreparedBlob::prepare(&p)).await??;
    let put_hash = started.elapsed().as_secs_f64();
    let bar = steps.byte_bar(size, "uploaded");
    tracked(client, &bar).put(url, &blob).await?;
    bar.finish_and_clear();
    let put = started.elapsed().as_secs_f64();

    steps.step(format!(
        "run {run} of {runs}: get (downloading and verifying the blob)"
    ));
    let output = dir.join("output");
    let started = Instant::now();
    let bar = steps.byte_bar(size, "downloaded");
    tracked(client, &bar)
        .get(&[url.to_string()], blob.id, &output)
        .await?;
    bar.finish_and_clear();
    let get = started.elapsed().as_secs_f64();
    let p = output.clone();
    let got = tokio::task::spawn_blocking(move || PreparedBlob::prepare(&p)).await??;
    anyhow::ensure!(
        got.id == blob.id,
        "the downloaded blob differs from the input"
    );
    std::fs::remove_file(&output)?;
    let secs = RunSecs {
        copy,
        hash_one_core,
        hash_all_cores,
        put,
        put_hash,
        get,
    };
    Ok((secs, blob.id))
}

/// Seconds to verify `CHALLENGES` answers about blob `id` of `size` bytes in `store`, and the
/// answers' bytes.
fn time_challenges(
    store: &BlobStore,
    id: plexus_blobs::BlobId,
    size: u64,
) -> anyhow::Result<(f64, usize)> {
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
}
