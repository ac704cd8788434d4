//! The on-disk blob store. Each complete blob is two files under `complete/`: its bytes
//! (`<id>.data`) and its bao outboard in pre-order (`<id>.obao`, 64 bytes per 16 KiB). A blob
//! being received lives under `partial/` with a `<id>.meta` file that records its size and
//! the prefix whose bytes and hashes are verified and synced to disk; the prefix only grows
//! after an fsync, so after a crash the store resumes from a prefix it can trust. A partial
//! blob is never listed or served: it becomes complete by renaming, outboard first and bytes
//! last, once every byte has been verified against its id. A partial blob that stops growing
//! expires (`expire_partials`), so an abandoned upload does not keep its disk.

use crate::{BlobId, BLOCK_SIZE, CHUNK_GROUP_BYTES, MAX_BLOB_BYTES};
use bao_tree::io::outboard::PreOrderOutboard;
use bao_tree::io::sync::{encode_ranges, OutboardMut};
use bao_tree::io::DecodeError;
use bao_tree::{BaoTree, ChunkNum, ChunkRanges};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use upload_locks::UploadLocks;

/// The verified prefix is made durable (fsync, then the meta file) every this many bytes, in
/// the background: the transfer goes on while the disk catches up.
pub(crate) const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;
/// Verified leaves (of up to a decoder batch each, with their parents) queued for the writer:
/// hashing the next batches goes on while the disk takes the last.
pub(crate) const WRITE_QUEUE: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error("blob {0} is not in this store")]
    NotFound(BlobId),
    #[error("blob {0} is already being received by another transfer")]
    UploadInProgress(BlobId),
    #[error("blob {id} is {have} bytes here, not {announced}")]
    SizeMismatch {
        id: BlobId,
        have: u64,
        announced: u64,
    },
    #[error("blob of {0} bytes is larger than the store accepts ({MAX_BLOB_BYTES})")]
    TooLarge(u64),
    #[error("transfer starts at byte {offset}, but only {verified} bytes are verified here; resume from there")]
    OffsetBeyondPrefix { offset: u64, verified: u64 },
    #[error(
        "transfer offset {0} is not a multiple of the chunk group ({CHUNK_GROUP_BYTES} bytes)"
    )]
    Unaligned(u64),
    #[error("bad challenge: {0}")]
    Challenge(crate::retrievability::ProofError),
    #[error("range {start}..{end} is outside the blob's {size} bytes")]
    BadRange { start: u64, end: u64, size: u64 },
    #[error("the data does not match blob {id} after {verified} verified bytes: {reason}")]
    Corrupt {
        id: BlobId,
        verified: u64,
        reason: String,
    },
    #[error("the transfer of blob {id} ended after {verified} verified bytes of {size}: {reason}")]
    Incomplete {
        id: BlobId,
        verified: u64,
        size: u64,
        reason: String,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> StoreError {
    let context = context.into();
    move |source| StoreError::Io { context, source }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobState {
    Complete,
    Partial,
    Absent,
}

/// What the store holds of one blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobStatus {
    pub id: BlobId,
    pub state: BlobState,
    /// Known once a transfer has announced it (partial) or the blob is complete.
    pub size: Option<u64>,
    /// Bytes from the start that are verified and durable: all of them when complete.
    pub verified: u64,
}

#[derive(Serialize, Deserialize)]
struct PartialMeta {
    size: u64,
    verified: u64,
}

/// The chunk ranges that cover bytes `start..end` of a blob; encoder and decoder must agree.
pub fn chunk_ranges(start: u64, end: u64) -> ChunkRanges {
    ChunkRanges::from(ChunkNum::full_chunks(start)..ChunkNum::chunks(end))
}

mod stages;

mod upload_locks {
    //! Which blobs are being received right now: one transfer per blob at a time.
    use crate::BlobId;
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};

    #[derive(Default, Clone)]
    pub struct UploadLocks(Arc<Mutex<BTreeSet<BlobId>>>);

    pub struct UploadGuard {
        locks: UploadLocks,
        id: BlobId,
    }

    impl UploadLocks {
        pub fn try_lock(&self, id: BlobId) -> Option<UploadGuard> {
            let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
            set.insert(id).then(|| UploadGuard {
                locks: self.clone(),
                id,
            })
        }
    }

    impl Drop for UploadGuard {
        fn drop(&mut self) {
            let mut set = self.locks.0.lock().unwrap_or_else(|p| p.into_inner());
            set.remove(&self.id);
        }
    }
}

