//! How tree nodes and versioned values are laid out in redb.
//!
//! `nodes`: node row key → borsh(Node), where the row key is the node's version (big-endian)
//! followed by borsh(its nibble path). Nodes written by one version are adjacent, at the end of
//! the table, so a commit appends to a few pages instead of touching pages all over a table
//! that grows with the state. `values`: key hash ‖ version (big-endian, so a range scan finds
//! the newest version at or below a bound) → 0 (deleted) or 1 ‖ value.

use crate::{Blake3Hasher, StoreError};
use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Version};
use redb::{ReadableTable, TableDefinition, WriteTransaction};

pub(crate) const NODES: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("jmt_nodes_by_version");
pub(crate) const VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_values");

pub(crate) fn value_key(kh: KeyHash, version: Version) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(&kh.0);
    k[32..].copy_from_slice(&version.to_be_bytes());
    k
}

/// The row key of a tree node: version (big-endian) ‖ borsh(nibble path).
pub(crate) fn node_row_key(node_key: &NodeKey) -> Result<Vec<u8>, StoreError> {
    // borsh writes the version first, little-endian; its bytes are reversed in place.
    let mut k = borsh::to_vec(node_key).map_err(|e| StoreError::Tree(e.to_string()))?;
    flip_version(&mut k)?;
    Ok(k)
}

/// Turns the leading little-endian version of an encoded node key into big-endian, or back.
pub(crate) fn flip_version(key: &mut [u8]) -> Result<(), StoreError> {
    match key.get_mut(..8) {
        Some(version) => {
            version.reverse();
            Ok(())
        }
        None => Err(StoreError::Corrupt(
            "tree node key shorter than a version".into(),
        )),
    }
}

pub(crate) fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        None => vec![0],
        Some(v) => {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(1);
            out.extend_from_slice(v);
            out
        }
    }
}

pub(crate) fn latest_value(
    values: &impl ReadableTable<&'static [u8], &'static [u8]>,
    kh: KeyHash,
    max_version: Version,
) -> Result<Option<Vec<u8>>, StoreError> {
    let lo = value_key(kh, 0);
    let hi = value_key(kh, max_version);
    let mut range = values.range(lo.as_slice()..=hi.as_slice())?;
    match range.next_back() {
        None => Ok(None),
        Some(entry) => {
            let (_, v) = entry?;
            let v = v.value();
            match v.first() {
                Some(1) => Ok(Some(v[1..].to_vec())),
                Some(0) => Ok(None),
                _ => Err(StoreError::Corrupt("value without a presence tag".into())),
            }
        }
    }
}

/// Writes the tree nodes and value rows of one version.
pub(crate) fn write_batch(txn: &WriteTransaction, batch: &NodeBatch) -> Result<(), StoreError> {
    let mut nodes = txn.open_table(NODES)?;
    for (node_key, node) in batch.nodes() {
        let k = node_row_key(node_key)?;
        let v = borsh::to_vec(node).map_err(|e| StoreError::Tree(e.to_string()))?;
        nodes.insert(k.as_slice(), v.as_slice())?;
    }
    let mut values = txn.open_table(VALUES)?;
    for ((version, kh), value) in batch.values() {
        let k = value_key(*kh, *version);
        let v = encode_value(value.as_deref());
        values.insert(k.as_slice(), v.as_slice())?;
    }
    Ok(())
}

/// Gives jmt read access to one redb snapshot.
pub(crate) struct RedbTreeReader {
    nodes: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
    values: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl RedbTreeReader {
    pub(crate) fn new(txn: &redb::ReadTransaction) -> Result<Self, StoreError> {
        Ok(RedbTreeReader {
            nodes: txn.open_table(NODES)?,
            values: txn.open_table(VALUES)?,
        })
    }
}

impl TreeReader for RedbTreeReader {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let k = node_row_key(node_key)?;
        match self.nodes.get(k.as_slice())? {
            None => Ok(None),
            Some(v) => Ok(Some(borsh::from_slice(v.value())?)),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(latest_value(&self.values, key_hash, max_version)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only needed to restore a tree from chunks, which Plexus does not do.
        anyhow::bail!("restoring a tree from chunks is not supported")
    }
}

// Keep the hasher type referenced so the reader and tree agree on it in one place.
#[allow(dead_code)]
type TreeHasher = Blake3Hasher;
