//! Collections of ids in the state with one entry per member, so that adding or removing one
//! costs the same however many there are, and reads page through them.
//!
//! Under a prefix `p`: `p‖n` holds the count, `p‖at‖slot` the id in that slot. An [`IdList`]
//! only appends, so its slots are in insertion order. An [`IdSet`] also removes: `p‖pos‖id`
//! holds an id's slot, and the last member takes the slot of the one removed. A [`KeySet`] is
//! an [`IdSet`] of public keys (`p‖key‖k` holds a key's slot).

use crate::overlay::StateOverlay;
use crate::stored;
use plexus_store::{Snapshot, Store, StoreError};
use plexus_types::PublicKey;

fn count_key(prefix: &[u8]) -> Vec<u8> {
    [prefix, b"n"].concat()
}

fn slot_key(prefix: &[u8], slot: u64) -> Vec<u8> {
    [prefix, b"at", &slot.to_be_bytes()].concat()
}

fn pos_key(prefix: &[u8], id: u64) -> Vec<u8> {
    [prefix, b"pos", &id.to_be_bytes()].concat()
}

fn read_id(bytes: Option<Vec<u8>>, what: &str) -> Result<u64, StoreError> {
    bytes
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .ok_or_else(|| StoreError::Corrupt(format!("{what}: a slot without its id")))
}

/// An append-only list of ids.
pub(crate) struct IdList(pub Vec<u8>);

impl IdList {
    pub(crate) fn push(&self, state: &mut StateOverlay<'_>, id: u64) -> Result<(), StoreError> {
        let n = state.get_u64(&count_key(&self.0))?;
        state.set(slot_key(&self.0, n), id.to_be_bytes().to_vec());
        state.set_u64(count_key(&self.0), n + 1);
        Ok(())
    }

    /// The id in `slot` (below [`IdList::len`], not taken).
    pub(crate) fn at(&self, state: &StateOverlay<'_>, slot: u64) -> Result<u64, StoreError> {
        read_id(state.get(&slot_key(&self.0, slot))?, "a list")
    }

    /// How many ids were pushed (slots taken stay counted).
    pub(crate) fn len(&self, state: &StateOverlay<'_>) -> Result<u64, StoreError> {
        state.get_u64(&count_key(&self.0))
    }

    /// The id in `slot`, and the slot emptied: for a reader that walks the list once, in
    /// order, with a cursor of its own.
    pub(crate) fn take(&self, state: &mut StateOverlay<'_>, slot: u64) -> Result<u64, StoreError> {
        let id = read_id(state.get(&slot_key(&self.0, slot))?, "a list")?;
        state.remove(slot_key(&self.0, slot));
        Ok(id)
    }

    /// Forgets the count of a list whose slots were all taken.
    pub(crate) fn forget(&self, state: &mut StateOverlay<'_>) {
        state.remove(count_key(&self.0));
    }

    /// Every id, and the list emptied.
    pub(crate) fn drain(&self, state: &mut StateOverlay<'_>) -> Result<Vec<u64>, StoreError> {
        let n = state.get_u64(&count_key(&self.0))?;
        let mut out = Vec::with_capacity(n as usize);
        for slot in 0..n {
            out.push(read_id(state.get(&slot_key(&self.0, slot))?, "a list")?);
            state.remove(slot_key(&self.0, slot));
        }
        state.remove(count_key(&self.0));
        Ok(out)
    }
}

/// A set of ids.
pub(crate) struct IdSet(pub Vec<u8>);

impl IdSet {
    pub(crate) fn insert(&self, state: &mut StateOverlay<'_>, id: u64) -> Result<(), StoreError> {
        if state.get(&pos_key(&self.0, id))?.is_some() {
            return Ok(());
        }
        let n = state.get_u64(&count_key(&self.0))?;
        state.set(slot_key(&self.0, n), id.to_be_bytes().to_vec());
        state.set_u64(pos_key(&self.0, id), n);
        state.set_u64(count_key(&self.0), n + 1);
        Ok(())
    }

    pub(crate) fn len(&self, state: &StateOverlay<'_>) -> Result<u64, StoreError> {
        state.get_u64(&count_key(&self.0))
    }

    pub(crate) fn contains(&self, state: &StateOverlay<'_>, id: u64) -> Result<bool, StoreError> {
        Ok(state.get(&pos_key(&self.0, id))?.is_some())
    }

    /// The id in `slot` (below [`IdSet::len`]).
    pub(crate) fn at(&self, state: &StateOverlay<'_>, slot: u64) -> Result<u64, StoreError> {
        read_id(state.get(&slot_key(&self.0, slot))?, "a set")
    }

    pub(crate) fn remove(&self, state: &mut StateOverlay<'_>, id: u64) -> Result<(), StoreError> {
        let Some(slot) = state.get(&pos_key(&self.0, id))? else {
            return Ok(());
        };
        let slot = read_id(Some(slot), "a set's position")?;
        let last = state
            .get_u64(&count_key(&self.0))?
            .checked_sub(1)
            .ok_or_else(|| StoreError::Corrupt("a member of an empty set".into()))?;
        if slot != last {
            let moved = read_id(state.get(&slot_key(&self.0, last))?, "a set")?;
            state.set(slot_key(&self.0, slot), moved.to_be_bytes().to_vec());
            state.set_u64(pos_key(&self.0, moved), slot);
        }
        state.remove(slot_key(&self.0, last));
        state.remove(pos_key(&self.0, id));
        state.set_u64(count_key(&self.0), last);
        Ok(())
    }
}

fn key_pos_key(prefix: &[u8], key: &PublicKey) -> Vec<u8> {
    [prefix, b"key", key.as_bytes()].concat()
}

