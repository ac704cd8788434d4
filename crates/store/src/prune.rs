//! Pruning: the tree nodes and value rows that only old versions read are listed when they go
//! stale, and deleted a bounded amount at each commit once every version that read them is
//! older than the oldest version the store keeps.
//!
//! `stale`: stale-since version (big-endian) ‖ kind ‖ what → nothing. A node or value row listed
//! under version `v` is read only by versions below `v` (version `v` replaced it), so it may go
//! once the oldest kept version is `v` or more. A deletion's tombstone is listed under its own
//! version, after the value it hid (rows of one key sort by version), so the hidden value is
//! always deleted first and a read never sees it again. The side-index entries (transactions'
//! results) written with version `v` go with their version: their keys are kept in one row of
//! `side_keys` (version → the keys), listed once under `v + 1`, so a block of many transactions
//! lists one entry, not one per transaction. (Stores written before list each entry on its
//! own, under `KIND_SIDE`; those are still deleted.)

use crate::tree_io::{node_row_key, value_key, NODES, VALUES};
use crate::{StoreError, AUX};
use jmt::storage::TreeUpdateBatch;
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction};

/// Named for the node row keys it lists (see `tree_io`): a store with the older layout is
/// moved over when it is opened (see `migrate`).
pub(crate) const STALE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("stale_by_version");

/// The keys of the side-index entries each version wrote: version → each key as its length
/// (4 bytes, big-endian) and its bytes.
pub(crate) const SIDE_KEYS: TableDefinition<u64, &[u8]> =
    TableDefinition::new("side_keys_by_version");

pub(crate) const KIND_NODE: u8 = 0;
const KIND_VALUE: u8 = 1;
const KIND_SIDE: u8 = 2;
/// Every side-index entry of one version (`what`: the version, big-endian; its keys in
/// `side_keys`).
const KIND_SIDE_LIST: u8 = 3;

/// The fewest stale entries a commit deletes when that many are due. A commit also deletes up
/// to twice what it made stale itself, so a backlog shrinks with every block, and no commit
/// does more than a constant times its own writes (or this floor).
pub(crate) const PRUNE_FLOOR_PER_COMMIT: usize = 4096;

fn stale_key(since: u64, kind: u8, what: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + what.len());
    k.extend_from_slice(&since.to_be_bytes());
    k.push(kind);
    k.extend_from_slice(what);
    k
}

/// Lists what committing `batch` as `version` makes stale: the nodes jmt replaced, the value
/// row each written key had before, and each deletion's own tombstone. Call before the batch's
/// values are inserted. Returns how many entries were listed.
pub(crate) fn record_stale(
    txn: &WriteTransaction,
    batch: &TreeUpdateBatch,
    version: u64,
) -> Result<usize, StoreError> {
    let mut stale = txn.open_table(STALE)?;
    let values = txn.open_table(VALUES)?;
    let mut listed = 0;
    for index in &batch.stale_node_index_batch {
        let node_key = node_row_key(&index.node_key)?;
        stale.insert(
            stale_key(index.stale_since_version, KIND_NODE, &node_key).as_slice(),
            [].as_slice(),
        )?;
        listed += 1;
    }
    for ((written_at, kh), value) in batch.node_batch.values() {
        if let Some(before) = written_at.checked_sub(1) {
            let lo = value_key(*kh, 0);
            let hi = value_key(*kh, before);
            if let Some(entry) = values.range(lo.as_slice()..=hi.as_slice())?.next_back() {
                let (old_key, _) = entry?;
                stale.insert(
                    stale_key(version, KIND_VALUE, old_key.value()).as_slice(),
                    [].as_slice(),
                )?;
                listed += 1;
            }
        }
        if value.is_none() {
            let own = value_key(*kh, *written_at);
            stale.insert(
                stale_key(version, KIND_VALUE, &own).as_slice(),
                [].as_slice(),
            )?;
            listed += 1;
        }
    }
    Ok(listed)
}