/// A directory of blobs. Cheap to share (`Arc`); every method is blocking file I/O, so async
/// callers run them on a blocking thread.
pub struct BlobStore {
    dir: PathBuf,
    uploads: UploadLocks,
}

/// A complete blob opened for reading: its bytes and its outboard.
pub struct OpenBlob {
    pub size: u64,
    pub data: File,
    pub outboard: PreOrderOutboard<File>,
}

impl BlobStore {
    /// Opens (creating if needed) a store in `dir`, and completes any blob whose transfer had
    /// verified every byte when the process stopped.
    pub fn open(dir: impl AsRef<Path>) -> Result<BlobStore, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        for sub in ["complete", "partial"] {
            let path = dir.join(sub);
            fs::create_dir_all(&path).map_err(io_err(format!("create {}", path.display())))?;
        }
        let store = BlobStore {
            dir,
            uploads: UploadLocks::default(),
        };
        for id in store.partial_ids()? {
            if let Some(meta) = store.read_meta(id)? {
                if meta.verified == meta.size {
                    store.finish(id)?;
                }
            }
        }
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn complete_path(&self, id: BlobId, ext: &str) -> PathBuf {
        self.dir.join("complete").join(format!("{id}.{ext}"))
    }

    fn partial_path(&self, id: BlobId, ext: &str) -> PathBuf {
        self.dir.join("partial").join(format!("{id}.{ext}"))
    }

