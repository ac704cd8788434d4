//! Pruning and snapshots, as a node operator and a client asking for proofs see them.

use super::*;
use std::collections::BTreeMap;

pub(crate) fn keep(n: u64) -> Option<NonZeroU64> {
    NonZeroU64::new(n)
}

pub(crate) fn open_at(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(&dir.path().join(name)).unwrap()
}

/// The changes of version `v`: a few of 40 keys rewritten, one deleted, one deleted key
/// brought back, so tombstones and rewrites both occur.
fn changes_of(v: u64) -> ChangeSet {
    let mut c = ChangeSet::new();
    for i in 0..5u64 {
        let k = (v * 7 + i * 3) % 40;
        c.insert(
            format!("key-{k}").into_bytes(),
            Some(format!("{v}:{i}").into_bytes()),
        );
    }
    c.insert(format!("key-{}", (v * 11) % 40).into_bytes(), None);
    c
}

/// Each version's root and whole state.
pub(crate) type History = BTreeMap<u64, (Hash, BTreeMap<Vec<u8>, Vec<u8>>)>;

/// Commits versions `from..to`, returning the whole state after each version.
pub(crate) fn run(store: &Store, from: u64, to: u64) -> History {
    let mut state: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    if from > 0 {
        for i in 0..40 {
            let k = format!("key-{i}").into_bytes();
            if let Some(v) = store.get(&k).unwrap() {
                state.insert(k, v);
            }
        }
    }
    let mut out = BTreeMap::new();
    for v in from..to {
        let c = changes_of(v);
        for (k, val) in &c {
            match val {
                Some(val) => state.insert(k.clone(), val.clone()),
                None => state.remove(k),
            };
        }
        let staged = store.stage(v, &c).unwrap();
        let root = staged.root;
        store.commit(staged, &[]).unwrap();
        out.insert(v, (root, state.clone()));
    }
    out
}

/// Every key's value at `v` and its proof against that version's root are as expected.
pub(crate) fn assert_state(store: &Store, v: u64, root: Hash, state: &BTreeMap<Vec<u8>, Vec<u8>>) {
    assert_eq!(store.root_at(v).unwrap(), Some(root));
    for i in 0..40 {
        let k = format!("key-{i}").into_bytes();
        let want = state.get(&k).map(Vec::as_slice);
        assert_eq!(
            store.get_at(&k, v).unwrap().as_deref(),
            want,
            "key-{i} at {v}"
        );
        let (value, proof) = store.get_with_proof(&k, v).unwrap();
        assert_eq!(value.as_deref(), want, "key-{i} at {v}");
        proof.verify(root, &k, want).unwrap();
    }
}

#[test]
fn a_proof_at_a_pruned_height_is_refused_naming_the_oldest_kept_height() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_at(&dir, "s.redb");
    store.set_retain_versions(keep(10));
    let history = run(&store, 0, 60);
    assert_eq!(store.oldest_version().unwrap(), 50);
    for asked in [0, 5, 49] {
        let err = store.get_with_proof(b"key-1", asked).unwrap_err();
        assert!(
            matches!(err, StoreError::Pruned { height, oldest: 50 } if height == asked),
            "{err}"
        );
        assert!(
            err.to_string().contains("keeps heights 50 and above"),
            "{err}"
        );
        assert!(matches!(
            store.get_at(b"key-1", asked),
            Err(StoreError::Pruned { .. })
        ));
        // Roots of pruned heights stay, so old block headers can still be checked.
        assert_eq!(store.root_at(asked).unwrap(), Some(history[&asked].0));
    }
}

#[test]
fn recent_heights_still_prove_every_key_after_pruning() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_at(&dir, "s.redb");
    store.set_retain_versions(keep(10));
    let history = run(&store, 0, 200);
    for v in 190..200 {
        let (root, state) = &history[&v];
        assert_state(&store, v, *root, state);
    }
    // Pruning actually ran: old nodes of version 100 are gone.
    let txn = store.db.begin_read().unwrap();
    let reader = RedbTreeReader::new(&txn).unwrap();
    let tree = JellyfishMerkleTree::<_, Blake3Hasher>::new(&reader);
    assert!(tree.get_with_proof(key_hash(b"key-1"), 100).is_err());
}