/// Lists the side-index entries written with `version`, to go with it. Returns how many.
pub(crate) fn record_side(
    txn: &WriteTransaction,
    version: u64,
    aux: &[(Vec<u8>, Vec<u8>)],
) -> Result<usize, StoreError> {
    let Some(since) = version.checked_add(1) else {
        return Ok(0);
    };
    if aux.is_empty() {
        return Ok(0);
    }
    let mut keys = Vec::with_capacity(aux.iter().map(|(k, _)| 4 + k.len()).sum());
    for (k, _) in aux {
        let len = u32::try_from(k.len())
            .map_err(|_| StoreError::Db("a side-index key over 4 GiB".into()))?;
        keys.extend_from_slice(&len.to_be_bytes());
        keys.extend_from_slice(k);
    }
    txn.open_table(SIDE_KEYS)?
        .insert(version, keys.as_slice())?;
    txn.open_table(STALE)?.insert(
        stale_key(since, KIND_SIDE_LIST, &version.to_be_bytes()).as_slice(),
        [].as_slice(),
    )?;
    Ok(aux.len())
}

/// The keys a `side_keys` row lists.
fn side_keys(row: &[u8]) -> Result<Vec<&[u8]>, StoreError> {
    let corrupt = || StoreError::Corrupt("a truncated list of side-index keys".into());
    let mut keys = Vec::new();
    let mut rest = row;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let len = u32::from_be_bytes(*len) as usize;
        if tail.len() < len {
            return Err(corrupt());
        }
        let (key, tail) = tail.split_at(len);
        keys.push(key);
        rest = tail;
    }
    Ok(keys)
}

/// Deletes up to `budget` stale entries that no version at or above `oldest` reads, oldest
/// first. Returns how many were deleted; the rest wait for later commits.
pub(crate) fn prune_some(
    txn: &WriteTransaction,
    oldest: u64,
    budget: usize,
) -> Result<usize, StoreError> {
    let mut stale = txn.open_table(STALE)?;
    let due: Vec<Vec<u8>> = {
        let range = match oldest.checked_add(1) {
            Some(end) => stale.range(..end.to_be_bytes().as_slice())?,
            None => stale.range::<&[u8]>(..)?,
        };
        let mut due = Vec::new();
        for entry in range.take(budget) {
            due.push(entry?.0.value().to_vec());
        }
        due
    };
    let mut nodes = txn.open_table(NODES)?;
    let mut values = txn.open_table(VALUES)?;
    let mut side = txn.open_table(AUX)?;
    let mut side_lists = txn.open_table(SIDE_KEYS)?;
    for key in &due {
        match key.get(8) {
            Some(&KIND_NODE) => {
                nodes.remove(&key[9..])?;
            }
            Some(&KIND_VALUE) => {
                values.remove(&key[9..])?;
            }
            Some(&KIND_SIDE) => {
                side.remove(&key[9..])?;
            }
            Some(&KIND_SIDE_LIST) => {
                let version = key[9..].try_into().map(u64::from_be_bytes).map_err(|_| {
                    StoreError::Corrupt("a side list entry without its version".into())
                })?;
                let row = side_lists.remove(version)?;
                if let Some(row) = row {
                    for k in side_keys(row.value())? {
                        side.remove(k)?;
                    }
                }
            }
            _ => return Err(StoreError::Corrupt("stale entry of unknown kind".into())),
        }
        stale.remove(key.as_slice())?;
    }
    Ok(due.len())
}

/// How many stale entries are listed (due or not yet due).
pub(crate) fn backlog(txn: &redb::ReadTransaction) -> Result<u64, StoreError> {
    Ok(txn.open_table(STALE)?.len()?)
}

#[cfg(test)]
thread_local! {
    static CRASH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes this thread's next commit stop after pruning, before its transaction commits.
#[cfg(test)]
pub(crate) fn crash_next_commit() {
    CRASH.with(|c| c.set(true));
}

#[cfg(test)]
pub(crate) fn crash_requested() -> bool {
    CRASH.with(|c| c.replace(false))
}
