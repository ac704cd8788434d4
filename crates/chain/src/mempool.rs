//! Transactions admitted but not yet in a block.
//!
//! Each sender's transactions are kept in nonce order. Those that run on from the sender's
//! next nonce without a gap are its executable run; the rest wait behind a missing nonce, in a
//! queue bounded per sender and in all. A block's candidates are executable runs only, taken
//! one transaction per sender a round, the highest fee first (the earliest sender on a tie):
//! a sender cannot fill a block with transactions that cannot execute, and one that floods
//! valid transactions gets one slot a round like everyone else.
//!
//! When the mempool is full, an executable transaction evicts the last waiting transaction of
//! the sender with the most waiting; a waiting one is refused. Evicted and expired
//! transactions may be sent again.

use parking_lot::{Condvar, Mutex};
use plexus_ledger::{Reject, TxCode, TxMeta};
use plexus_types::{Address, Amount, TxHash};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct MempoolConfig {
    pub max_txs: usize,
    pub max_bytes: usize,
    pub max_per_sender: usize,
    /// Most transactions one sender may have waiting behind a missing nonce.
    pub max_waiting_per_sender: usize,
    /// Most transactions waiting behind a missing nonce, all senders together.
    pub max_waiting: usize,
    /// Blocks a transaction may wait (for example behind a nonce gap) before it is dropped.
    pub ttl_blocks: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_txs: 200_000,
            max_bytes: 64 * 1024 * 1024,
            max_per_sender: 1_024,
            max_waiting_per_sender: 64,
            max_waiting: 20_000,
            ttl_blocks: 600,
        }
    }
}

struct Entry {
    bytes: Vec<u8>,
    hash: TxHash,
    fee: Amount,
    admitted_at: u64,
}

struct SenderQueue {
    first_seen: u64,
    /// The sender's next nonce, as the last committed state known here says.
    next: u64,
    /// The first nonce after the executable run: `next..run_end` are all pending.
    run_end: u64,
    txs: BTreeMap<u64, Entry>,
}

impl SenderQueue {
    /// Transactions waiting behind a missing nonce.
    fn waiting(&self) -> usize {
        self.txs.len() - (self.run_end - self.next) as usize
    }

    /// Moves the run's end over every pending nonce that follows it.
    fn extend_run(&mut self) {
        self.run_end = self.run_end.max(self.next);
        while self.txs.contains_key(&self.run_end) {
            self.run_end += 1;
        }
    }

    /// The run counted again from `next` (after transactions inside it were removed).
    fn recount_run(&mut self) {
        self.run_end = self.next;
        self.extend_run();
    }
}

#[derive(Default)]
struct Inner {
    senders: BTreeMap<Address, SenderQueue>,
    /// Senders by first arrival (sequence → sender), for ties.
    arrival: BTreeMap<u64, Address>,
    /// Lookup only; never iterated.
    by_hash: HashMap<TxHash, (Address, u64)>,
    seq: u64,
    count: usize,
    bytes: usize,
    /// Transactions waiting behind a missing nonce, all senders together.
    waiting: usize,
}

impl Inner {
    /// Applies `change` to `sender`'s queue and keeps the waiting count in step.
    fn with_queue<T>(
        &mut self,
        sender: &Address,
        change: impl FnOnce(&mut SenderQueue) -> T,
    ) -> Option<T> {
        let queue = self.senders.get_mut(sender)?;
        let before = queue.waiting();
        let out = change(queue);
        let after = queue.waiting();
        self.waiting = self.waiting + after - before;
        Some(out)
    }

    /// Removes a transaction from the counts (it has left its queue already).
    fn forget(&mut self, hash: &TxHash, size: usize) -> bool {
        if self.by_hash.remove(hash).is_some() {
            self.count -= 1;
            self.bytes -= size;
            true
        } else {
            false
        }
    }

    /// Drops `sender`'s queue if it is empty.
    fn drop_if_empty(&mut self, sender: &Address) {
        if let Some(q) = self.senders.get(sender) {
            if q.txs.is_empty() {
                let first_seen = q.first_seen;
                self.senders.remove(sender);
                self.arrival.remove(&first_seen);
            }
        }
    }

    /// Evicts the last waiting transaction of the sender with the most waiting (the
    /// earliest such sender on a tie). Its hash and size, or `None` when nothing waits.
    fn evict_waiting(&mut self) -> Option<TxHash> {
        let (sender, _) = self
            .arrival
            .values()
            .filter_map(|a| self.senders.get(a).map(|q| (*a, q.waiting())))
            .filter(|(_, w)| *w > 0)
            .fold(None, |best: Option<(Address, usize)>, (a, w)| match best {
                Some((_, bw)) if bw >= w => best,
                _ => Some((a, w)),
            })?;
        let entry = self.with_queue(&sender, |q| q.txs.pop_last().map(|(_, e)| e))??;
        self.forget(&entry.hash, entry.bytes.len());
        self.drop_if_empty(&sender);
        Some(entry.hash)
    }
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