    fn ids_in(&self, sub: &str, ext: &str) -> Result<Vec<BlobId>, StoreError> {
        let path = self.dir.join(sub);
        let mut ids = Vec::new();
        for entry in fs::read_dir(&path).map_err(io_err(format!("list {}", path.display())))? {
            let entry = entry.map_err(io_err(format!("list {}", path.display())))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(hex) = name.strip_suffix(&format!(".{ext}")) {
                if let Ok(id) = hex.parse() {
                    ids.push(id);
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    fn partial_ids(&self) -> Result<Vec<BlobId>, StoreError> {
        self.ids_in("partial", "meta")
    }

    /// Complete blobs with their sizes, in id order. Partial blobs are never listed.
    pub fn list(&self) -> Result<Vec<(BlobId, u64)>, StoreError> {
        let mut out = Vec::new();
        for id in self.ids_in("complete", "data")? {
            if let Some(size) = self.complete_size(id)? {
                out.push((id, size));
            }
        }
        Ok(out)
    }

    fn complete_size(&self, id: BlobId) -> Result<Option<u64>, StoreError> {
        let data = self.complete_path(id, "data");
        match fs::metadata(&data) {
            Ok(m) if self.complete_path(id, "obao").exists() => Ok(Some(m.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(format!("stat {}", data.display()))(e)),
        }
    }

    fn read_meta(&self, id: BlobId) -> Result<Option<PartialMeta>, StoreError> {
        let path = self.partial_path(id, "meta");
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Io {
                    context: format!("read {}", path.display()),
                    source: io::Error::new(io::ErrorKind::InvalidData, e),
                }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(format!("read {}", path.display()))(e)),
        }
    }

    fn write_meta(&self, id: BlobId, meta: &PartialMeta) -> Result<(), StoreError> {
        let path = self.partial_path(id, "meta");
        let tmp = self.partial_path(id, "meta.tmp");
        let bytes = serde_json::to_vec(meta).expect("meta serializes");
        let write = || -> io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(io_err(format!("write {}", path.display())))
    }

    /// What the store holds of `id`.
    pub fn status(&self, id: BlobId) -> Result<BlobStatus, StoreError> {
        if let Some(size) = self.complete_size(id)? {
            return Ok(BlobStatus {
                id,
                state: BlobState::Complete,
                size: Some(size),
                verified: size,
            });
        }
        Ok(match self.read_meta(id)? {
            Some(meta) => BlobStatus {
                id,
                state: BlobState::Partial,
                size: Some(meta.size),
                verified: meta.verified,
            },
            None => BlobStatus {
                id,
                state: BlobState::Absent,
                size: None,
                verified: 0,
            },
        })
    }

    /// Opens a complete blob for reading, or `NotFound` (also while it is only partial).
    pub fn open_blob(&self, id: BlobId) -> Result<OpenBlob, StoreError> {
        let size = self.complete_size(id)?.ok_or(StoreError::NotFound(id))?;
        let data_path = self.complete_path(id, "data");
        let ob_path = self.complete_path(id, "obao");
        let data =
            File::open(&data_path).map_err(io_err(format!("open {}", data_path.display())))?;
        let ob = File::open(&ob_path).map_err(io_err(format!("open {}", ob_path.display())))?;
        Ok(OpenBlob {
            size,
            data,
            outboard: PreOrderOutboard {
                root: id.hash(),
                tree: BaoTree::new(size, BLOCK_SIZE),
                data: ob,
            },
        })
    }

    /// Writes the verified encoding (bao: bytes interleaved with the hashes that prove them)
    /// of bytes `start..end` of a complete blob.
    pub fn encode(
        &self,
        id: BlobId,
        start: u64,
        end: u64,
        out: impl Write,
    ) -> Result<(), StoreError> {
        let blob = self.open_blob(id)?;
        if start > end || end > blob.size {
            return Err(StoreError::BadRange {
                start,
                end,
                size: blob.size,
            });
        }
        // The outboard is read in pre-order, that is front to back: through a window too.
        let outboard = PreOrderOutboard {
            root: blob.outboard.root,
            tree: blob.outboard.tree,
            data: crate::file_io::WindowedReader::new(blob.outboard.data),
        };
        encode_ranges(
            crate::file_io::WindowedReader::new(blob.data),
            &outboard,
            &chunk_ranges(start, end),
            out,
        )
        .map_err(|e| StoreError::Io {
            context: format!("encode blob {id}"),
            source: e.into(),
        })
    }

    /// Removes a blob, complete or partial. Removing an absent blob is not an error.
    pub fn remove(&self, id: BlobId) -> Result<(), StoreError> {
        for path in [
            self.complete_path(id, "data"),
            self.complete_path(id, "obao"),
            self.partial_path(id, "meta"),
            self.partial_path(id, "data"),
            self.partial_path(id, "obao"),
        ] {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(format!("remove {}", path.display()))(e)),
            }
        }
        Ok(())
    }

    /// Path of a complete blob's bytes (for tests and the storage-cheating behaviour).
    pub fn data_path(&self, id: BlobId) -> PathBuf {
        self.complete_path(id, "data")
    }

    /// Imports a local file: one streaming pass copies it into the store while hashing it, so
    /// memory stays bounded whatever the file's size.
    pub fn import_file(&self, path: &Path) -> Result<(BlobId, u64), StoreError> {
        let mut src = File::open(path).map_err(io_err(format!("open {}", path.display())))?;
        let size = src
            .metadata()
            .map_err(io_err(format!("stat {}", path.display())))?
            .len();
        if size > MAX_BLOB_BYTES {
            return Err(StoreError::TooLarge(size));
        }
        let staging = self.dir.join("partial");
        let mut data = tempfile::NamedTempFile::new_in(&staging)
            .map_err(io_err(format!("create a file in {}", staging.display())))?;
        let ob_file = tempfile::NamedTempFile::new_in(&staging)
            .map_err(io_err(format!("create a file in {}", staging.display())))?;
        let mut outboard = PreOrderOutboard {
            root: blake3::hash(&[]),
            tree: BaoTree::new(size, BLOCK_SIZE),
            data: ob_file.reopen().map_err(io_err("reopen outboard"))?,
        };
        {
            let mut tee = TeeReader {
                src: &mut src,
                copy: io::BufWriter::with_capacity(1 << 20, data.as_file_mut()),
            };
            let root = crate::parallel::outboard(&mut tee, outboard.tree, &mut outboard)
                .map_err(io_err(format!("hash {}", path.display())))?;
            tee.copy.flush().map_err(io_err("write data"))?;
            outboard.root = root;
        }
        let id = BlobId::from(outboard.root);
        outboard.sync().map_err(io_err("sync outboard"))?;
        data.as_file().sync_all().map_err(io_err("sync data"))?;
        if self.complete_size(id)?.is_none() {
            ob_file
                .persist(self.complete_path(id, "obao"))
                .map_err(|e| io_err("store outboard")(e.error))?;
            data.persist(self.complete_path(id, "data"))
                .map_err(|e| io_err("store data")(e.error))?;
            self.sync_dir("complete")?;
        }
        Ok((id, size))
    }

    /// Receives the verified encoding of bytes `offset..size` of blob `id` (as produced by
    /// [`BlobStore::encode`] or the client) and writes what verifies into the partial blob,
    /// making the verified prefix durable as it grows. The blob becomes complete when its last
    /// byte verifies. Bytes that do not verify are never written, and the transfer stops there.
    pub fn receive(
        &self,
        id: BlobId,
        size: u64,
        offset: u64,
        encoded: impl Read,
    ) -> Result<BlobStatus, StoreError> {
        if size > MAX_BLOB_BYTES {
            return Err(StoreError::TooLarge(size));
        }
        if let Some(have) = self.complete_size(id)? {
            return if have == size {
                self.status(id)
            } else {
                Err(StoreError::SizeMismatch {
                    id,
                    have,
                    announced: size,
                })
            };
        }
        let _guard = self
            .uploads
            .try_lock(id)
            .ok_or(StoreError::UploadInProgress(id))?;
        let mut meta = self.resume_partial(id, size, offset)?;
        let open = |ext: &str| -> Result<File, StoreError> {
            let path = self.partial_path(id, ext);
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io_err(format!("open {}", path.display())))
        };
        let (data, obao) = (open("data")?, open("obao")?);
        let stages::Received {
            data,
            obao,
            verified,
            failure,
        } = self.receive_in_stages(id, size, offset, meta.verified, (data, obao), encoded)?;
        if verified > meta.verified {
            data.sync_data().map_err(io_err("sync data"))?;
            obao.sync_data().map_err(io_err("sync outboard"))?;
            meta.verified = verified;
            self.write_meta(id, &meta)?;
        }
        match failure {
            None if meta.verified == size => {
                drop((data, obao));
                self.finish(id)?;
                self.status(id)
            }
            None => Err(StoreError::Incomplete {
                id,
                verified: meta.verified,
                size,
                reason: "the encoding ended early".into(),
            }),
            Some(DecodeError::ParentHashMismatch(_)) | Some(DecodeError::LeafHashMismatch(_)) => {
                Err(StoreError::Corrupt {
                    id,
                    verified: meta.verified,
                    reason: failure.map(|e| e.to_string()).unwrap_or_default(),
                })
            }
            Some(e) => Err(StoreError::Incomplete {
                id,
                verified: meta.verified,
                size,
                reason: io::Error::from(e).to_string(),
            }),
        }
    }

