//! Authenticated, versioned key-value state: a Jellyfish Merkle tree (jmt) whose nodes and
//! values live in redb.
//!
//! Versions are block heights. [`Store::stage`] computes the root of the next version without
//! writing anything; [`Store::commit`] writes the tree nodes, the values, the height, the root
//! and any side-index entries in one redb transaction (fsync'd), so a crash leaves either the
//! whole version or none of it. Proofs of inclusion and of absence can be had for any kept
//! version. The store knows nothing of what the keys mean.
//!
//! By default every version is kept. With [`Store::set_retain_versions`] the store keeps the
//! newest `n` versions: reads and proofs below them fail with [`StoreError::Pruned`], and each
//! commit deletes a bounded share of what only older versions read (see `prune`). The root of
//! every committed version stays readable, so block headers can still be checked; side-index
//! entries go with the version that wrote them. A [`snapshot`] of one version lets a new store
//! start there.

mod hasher;
mod migrate;
mod proof;
mod prune;
pub mod snapshot;
mod tree_io;

pub use hasher::Blake3Hasher;
pub use proof::{ProofError, StateProof};

use jmt::{JellyfishMerkleTree, KeyHash};
use plexus_types::Hash;
use redb::{Database, ReadableTable, TableDefinition};
use std::collections::BTreeMap;
use std::num::NonZeroU64;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tree_io::{RedbTreeReader, NODES, VALUES};

/// Height, root and other bookkeeping.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Unauthenticated side indexes written with a version (for example transaction results),
/// pruned with that version.
pub(crate) const AUX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("aux");
/// The root of every committed version (big-endian version → 32 bytes), never pruned.
pub(crate) const ROOTS: TableDefinition<u64, &[u8]> = TableDefinition::new("roots");

pub(crate) const META_VERSION: &str = "version";
pub(crate) const META_ROOT: &str = "root";
/// The oldest version whose state is kept (absent: 0).
pub(crate) const META_OLDEST: &str = "oldest";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(String),
    #[error("merkle tree error: {0}")]
    Tree(String),
    #[error("cannot commit version {got}: the store is at version {have}, so the next is {}", have + 1)]
    OutOfOrder { have: u64, got: u64 },
    #[error("corrupt store: {0}")]
    Corrupt(String),
    #[error("the state at height {height} is pruned: this node keeps heights {oldest} and above")]
    Pruned { height: u64, oldest: u64 },
    #[error("snapshot refused: {0}")]
    BadSnapshot(String),
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self { StoreError::Db(e.to_string()) }
        }
    )*};
}
db_err!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// What a version changes: each key set to a value, or deleted (`None`).
pub type ChangeSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A version computed by [`Store::stage`], ready to commit.
pub struct StagedVersion {
    pub version: u64,
    pub root: Hash,
    batch: jmt::storage::TreeUpdateBatch,
}

/// The committed state. Cheap to share: reads take their own redb snapshot.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    /// How many newest versions to keep; 0 keeps all.
    retain: Arc<AtomicU64>,
}

/// Entries in each part of a store (see [`Store::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StoreStats {
    /// Tree nodes of every kept version.
    pub tree_nodes: u64,
    /// Versioned value rows of every kept version.
    pub value_rows: u64,
    /// Nodes and rows listed for deletion, due or not yet due.
    pub stale_listed: u64,
    /// Side-index entries (transaction results), pruned with the version that wrote them.
    pub side_index: u64,
}

/// The newest committed version and its root. `version` is `None` before the first commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub version: Option<u64>,
    pub root: Hash,
}