    /// Adds an admitted transaction. `height` is the current committed height. Returns the
    /// hashes of the transactions it evicted to make room (see the module's notes).
    pub fn add(&self, bytes: Vec<u8>, meta: &TxMeta, height: u64) -> Result<Vec<TxHash>, Reject> {
        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&meta.hash) {
            return Err(Reject::new(
                TxCode::Duplicate,
                "transaction is already pending",
            ));
        }
        let (pending, next, run_end, waiting) = match inner.senders.get(&meta.sender) {
            Some(q) => (
                q.txs.len(),
                q.next.max(meta.account_nonce),
                q.run_end,
                q.waiting(),
            ),
            None => (0, meta.account_nonce, meta.account_nonce, 0),
        };
        if inner
            .senders
            .get(&meta.sender)
            .is_some_and(|q| q.txs.contains_key(&meta.nonce))
        {
            return Err(Reject::new(
                TxCode::Duplicate,
                format!("a transaction with nonce {} is already pending", meta.nonce),
            ));
        }
        if pending >= self.config.max_per_sender {
            return Err(Reject::new(
                TxCode::MempoolFull,
                format!(
                    "sender {} already has {} pending transactions",
                    meta.sender, self.config.max_per_sender
                ),
            ));
        }
        let executable = meta.nonce <= run_end.max(next);
        if !executable
            && (waiting >= self.config.max_waiting_per_sender
                || inner.waiting >= self.config.max_waiting)
        {
            return Err(Reject::new(
                TxCode::MempoolFull,
                format!(
                    "nonce {} waits behind missing nonce {}, and the queue of transactions waiting behind a gap is full: send nonce {} first",
                    meta.nonce,
                    run_end.max(next),
                    run_end.max(next)
                ),
            ));
        }
        let mut evicted = Vec::new();
        while inner.count >= self.config.max_txs
            || inner.bytes + bytes.len() > self.config.max_bytes
        {
            match executable.then(|| inner.evict_waiting()).flatten() {
                Some(hash) => evicted.push(hash),
                None => {
                    return Err(Reject::new(
                        TxCode::MempoolFull,
                        "the mempool is full; try again after the next block",
                    ))
                }
            }
        }
        let seq = inner.seq;
        inner.seq += 1;
        if let std::collections::btree_map::Entry::Vacant(slot) = inner.senders.entry(meta.sender) {
            slot.insert(SenderQueue {
                first_seen: seq,
                next,
                run_end: next,
                txs: BTreeMap::new(),
            });
            inner.arrival.insert(seq, meta.sender);
        }
        let size = bytes.len();
        let entry = Entry {
            bytes,
            hash: meta.hash,
            fee: meta.fee,
            admitted_at: height,
        };
        inner.with_queue(&meta.sender, |q| {
            q.next = next;
            q.txs.insert(meta.nonce, entry);
            q.extend_run();
        });
        inner.by_hash.insert(meta.hash, (meta.sender, meta.nonce));
        inner.count += 1;
        inner.bytes += size;
        drop(inner);
        self.arrived.notify_all();
        Ok(evicted)
    }

    /// The nonce `sender`'s next transaction should carry, counting the run of its
    /// transactions this mempool holds from its committed nonce on (`None` when it holds none).
    pub fn next_pending_nonce(&self, sender: &Address) -> Option<u64> {
        let inner = self.inner.lock();
        inner.senders.get(sender).map(|q| q.run_end.max(q.next))
    }

    pub fn len(&self) -> usize {
        self.inner.lock().count
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Transactions waiting behind a missing nonce.
    pub fn waiting(&self) -> usize {
        self.inner.lock().waiting
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

    /// Candidates for the next block, up to `max_bytes`: executable runs only, in rounds of one
    /// transaction per sender, each round the highest fee first and the earliest sender on a
    /// tie. A sender whose next transaction does not fit is left out of the later rounds.
    pub fn candidates(&self, max_bytes: usize) -> Vec<Vec<u8>> {
        let inner = self.inner.lock();
        // Each sender's run, in arrival order, and whether the sender is done for this block.
        let mut runs: Vec<_> = inner
            .arrival
            .iter()
            .filter_map(|(seq, sender)| {
                let q = inner.senders.get(sender)?;
                let run = q.txs.range(q.next..q.run_end).map(|(_, e)| e);
                Some((*seq, run, false))
            })
            .collect();
        let mut out = Vec::new();
        let mut used = 0usize;
        loop {
            let mut round: Vec<(Amount, u64, &Entry, usize)> = runs
                .iter_mut()
                .enumerate()
                .filter(|(_, (_, _, done))| !*done)
                .filter_map(|(i, (seq, run, _))| run.next().map(|e| (e.fee, *seq, e, i)))
                .collect();
            if round.is_empty() {
                return out;
            }
            round.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for (_, _, entry, i) in round {
                if used + entry.bytes.len() > max_bytes {
                    // Its later transactions need this one first.
                    runs[i].2 = true;
                    continue;
                }
                used += entry.bytes.len();
                out.push(entry.bytes.clone());
            }
        }
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

    /// After a block commits: records each sender's next nonce (`next_nonces`), drops every
    /// transaction below it, and those older than the TTL. Returns the hashes dropped.
    pub fn prune(&self, next_nonces: &BTreeMap<Address, u64>, height: u64) -> Vec<TxHash> {
        let mut inner = self.inner.lock();
        let mut dropped = Vec::new();
        let mut touched = Vec::new();
        for (sender, next) in next_nonces {
            let gone = inner.with_queue(sender, |q| {
                q.next = q.next.max(*next);
                let keep = q.txs.split_off(&q.next);
                let gone = std::mem::replace(&mut q.txs, keep);
                q.extend_run();
                gone
            });
            if let Some(gone) = gone {
                dropped.extend(gone.into_values().map(|e| (e.hash, e.bytes.len())));
                touched.push(*sender);
            }
        }
        if height.is_multiple_of(50) {
            let ttl = self.config.ttl_blocks;
            let senders: Vec<Address> = inner.senders.keys().copied().collect();
            for sender in senders {
                let expired = inner.with_queue(&sender, |q| {
                    let old: Vec<u64> = q
                        .txs
                        .iter()
                        .filter(|(_, e)| e.admitted_at.saturating_add(ttl) < height)
                        .map(|(n, _)| *n)
                        .collect();
                    let gone: Vec<Entry> = old.iter().filter_map(|n| q.txs.remove(n)).collect();
                    q.recount_run();
                    gone
                });
                dropped.extend(
                    expired
                        .into_iter()
                        .flatten()
                        .map(|e| (e.hash, e.bytes.len())),
                );
                touched.push(sender);
            }
        }
        for sender in touched {
            inner.drop_if_empty(&sender);
        }
        let mut hashes = Vec::with_capacity(dropped.len());
        for (hash, size) in dropped {
            if inner.forget(&hash, size) {
                hashes.push(hash);
            }
        }
        hashes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::Hash;

    /// Sender `sender`'s transaction `nonce` offering `fee`, admitted when the account's next
    /// nonce was `account_nonce`.
    fn tx(sender: u8, nonce: u64, fee: u128, account_nonce: u64) -> (Vec<u8>, TxMeta) {
        let bytes = vec![sender, nonce as u8, (nonce >> 8) as u8];
        let meta = TxMeta {
            hash: Hash::of(&bytes),
            sender: Address([sender; 20]),
            nonce,
            fee: Amount(fee),
            size: bytes.len(),
            account_nonce,
        };
        (bytes, meta)
    }

    fn add(pool: &Mempool, sender: u8, nonce: u64, fee: u128) -> Result<Vec<TxHash>, Reject> {
        let (bytes, meta) = tx(sender, nonce, fee, 0);
        pool.add(bytes, &meta, 0)
    }

    /// Senders of the candidates, in order.
    fn senders(candidates: &[Vec<u8>]) -> Vec<(u8, u64)> {
        candidates
            .iter()
            .map(|c| (c[0], u64::from(c[1]) | u64::from(c[2]) << 8))
            .collect()
    }

    #[test]
    fn each_senders_transactions_come_out_in_nonce_order_one_sender_a_round() {
        let pool = Mempool::new(MempoolConfig::default());
        for n in [2u64, 0, 1] {
            add(&pool, 1, n, 1).unwrap();
        }
        add(&pool, 2, 0, 1).unwrap();
        assert_eq!(
            senders(&pool.candidates(1 << 20)),
            vec![(1, 0), (2, 0), (1, 1), (1, 2)]
        );
    }

    #[test]
    fn a_sender_holding_back_its_next_nonce_cannot_fill_a_block() {
        let pool = Mempool::new(MempoolConfig::default());
        // The attacker's queue arrives first and skips nonce 0: none of it can execute.
        for n in 1..=64 {
            add(&pool, 1, n, 1).unwrap();
        }
        add(&pool, 2, 0, 1).unwrap();
        // Room for one transaction only: it goes to the sender whose transaction executes.
        assert_eq!(senders(&pool.candidates(3)), vec![(2, 0)]);
        assert_eq!(pool.waiting(), 64);
        // The queue behind a gap is bounded per sender.
        let refused = add(&pool, 1, 65, 1).unwrap_err();
        assert_eq!(refused.code, TxCode::MempoolFull);
        assert!(refused.message.contains("missing nonce 0"), "{refused:?}");
        // Once the missing nonce arrives, the whole run is executable.
        add(&pool, 1, 0, 1).unwrap();
        assert_eq!(pool.waiting(), 0);
        assert_eq!(pool.candidates(1 << 20).len(), 66);
    }

    #[test]
    fn a_flood_of_valid_transactions_gets_one_slot_a_round_and_the_highest_fee_goes_first() {
        let pool = Mempool::new(MempoolConfig::default());
        for n in 0..500 {
            add(&pool, 1, n, 1).unwrap();
        }
        add(&pool, 2, 0, 1).unwrap();
        add(&pool, 3, 0, 5).unwrap();
        assert_eq!(senders(&pool.candidates(9)), vec![(3, 0), (1, 0), (2, 0)]);
    }

    #[test]
    fn the_next_nonce_to_sign_counts_the_pending_run_and_stops_at_a_gap() {
        let pool = Mempool::new(MempoolConfig::default());
        let alice = Address([1; 20]);
        assert_eq!(pool.next_pending_nonce(&alice), None);
        add(&pool, 1, 0, 1).unwrap();
        add(&pool, 1, 1, 1).unwrap();
        add(&pool, 1, 3, 1).unwrap();
        assert_eq!(pool.next_pending_nonce(&alice), Some(2));
        add(&pool, 1, 2, 1).unwrap();
        assert_eq!(pool.next_pending_nonce(&alice), Some(4));
    }

    #[test]
    fn waiting_transactions_become_executable_when_the_chain_reaches_their_nonce() {
        let pool = Mempool::new(MempoolConfig::default());
        add(&pool, 1, 1, 1).unwrap();
        add(&pool, 1, 2, 1).unwrap();
        assert!(pool.candidates(1 << 20).is_empty());
        // Nonce 0 was committed through another node.
        let next = BTreeMap::from([(Address([1; 20]), 1u64)]);
        assert!(pool.prune(&next, 1).is_empty());
        assert_eq!(senders(&pool.candidates(1 << 20)), vec![(1, 1), (1, 2)]);
    }

    #[test]
    fn a_full_mempool_evicts_a_waiting_transaction_for_an_executable_one_and_refuses_a_waiting_one()
    {
        let pool = Mempool::new(MempoolConfig {
            max_txs: 3,
            ..MempoolConfig::default()
        });
        add(&pool, 1, 0, 1).unwrap();
        add(&pool, 2, 5, 1).unwrap();
        add(&pool, 2, 6, 1).unwrap();
        assert_eq!(add(&pool, 3, 9, 1).unwrap_err().code, TxCode::MempoolFull);
        let evicted = add(&pool, 3, 0, 1).unwrap();
        assert_eq!(evicted, vec![tx(2, 6, 1, 0).1.hash]);
        assert_eq!(pool.len(), 3);
        assert_eq!(pool.waiting(), 1);
        // Evicted, it may be sent again (and waits again, once there is room).
        assert!(!pool.contains(&evicted[0]));
    }

    #[test]
    fn the_mempool_is_bounded_and_refuses_duplicates() {
        let pool = Mempool::new(MempoolConfig {
            max_txs: 2,
            ..MempoolConfig::default()
        });
        add(&pool, 1, 0, 1).unwrap();
        assert_eq!(add(&pool, 1, 0, 1).unwrap_err().code, TxCode::Duplicate);
        add(&pool, 1, 1, 1).unwrap();
        assert_eq!(add(&pool, 1, 2, 1).unwrap_err().code, TxCode::MempoolFull);
    }

    #[test]
    fn pruning_drops_what_the_chain_has_used() {
        let pool = Mempool::new(MempoolConfig::default());
        for n in 0..4 {
            add(&pool, 1, n, 1).unwrap();
        }
        let next = BTreeMap::from([(Address([1; 20]), 3u64)]);
        assert_eq!(pool.prune(&next, 1).len(), 3);
        assert_eq!(pool.len(), 1);
        assert_eq!(senders(&pool.candidates(1 << 20)), vec![(1, 3)]);
    }
}