    /// The partial blob's record for a transfer of bytes `offset..size` (created when this is
    /// the first transfer), once the transfer is known to fit it: the same size, an aligned
    /// offset inside the verified prefix.
    fn resume_partial(
        &self,
        id: BlobId,
        size: u64,
        offset: u64,
    ) -> Result<PartialMeta, StoreError> {
        let meta = match self.read_meta(id)? {
            Some(meta) if meta.size != size => {
                return Err(StoreError::SizeMismatch {
                    id,
                    have: meta.size,
                    announced: size,
                })
            }
            Some(meta) => meta,
            None => {
                let meta = PartialMeta { size, verified: 0 };
                self.write_meta(id, &meta)?;
                meta
            }
        };
        if offset > meta.verified {
            return Err(StoreError::OffsetBeyondPrefix {
                offset,
                verified: meta.verified,
            });
        }
        if !offset.is_multiple_of(CHUNK_GROUP_BYTES) {
            return Err(StoreError::Unaligned(offset));
        }
        if size == 0 && id != BlobId::of(&[]) {
            return Err(StoreError::Corrupt {
                id,
                verified: 0,
                reason: "an empty blob has the hash of no bytes".into(),
            });
        }
        Ok(meta)
    }

    /// Moves a fully verified partial blob to `complete/`: outboard first, bytes last, so a
    /// blob whose bytes are there always has its outboard.
    fn finish(&self, id: BlobId) -> Result<(), StoreError> {
        let rename = |ext: &str| -> Result<(), StoreError> {
            let from = self.partial_path(id, ext);
            let to = self.complete_path(id, ext);
            if from.exists() {
                fs::rename(&from, &to).map_err(io_err(format!("rename {}", from.display())))?;
            }
            Ok(())
        };
        let meta = self.read_meta(id)?;
        if meta.as_ref().is_some_and(|m| m.size == 0) {
            File::create(self.partial_path(id, "data")).map_err(io_err("create empty blob"))?;
            File::create(self.partial_path(id, "obao")).map_err(io_err("create empty blob"))?;
        }
        rename("obao")?;
        rename("data")?;
        let meta_path = self.partial_path(id, "meta");
        fs::remove_file(&meta_path).map_err(io_err(format!("remove {}", meta_path.display())))?;
        // The renames are durable only once the directories are: a blob answered complete
        // must still be complete after a crash.
        self.sync_dir("complete")?;
        self.sync_dir("partial")
    }

