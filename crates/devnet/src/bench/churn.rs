//! `plexus bench churn`: whether a block costs the same as the state grows. A ledger on a
//! temporary store is grown to each size in turn (that many storage devices registered,
//! storage deals made and ended, training tasks made and cancelled, compute orders made and
//! ended unbid, and rounds of one long training task), and at each size the same workload of
//! blocks is timed: transfers plus a few of each action. The first size is the baseline.
//! Beside the times, which depend on the machine and the store, the report gives what each
//! block asked of the state (reads, writes and their bytes), which depends on the rules only.
//! The store keeps the newest `--retain-versions` heights and prunes the rest as a node does,
//! so that its file holds the state rather than every version of it: at 100 000 items the
//! state file stays what the live state needs; the report gives its size at each size.

use plexus_ledger::{
    BlockWork, Genesis, GenesisAccount, Ledger, Params, PlexusLedger, RewardParams, TxCode,
};
use plexus_store::Store;
use plexus_types::blob_size::prove_size;
use plexus_types::tx::MAX_TRAINING_ROUNDS;
use plexus_types::{
    statements, Address, Amount, Block, BlockHeader, Body, Capabilities, Hash, JobRuntime,
    OrderTerms, SecretKey, StorageDealTerms, TrainingRound, TrainingTaskTerms, UnsignedTx,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::num::NonZeroU64;
use std::path::PathBuf;
use std::time::Instant;

const CHAIN_ID: &str = "plexus-bench-churn";
/// Short epochs, so that deals end and settle within the run.
const EPOCH_BLOCKS: u64 = 10;
/// Transactions in each block that grows the state.
const GROWTH_PER_BLOCK: usize = 400;
/// Blocks of the measured workload at each size.
const MEASURED_BLOCKS: usize = 20;
/// Transfers in each measured block, beside one or two of each action.
const MEASURED_TRANSFERS: usize = 200;
const SENDERS: usize = MEASURED_TRANSFERS;
/// Rounds of task 0 kept for the measured blocks (one a block, for up to 20 sizes), so that
/// every measured block submits one however far the state has grown.
const ROUNDS_KEPT: u32 = 20 * MEASURED_BLOCKS as u32;

fn key(role: u8, i: u64) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    seed[8] = role;
    SecretKey::from_seed(seed)
}

fn addr(k: &SecretKey) -> Address {
    Address::from_public_key(&k.public_key())
}

/// The accounts that act, and how much of each thing they have made so far.
struct Churn {
    _dir: tempfile::TempDir,
    /// The store's file, whose size the report gives.
    state_file: PathBuf,
    /// Heights the store keeps (0: every height).
    retain: u64,
    ledger: PlexusLedger,
    nonces: BTreeMap<Address, u64>,
    owner: SecretKey,
    client: SecretKey,
    sponsor: SecretKey,
    buyer: SecretKey,
    senders: Vec<SecretKey>,
    devices: u64,
    deals: u64,
    tasks: u64,
    orders: u64,
    /// Rounds submitted to task 0, which runs the whole benchmark.
    rounds: u32,
}

/// The state reached and what the workload measured there.
#[derive(Serialize)]
struct SizeReport {
    items: u64,
    devices: u64,
    deals: u64,
    tasks: u64,
    orders: u64,
    rounds: u32,
    txs_per_block: usize,
    /// Median over the measured blocks of execute plus commit, and of each.
    median_block_ms: f64,
    median_execute_ms: f64,
    median_commit_ms: f64,
    max_block_ms: f64,
    /// Median block time over its transactions.
    per_tx_us: f64,
    /// median_block_ms over the first size's.
    ratio_to_first: f64,
    /// Medians over the measured blocks of what each asked of the state (deterministic).
    median_reads: u64,
    median_read_bytes: u64,
    median_writes: u64,
    median_written_bytes: u64,
    /// (median_read_bytes + median_written_bytes) over the first size's.
    bytes_ratio_to_first: f64,
    /// Empty blocks run after the growth, before the measured blocks, for the store to prune
    /// what the growth made stale.
    settle_blocks: u64,
    /// The height after the measured blocks, and the oldest height the store still keeps.
    height: u64,
    oldest_kept: u64,
    /// After the measured blocks: the size of the store's file (redb grows it in large steps
    /// and reuses what pruning frees rather than shrinking it), the tree nodes and value rows
    /// it holds, and the entries listed for pruning (due or not yet due).
    store_bytes: u64,
    store_entries: u64,
    prune_backlog: u64,
}