impl Store {
    /// Opens (or creates) the store at `path`. A store left by a crash is repaired by redb to
    /// its last committed transaction.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Database::builder()
            .set_cache_size(256 * 1024 * 1024)
            .create(path)?;
        let txn = db.begin_write()?;
        {
            txn.open_table(META)?;
            txn.open_table(AUX)?;
            txn.open_table(NODES)?;
            txn.open_table(VALUES)?;
            txn.open_table(ROOTS)?;
            txn.open_table(prune::STALE)?;
            txn.open_table(prune::SIDE_KEYS)?;
        }
        txn.commit()?;
        migrate::node_keys(&db)?;
        Ok(Store {
            db: Arc::new(db),
            retain: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Keeps only the newest `keep` versions from the next commit on (`None`: keep every
    /// version, the default). Shared by every clone of this store. Lowering it never makes a
    /// pruned version readable again; raising it keeps more from then on.
    pub fn set_retain_versions(&self, keep: Option<NonZeroU64>) {
        self.retain
            .store(keep.map_or(0, NonZeroU64::get), Ordering::Relaxed);
    }

    /// The oldest version whose state (values and proofs) is still kept.
    pub fn oldest_version(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        read_oldest(&txn)
    }

    /// How many tree nodes and value rows are listed for deletion, due or not yet due.
    pub fn prune_backlog(&self) -> Result<u64, StoreError> {
        prune::backlog(&self.db.begin_read()?)
    }

    /// How many entries each part of the store holds.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        use redb::ReadableTableMetadata;
        let txn = self.db.begin_read()?;
        Ok(StoreStats {
            tree_nodes: txn.open_table(NODES)?.len()?,
            value_rows: txn.open_table(VALUES)?.len()?,
            stale_listed: txn.open_table(prune::STALE)?.len()?,
            side_index: txn.open_table(AUX)?.len()?,
        })
    }

    /// The newest committed version and its root.
    pub fn committed(&self) -> Result<Committed, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let version = match meta.get(META_VERSION)? {
            None => None,
            Some(v) => {
                Some(u64::from_be_bytes(v.value().try_into().map_err(|_| {
                    StoreError::Corrupt("version is not 8 bytes".into())
                })?))
            }
        };
        let root = match meta.get(META_ROOT)? {
            None => Hash::ZERO,
            Some(v) => Hash::from_slice(v.value())
                .ok_or_else(|| StoreError::Corrupt("root is not 32 bytes".into()))?,
        };
        Ok(Committed { version, root })
    }

    /// The value of `key` in the newest committed version.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        // The newest version is never pruned.
        let txn = self.db.begin_read()?;
        let values = txn.open_table(VALUES)?;
        tree_io::latest_value(&values, key_hash(key), u64::MAX)
    }

    /// The value of `key` as of `version` (the newest write at or below it).
    pub fn get_at(&self, key: &[u8], version: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        refuse_pruned(&txn, version)?;
        let values = txn.open_table(VALUES)?;
        tree_io::latest_value(&values, key_hash(key), version)
    }

