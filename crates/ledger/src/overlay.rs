//! The state a block is building, over the committed snapshot: what earlier transactions of
//! the block wrote, and what the current transaction's body has written so far. A failing body
//! is discarded whole, so a transaction is all or nothing (beyond its fee and nonce).

use plexus_store::{ChangeSet, Snapshot, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::Cell;
use std::collections::BTreeMap;

pub(crate) struct StateOverlay<'a> {
    base: &'a Snapshot,
    block: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    pending: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Reads made and bytes they returned: the work the block's rules asked of the state.
    reads: Cell<(u64, u64)>,
}

impl<'a> StateOverlay<'a> {
    pub(crate) fn new(base: &'a Snapshot) -> Self {
        StateOverlay {
            base,
            block: BTreeMap::new(),
            pending: BTreeMap::new(),
            reads: Cell::new((0, 0)),
        }
    }

    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let value = if let Some(v) = self.pending.get(key) {
            v.clone()
        } else if let Some(v) = self.block.get(key) {
            v.clone()
        } else {
            self.base.get(key)?
        };
        let (n, bytes) = self.reads.get();
        let len = value.as_ref().map_or(0, Vec::len) as u64;
        self.reads.set((n + 1, bytes + len));
        Ok(value)
    }

    /// How many reads were made so far, and the bytes they returned.
    pub(crate) fn reads(&self) -> (u64, u64) {
        self.reads.get()
    }

    pub(crate) fn set(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.pending.insert(key, Some(value));
    }

    pub(crate) fn remove(&mut self, key: Vec<u8>) {
        self.pending.insert(key, None);
    }

    /// Keeps what the current transaction wrote.
    pub(crate) fn keep(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.block.extend(pending);
    }

    /// Drops what the current transaction wrote.
    pub(crate) fn discard(&mut self) {
        self.pending.clear();
    }

    pub(crate) fn into_changes(mut self) -> ChangeSet {
        self.keep();
        self.block
    }

    pub(crate) fn get_json<T: DeserializeOwned>(
        &self,
        key: &[u8],
    ) -> Result<Option<T>, StoreError> {
        match self.get(key)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("state value: {e}"))),
        }
    }

    pub(crate) fn set_json<T: Serialize>(&mut self, key: Vec<u8>, value: &T) {
        self.set(
            key,
            serde_json::to_vec(value).expect("state values serialize"),
        );
    }

    pub(crate) fn get_u64(&self, key: &[u8]) -> Result<u64, StoreError> {
        Ok(self
            .get(key)?
            .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
            .unwrap_or(0))
    }

    pub(crate) fn set_u64(&mut self, key: Vec<u8>, value: u64) {
        self.set(key, value.to_be_bytes().to_vec());
    }
}