#[derive(Serialize)]
struct ChurnReport {
    scenario: &'static str,
    measured_blocks: usize,
    epoch_blocks: u64,
    /// Heights the store keeps (0: every height).
    retain_versions: u64,
    cores: usize,
    sizes: Vec<SizeReport>,
}

impl Churn {
    /// A ledger whose store keeps the newest `retain` heights (0: every height).
    fn new(retain: u64) -> anyhow::Result<Churn> {
        let (owner, client, sponsor, buyer) = (key(1, 0), key(2, 0), key(3, 0), key(4, 0));
        let senders: Vec<SecretKey> = (0..SENDERS as u64).map(|i| key(5, i)).collect();
        let rich = [&owner, &client, &sponsor, &buyer];
        let mut accounts: Vec<GenesisAccount> = rich
            .iter()
            .map(|k| GenesisAccount {
                address: addr(k),
                balance: Amount::plx(1_000_000_000),
            })
            .collect();
        accounts.extend(senders.iter().map(|k| GenesisAccount {
            address: addr(k),
            balance: Amount::plx(1_000),
        }));
        let genesis = Genesis {
            chain_id: CHAIN_ID.into(),
            genesis_time_ms: 0,
            params: Params::default(),
            rewards: RewardParams {
                epoch_blocks: EPOCH_BLOCKS,
                ..RewardParams::default()
            },
            oracles: Default::default(),
            device_classes: plexus_ledger::default_device_classes(),
            validators: Vec::new(),
            beacon: None,
            staking: Default::default(),
            wireless: Default::default(),
            data_credits: Default::default(),
            data_market: Default::default(),
            accounts,
        };
        let dir = tempfile::tempdir()?;
        let state_file = dir.path().join("state.redb");
        let store = Store::open(&state_file)?;
        store.set_retain_versions(NonZeroU64::new(retain));
        let mut ledger = PlexusLedger::open(store)?;
        ledger.init_chain(&genesis)?;
        let mut churn = Churn {
            _dir: dir,
            state_file,
            retain,
            ledger,
            nonces: BTreeMap::new(),
            owner,
            client,
            sponsor,
            buyer,
            senders,
            devices: 0,
            deals: 0,
            tasks: 0,
            orders: 0,
            rounds: 0,
        };
        // Task 0 takes a round in every block, from the first growth to the last measurement.
        let long = churn.task_terms(MAX_TRAINING_ROUNDS);
        let tx = churn.tx(&churn.sponsor.clone(), Body::CreateTrainingTask(long));
        churn.block(vec![tx])?;
        churn.tasks = 1;
        Ok(churn)
    }

    fn tx(&mut self, key: &SecretKey, body: Body) -> Vec<u8> {
        let nonce = self.nonces.entry(addr(key)).or_insert(0);
        let tx = UnsignedTx {
            chain_id: CHAIN_ID.into(),
            nonce: *nonce,
            fee: Params::default().min_fee,
            body,
        }
        .sign(key);
        *nonce += 1;
        tx.bytes
    }

    /// Executes and commits one block of `txs`; every one must succeed. Returns the seconds
    /// execute took, and commit.
    fn block(&mut self, txs: Vec<Vec<u8>>) -> anyhow::Result<(f64, f64)> {
        let (height, app_hash) = self.ledger.last_committed();
        let block = Block {
            header: BlockHeader {
                chain_id: CHAIN_ID.into(),
                height: height + 1,
                time_ms: (height + 1) * 1_000,
                proposer: Address([0; 20]),
                prev_app_hash: app_hash,
                tx_root: Block::tx_root(&txs),
                beacon: Vec::new(),
            },
            txs,
        };
        let started = Instant::now();
        let outcome = self
            .ledger
            .execute(&block)
            .map_err(|e| anyhow::anyhow!("block {} refused: {e:?}", height + 1))?;
        let executed = started.elapsed().as_secs_f64();
        self.ledger.commit()?;
        let took = (executed, started.elapsed().as_secs_f64() - executed);
        if let Some(bad) = outcome.results.iter().find(|r| r.code != TxCode::Ok) {
            anyhow::bail!(
                "a churn transaction failed at height {}: {} {}",
                height + 1,
                bad.code.as_str(),
                bad.log
            );
        }
        Ok(took)
    }

