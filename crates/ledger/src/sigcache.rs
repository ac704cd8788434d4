//! Remembers transactions whose signatures have been verified, so that a transaction checked
//! on admission to the mempool is not verified again when its block executes. A hit means
//! "these exact bytes carry a valid signature", which is true on every node, so the cache
//! cannot make replicas disagree; it only saves work.

use parking_lot::Mutex;
use plexus_types::TxHash;
use std::collections::{HashSet, VecDeque};

pub(crate) struct SigCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

struct Inner {
    set: HashSet<TxHash>,
    order: VecDeque<TxHash>,
}

impl SigCache {
    pub(crate) fn new(capacity: usize) -> SigCache {
        SigCache {
            inner: Mutex::new(Inner {
                set: HashSet::with_capacity(capacity),
                order: VecDeque::with_capacity(capacity),
            }),
            capacity,
        }
    }

    pub(crate) fn contains(&self, hash: &TxHash) -> bool {
        self.inner.lock().set.contains(hash)
    }

    pub(crate) fn insert(&self, hash: TxHash) {
        let mut inner = self.inner.lock();
        if inner.set.insert(hash) {
            inner.order.push_back(hash);
            while inner.order.len() > self.capacity {
                if let Some(old) = inner.order.pop_front() {
                    inner.set.remove(&old);
                }
            }
        }
    }

    pub(crate) fn remove(&self, hash: &TxHash) {
        // Entries left in `order` are harmless: eviction of an absent hash is a no-op.
        self.inner.lock().set.remove(hash);
    }

    pub(crate) fn remove_many(&self, hashes: &[TxHash]) {
        let mut inner = self.inner.lock();
        for hash in hashes {
            inner.set.remove(hash);
        }
    }
}