fn read_key(bytes: Option<Vec<u8>>) -> Result<PublicKey, StoreError> {
    let bytes =
        bytes.ok_or_else(|| StoreError::Corrupt("a key set: a slot without its key".into()))?;
    PublicKey::from_slice(&bytes).map_err(|e| StoreError::Corrupt(format!("a key set: {e}")))
}

/// A set of public keys, laid out as an [`IdSet`].
pub(crate) struct KeySet(pub Vec<u8>);

impl KeySet {
    pub(crate) fn insert(
        &self,
        state: &mut StateOverlay<'_>,
        key: &PublicKey,
    ) -> Result<(), StoreError> {
        if state.get(&key_pos_key(&self.0, key))?.is_some() {
            return Ok(());
        }
        let n = state.get_u64(&count_key(&self.0))?;
        state.set(slot_key(&self.0, n), key.as_bytes().to_vec());
        state.set_u64(key_pos_key(&self.0, key), n);
        state.set_u64(count_key(&self.0), n + 1);
        Ok(())
    }

    pub(crate) fn remove(
        &self,
        state: &mut StateOverlay<'_>,
        key: &PublicKey,
    ) -> Result<(), StoreError> {
        let Some(slot) = state.get(&key_pos_key(&self.0, key))? else {
            return Ok(());
        };
        let slot = read_id(Some(slot), "a key set's position")?;
        let last = state
            .get_u64(&count_key(&self.0))?
            .checked_sub(1)
            .ok_or_else(|| StoreError::Corrupt("a member of an empty key set".into()))?;
        if slot != last {
            let moved = read_key(state.get(&slot_key(&self.0, last))?)?;
            state.set(slot_key(&self.0, slot), moved.as_bytes().to_vec());
            state.set_u64(key_pos_key(&self.0, &moved), slot);
        }
        state.remove(slot_key(&self.0, last));
        state.remove(key_pos_key(&self.0, key));
        if last == 0 {
            state.remove(count_key(&self.0));
        } else {
            state.set_u64(count_key(&self.0), last);
        }
        Ok(())
    }
}

/// A page of a committed [`KeySet`]: keys in slots `from..`, at most `limit`, and the slot to
/// read the next page from (`None` at the end), read from one snapshot.
pub(crate) fn key_page(
    snapshot: &Snapshot,
    prefix: &[u8],
    from: u64,
    limit: usize,
) -> Result<(Vec<PublicKey>, Option<u64>), StoreError> {
    let n = snapshot
        .get(&count_key(prefix))?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0);
    let end = n.min(from.saturating_add(limit as u64));
    let mut keys = Vec::with_capacity(end.saturating_sub(from) as usize);
    for slot in from..end {
        keys.push(read_key(snapshot.get(&slot_key(prefix, slot))?)?);
    }
    Ok((keys, (end < n).then_some(end)))
}

/// A page of a committed list or set: ids in slots `from..`, at most `limit`, and the slot to
/// read the next page from (`None` at the end).
pub(crate) fn page(
    store: &Store,
    prefix: &[u8],
    from: u64,
    limit: usize,
) -> Result<(Vec<u64>, Option<u64>), StoreError> {
    page_of(&store.snapshot()?, prefix, from, limit)
}

/// [`page`], read from one snapshot.
pub(crate) fn page_of(
    snapshot: &Snapshot,
    prefix: &[u8],
    from: u64,
    limit: usize,
) -> Result<(Vec<u64>, Option<u64>), StoreError> {
    let n = snapshot
        .get(&count_key(prefix))?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0);
    let end = n.min(from.saturating_add(limit as u64));
    let mut ids = Vec::with_capacity(end.saturating_sub(from) as usize);
    for slot in from..end {
        ids.push(read_id(snapshot.get(&slot_key(prefix, slot))?, "a list")?);
    }
    Ok((ids, (end < n).then_some(end)))
}

/// How many ids a committed list or set holds.
pub(crate) fn len(store: &Store, prefix: &[u8]) -> Result<u64, StoreError> {
    stored::get_u64(store, &count_key(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::StateOverlay;

    #[test]
    fn a_set_keeps_each_member_once_and_fills_a_removed_slot_with_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s")).unwrap();
        let snap = store.snapshot().unwrap();
        let mut state = StateOverlay::new(&snap);
        let set = IdSet(b"t/".to_vec());
        for id in [5, 7, 9, 7] {
            set.insert(&mut state, id).unwrap();
        }
        set.remove(&mut state, 5).unwrap();
        set.remove(&mut state, 42).unwrap();
        let changes = state.into_changes();
        let v = store.stage(0, &changes).unwrap();
        store.commit(v, &[]).unwrap();
        assert_eq!(len(&store, b"t/").unwrap(), 2);
        assert_eq!(page(&store, b"t/", 0, 10).unwrap(), (vec![9, 7], None));
        assert_eq!(page(&store, b"t/", 0, 1).unwrap(), (vec![9], Some(1)));
        assert_eq!(page(&store, b"t/", 1, 1).unwrap(), (vec![7], None));
        assert_eq!(page(&store, b"t/", 9, 1).unwrap(), (vec![], None));
    }

    #[test]
    fn a_drained_list_is_empty_and_gave_its_ids_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s")).unwrap();
        let snap = store.snapshot().unwrap();
        let mut state = StateOverlay::new(&snap);
        let list = IdList(b"l/".to_vec());
        for id in [3, 1, 3] {
            list.push(&mut state, id).unwrap();
        }
        assert_eq!(list.drain(&mut state).unwrap(), vec![3, 1, 3]);
        assert_eq!(list.drain(&mut state).unwrap(), Vec::<u64>::new());
    }
}