    fn task_terms(&self, rounds: u32) -> TrainingTaskTerms {
        TrainingTaskTerms {
            dataset: "digits".into(),
            spec: "{}".into(),
            validation_commitment: Hash::of(b"churn validation"),
            rounds,
            min_participants: 1,
            budget: Amount(rounds as u128 * 1_000),
            coordinator: addr(&self.sponsor),
        }
    }

    fn register(&mut self) -> Vec<u8> {
        let device = key(6, self.devices);
        self.devices += 1;
        let owner = self.owner.clone();
        let statement =
            statements::device_registration(CHAIN_ID, &addr(&owner), &device.public_key());
        let body = Body::RegisterDevice {
            device: device.public_key(),
            class: "storage-small".into(),
            capabilities: Capabilities::default(),
            h3_cell: 0x8a1fb46622dffff,
            stake: Amount::plx(100),
            device_signature: device.sign(&statement),
        };
        self.tx(&owner, body)
    }

    /// A one-epoch deal for one replica of a blob of its own: it ends three epochs on.
    fn deal(&mut self) -> Vec<u8> {
        let content = [b"churn blob ".as_slice(), &self.deals.to_be_bytes()].concat();
        self.deals += 1;
        let terms = StorageDealTerms {
            blob: Hash::of(&content),
            size: content.len() as u64,
            replicas: 1,
            epochs: 1,
            price_per_replica_epoch: Amount(10),
            size_proof: prove_size(&content),
        };
        let client = self.client.clone();
        self.tx(&client, Body::StorageDeal(terms))
    }

    /// A task made and cancelled in the same block.
    fn task_made_and_cancelled(&mut self) -> [Vec<u8>; 2] {
        let id = self.tasks;
        self.tasks += 1;
        let sponsor = self.sponsor.clone();
        let made = self.tx(&sponsor, Body::CreateTrainingTask(self.task_terms(4)));
        let cancelled = self.tx(&sponsor, Body::CancelTrainingTask { task: id });
        [made, cancelled]
    }

    /// An order nobody bids on: it ends when its bid window closes.
    fn order(&mut self) -> Vec<u8> {
        self.orders += 1;
        let terms = OrderTerms {
            spec: Hash::of(b"churn spec"),
            runtime: JobRuntime::Wasm,
            resources: Capabilities {
                cpu_cores: 1,
                memory_mb: 256,
                ..Capabilities::default()
            },
            max_price_per_block: Amount(1_000),
            duration_blocks: 10,
            replicas: 1,
            sample_per_mille: 0,
            deposit: Amount(100_000),
        };
        let buyer = self.buyer.clone();
        self.tx(&buyer, Body::CreateOrder(terms))
    }

    /// The next round of task 0, while it has rounds left.
    fn round(&mut self) -> Option<Vec<u8>> {
        if self.rounds + 1 >= MAX_TRAINING_ROUNDS {
            return None;
        }
        self.rounds += 1;
        let round = TrainingRound {
            task: 0,
            round: self.rounds,
            model: Hash::of(&self.rounds.to_be_bytes()),
            record: Hash::of(b"churn record"),
            accuracy_ppm: 500_000,
            loss_micro: 1_000,
            scores: Vec::new(),
        };
        let sponsor = self.sponsor.clone();
        Some(self.tx(&sponsor, Body::SubmitTrainingRound(round)))
    }
}

impl Churn {
    /// Makes and ends things until there are `to` of each (and `to` rounds of task 0), then
    /// runs blocks until every deal and order made has ended.
    fn grow(&mut self, to: u64) -> anyhow::Result<()> {
        loop {
            let mut txs = Vec::new();
            while txs.len() < GROWTH_PER_BLOCK {
                let before = txs.len();
                if self.devices < to {
                    txs.push(self.register());
                }
                if self.deals < to && self.deals < self.devices {
                    txs.push(self.deal());
                }
                if self.tasks <= to {
                    txs.extend(self.task_made_and_cancelled());
                }
                if self.orders < to {
                    txs.push(self.order());
                }
                if u64::from(self.rounds) < to.min(u64::from(MAX_TRAINING_ROUNDS - ROUNDS_KEPT)) {
                    txs.extend(self.round());
                }
                if txs.len() == before {
                    break;
                }
            }
            if txs.is_empty() {
                break;
            }
            self.block(txs)?;
        }
        self.drain()
    }

