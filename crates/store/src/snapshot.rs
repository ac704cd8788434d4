//! Snapshots: the whole state of one version in a file, from which an empty store can start.
//!
//! Layout: [`MAGIC`], then the borsh of a [`SnapshotHeader`], then `entries` pairs of
//! (key hash, value), each borsh-encoded, in strictly increasing key-hash order. The importer
//! rebuilds the tree from the pairs and refuses the file unless the rebuilt root is the
//! header's root (and the root the caller trusts, when given), so a changed, added, dropped or
//! reordered entry is caught before anything is written.

use crate::tree_io::VALUES;
use crate::{refuse_pruned, Blake3Hasher, Store, StoreError, META, ROOTS};
use crate::{META_OLDEST, META_ROOT, META_VERSION};
use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, Version};
use plexus_types::Hash;
use redb::ReadableTable;
use std::io::{Read, Write};

/// The first bytes of every snapshot file (format 1).
pub const MAGIC: &[u8; 24] = b"plexus state snapshot 1\n";

/// What a snapshot is of.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SnapshotHeader {
    /// The version (block height) captured.
    pub version: u64,
    /// The root of that version.
    pub root: [u8; 32],
    /// How many (key hash, value) pairs follow.
    pub entries: u64,
    /// Free text from the exporter (the chain id, for a node); not covered by the root.
    pub label: String,
}

fn bad(reason: impl Into<String>) -> StoreError {
    StoreError::BadSnapshot(reason.into())
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::BadSnapshot(e.to_string())
}

impl Store {
    /// Writes the state of `version` (which must be committed and kept) to `out`. The entries
    /// are gathered in memory first (the state's size).
    pub fn export_snapshot(
        &self,
        version: u64,
        label: &str,
        out: &mut impl Write,
    ) -> Result<SnapshotHeader, StoreError> {
        let txn = self.db.begin_read()?;
        refuse_pruned(&txn, version)?;
        let root = match txn.open_table(ROOTS)?.get(version)? {
            Some(r) => Hash::from_slice(r.value())
                .ok_or_else(|| StoreError::Corrupt("root is not 32 bytes".into()))?,
            None => return Err(bad(format!("version {version} is not committed"))),
        };
        let values = txn.open_table(VALUES)?;
        // Rows sort by key hash, then version: the last row at or below `version` of each key
        // hash is its value then.
        let mut entries: Vec<([u8; 32], Vec<u8>)> = Vec::new();
        let mut current: Option<([u8; 32], Option<Vec<u8>>)> = None;
        for row in values.iter()? {
            let (k, v) = row?;
            let (k, v) = (k.value(), v.value());
            let kh: [u8; 32] = k[..32].try_into().expect("value keys are 40 bytes");
            let at = u64::from_be_bytes(k[32..].try_into().expect("value keys are 40 bytes"));
            if current.as_ref().is_some_and(|(c, _)| *c != kh) {
                if let Some((c, Some(value))) = current.take() {
                    entries.push((c, value));
                }
            }
            if at <= version {
                let value = match v.first() {
                    Some(1) => Some(v[1..].to_vec()),
                    Some(0) => None,
                    _ => return Err(StoreError::Corrupt("value without a presence tag".into())),
                };
                current = Some((kh, value));
            }
        }
        if let Some((c, Some(value))) = current {
            entries.push((c, value));
        }
        let header = SnapshotHeader {
            version,
            root: root.0,
            entries: entries.len() as u64,
            label: label.to_string(),
        };
        out.write_all(MAGIC).map_err(io)?;
        header.serialize(out).map_err(io)?;
        for entry in &entries {
            entry.serialize(out).map_err(io)?;
        }
        out.flush().map_err(io)?;
        Ok(header)
    }

    /// Fills this empty store with the state in a snapshot, as its version, after checking
    /// that the entries give the header's root and, when given, `trusted_root`. Reads and
    /// proofs below that version are refused as pruned.
    pub fn import_snapshot(
        &self,
        input: &mut impl Read,
        trusted_root: Option<Hash>,
    ) -> Result<SnapshotHeader, StoreError> {
        if let Some(have) = self.committed()?.version {
            return Err(bad(format!(
                "the store is not empty (it is at version {have})"
            )));
        }
        let mut magic = [0u8; 24];
        input.read_exact(&mut magic).map_err(io)?;
        if &magic != MAGIC {
            return Err(bad("not a Plexus state snapshot (format 1)"));
        }
        let header = SnapshotHeader::deserialize_reader(input).map_err(io)?;
        if let Some(trusted) = trusted_root {
            if trusted.0 != header.root {
                return Err(bad(format!(
                    "the snapshot is of root {}, not the trusted root {trusted}",
                    Hash(header.root)
                )));
            }
        }
        let set = read_entries(input, header.entries)?;
        let base = EmptyBelow(header.version);
        let tree = JellyfishMerkleTree::<_, Blake3Hasher>::new(&base);
        let (roots, batch) = tree
            .batch_put_value_sets(vec![set], None, header.version)
            .map_err(|e| StoreError::Tree(e.to_string()))?;
        if roots[0].0 != header.root {
            return Err(bad(format!(
                "the entries give root {}, but the header says {}",
                Hash(roots[0].0),
                Hash(header.root)
            )));
        }
        let mut txn = self.db.begin_write()?;
        txn.set_quick_repair(true);
        crate::tree_io::write_batch(&txn, &batch.node_batch)?;
        txn.open_table(ROOTS)?
            .insert(header.version, header.root.as_slice())?;
        let mut meta = txn.open_table(META)?;
        if meta.get(META_VERSION)?.is_some() {
            return Err(bad(
                "the store is not empty (a version was committed meanwhile)",
            ));
        }
        let version = header.version.to_be_bytes();
        meta.insert(META_VERSION, version.as_slice())?;
        meta.insert(META_ROOT, header.root.as_slice())?;
        meta.insert(META_OLDEST, version.as_slice())?;
        drop(meta);
        txn.commit()?;
        Ok(header)
    }
}

/// Reads `count` entries, refusing an empty state, unsorted or repeated key hashes, and any
/// bytes after the last entry.
fn read_entries(
    input: &mut impl Read,
    count: u64,
) -> Result<Vec<(KeyHash, OwnedValue)>, StoreError> {
    if count == 0 {
        return Err(bad("the snapshot holds no entries"));
    }
    let mut set = Vec::new();
    let mut last: Option<[u8; 32]> = None;
    for _ in 0..count {
        let (kh, value) = <([u8; 32], Vec<u8>)>::deserialize_reader(input).map_err(io)?;
        if last.is_some_and(|l| l >= kh) {
            return Err(bad("entries are not in strictly increasing key order"));
        }
        last = Some(kh);
        set.push((KeyHash(kh), value));
    }
    let mut rest = [0u8; 1];
    if input.read(&mut rest).map_err(io)? != 0 {
        return Err(bad("bytes follow the last entry"));
    }
    Ok(set)
}

/// An empty tree whose version `.0 - 1` exists (with no keys), so a tree can be built at
/// version `.0` without the versions before it.
struct EmptyBelow(Version);

impl TreeReader for EmptyBelow {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let below = self.0.checked_sub(1);
        Ok(below
            .filter(|b| node_key.version() == *b && node_key.nibble_path().num_nibbles() == 0)
            .map(|_| Node::Null))
    }

    fn get_value_option(&self, _: Version, _: KeyHash) -> anyhow::Result<Option<OwnedValue>> {
        Ok(None)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        Ok(None)
    }
}
