//! Authenticated, versioned key-value state: a Jellyfish Merkle tree (jmt) whose nodes and
//! values live in redb.
//!
//! Versions are block heights. [`Store::stage`] computes the root of the next version without
//! writing anything; [`Store::commit`] writes the tree nodes, the values, the height, the root
//! and any side-index entries in one redb transaction (fsync'd), so a crash leaves either the
//! whole version or none of it. Proofs of inclusion and of absence can be had for any committed
//! version. The store knows nothing of what the keys mean.

mod hasher;
mod proof;
mod tree_io;

pub use hasher::Blake3Hasher;
pub use proof::{ProofError, StateProof};

use jmt::{JellyfishMerkleTree, KeyHash};
use plexus_types::Hash;
use redb::{Database, TableDefinition};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tree_io::{value_key, RedbTreeReader, NODES, VALUES};

/// Height, root and other bookkeeping.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Unauthenticated side indexes written with a version (for example transaction results).
const AUX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("aux");

const META_VERSION: &str = "version";
const META_ROOT: &str = "root";

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
        }
        txn.commit()?;
        Ok(Store { db: Arc::new(db) })
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
        self.get_at(key, u64::MAX)
    }

    /// The value of `key` as of `version` (the newest write at or below it).
    pub fn get_at(&self, key: &[u8], version: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
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
        let reader = RedbTreeReader::new(&self.db)?;
        let tree = JellyfishMerkleTree::<_, Blake3Hasher>::new(&reader);
        let (value, proof) = tree
            .get_with_proof(key_hash(key), version)
            .map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok((value, StateProof::from_jmt(&proof)))
    }

    /// The root of a committed version.
    pub fn root_at(&self, version: u64) -> Result<Option<Hash>, StoreError> {
        let reader = RedbTreeReader::new(&self.db)?;
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
        let reader = RedbTreeReader::new(&self.db)?;
        let tree = JellyfishMerkleTree::<_, Blake3Hasher>::new(&reader);
        let has_deletes = changes.values().any(Option::is_none);
        let (root, batch) = if has_deletes {
            let set = changes
                .iter()
                .map(|(k, v)| (key_hash(k), v.clone()))
                .collect::<Vec<_>>();
            tree.put_value_set(set, version)
        } else {
            // The batch insertion builds each touched node once (instead of once per key),
            // several times faster for large blocks; it takes no deletions.
            let set = changes
                .iter()
                .filter_map(|(k, v)| v.clone().map(|v| (key_hash(k), v)))
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
        {
            let mut nodes = txn.open_table(NODES)?;
            for (node_key, node) in staged.batch.node_batch.nodes() {
                let k = borsh::to_vec(node_key).map_err(|e| StoreError::Tree(e.to_string()))?;
                let v = borsh::to_vec(node).map_err(|e| StoreError::Tree(e.to_string()))?;
                nodes.insert(k.as_slice(), v.as_slice())?;
            }
            let mut values = txn.open_table(VALUES)?;
            for ((version, kh), value) in staged.batch.node_batch.values() {
                let k = value_key(*kh, *version);
                let v = tree_io::encode_value(value.as_deref());
                values.insert(k.as_slice(), v.as_slice())?;
            }
            let mut side = txn.open_table(AUX)?;
            for (k, v) in aux {
                side.insert(k.as_slice(), v.as_slice())?;
            }
            let mut meta = txn.open_table(META)?;
            meta.insert(META_VERSION, staged.version.to_be_bytes().as_slice())?;
            meta.insert(META_ROOT, staged.root.0.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// A side-index entry written by [`Store::commit`].
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

/// The tree key under which `key` is stored.
pub fn key_hash(key: &[u8]) -> KeyHash {
    KeyHash::with::<Blake3Hasher>(key)
}

#[cfg(test)]
mod tests;