    /// Runs empty blocks until no deal or order is open.
    fn drain(&mut self) -> anyhow::Result<()> {
        let most = self.deals / plexus_ledger::storage::SETTLE_PER_BLOCK + 10 * EPOCH_BLOCKS;
        for n in 0..most {
            self.block(Vec::new())?;
            if n % EPOCH_BLOCKS == 0 && self.all_ended()? {
                return Ok(());
            }
        }
        anyhow::ensure!(
            self.all_ended()?,
            "deals or orders still open after {most} blocks"
        );
        Ok(())
    }

    fn all_ended(&self) -> anyhow::Result<bool> {
        let store = self.ledger.store();
        let deals = plexus_ledger::query::open_storage_deal_count(store)? == 0;
        let (orders, _) = plexus_ledger::query::market_live_page(store, 0, 1)?;
        Ok(deals && orders.is_empty())
    }

    /// One block of the workload: a transfer from each sender and one of each action.
    fn workload(&mut self) -> Vec<Vec<u8>> {
        let mut txs = Vec::with_capacity(MEASURED_TRANSFERS + 8);
        for i in 0..self.senders.len() {
            let from = self.senders[i].clone();
            let to = addr(&self.senders[(i + 1) % self.senders.len()]);
            txs.push(self.tx(
                &from,
                Body::Transfer {
                    to,
                    amount: Amount(1),
                },
            ));
        }
        txs.push(self.register());
        txs.push(self.deal());
        txs.extend(self.task_made_and_cancelled());
        txs.push(self.order());
        txs.extend(self.round());
        txs
    }

    /// With pruning on, runs empty blocks until what the growth made stale is pruned: `retain`
    /// blocks for all of it to fall due, then blocks while each still shrinks what is listed to
    /// prune. So the measured blocks pay for pruning their own stale entries, as a node's blocks
    /// do in a steady state, and not for the growth's. Returns how many blocks it ran.
    fn settle(&mut self) -> anyhow::Result<u64> {
        if self.retain == 0 {
            return Ok(0);
        }
        for _ in 0..self.retain {
            self.block(Vec::new())?;
        }
        let mut blocks = self.retain;
        let mut listed = self.ledger.store().prune_backlog()?;
        loop {
            self.block(Vec::new())?;
            blocks += 1;
            let now = self.ledger.store().prune_backlog()?;
            if now >= listed {
                return Ok(blocks);
            }
            listed = now;
        }
    }

