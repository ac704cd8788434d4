//! Putting and getting blobs over the HTTP service. A put hashes the file once into a
//! temporary outboard, asks each target how much it already has verified, and sends the
//! verified encoding from there. A get fetches the blob in segments spread over its sources,
//! verifies every chunk group as it arrives, and when a source sends a byte that does not
//! verify (or fails) fetches the rest of that segment from the next source.

use crate::answer_auth::{AnswerCheck, ANSWER_SIGNATURE_HEADER};
use crate::channel_io;
use crate::http::SIZE_HEADER;
use crate::store::chunk_ranges;
use crate::{BlobId, BlobState, BlobStatus, BLOCK_SIZE, CHUNK_GROUP_BYTES};
use axum::body::Body;
use axum::http::{Method, Request, Response};
use bao_tree::io::outboard::PreOrderOutboard;
use bao_tree::io::sync::encode_ranges;
use bao_tree::io::BaoContentItem;
use bao_tree::BaoTree;
use blake3::hazmat::HasherExt;
use futures_util::StreamExt;
use plexus_transport::{HttpTransport, Transport};
use plexus_types::blob_size::{self, SizeProof};
use serde::Serialize;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long a service has to say what it holds of a blob.
const STATUS_TIMEOUT: Duration = Duration::from_secs(10);

/// Verified leaves (of up to a decoder batch each) queued for the writer during a get.
const WRITE_QUEUE: usize = 4;

/// A get asks one source for at most this many bytes at a time.
pub const SEGMENT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read {path}: {source}")]
    Local { path: PathBuf, source: io::Error },
    #[error("{url}: {reason}")]
    Remote { url: String, reason: String },
    #[error("no source has blob {0}")]
    NoSource(BlobId),
    #[error("no source could serve bytes {start}..{end} of blob {id}; failures: {failures:?}")]
    Exhausted {
        id: BlobId,
        start: u64,
        end: u64,
        failures: Vec<SourceFailure>,
    },
}

/// A source that failed to serve a range, and why.
#[derive(Clone, Debug, Serialize)]
pub struct SourceFailure {
    pub source: String,
    pub start: u64,
    pub end: u64,
    pub reason: String,
}

/// What a get did: bytes taken from each source, and every range a source failed to serve.
#[derive(Clone, Debug, Serialize)]
pub struct GetReport {
    pub id: BlobId,
    pub size: u64,
    pub bytes_from: Vec<(String, u64)>,
    pub failures: Vec<SourceFailure>,
}

/// A local file hashed for upload: its id and an outboard in a temporary file.
pub struct PreparedBlob {
    pub id: BlobId,
    pub size: u64,
    path: PathBuf,
    outboard: tempfile::NamedTempFile,
}

impl PreparedBlob {
    /// Hashes `path` in one streaming pass (blocking).
    pub fn prepare(path: &Path) -> Result<PreparedBlob, ClientError> {
        let local = |source| ClientError::Local {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(local)?;
        let size = file.metadata().map_err(local)?.len();
        let ob_file = tempfile::NamedTempFile::new().map_err(local)?;
        let mut outboard = PreOrderOutboard {
            root: blake3::hash(&[]),
            tree: BaoTree::new(size, BLOCK_SIZE),
            data: ob_file.reopen().map_err(local)?,
        };
        outboard.root =
            crate::parallel::outboard(file, outboard.tree, &mut outboard).map_err(local)?;
        Ok(PreparedBlob {
            id: outboard.root.into(),
            size,
            path: path.to_path_buf(),
            outboard: ob_file,
        })
    }
}

impl PreparedBlob {
    /// The proof of this blob's size that a storage deal carries: its last chunk and the
    /// hashes of the subtrees left of it, hashed from the file (blocking, one pass over it).
    pub fn size_proof(&self) -> Result<SizeProof, ClientError> {
        prove_file_size(&self.path, self.size)
    }

