//! Transactions admitted but not yet in a block: each sender's in nonce order, senders served
//! in order of arrival, bounded in count, bytes and per sender.

use parking_lot::{Condvar, Mutex};
use plexus_ledger::{Reject, TxCode, TxMeta};
use plexus_types::{Address, TxHash};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct MempoolConfig {
    pub max_txs: usize,
    pub max_bytes: usize,
    pub max_per_sender: usize,
    /// Blocks a transaction may wait (for example behind a nonce gap) before it is dropped.
    pub ttl_blocks: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_txs: 200_000,
            max_bytes: 64 * 1024 * 1024,
            max_per_sender: 1_024,
            ttl_blocks: 600,
        }
    }
}

struct Entry {
    bytes: Vec<u8>,
    hash: TxHash,
    admitted_at: u64,
}

struct SenderQueue {
    first_seen: u64,
    txs: BTreeMap<u64, Entry>,
}

#[derive(Default)]
struct Inner {
    senders: BTreeMap<Address, SenderQueue>,
    /// Senders by first arrival (sequence → sender), for fair ordering.
    arrival: BTreeMap<u64, Address>,
    /// Lookup only; never iterated.
    by_hash: HashMap<TxHash, (Address, u64)>,
    seq: u64,
    count: usize,
    bytes: usize,
}

pub struct Mempool {
    config: MempoolConfig,
    inner: Mutex<Inner>,
    arrived: Condvar,
}

impl Mempool {
    pub fn new(config: MempoolConfig) -> Mempool {
        Mempool {
            config,
            inner: Mutex::new(Inner::default()),
            arrived: Condvar::new(),
        }
    }