    fn measure(&mut self, items: u64, settle_blocks: u64) -> anyhow::Result<SizeReport> {
        let (devices, deals, tasks, orders, rounds) = (
            self.devices,
            self.deals,
            self.tasks,
            self.orders,
            self.rounds,
        );
        let mut times = Vec::with_capacity(MEASURED_BLOCKS);
        let mut work = Vec::with_capacity(MEASURED_BLOCKS);
        let mut txs_per_block = 0;
        for _ in 0..MEASURED_BLOCKS {
            let txs = self.workload();
            txs_per_block = txs.len();
            let (execute, commit) = self.block(txs)?;
            times.push((execute * 1_000.0, commit * 1_000.0));
            work.push(self.ledger.last_block_work());
        }
        let median_ms = |f: fn(&(f64, f64)) -> f64| {
            let mut v: Vec<f64> = times.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let median = median_ms(|(e, c)| e + c);
        let median_of = |f: fn(&BlockWork) -> u64| {
            let mut v: Vec<u64> = work.iter().map(f).collect();
            v.sort_unstable();
            v[v.len() / 2]
        };
        let stats = self.ledger.store().stats()?;
        Ok(SizeReport {
            settle_blocks,
            items,
            devices,
            deals,
            tasks,
            orders,
            rounds,
            txs_per_block,
            median_block_ms: median,
            median_execute_ms: median_ms(|(e, _)| *e),
            median_commit_ms: median_ms(|(_, c)| *c),
            max_block_ms: times.iter().map(|(e, c)| e + c).fold(0.0, f64::max),
            per_tx_us: median * 1_000.0 / txs_per_block as f64,
            ratio_to_first: 1.0,
            median_reads: median_of(|w| w.reads),
            median_read_bytes: median_of(|w| w.read_bytes),
            median_writes: median_of(|w| w.writes),
            median_written_bytes: median_of(|w| w.written_bytes),
            bytes_ratio_to_first: 1.0,
            height: self.ledger.last_committed().0,
            oldest_kept: self.ledger.store().oldest_version()?,
            store_bytes: std::fs::metadata(&self.state_file)?.len(),
            store_entries: stats.tree_nodes + stats.value_rows,
            prune_backlog: stats.stale_listed,
        })
    }
}

fn bench_churn(items: &[u64], retain: u64, quiet: bool) -> anyhow::Result<ChurnReport> {
    let mut churn = Churn::new(retain)?;
    let mut sizes: Vec<SizeReport> = Vec::with_capacity(items.len());
    for &n in items {
        if !quiet {
            eprintln!("growing the state to {n} of each…");
        }
        let started = Instant::now();
        churn.grow(n)?;
        let settle_blocks = churn.settle()?;
        if !quiet {
            eprintln!(
                "grown in {:.1} s (then {settle_blocks} empty blocks for pruning to catch up); \
                 measuring {MEASURED_BLOCKS} blocks…",
                started.elapsed().as_secs_f64()
            );
        }
        let mut report = churn.measure(n, settle_blocks)?;
        if let Some(first) = sizes.first() {
            report.ratio_to_first = report.median_block_ms / first.median_block_ms;
            let bytes = |s: &SizeReport| (s.median_read_bytes + s.median_written_bytes) as f64;
            report.bytes_ratio_to_first = bytes(&report) / bytes(first);
        }
        if !quiet {
            eprintln!(
                "measured: {:.2} ms a block at the median ({:.2} executing, {:.2} committing), \
                 {} B read and {} B written; store {:.1} MiB, {} entries",
                report.median_block_ms,
                report.median_execute_ms,
                report.median_commit_ms,
                report.median_read_bytes,
                report.median_written_bytes,
                report.store_bytes as f64 / MIB,
                report.store_entries
            );
        }
        sizes.push(report);
    }
    Ok(ChurnReport {
        scenario: "churn",
        measured_blocks: MEASURED_BLOCKS,
        epoch_blocks: EPOCH_BLOCKS,
        retain_versions: retain,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        sizes,
    })
}

const MIB: f64 = (1u64 << 20) as f64;

/// Runs the benchmark at each size of `items` (ascending), with a store that keeps the newest
/// `retain` heights (0: every height), and prints its report.
pub async fn run(items: Vec<u64>, retain: u64, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!(!items.is_empty(), "--items needs at least one size");
    anyhow::ensure!(
        items.windows(2).all(|w| w[0] < w[1]) && items[0] > 0,
        "--items must be positive and ascending"
    );
    let report = tokio::task::spawn_blocking(move || bench_churn(&items, retain, json)).await??;
    if json {
        crate::print_json(&report);
        return Ok(());
    }
    match report.retain_versions {
        0 => println!("churn: the store keeps every height"),
        n => println!("churn: the store keeps the newest {n} heights"),
    }
    for s in &report.sizes {
        println!(
            "churn: {:>8} of each ({} devices, {} deals, {} tasks, {} orders, {} rounds): \
             {:.2} ms a block of {} txs at the median ({:.2} executing, {:.2} committing; max {:.2}), \
             {:.1} µs a tx, {:.2}x the first size; \
             {} reads ({} B) and {} writes ({} B) a block, {:.2}x the first size's bytes; \
             height {} (after {} empty blocks of pruning), oldest kept {}, \
             store {:.1} MiB of {} entries ({} listed to prune)",
            s.items,
            s.devices,
            s.deals,
            s.tasks,
            s.orders,
            s.rounds,
            s.median_block_ms,
            s.txs_per_block,
            s.median_execute_ms,
            s.median_commit_ms,
            s.max_block_ms,
            s.per_tx_us,
            s.ratio_to_first,
            s.median_reads,
            s.median_read_bytes,
            s.median_writes,
            s.median_written_bytes,
            s.bytes_ratio_to_first,
            s.height,
            s.settle_blocks,
            s.oldest_kept,
            s.store_bytes as f64 / MIB,
            s.store_entries,
            s.prune_backlog,
        );
    }
    Ok(())
}