#[test]
fn pruning_on_an_unpruned_store_keeps_what_is_newer_than_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_at(&dir, "s.redb");
    let history = run(&store, 0, 50);
    assert_state(&store, 3, history[&3].0, &history[&3].1);
    store.set_retain_versions(keep(5));
    let more = run(&store, 50, 60);
    assert_eq!(store.oldest_version().unwrap(), 55);
    for v in 55..60 {
        assert_state(&store, v, more[&v].0, &more[&v].1);
    }
    // The history written before pruning was switched on is deleted too.
    assert!(store.prune_backlog().unwrap() < 1000);
    let txn = store.db.begin_read().unwrap();
    let reader = RedbTreeReader::new(&txn).unwrap();
    let tree = JellyfishMerkleTree::<_, Blake3Hasher>::new(&reader);
    assert!(tree.get_with_proof(key_hash(b"key-1"), 3).is_err());
}

#[test]
fn a_large_backlog_is_deleted_a_bounded_share_per_commit_so_no_block_stalls() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_at(&dir, "s.redb");
    run(&store, 0, 600);
    let before = store.prune_backlog().unwrap();
    let floor = prune::PRUNE_FLOOR_PER_COMMIT as u64;
    assert!(before > 2 * floor, "backlog {before}");
    store.set_retain_versions(keep(5));
    let more = run(&store, 600, 601);
    // This block made a few dozen entries stale, so it deleted at most the floor.
    assert!(store.prune_backlog().unwrap() >= before - floor);
    assert_state(&store, 600, more[&600].0, &more[&600].1);
    let more = run(&store, 601, 606);
    assert!(store.prune_backlog().unwrap() < 1000);
    for v in 601..606 {
        assert_state(&store, v, more[&v].0, &more[&v].1);
    }
}

#[test]
fn a_transaction_result_goes_with_its_pruned_height_and_recent_ones_stay() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_at(&dir, "s.redb");
    store.set_retain_versions(keep(5));
    // Three results a height, given out of key order.
    for v in 0..20u64 {
        let aux: Vec<_> = [2u8, 0, 1]
            .iter()
            .map(|i| (format!("tx/{v}/{i}").into_bytes(), vec![v as u8, *i]))
            .collect();
        store
            .commit(store.stage(v, &changes_of(v)).unwrap(), &aux)
            .unwrap();
    }
    // Heights 15..=19 are kept; the results written with them stay, older ones are gone.
    for v in 0..20u64 {
        for i in 0..3u8 {
            let found = store.get_aux(format!("tx/{v}/{i}").as_bytes()).unwrap();
            let want = (v >= 15).then(|| vec![v as u8, i]);
            assert_eq!(found, want, "result {i} of height {v}");
        }
    }
    assert_eq!(store.stats().unwrap().side_index, 15);
}

fn file_len(dir: &tempfile::TempDir, name: &str) -> u64 {
    std::fs::metadata(dir.path().join(name)).unwrap().len()
}

/// Rewrites 20 keys at each of `versions` versions, returning the file size every 125.
fn rewrite_many(store: &Store, dir: &tempfile::TempDir, name: &str, versions: u64) -> Vec<u64> {
    let mut sizes = Vec::new();
    for v in 0..versions {
        let c: ChangeSet = (0..20u64)
            .map(|i| {
                (
                    format!("k{i}").into_bytes(),
                    Some(v.to_be_bytes().repeat(4)),
                )
            })
            .collect();
        store.commit(store.stage(v, &c).unwrap(), &[]).unwrap();
        if (v + 1).is_multiple_of(125) {
            sizes.push(file_len(dir, name));
        }
    }
    sizes
}

#[test]
fn rewriting_the_same_keys_over_a_thousand_versions_keeps_a_pruned_store_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let pruned = open_at(&dir, "pruned.redb");
    pruned.set_retain_versions(keep(100));
    let pruned_sizes = rewrite_many(&pruned, &dir, "pruned.redb", 1000);
    let full = open_at(&dir, "full.redb");
    let full_sizes = rewrite_many(&full, &dir, "full.redb", 1000);
    eprintln!("pruned sizes every 125 versions: {pruned_sizes:?}");
    eprintln!("unpruned sizes every 125 versions: {full_sizes:?}");
    // After the first 125 versions the pruned file stops growing; the unpruned one does not.
    let (first, last) = (pruned_sizes[0], pruned_sizes[7]);
    assert!(
        last <= first + first / 5,
        "pruned store grew: {pruned_sizes:?}"
    );
    assert!(
        full_sizes[7] >= 3 * full_sizes[0],
        "unpruned store should grow: {full_sizes:?}"
    );
    // What is listed for deletion stays bounded too (about 100 versions' worth).
    assert!(pruned.prune_backlog().unwrap() < 200 * 200);
}

