use super::*;

fn changes(pairs: &[(&str, Option<&str>)]) -> ChangeSet {
    pairs
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
        .collect()
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("state.redb")).unwrap();
    (dir, store)
}

#[test]
fn committed_values_come_back_with_proofs_that_verify() {
    let (_dir, store) = open();
    let v0 = store
        .stage(0, &changes(&[("alice", Some("10")), ("bob", Some("5"))]))
        .unwrap();
    let root0 = v0.root;
    store.commit(v0, &[]).unwrap();
    let v1 = store
        .stage(1, &changes(&[("alice", Some("7")), ("bob", None)]))
        .unwrap();
    let root1 = v1.root;
    store.commit(v1, &[]).unwrap();

    assert_eq!(store.get(b"alice").unwrap(), Some(b"7".to_vec()));
    assert_eq!(store.get_at(b"alice", 0).unwrap(), Some(b"10".to_vec()));
    assert_eq!(store.get(b"bob").unwrap(), None);
    assert_eq!(store.committed().unwrap().root, root1);
    assert_eq!(store.root_at(0).unwrap(), Some(root0));

    let (value, proof) = store.get_with_proof(b"alice", 1).unwrap();
    assert_eq!(value.as_deref(), Some(b"7".as_slice()));
    proof.verify(root1, b"alice", Some(b"7")).unwrap();
    assert!(proof.verify(root1, b"alice", Some(b"8")).is_err());
    assert!(proof.verify(root0, b"alice", Some(b"7")).is_err());

    let (absent, proof) = store.get_with_proof(b"bob", 1).unwrap();
    assert_eq!(absent, None);
    proof.verify(root1, b"bob", None).unwrap();
    assert!(proof.verify(root1, b"bob", Some(b"5")).is_err());
}

#[test]
fn staging_writes_nothing_and_commit_is_idempotent() {
    let (_dir, store) = open();
    let staged = store.stage(0, &changes(&[("k", Some("v"))])).unwrap();
    assert_eq!(store.get(b"k").unwrap(), None);
    assert_eq!(store.committed().unwrap().version, None);
    let again = store.stage(0, &changes(&[("k", Some("v"))])).unwrap();
    store
        .commit(staged, &[(b"aux".to_vec(), b"1".to_vec())])
        .unwrap();
    store.commit(again, &[]).unwrap();
    assert_eq!(store.committed().unwrap().version, Some(0));
    assert_eq!(store.get_aux(b"aux").unwrap(), Some(b"1".to_vec()));
}

#[test]
fn versions_must_be_committed_in_order() {
    let (_dir, store) = open();
    assert!(matches!(
        store.stage(3, &changes(&[("k", Some("v"))])),
        Err(StoreError::OutOfOrder { .. })
    ));
}

#[test]
fn state_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let root = {
        let store = Store::open(&path).unwrap();
        let staged = store.stage(0, &changes(&[("k", Some("v"))])).unwrap();
        let root = staged.root;
        store.commit(staged, &[]).unwrap();
        root
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.committed().unwrap(),
        Committed {
            version: Some(0),
            root
        }
    );
    assert_eq!(store.get(b"k").unwrap(), Some(b"v".to_vec()));
}

#[test]
fn the_same_changes_give_the_same_root_in_any_store() {
    let (_a, a) = open();
    let (_b, b) = open();
    let set = changes(&[("x", Some("1")), ("y", Some("2")), ("z", Some("3"))]);
    assert_eq!(
        a.stage(0, &set).unwrap().root,
        b.stage(0, &set).unwrap().root
    );
}

#[test]
fn deleting_a_key_never_set_leaves_the_root_as_without_it() {
    let (_dir, store) = open();
    let v0 = store.stage(0, &changes(&[("kept", Some("1"))])).unwrap();
    store.commit(v0, &[]).unwrap();
    let plain = store.stage(1, &changes(&[("kept", Some("2"))])).unwrap();
    let with_delete = store
        .stage(1, &changes(&[("kept", Some("2")), ("never", None)]))
        .unwrap();
    assert_eq!(plain.root, with_delete.root);
    store.commit(with_delete, &[]).unwrap();
    assert_eq!(store.get(b"never").unwrap(), None);
    assert_eq!(store.get(b"kept").unwrap(), Some(b"2".to_vec()));
    // A key that is held is still deleted, and the root moves.
    let held = store.stage(2, &changes(&[("kept", None)])).unwrap();
    assert_ne!(held.root, plain.root);
    store.commit(held, &[]).unwrap();
    assert_eq!(store.get(b"kept").unwrap(), None);
}