    /// A reader over one consistent snapshot, for many reads in a row.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let txn = self.db.begin_read()?;
        let values = txn.open_table(VALUES)?;
        Ok(Snapshot { values })
    }

    /// The value of `key` at `version` with a proof of it (or of its absence) against the root
    /// of that version.
    pub fn get_with_proof(
        &self,
        key: &[u8],
        version: u64,
    ) -> Result<(Option<Vec<u8>>, StateProof), StoreError> {
        let txn = self.db.begin_read()?;
        refuse_pruned(&txn, version)?;
        let reader = RedbTreeReader::new(&txn)?;
        let tree = JellyfishMerkleTree::<_, Blake3Hasher>::new(&reader);
        let (value, proof) = tree
            .get_with_proof(key_hash(key), version)
            .map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok((value, StateProof::from_jmt(&proof)))
    }

    /// The root of a committed version (`None` above the newest). Kept for every version,
    /// pruned or not, except those below the height a store was imported at.
    pub fn root_at(&self, version: u64) -> Result<Option<Hash>, StoreError> {
        let txn = self.db.begin_read()?;
        if let Some(root) = txn.open_table(ROOTS)?.get(version)? {
            return Hash::from_slice(root.value())
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt("root is not 32 bytes".into()));
        }
        // Stores written before roots were listed: the tree still has them.
        refuse_pruned(&txn, version)?;
        let reader = RedbTreeReader::new(&txn)?;
        let tree = JellyfishMerkleTree::<_, Blake3Hasher>::new(&reader);
        let root = tree
            .get_root_hash_option(version)
            .map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok(root.map(|r| Hash(r.0)))
    }

    /// Computes the tree for `version` = the next version after the committed one, applying
    /// `changes`. Nothing is written.
    pub fn stage(&self, version: u64, changes: &ChangeSet) -> Result<StagedVersion, StoreError> {
        let have = self.committed()?.version;
        let expected = have.map_or(0, |v| v + 1);
        if version != expected {
            return Err(StoreError::OutOfOrder {
                have: have.unwrap_or(0),
                got: version,
            });
        }
        let txn = self.db.begin_read()?;
        let reader = RedbTreeReader::new(&txn)?;
        let tree = JellyfishMerkleTree::<_, Blake3Hasher>::new(&reader);
        // A deletion of a key the committed state does not hold changes no node of the tree:
        // it is left out, so that a block whose rules clear keys that were never set (an empty
        // list emptied, say) still takes the batch insertion below. Such a key reads as absent
        // either way, and the root is the same.
        let mut hashed = Vec::with_capacity(changes.len());
        let mut has_deletes = false;
        {
            let values = txn.open_table(VALUES)?;
            for (k, v) in changes {
                let kh = key_hash(k);
                if v.is_none() {
                    if tree_io::latest_value(&values, kh, u64::MAX)?.is_none() {
                        continue;
                    }
                    has_deletes = true;
                }
                hashed.push((kh, v));
            }
        }
        let (root, batch) = if has_deletes {
            let set = hashed
                .into_iter()
                .map(|(kh, v)| (kh, v.clone()))
                .collect::<Vec<_>>();
            tree.put_value_set(set, version)
        } else {
            // The batch insertion builds each touched node once (instead of once per key),
            // several times faster for large blocks; it takes no deletions.
            let set = hashed
                .into_iter()
                .filter_map(|(kh, v)| v.clone().map(|v| (kh, v)))
                .collect::<Vec<_>>();
            tree.batch_put_value_sets(vec![set], None, version)
                .map(|(roots, batch)| (roots[0], batch))
        }
        .map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok(StagedVersion {
            version,
            root: Hash(root.0),
            batch,
        })
    }

    /// Writes a staged version and its side-index entries atomically and durably. Committing a
    /// version that is already committed is a no-op, so a driver may retry after a crash.
    pub fn commit(
        &self,
        staged: StagedVersion,
        aux: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let have = self.committed()?.version;
        if have.is_some_and(|v| v >= staged.version) {
            return Ok(());
        }
        let expected = have.map_or(0, |v| v + 1);
        if staged.version != expected {
            return Err(StoreError::OutOfOrder {
                have: have.unwrap_or(0),
                got: staged.version,
            });
        }
        let mut txn = self.db.begin_write()?;
        txn.set_quick_repair(true);
        // Listed before the values are written: it looks up each key's previous row.
        let listed = prune::record_stale(&txn, &staged.batch, staged.version)?
            + prune::record_side(&txn, staged.version, aux)?;
        tree_io::write_batch(&txn, &staged.batch.node_batch)?;
        {
            // In key order: entries keyed by hashes land all over the table, and in order
            // each page is visited once.
            let mut sorted: Vec<&(Vec<u8>, Vec<u8>)> = aux.iter().collect();
            sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let mut side = txn.open_table(AUX)?;
            for (k, v) in sorted {
                side.insert(k.as_slice(), v.as_slice())?;
            }
            txn.open_table(ROOTS)?
                .insert(staged.version, staged.root.0.as_slice())?;
            let mut meta = txn.open_table(META)?;
            meta.insert(META_VERSION, staged.version.to_be_bytes().as_slice())?;
            meta.insert(META_ROOT, staged.root.0.as_slice())?;
        }
        self.advance_oldest(&txn, staged.version, listed)?;
        #[cfg(test)]
        if prune::crash_requested() {
            // The transaction is dropped unfinished, as in a crash after pruning.
            return Err(StoreError::Db("stopped before the commit".into()));
        }
        txn.commit()?;
        Ok(())
    }

    /// Within the commit of `version`: moves the oldest kept version up to the retention and
    /// deletes a bounded share of what is due, in the same transaction, so a crash leaves
    /// either the version with its pruning or neither.
    fn advance_oldest(
        &self,
        txn: &redb::WriteTransaction,
        version: u64,
        listed: usize,
    ) -> Result<(), StoreError> {
        let mut oldest = read_oldest_in(&txn.open_table(META)?)?;
        let keep = self.retain.load(Ordering::Relaxed);
        if keep > 0 {
            let target = version.saturating_add(1).saturating_sub(keep);
            if target > oldest {
                oldest = target;
                txn.open_table(META)?
                    .insert(META_OLDEST, oldest.to_be_bytes().as_slice())?;
            }
        }
        if oldest > 0 {
            let budget = prune::PRUNE_FLOOR_PER_COMMIT.max(listed.saturating_mul(2));
            prune::prune_some(txn, oldest, budget)?;
        }
        Ok(())
    }

    /// A side-index entry written by [`Store::commit`] (`None` once its version is pruned).
    pub fn get_aux(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let side = txn.open_table(AUX)?;
        Ok(side.get(key)?.map(|v| v.value().to_vec()))
    }
}

/// Reads of the newest committed values from one redb snapshot.
pub struct Snapshot {
    values: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl Snapshot {
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        tree_io::latest_value(&self.values, key_hash(key), u64::MAX)
    }
}

fn read_oldest_in(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<u64, StoreError> {
    match meta.get(META_OLDEST)? {
        None => Ok(0),
        Some(v) => Ok(u64::from_be_bytes(v.value().try_into().map_err(|_| {
            StoreError::Corrupt("oldest version is not 8 bytes".into())
        })?)),
    }
}

fn read_oldest(txn: &redb::ReadTransaction) -> Result<u64, StoreError> {
    read_oldest_in(&txn.open_table(META)?)
}

/// Fails with [`StoreError::Pruned`] for a version older than the oldest kept.
pub(crate) fn refuse_pruned(txn: &redb::ReadTransaction, version: u64) -> Result<(), StoreError> {
    let oldest = read_oldest(txn)?;
    if version < oldest {
        return Err(StoreError::Pruned {
            height: version,
            oldest,
        });
    }
    Ok(())
}

/// The tree key under which `key` is stored.
pub fn key_hash(key: &[u8]) -> KeyHash {
    KeyHash::with::<Blake3Hasher>(key)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_migrate;
#[cfg(test)]
mod tests_prune;