    /// The file this blob was prepared from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The size proof of the blob that is the file at `path`, of `size` bytes (blocking).
pub fn prove_file_size(path: &Path, size: u64) -> Result<SizeProof, ClientError> {
    let local = |source| ClientError::Local {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(local)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = Vec::new();
    for (first, chunks) in blob_size::left_subtrees(size) {
        let start = first * blob_size::CHUNK_BYTES;
        let mut rest = chunks * blob_size::CHUNK_BYTES;
        file.seek(io::SeekFrom::Start(start)).map_err(local)?;
        let mut hasher = blake3::Hasher::new();
        hasher.set_input_offset(start);
        while rest > 0 {
            let n = rest.min(buf.len() as u64) as usize;
            file.read_exact(&mut buf[..n]).map_err(local)?;
            hasher.update(&buf[..n]);
            rest -= n as u64;
        }
        left.push(plexus_types::Hash(hasher.finalize_non_root()));
    }
    let start = blob_size::last_chunk_start(size);
    let mut last_chunk = vec![0u8; (size - start) as usize];
    file.seek(io::SeekFrom::Start(start)).map_err(local)?;
    file.read_exact(&mut last_chunk).map_err(local)?;
    Ok(SizeProof { last_chunk, left })
}

/// What a client tells of a transfer while it runs, for a progress display. Calls come from
/// the transfer's tasks and threads, so they must be cheap and must not block.
pub trait TransferProgress: Send + Sync {
    /// A transfer of `total` bytes of blob data begins, `done` of them already in place (the
    /// prefix a service holds when an upload resumes).
    fn begin(&self, total: u64, done: u64);
    /// `bytes` more moved. An upload counts the bytes it sends, whose few hash bytes between
    /// the data make the count run slightly ahead; a download counts verified data, and may
    /// count a range twice when a source fails and the next one serves it again.
    fn advance(&self, bytes: u64);
}

/// A client for the blob service of nodes and agents, over HTTP or another [`Transport`].
#[derive(Clone)]
pub struct BlobClient {
    transport: Arc<dyn Transport>,
    progress: Option<Arc<dyn TransferProgress>>,
}

impl Default for BlobClient {
    fn default() -> Self {
        BlobClient::new()
    }
}

fn remote(url: &str, reason: impl std::fmt::Display) -> ClientError {
    ClientError::Remote {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

/// The largest answer read whole (a status, an error, a challenge's proof); blob data streams.
const MAX_READ_BYTES: usize = 64 * 1024 * 1024;

async fn error_reason(response: Response<Body>) -> String {
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let shown: String = String::from_utf8_lossy(&body).chars().take(500).collect();
    format!("status {status}: {shown}")
}

async fn read_all(url: &str, response: Response<Body>) -> Result<bytes::Bytes, ClientError> {
    axum::body::to_bytes(response.into_body(), MAX_READ_BYTES)
        .await
        .map_err(|e| remote(url, e))
}

impl BlobClient {
    pub fn new() -> BlobClient {
        let transport = HttpTransport::new(None, Duration::from_secs(5))
            .expect("an HTTP client with default TLS builds");
        BlobClient::with_transport(Arc::new(transport))
    }

    /// A client that reaches services through `transport` (a simulation's in-process network,
    /// for example).
    pub fn with_transport(transport: Arc<dyn Transport>) -> BlobClient {
        BlobClient {
            transport,
            progress: None,
        }
    }

    /// The same client, telling `progress` how its uploads and downloads advance.
    pub fn with_progress(mut self, progress: Arc<dyn TransferProgress>) -> BlobClient {
        self.progress = Some(progress);
        self
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Body,
    ) -> Result<Response<Body>, ClientError> {
        let request = Request::builder()
            .method(method)
            .uri(url)
            .body(body)
            .map_err(|e| remote(url, e))?;
        self.transport
            .call(request)
            .await
            .map_err(|e| remote(url, e))
    }

    /// Asks the service at `base` to answer a retrievability challenge on `groups` of blob `id`
    /// within `deadline`, and checks the answer against the id and `size` alone. Returns the
    /// number of data bytes the answer proved; any failure (no answer in time, an error, an
    /// answer that does not verify, or, with `signed`, one not signed by the expected device
    /// over its nonce) is an error naming why.
    pub async fn challenge(
        &self,
        base: &str,
        id: BlobId,
        size: u64,
        groups: &[u64],
        deadline: Duration,
        signed: Option<&AnswerCheck>,
    ) -> Result<u64, ClientError> {
        let list: Vec<String> = groups.iter().map(u64::to_string).collect();
        let mut url = format!(
            "{}/v1/blobs/{id}/proof?groups={}",
            base.trim_end_matches('/'),
            list.join(",")
        );
        if let Some(check) = signed {
            url.push_str(&format!("&nonce={}", hex::encode(check.nonce)));
        }
        let answer = async {
            let response = self.send(Method::GET, &url, Body::empty()).await?;
            if !response.status().is_success() {
                return Err(remote(&url, error_reason(response).await));
            }
            let signature = response
                .headers()
                .get(ANSWER_SIGNATURE_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            Ok((read_all(&url, response).await?, signature))
        };
        let (answer, signature) = tokio::time::timeout(deadline, answer)
            .await
            .map_err(|_| remote(&url, format!("no answer within {deadline:?}")))??;
        if let Some(check) = signed {
            check
                .verify(id, &answer, signature.as_deref())
                .map_err(|e| remote(&url, e))?;
        }
        crate::retrievability::verify(id, size, groups, &answer)
            .map_err(|e| remote(&url, format!("the answer does not verify: {e}")))
    }

    /// What the service at `base` holds of `id`.
    pub async fn status(&self, base: &str, id: BlobId) -> Result<BlobStatus, ClientError> {
        let url = format!("{}/v1/blobs/{id}/status", base.trim_end_matches('/'));
        let answer = async {
            let response = self.send(Method::GET, &url, Body::empty()).await?;
            if !response.status().is_success() {
                return Err(remote(&url, error_reason(response).await));
            }
            read_all(&url, response).await
        };
        let answer = tokio::time::timeout(STATUS_TIMEOUT, answer)
            .await
            .map_err(|_| remote(&url, format!("no answer within {STATUS_TIMEOUT:?}")))??;
        serde_json::from_slice(&answer).map_err(|e| remote(&url, e))
    }

    /// Uploads a prepared blob to the service at `base`, resuming from whatever prefix the
    /// service has already verified. Returns the service's status once the blob is complete.
    pub async fn put(&self, base: &str, blob: &PreparedBlob) -> Result<BlobStatus, ClientError> {
        let status = self.status(base, blob.id).await?;
        if status.state == BlobState::Complete {
            return Ok(status);
        }
        let offset = match status.size {
            Some(size) if size != blob.size => {
                return Err(remote(
                    base,
                    format!(
                        "holds a partial blob {} of {size} bytes, the file has {}",
                        blob.id, blob.size
                    ),
                ))
            }
            Some(_) => status.verified - status.verified % CHUNK_GROUP_BYTES,
            None => 0,
        };
        let url = format!(
            "{}/v1/blobs/{}?size={}&offset={offset}",
            base.trim_end_matches('/'),
            blob.id,
            blob.size
        );
        let (writer, rx) = channel_io::writer();
        let encoder = {
            let path = blob.path.clone();
            let outboard = blob
                .outboard
                .reopen()
                .map_err(|source| ClientError::Local {
                    path: blob.outboard.path().to_path_buf(),
                    source,
                })?;
            let (id, size) = (blob.id, blob.size);
            tokio::task::spawn_blocking(move || {
                let mut writer = writer;
                let encode = || -> io::Result<()> {
                    let prepared = PreparedBlobRef {
                        id,
                        size,
                        path,
                        outboard,
                    };
                    prepared.encode_from(offset, &mut writer)
                };
                if let Err(e) = encode() {
                    let reason = e.to_string();
                    writer.fail(e);
                    return Err(reason);
                }
                Ok(())
            })
        };
        let progress = self.progress.clone();
        if let Some(p) = &progress {
            p.begin(blob.size, offset);
        }
        let body = Body::from_stream(channel_io::into_stream(rx).inspect(move |piece| {
            if let (Some(p), Ok(piece)) = (&progress, piece) {
                p.advance(piece.len() as u64);
            }
        }));
        let response = self.send(Method::PUT, &url, body).await;
        let encoded = encoder.await.map_err(|e| remote(&url, e))?;
        // A service that went away or refused the upload also stops the encoder: report the
        // service, not the file.
        let response = response?;
        if !response.status().is_success() {
            return Err(remote(&url, error_reason(response).await));
        }
        if let Err(reason) = encoded {
            return Err(ClientError::Local {
                path: blob.path.clone(),
                source: io::Error::other(reason),
            });
        }
        let answer = read_all(&url, response).await?;
        serde_json::from_slice(&answer).map_err(|e| remote(&url, e))
    }

    /// Downloads blob `id` from `sources` into `out`, verifying every chunk group. The bytes
    /// go to `out` only when all of them verified (through a `.part` file beside it).
    pub async fn get(
        &self,
        sources: &[String],
        id: BlobId,
        out: &Path,
    ) -> Result<GetReport, ClientError> {
        let mut size = None;
        let mut report_failures = Vec::new();
        for source in sources {
            match self.status(source, id).await {
                Ok(s) if s.state == BlobState::Complete => {
                    size = s.size;
                    break;
                }
                Ok(_) => {}
                Err(e) => report_failures.push(SourceFailure {
                    source: source.clone(),
                    start: 0,
                    end: 0,
                    reason: e.to_string(),
                }),
            }
        }
        let size = size.ok_or(ClientError::NoSource(id))?;
        if let Some(p) = &self.progress {
            p.begin(size, 0);
        }
        let part = out.with_extension("part");
        let local = |source| ClientError::Local {
            path: part.clone(),
            source,
        };
        let file = File::create(&part).map_err(local)?;
        file.set_len(size).map_err(local)?;
        let mut report = GetReport {
            id,
            size,
            bytes_from: sources.iter().map(|s| (s.clone(), 0)).collect(),
            failures: report_failures,
        };
        let mut segment_start = 0;
        let mut segment_index = 0usize;
        let mut syncing: Option<tokio::task::JoinHandle<io::Result<()>>> = None;
        while segment_start < size || (size == 0 && segment_index == 0) {
            let segment_end = (segment_start + SEGMENT_BYTES).min(size);
            let mut at = segment_start;
            let mut attempts = 0;
            loop {
                let which = (segment_index + attempts) % sources.len();
                let source = &sources[which];
                let file = file.try_clone().map_err(local)?;
                let (verified_to, failure) = self
                    .fetch_range(source, id, size, at, segment_end, file)
                    .await;
                report.bytes_from[which].1 += verified_to - at;
                at = verified_to;
                match failure {
                    None if at >= segment_end => break,
                    None => {}
                    Some(reason) => report.failures.push(SourceFailure {
                        source: source.clone(),
                        start: at,
                        end: segment_end,
                        reason,
                    }),
                }
                attempts += 1;
                if attempts >= sources.len() * 2 {
                    // No partial blob is left where the user asked for the whole one. A file
                    // that cannot be removed matters less than why the get failed.
                    let _ = std::fs::remove_file(&part);
                    return Err(ClientError::Exhausted {
                        id,
                        start: at,
                        end: segment_end,
                        failures: report.failures,
                    });
                }
            }
            segment_start = segment_end;
            segment_index += 1;
            // Start the disk on the segment now, behind the next one, rather than leave every
            // byte to the final fsync; one at a time, so that they do not queue up.
            if syncing.as_ref().is_none_or(|s| s.is_finished()) {
                if let Some(done) = syncing.take() {
                    done.await
                        .map_err(|e| local(io::Error::other(e)))?
                        .map_err(local)?;
                }
                let behind = file.try_clone().map_err(local)?;
                syncing = Some(tokio::task::spawn_blocking(move || behind.sync_data()));
            }
        }
        if let Some(done) = syncing.take() {
            done.await
                .map_err(|e| local(io::Error::other(e)))?
                .map_err(local)?;
        }
        file.sync_all().map_err(local)?;
        std::fs::rename(&part, out).map_err(local)?;
        // The rename is durable only once the directory is.
        let dir = match out.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| ClientError::Local {
                path: dir.to_path_buf(),
                source,
            })?;
        Ok(report)
    }

    /// Fetches bytes `start..end` from one source into `file`; returns how far the verified
    /// bytes reach, and why it stopped short if it did.
    async fn fetch_range(
        &self,
        source: &str,
        id: BlobId,
        size: u64,
        start: u64,
        end: u64,
        file: File,
    ) -> (u64, Option<String>) {
        let url = format!(
            "{}/v1/blobs/{id}?start={start}&end={end}",
            source.trim_end_matches('/')
        );
        let response = match self.send(Method::GET, &url, Body::empty()).await {
            Ok(r) => r,
            Err(e) => return (start, Some(e.to_string())),
        };
        if !response.status().is_success() {
            return (start, Some(error_reason(response).await));
        }
        let announced = response
            .headers()
            .get(SIZE_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced != Some(size) {
            return (
                start,
                Some(format!("announces size {announced:?}, not {size}")),
            );
        }
        let (tx, reader) = channel_io::reader();
        let progress = self.progress.clone();
        let decode = tokio::task::spawn_blocking(move || {
            let ranges = chunk_ranges(start, end);
            let tree = BaoTree::new(size, BLOCK_SIZE);
            std::thread::scope(|scope| {
                // This thread verifies (hashing on every core) while a writer writes what
                // verified, so the disk never holds up the transfer.
                let (leaves_tx, leaves_rx) =
                    std::sync::mpsc::sync_channel::<bao_tree::io::Leaf>(WRITE_QUEUE);
                let writer = scope.spawn(move || -> io::Result<()> {
                    let mut file = crate::file_io::GatheringWriter::new(file);
                    for leaf in leaves_rx {
                        file.write_at(leaf.offset, &leaf.data)?;
                        if let Some(p) = &progress {
                            p.advance(leaf.data.len() as u64);
                        }
                    }
                    file.flush()
                });
                let mut verified = start;
                let mut failure = None;
                for item in crate::parallel::Decoder::new(id.hash(), tree, reader, &ranges) {
                    match item {
                        Ok(BaoContentItem::Parent(_)) => {}
                        Ok(BaoContentItem::Leaf(leaf)) => {
                            let leaf_end = leaf.offset + leaf.data.len() as u64;
                            let extends = leaf.offset <= verified;
                            if leaves_tx.send(leaf).is_err() {
                                // The writer stopped: its error is the answer.
                                break;
                            }
                            if extends {
                                verified = verified.max(leaf_end);
                            }
                        }
                        Err(e) => {
                            failure = Some(io::Error::from(e).to_string());
                            break;
                        }
                    }
                }
                drop(leaves_tx);
                match writer
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
                {
                    Ok(()) => (verified.min(end), failure),
                    Err(e) => (start, Some(format!("cannot write: {e}"))),
                }
            })
        });
        let mut stream = response.into_body().into_data_stream();
        while let Some(piece) = stream.next().await {
            let piece = piece.map_err(io::Error::other);
            let failed = piece.is_err();
            if tx.send(piece).await.is_err() || failed {
                break;
            }
        }
        drop(tx);
        match decode.await {
            Ok(result) => result,
            Err(e) => (start, Some(format!("decoder failed: {e}"))),
        }
    }
}

/// What the encoder thread needs of a prepared blob, owned.
struct PreparedBlobRef {
    id: BlobId,
    size: u64,
    path: PathBuf,
    outboard: File,
}

impl PreparedBlobRef {
    fn encode_from(self, offset: u64, out: impl io::Write) -> io::Result<()> {
        let data = File::open(&self.path)?;
        // The outboard is read in pre-order, that is front to back: through a window too.
        let outboard = PreOrderOutboard {
            root: self.id.hash(),
            tree: BaoTree::new(self.size, BLOCK_SIZE),
            data: crate::file_io::WindowedReader::new(self.outboard),
        };
        encode_ranges(
            crate::file_io::WindowedReader::new(data),
            &outboard,
            &chunk_ranges(offset, self.size),
            out,
        )
        .map_err(Into::into)
    }
}
