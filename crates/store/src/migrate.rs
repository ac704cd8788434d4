//! Moves a store written with an older layout to the current one when it is opened.
//!
//! Older stores keyed tree nodes by borsh(NodeKey), whose version comes first in little-endian
//! bytes, so the nodes of one version were scattered over the whole table (tables `jmt_nodes`
//! and `stale`). The current layout puts the version first in big-endian bytes (tables
//! `jmt_nodes_by_version` and `stale_by_version`). The rows move in batches, each batch one
//! transaction that inserts the new rows and removes the old ones, so a crash at any moment
//! leaves every row in exactly one of the two tables and the next open carries on. A table is
//! dropped once it is empty. Nothing reads the store until the move is done.

use crate::prune::{KIND_NODE, STALE};
use crate::tree_io::{flip_version, NODES};
use crate::StoreError;
use redb::{Database, ReadableTableMetadata, TableDefinition, TableHandle};

const OLD_NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");
const OLD_STALE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("stale");

/// Rows moved per transaction: large enough to be quick, small enough to bound a
/// transaction's memory.
const BATCH: usize = 50_000;

/// Moves any rows still in the older tables to the current ones.
pub(crate) fn node_keys(db: &Database) -> Result<(), StoreError> {
    node_keys_in_batches(db, BATCH, usize::MAX)
}

/// Moves rows `batch` at a time, stopping after `max_batches` transactions per table (as a
/// crash would).
pub(crate) fn node_keys_in_batches(
    db: &Database,
    batch: usize,
    max_batches: usize,
) -> Result<(), StoreError> {
    move_table(db, OLD_NODES, NODES, flip_version, batch, max_batches)?;
    move_table(db, OLD_STALE, STALE, flip_stale_node, batch, max_batches)
}

/// A stale entry is since ‖ kind ‖ what; for a tree node, `what` is the node's key.
fn flip_stale_node(key: &mut [u8]) -> Result<(), StoreError> {
    match key.get(8) {
        Some(&KIND_NODE) => flip_version(&mut key[9..]),
        Some(_) => Ok(()),
        None => Err(StoreError::Corrupt("stale entry without a kind".into())),
    }
}

fn move_table(
    db: &Database,
    old: TableDefinition<&[u8], &[u8]>,
    new: TableDefinition<&[u8], &[u8]>,
    convert: fn(&mut [u8]) -> Result<(), StoreError>,
    batch: usize,
    max_batches: usize,
) -> Result<(), StoreError> {
    let exists = db
        .begin_read()?
        .list_tables()?
        .any(|table| table.name() == old.name());
    if !exists {
        return Ok(());
    }
    let total = db.begin_read()?.open_table(old)?.len()?;
    tracing::info!(
        table = old.name(),
        rows = total,
        "moving the store's tree to its current layout"
    );
    let mut moved = 0u64;
    for _ in 0..max_batches {
        let txn = db.begin_write()?;
        let done = {
            let mut from = txn.open_table(old)?;
            let mut to = txn.open_table(new)?;
            let mut count = 0;
            while count < batch {
                let Some((key, value)) = from.pop_first()? else {
                    break;
                };
                let mut key = key.value().to_vec();
                let value = value.value().to_vec();
                convert(&mut key)?;
                to.insert(key.as_slice(), value.as_slice())?;
                count += 1;
            }
            moved += count as u64;
            count < batch
        };
        if done {
            txn.delete_table(old)?;
        }
        txn.commit()?;
        if done {
            break;
        }
        tracing::info!(table = old.name(), moved, total, "moving the store's tree");
    }
    Ok(())
}
