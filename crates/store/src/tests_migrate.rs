//! A store written with the older tree layout (nodes keyed by borsh(NodeKey), version first in
//! little-endian bytes) opens as the same store, also after a move stopped halfway.

use super::tests_prune::{assert_state, keep, open_at, run, History};
use super::*;
use jmt::storage::{NibblePath, NodeKey};
use redb::{ReadableTableMetadata, TableHandle};

const OLD_NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");
const OLD_STALE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("stale");

/// A node's key as older stores wrote it, from its current row key.
fn old_node_key(row: &[u8]) -> Vec<u8> {
    let version = u64::from_be_bytes(row[..8].try_into().unwrap());
    let path: NibblePath = borsh::from_slice(&row[8..]).unwrap();
    borsh::to_vec(&NodeKey::new(version, path)).unwrap()
}

/// Rewrites the closed store at `path` into the older layout. Returns how many tree nodes and
/// stale entries it wrote there.
fn downgrade(path: &Path) -> (u64, u64) {
    let db = Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut nodes = txn.open_table(tree_io::NODES).unwrap();
        let mut old = txn.open_table(OLD_NODES).unwrap();
        while let Some((k, v)) = nodes.pop_first().unwrap() {
            old.insert(old_node_key(k.value()).as_slice(), v.value())
                .unwrap();
        }
        let mut stale = txn.open_table(prune::STALE).unwrap();
        let mut old = txn.open_table(OLD_STALE).unwrap();
        while let Some((k, v)) = stale.pop_first().unwrap() {
            let mut key = k.value()[..9].to_vec();
            if key[8] == prune::KIND_NODE {
                key.extend(old_node_key(&k.value()[9..]));
            } else {
                key.extend_from_slice(&k.value()[9..]);
            }
            old.insert(key.as_slice(), v.value()).unwrap();
        }
    }
    assert!(txn.delete_table(tree_io::NODES).unwrap());
    assert!(txn.delete_table(prune::STALE).unwrap());
    txn.commit().unwrap();
    let read = db.begin_read().unwrap();
    let nodes = read.open_table(OLD_NODES).unwrap().len().unwrap();
    let stale = read.open_table(OLD_STALE).unwrap().len().unwrap();
    (nodes, stale)
}

fn table_names(path: &Path) -> Vec<String> {
    let db = Database::open(path).unwrap();
    let read = db.begin_read().unwrap();
    let names = read.list_tables().unwrap();
    names.map(|t| t.name().to_string()).collect()
}

/// Writes versions 0..30 keeping 10, into `name` and into a twin that is never downgraded.
fn two_stores(dir: &tempfile::TempDir, name: &str) -> (Store, History) {
    let twin = open_at(dir, "twin.redb");
    twin.set_retain_versions(keep(10));
    let store = open_at(dir, name);
    store.set_retain_versions(keep(10));
    let history = run(&store, 0, 30);
    assert_eq!(run(&twin, 0, 30), history);
    drop(store);
    (twin, history)
}

/// The moved store reads as the twin does, and goes on pruning as the twin does.
fn assert_same_as_twin(store: &Store, twin: &Store, history: &History) {
    for (v, (root, state)) in history.range(20..) {
        assert_state(store, *v, *root, state);
    }
    assert_eq!(store.stats().unwrap(), twin.stats().unwrap());
    store.set_retain_versions(keep(10));
    let later = run(store, 30, 60);
    assert_eq!(run(twin, 30, 60), later);
    for (v, (root, state)) in later.range(50..) {
        assert_state(store, *v, *root, state);
    }
    assert!(matches!(
        store.get_with_proof(b"key-1", 45),
        Err(StoreError::Pruned { oldest: 50, .. })
    ));
    assert_eq!(store.stats().unwrap(), twin.stats().unwrap());
}

#[test]
fn a_store_with_the_older_node_layout_opens_with_every_value_proof_and_root_and_prunes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.redb");
    let (twin, history) = two_stores(&dir, "old.redb");
    let (nodes, stale) = downgrade(&path);
    assert!(nodes > 100 && stale > 100, "{nodes} nodes, {stale} stale");

    let store = Store::open(&path).unwrap();
    let names = table_names_of(&store);
    assert!(
        !names.iter().any(|n| n == "jmt_nodes" || n == "stale"),
        "{names:?}"
    );
    assert_same_as_twin(&store, &twin, &history);
}

#[test]
fn a_move_stopped_halfway_carries_on_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.redb");
    let (twin, history) = two_stores(&dir, "old.redb");
    let (nodes, stale) = downgrade(&path);
    {
        let db = Database::open(&path).unwrap();
        migrate::node_keys_in_batches(&db, 7, 1).unwrap();
    }
    let names = table_names(&path);
    for table in [
        "jmt_nodes",
        "stale",
        "jmt_nodes_by_version",
        "stale_by_version",
    ] {
        assert!(names.iter().any(|n| n == table), "{table} in {names:?}");
    }
    {
        let db = Database::open(&path).unwrap();
        let read = db.begin_read().unwrap();
        assert_eq!(
            read.open_table(OLD_NODES).unwrap().len().unwrap(),
            nodes - 7
        );
        assert_eq!(
            read.open_table(OLD_STALE).unwrap().len().unwrap(),
            stale - 7
        );
    }

    let store = Store::open(&path).unwrap();
    assert_same_as_twin(&store, &twin, &history);
}

fn table_names_of(store: &Store) -> Vec<String> {
    let read = store.db.begin_read().unwrap();
    let names = read.list_tables().unwrap();
    names.map(|t| t.name().to_string()).collect()
}