    /// Adds an admitted transaction. `height` is the current committed height.
    pub fn add(&self, bytes: Vec<u8>, meta: &TxMeta, height: u64) -> Result<(), Reject> {
        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&meta.hash) {
            return Err(Reject::new(
                TxCode::Duplicate,
                "transaction is already pending",
            ));
        }
        if inner.count >= self.config.max_txs || inner.bytes + bytes.len() > self.config.max_bytes {
            return Err(Reject::new(
                TxCode::MempoolFull,
                "the mempool is full; try again after the next block",
            ));
        }
        let seq = inner.seq;
        inner.seq += 1;
        let is_new_sender = !inner.senders.contains_key(&meta.sender);
        let queue = inner
            .senders
            .entry(meta.sender)
            .or_insert_with(|| SenderQueue {
                first_seen: seq,
                txs: BTreeMap::new(),
            });
        if queue.txs.contains_key(&meta.nonce) {
            return Err(Reject::new(
                TxCode::Duplicate,
                format!("a transaction with nonce {} is already pending", meta.nonce),
            ));
        }
        if queue.txs.len() >= self.config.max_per_sender {
            return Err(Reject::new(
                TxCode::MempoolFull,
                format!(
                    "sender {} already has {} pending transactions",
                    meta.sender, self.config.max_per_sender
                ),
            ));
        }
        let size = bytes.len();
        queue.txs.insert(
            meta.nonce,
            Entry {
                bytes,
                hash: meta.hash,
                admitted_at: height,
            },
        );
        let first_seen = queue.first_seen;
        if is_new_sender {
            inner.arrival.insert(first_seen, meta.sender);
        }
        inner.by_hash.insert(meta.hash, (meta.sender, meta.nonce));
        inner.count += 1;
        inner.bytes += size;
        drop(inner);
        self.arrived.notify_all();
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.inner.lock().count
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, hash: &TxHash) -> bool {
        self.inner.lock().by_hash.contains_key(hash)
    }

    /// Waits until the mempool holds a transaction or `timeout` passes. True if non-empty.
    pub fn wait_for_txs(&self, timeout: Duration) -> bool {
        let mut inner = self.inner.lock();
        if inner.count > 0 {
            return true;
        }
        self.arrived.wait_for(&mut inner, timeout);
        inner.count > 0
    }

    /// Wakes a waiting block producer (for shutdown).
    pub fn wake(&self) {
        self.arrived.notify_all();
    }

    /// Candidates for the next block, up to `max_bytes`: senders in arrival order, each
    /// sender's transactions in nonce order.
    pub fn candidates(&self, max_bytes: usize) -> Vec<Vec<u8>> {
        let inner = self.inner.lock();
        let mut out = Vec::new();
        let mut used = 0usize;
        'senders: for sender in inner.arrival.values() {
            let Some(queue) = inner.senders.get(sender) else {
                continue;
            };
            for entry in queue.txs.values() {
                if used + entry.bytes.len() > max_bytes {
                    break 'senders;
                }
                used += entry.bytes.len();
                out.push(entry.bytes.clone());
            }
        }
        out
    }

    /// After a block commits: drops the block's transactions and, for each of their senders,
    /// any pending transaction whose nonce the block has used. Returns the hashes dropped.
    pub fn prune_included(&self, included: &[TxHash], height: u64) -> Vec<TxHash> {
        let mut next_nonces: BTreeMap<Address, u64> = BTreeMap::new();
        {
            let inner = self.inner.lock();
            for hash in included {
                if let Some((sender, nonce)) = inner.by_hash.get(hash) {
                    let next = next_nonces.entry(*sender).or_insert(0);
                    *next = (*next).max(nonce + 1);
                }
            }
        }
        self.prune(&next_nonces, height)
    }

    /// After a block commits: drops every transaction of each sender whose nonce is below the
    /// sender's next nonce (`next_nonces`), and those older than the TTL. Returns the hashes
    /// dropped.
    pub fn prune(&self, next_nonces: &BTreeMap<Address, u64>, height: u64) -> Vec<TxHash> {
        let mut inner = self.inner.lock();
        let mut dropped = Vec::new();
        let mut emptied = Vec::new();
        let ttl = self.config.ttl_blocks;
        for (sender, next) in next_nonces {
            if let Some(queue) = inner.senders.get_mut(sender) {
                let keep = queue.txs.split_off(next);
                let gone = std::mem::replace(&mut queue.txs, keep);
                dropped.extend(gone.into_values().map(|e| (e.hash, e.bytes.len())));
                if queue.txs.is_empty() {
                    emptied.push((*sender, queue.first_seen));
                }
            }
        }
        if height.is_multiple_of(50) {
            for (sender, queue) in inner.senders.iter_mut() {
                let expired: Vec<u64> = queue
                    .txs
                    .iter()
                    .filter(|(_, e)| e.admitted_at + ttl < height)
                    .map(|(n, _)| *n)
                    .collect();
                for n in expired {
                    if let Some(e) = queue.txs.remove(&n) {
                        dropped.push((e.hash, e.bytes.len()));
                    }
                }
                if queue.txs.is_empty() {
                    emptied.push((*sender, queue.first_seen));
                }
            }
        }
        for (sender, first_seen) in emptied {
            inner.senders.remove(&sender);
            inner.arrival.remove(&first_seen);
        }
        let mut hashes = Vec::with_capacity(dropped.len());
        for (hash, size) in dropped {
            if inner.by_hash.remove(&hash).is_some() {
                inner.count -= 1;
                inner.bytes -= size;
                hashes.push(hash);
            }
        }
        hashes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::{Amount, Hash};

    fn meta(sender: u8, nonce: u64) -> TxMeta {
        TxMeta {
            hash: Hash::of(&[sender, nonce as u8]),
            sender: Address([sender; 20]),
            nonce,
            fee: Amount(1),
            size: 3,
            account_nonce: 0,
        }
    }

    #[test]
    fn each_senders_transactions_come_out_in_nonce_order() {
        let pool = Mempool::new(MempoolConfig::default());
        for n in [2u64, 0, 1] {
            pool.add(vec![1, n as u8], &meta(1, n), 0).unwrap();
        }
        pool.add(vec![2, 0], &meta(2, 0), 0).unwrap();
        assert_eq!(
            pool.candidates(1 << 20),
            vec![vec![1, 0], vec![1, 1], vec![1, 2], vec![2, 0]]
        );
    }

    #[test]
    fn the_mempool_is_bounded_and_refuses_duplicates() {
        let pool = Mempool::new(MempoolConfig {
            max_txs: 2,
            ..MempoolConfig::default()
        });
        pool.add(vec![0], &meta(1, 0), 0).unwrap();
        assert_eq!(
            pool.add(vec![0], &meta(1, 0), 0).unwrap_err().code,
            TxCode::Duplicate
        );
        pool.add(vec![1], &meta(1, 1), 0).unwrap();
        assert_eq!(
            pool.add(vec![2], &meta(1, 2), 0).unwrap_err().code,
            TxCode::MempoolFull
        );
    }

    #[test]
    fn pruning_drops_what_the_chain_has_used() {
        let pool = Mempool::new(MempoolConfig::default());
        for n in 0..4 {
            pool.add(vec![n as u8], &meta(1, n), 0).unwrap();
        }
        let next = BTreeMap::from([(Address([1; 20]), 3u64)]);
        assert_eq!(pool.prune(&next, 1).len(), 3);
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.candidates(1 << 20), vec![vec![3u8]]);
    }
}