    fn sync_dir(&self, sub: &str) -> Result<(), StoreError> {
        let path = self.dir.join(sub);
        File::open(&path)
            .and_then(|d| d.sync_all())
            .map_err(io_err(format!("sync {}", path.display())))
    }
}

/// Reads from `src` and copies every byte read to `copy`.
struct TeeReader<'a, W: Write> {
    src: &'a mut File,
    copy: io::BufWriter<W>,
}

impl<W: Write> Read for TeeReader<'_, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.src.read(buf)?;
        self.copy.write_all(&buf[..n])?;
        Ok(n)
    }
}

impl BlobStore {
    /// Answers a challenge: the verified encoding of the named chunk groups of a complete blob.
    pub fn prove(&self, id: BlobId, groups: &[u64], out: impl Write) -> Result<(), StoreError> {
        let blob = self.open_blob(id)?;
        let ranges =
            crate::retrievability::ranges_of(groups, blob.size).map_err(StoreError::Challenge)?;
        encode_ranges(blob.data, &blob.outboard, &ranges, out).map_err(|e| StoreError::Io {
            context: format!("prove blob {id}"),
            source: e.into(),
        })
    }
}

impl BlobStore {
    /// Removes every partial blob that has not grown for `ttl` at time `now`: its files were
    /// last written before `now - ttl` and no transfer is receiving it. Returns the blobs
    /// removed, in id order. The time is a parameter so that callers decide which clock counts.
    pub fn expire_partials(
        &self,
        now: std::time::SystemTime,
        ttl: std::time::Duration,
    ) -> Result<Vec<BlobId>, StoreError> {
        let Some(cutoff) = now.checked_sub(ttl) else {
            return Ok(Vec::new());
        };
        let mut ids = self.ids_in("partial", "meta")?;
        ids.extend(self.ids_in("partial", "data")?);
        ids.extend(self.ids_in("partial", "obao")?);
        ids.sort();
        ids.dedup();
        let mut expired = Vec::new();
        for id in ids {
            let Some(_guard) = self.uploads.try_lock(id) else {
                continue;
            };
            let mut last_written = None;
            for ext in ["meta", "data", "obao"] {
                let path = self.partial_path(id, ext);
                match fs::metadata(&path).and_then(|m| m.modified()) {
                    Ok(t) => last_written = last_written.max(Some(t)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(format!("stat {}", path.display()))(e)),
                }
            }
            if last_written.is_some_and(|t| t < cutoff) {
                for ext in ["meta", "data", "obao"] {
                    let path = self.partial_path(id, ext);
                    match fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return Err(io_err(format!("remove {}", path.display()))(e)),
                    }
                }
                expired.push(id);
            }
        }
        Ok(expired)
    }
}