#[test]
fn a_crash_while_pruning_loses_no_committed_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let history = {
        let store = Store::open(&path).unwrap();
        store.set_retain_versions(keep(10));
        let history = run(&store, 0, 40);
        let staged = store.stage(40, &changes_of(40)).unwrap();
        prune::crash_next_commit();
        assert!(store.commit(staged, &[]).is_err());
        history
    };
    let store = Store::open(&path).unwrap();
    store.set_retain_versions(keep(10));
    assert_eq!(
        store.committed().unwrap(),
        Committed {
            version: Some(39),
            root: history[&39].0
        }
    );
    assert_eq!(store.oldest_version().unwrap(), 30);
    for v in 30..40 {
        assert_state(&store, v, history[&v].0, &history[&v].1);
    }
    // The chain goes on from where it was, to the same roots.
    let more = run(&store, 40, 45);
    let reference = open_at(&dir, "reference.redb");
    let same = run(&reference, 0, 45);
    assert_eq!(more[&44].0, same[&44].0);
}

fn export(store: &Store, version: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    store
        .export_snapshot(version, "plexus-test", &mut bytes)
        .unwrap();
    bytes
}

#[test]
fn a_snapshot_imported_elsewhere_has_the_same_root_values_and_future() {
    let dir = tempfile::tempdir().unwrap();
    let source = open_at(&dir, "source.redb");
    source.set_retain_versions(keep(10));
    let history = run(&source, 0, 80);
    let bytes = export(&source, 75);

    let copy = open_at(&dir, "copy.redb");
    let header = copy
        .import_snapshot(&mut bytes.as_slice(), Some(history[&75].0))
        .unwrap();
    assert_eq!((header.version, header.label.as_str()), (75, "plexus-test"));
    assert_eq!(copy.committed().unwrap().version, Some(75));
    assert_state(&copy, 75, history[&75].0, &history[&75].1);
    assert!(matches!(
        copy.get_with_proof(b"key-1", 74),
        Err(StoreError::Pruned {
            height: 74,
            oldest: 75
        })
    ));
    // The copy commits the following blocks to the same roots as the source did.
    let copy_history = run(&copy, 76, 80);
    assert_eq!(copy_history[&79].0, history[&79].0);
    // A pruned height cannot be exported.
    let mut sink = Vec::new();
    assert!(matches!(
        source.export_snapshot(5, "", &mut sink),
        Err(StoreError::Pruned { .. })
    ));
}

#[test]
fn a_tampered_snapshot_is_refused_and_leaves_the_store_empty() {
    let dir = tempfile::tempdir().unwrap();
    let source = open_at(&dir, "source.redb");
    let history = run(&source, 0, 20);
    let good = export(&source, 19);

    let mut changed_value = good.clone();
    let last = changed_value.len() - 1;
    changed_value[last] ^= 1;
    let mut truncated = good.clone();
    truncated.truncate(good.len() - 3);
    let mut extra = good.clone();
    extra.push(0);
    // A whole snapshot of another version, presented as trusted for version 19.
    let other = export(&source, 18);

    let attempts: [(&str, &[u8], Option<Hash>); 4] = [
        ("changed value", &changed_value, None),
        ("truncated", &truncated, None),
        ("trailing bytes", &extra, None),
        ("another root", &other, Some(history[&19].0)),
    ];
    for (what, bytes, trusted) in attempts {
        let target = open_at(&dir, &format!("{what}.redb"));
        let err = target
            .import_snapshot(&mut &bytes[..], trusted)
            .unwrap_err();
        assert!(matches!(err, StoreError::BadSnapshot(_)), "{what}: {err}");
        assert_eq!(target.committed().unwrap().version, None, "{what}");
    }
    // A store that already holds a chain is not overwritten.
    let err = source
        .import_snapshot(&mut good.as_slice(), None)
        .unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
}
