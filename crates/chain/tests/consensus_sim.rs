//! The multi-validator driver on Commonware's deterministic runtime and simulated network:
//! validators over lossy, slow links agree on every app hash, commit transactions sent to any
//! of them, survive partitions, crashes and wiped stores, and the same seed reproduces the
//! same run exactly. Byzantine validators (up to f of 3f + 1) neither halt nor fork the
//! honest ones, which keep finalizing.

mod byzantine;
mod epochs;

use byzantine::{start_byzantine, Attack, ByzantineChannels};
use commonware_cryptography::{ed25519, Signer as _};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_p2p::utils::mux::Muxer;
use commonware_p2p::Manager as _;
use commonware_runtime::{deterministic, Clock, Handle, Metrics, Quota, Runner, Spawner};
use commonware_utils::ordered::Set;
use plexus_chain::commonware::{
    channel, deal_for_genesis, start_validator, validator_address, Channels, EpochKeys,
    GenesisKeys, Progress, ThresholdKey, ValidatorConfig,
};
use plexus_chain::{Chain, MempoolConfig};
use plexus_ledger::beacon::Beacon;
use plexus_ledger::{Genesis, GenesisAccount};
use plexus_types::{Address, Amount, Block, Body, Hash, SecretKey, UnsignedTx};
use rand::{rngs::StdRng, RngCore as _, SeedableRng as _};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const CHAIN_ID: &str = "sim-chain";
const QUOTA: Quota = Quota::per_second(NonZeroU32::MAX);

fn lossy_link() -> Link {
    Link {
        latency: Duration::from_millis(40),
        jitter: Duration::from_millis(20),
        success_rate: 0.9,
    }
}

fn alice() -> SecretKey {
    SecretKey::from_seed([7; 32])
}

fn bob() -> Address {
    Address::from_public_key(&SecretKey::from_seed([8; 32]).public_key())
}

fn genesis() -> Genesis {
    let mut g = Genesis::new(
        CHAIN_ID,
        1_700_000_000_000,
        vec![GenesisAccount {
            address: Address::from_public_key(&alice().public_key()),
            balance: Amount::plx(1_000_000),
        }],
    );
    g.params.min_fee = Amount(1);
    g
}

fn transfer(nonce: u64) -> Vec<u8> {
    UnsignedTx {
        chain_id: CHAIN_ID.into(),
        nonce,
        fee: Amount(1),
        body: Body::Transfer {
            to: bob(),
            amount: Amount(10 + nonce as u128),
        },
    }
    .sign(&alice())
    .bytes
}

/// One simulated validator: its keys, its Plexus chain on disk, and its running task.
struct Node {
    key: ed25519::PrivateKey,
    /// Its share of the threshold key dealt at genesis.
    threshold: ThresholdKey,
    dir: PathBuf,
    chain: Option<Arc<Chain>>,
    handle: Option<Handle<()>>,
    progress: Option<Arc<Progress>>,
    /// Incremented on each wipe, so a wiped validator's consensus storage starts empty.
    incarnation: u32,
    /// Times started (each start needs fresh metric names).
    starts: u32,
    /// What it tries, if it is Byzantine (it then runs no chain).
    attack: Option<Attack>,
    /// Proposals and equivocations a Byzantine validator has sent.
    byzantine_tried: Option<Arc<AtomicU64>>,
    /// Where it gets each epoch's key (`None`: the genesis set's, for every epoch).
    keys: Option<Arc<dyn EpochKeys>>,
}

struct Sim {
    context: deterministic::Context,
    oracle: Oracle<ed25519::PublicKey, deterministic::Context>,
    participants: Set<ed25519::PublicKey>,
    /// The genesis, with the public polynomial of the threshold key.
    genesis: Genesis,
    nodes: Vec<Node>,
    _dirs: tempfile::TempDir,
}

impl Sim {
    async fn new(context: deterministic::Context, n: u64) -> Sim {
        Sim::with_genesis(context, n, |g| g).await
    }

    /// `n` validators of a chain whose genesis `edit` makes from the test's.
    async fn with_genesis(
        context: deterministic::Context,
        n: u64,
        edit: impl FnOnce(Genesis) -> Genesis,
    ) -> Sim {
        let (network, oracle) = Network::new(
            context.with_label("network"),
            simulated::Config {
                max_size: 8 * 1024 * 1024,
                disconnect_on_block: true,
                tracked_peer_sets: Some(1),
            },
        );
        network.start();
        let keys: Vec<ed25519::PrivateKey> = (0..n).map(ed25519::PrivateKey::from_seed).collect();
        let participants = Set::from_iter_dedup(keys.iter().map(|k| k.public_key()));
        // The threshold key is dealt from the run's seed, so a seed reproduces it.
        let mut genesis = edit(genesis());
        let public: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
        let mut rng = StdRng::seed_from_u64(context.clone().next_u64());
        let shares = deal_for_genesis(&mut rng, &mut genesis, &public).unwrap();
        oracle.manager().track(0, participants.clone()).await;
        let dirs = tempfile::tempdir().unwrap();
        let nodes = keys
            .into_iter()
            .zip(shares)
            .enumerate()
            .map(|(i, (key, threshold))| Node {
                key,
                threshold,
                dir: dirs.path().join(format!("v{i}")),
                chain: None,
                handle: None,
                progress: None,
                incarnation: 0,
                starts: 0,
                attack: None,
                byzantine_tried: None,
                keys: None,
            })
            .collect();
        Sim {
            context,
            oracle,
            participants,
            genesis,
            nodes,
            _dirs: dirs,
        }
    }

    async fn link_all(&mut self, link: Link) {
        let n = self.nodes.len();
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    self.link(i, j, link.clone()).await;
                }
            }
        }
    }

    async fn link(&mut self, i: usize, j: usize, link: Link) {
        let (a, b) = (self.pk(i), self.pk(j));
        let _ = self.oracle.remove_link(a.clone(), b.clone()).await;
        self.oracle.add_link(a, b, link).await.unwrap();
    }

    async fn unlink(&mut self, i: usize, j: usize) {
        let _ = self.oracle.remove_link(self.pk(i), self.pk(j)).await;
    }

    fn pk(&self, i: usize) -> ed25519::PublicKey {
        self.nodes[i].key.public_key()
    }

    async fn start(&mut self, i: usize) {
        if let Some(attack) = self.nodes[i].attack {
            return self.start_byzantine(i, attack).await;
        }
        let node = &mut self.nodes[i];
        let chain = Arc::new(
            Chain::open(&node.dir, Some(&self.genesis), MempoolConfig::default()).unwrap(),
        );
        let control = self.oracle.control(node.key.public_key());
        let mut pairs = Vec::new();
        for c in [
            channel::VOTES,
            channel::CERTIFICATES,
            channel::RESOLVER,
            channel::BROADCAST,
            channel::BACKFILL,
            channel::TXS,
        ] {
            pairs.push(control.register(c, QUOTA).await.unwrap());
        }
        let mut pairs = pairs.into_iter();
        let channels = Channels {
            votes: pairs.next().unwrap(),
            certificates: pairs.next().unwrap(),
            resolver: pairs.next().unwrap(),
            broadcast: pairs.next().unwrap(),
            backfill: pairs.next().unwrap(),
            txs: pairs.next().unwrap(),
        };
        let config = ValidatorConfig::new(format!("v{i}-{}", node.incarnation));
        let key = node.key.clone();
        let keys = node.keys.clone().unwrap_or_else(|| {
            Arc::new(GenesisKeys::new(
                self.participants.clone(),
                node.threshold.clone(),
            ))
        });
        let provider = self.oracle.manager();
        let (progress_tx, progress_rx) = futures::channel::oneshot::channel();
        let task_chain = chain.clone();
        let handle = self
            .context
            .with_label(&format!("validator_{i}_{}", node.starts))
            .spawn(move |ctx| async move {
                let progress = start_validator(
                    ctx.clone(),
                    config,
                    task_chain,
                    key,
                    keys,
                    (control, provider),
                    channels,
                )
                .await
                .unwrap();
                let _ = progress_tx.send(progress);
                futures::future::pending::<()>().await;
            });
        node.starts += 1;
        node.progress = Some(progress_rx.await.unwrap());
        node.chain = Some(chain);
        node.handle = Some(handle);
    }

    /// Starts validator `i` as a Byzantine one that tries `attack`.
    async fn start_byzantine(&mut self, i: usize, attack: Attack) {
        let node = &mut self.nodes[i];
        let genesis_app_hash =
            Chain::open(&node.dir, Some(&self.genesis), MempoolConfig::default())
                .unwrap()
                .app_hash_at(0)
                .unwrap()
                .unwrap();
        let control = self.oracle.control(node.key.public_key());
        // Votes and certificates travel on the subchannel of their consensus epoch (0).
        let context = self.context.with_label(&format!("byzantine_{i}"));
        let epoch_zero = async |c: u64| {
            let (sender, receiver) = control.register(c, QUOTA).await.unwrap();
            let label = format!("mux_{c}");
            let (mux, mut handle) = Muxer::new(context.with_label(&label), sender, receiver, 1024);
            mux.start();
            handle.register(0).await.unwrap()
        };
        let channels = ByzantineChannels {
            votes: epoch_zero(channel::VOTES).await,
            certificates: epoch_zero(channel::CERTIFICATES).await,
            broadcast: control.register(channel::BROADCAST, QUOTA).await.unwrap(),
        };
        let tried = start_byzantine(
            context,
            node.threshold.clone(),
            self.participants.clone(),
            genesis_app_hash,
            attack,
            channels,
        );
        node.byzantine_tried = Some(tried);
    }

    /// Stops a validator as a crash would: its tasks end wherever they are.
    fn crash(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        if let Some(h) = node.handle.take() {
            h.abort();
        }
        node.chain = None;
        node.progress = None;
    }

    /// Crashes a validator and deletes everything it stored.
    fn wipe(&mut self, i: usize) {
        self.crash(i);
        let node = &mut self.nodes[i];
        std::fs::remove_dir_all(&node.dir).unwrap();
        node.incarnation += 1;
    }

    fn chain(&self, i: usize) -> &Arc<Chain> {
        self.nodes[i].chain.as_ref().expect("validator is running")
    }

    /// A snapshot of validator `from`'s committed state: its height, app hash and file.
    fn export_snapshot(&self, from: usize) -> (u64, Hash, Vec<u8>) {
        let (height, root) = self.chain(from).committed();
        let mut file = Vec::new();
        self.chain(from)
            .store()
            .export_snapshot(height, CHAIN_ID, &mut file)
            .unwrap();
        (height, root, file)
    }

    /// Fills the (stopped, empty) store of validator `i` from a snapshot and starts it there.
    async fn start_from_snapshot(&mut self, i: usize, file: &[u8], root: Hash) {
        let dir = self.nodes[i].dir.clone();
        std::fs::create_dir_all(&dir).unwrap();
        plexus_store::Store::open(&dir.join("state.redb"))
            .unwrap()
            .import_snapshot(&mut &file[..], Some(root))
            .unwrap();
        self.start(i).await;
    }

    fn running(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].chain.is_some())
            .collect()
    }

    fn alice_nonce(&self, i: usize) -> u64 {
        let addr = Address::from_public_key(&alice().public_key());
        plexus_ledger::query::account(self.chain(i).store(), &addr)
            .unwrap()
            .nonce
    }

    /// Waits (in simulated time) until every running validator has committed `height` and
    /// `nonces` of alice's transfers. Panics after `limit` of simulated time.
    async fn wait_for(&self, height: u64, nonces: u64, limit: Duration) {
        let started = self.context.current();
        loop {
            let done = self
                .running()
                .into_iter()
                .all(|i| self.chain(i).committed().0 >= height && self.alice_nonce(i) >= nonces);
            if done {
                return;
            }
            for i in self.running() {
                let halted = self.nodes[i]
                    .progress
                    .as_ref()
                    .unwrap()
                    .halted
                    .lock()
                    .clone();
                assert!(halted.is_none(), "validator {i} halted: {halted:?}");
            }
            let waited = self.context.current().duration_since(started).unwrap();
            if waited > limit {
                let heights: Vec<u64> = self
                    .running()
                    .into_iter()
                    .map(|i| self.chain(i).committed().0)
                    .collect();
                panic!("no progress to height {height} / nonce {nonces} within {limit:?}: heights {heights:?}");
            }
            self.context.sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every running validator's app hash at every height they have all committed; asserts
    /// that they agree and returns them.
    fn agreed_app_hashes(&self) -> Vec<Hash> {
        let running = self.running();
        let top = running
            .iter()
            .map(|i| self.chain(*i).committed().0)
            .min()
            .unwrap();
        (0..=top)
            .map(|h| {
                let hashes: Vec<Hash> = running
                    .iter()
                    .map(|i| self.chain(*i).app_hash_at(h).unwrap().unwrap())
                    .collect();
                assert!(
                    hashes.windows(2).all(|w| w[0] == w[1]),
                    "validators disagree at height {h}: {hashes:?}"
                );
                hashes[0]
            })
            .collect()
    }

    /// Every running validator's beacon at every height they have all committed; asserts
    /// that they agree, that each comes from a seed (never empty), and returns them.
    fn agreed_beacons(&self) -> Vec<Hash> {
        let running = self.running();
        let top = running
            .iter()
            .map(|i| self.chain(*i).committed().0)
            .min()
            .unwrap();
        (1..=top)
            .map(|h| {
                let beacons: Vec<Hash> = running
                    .iter()
                    .map(|i| {
                        let block = self.chain(*i).block(h).unwrap().unwrap();
                        assert!(!block.header.beacon.is_empty(), "block {h} carries no seed");
                        Beacon::of_block(&block, self.genesis.beacon.as_ref()).value()
                    })
                    .collect();
                assert!(
                    beacons.windows(2).all(|w| w[0] == w[1]),
                    "validators read different beacons at height {h}: {beacons:?}"
                );
                beacons[0]
            })
            .collect()
    }

    fn submit(&self, i: usize, nonce: u64) {
        self.chain(i).submit(transfer(nonce)).unwrap();
    }
}

fn runner(seed: u64) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::default()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    )
}

/// `n` validators over lossy links; `txs` transfers all sent to validator 1. Returns the run's
/// fingerprint: the runtime's audit of every event, the agreed app hashes and beacons.
fn lossy_run(seed: u64, n: u64, txs: u64, height: u64) -> (String, Vec<Hash>, Vec<Hash>) {
    runner(seed).start(|context| async move {
        let mut sim = Sim::new(context.clone(), n).await;
        sim.link_all(lossy_link()).await;
        for i in 0..n as usize {
            sim.start(i).await;
        }
        for nonce in 0..txs {
            sim.submit(1, nonce);
        }
        sim.wait_for(height, txs, Duration::from_secs(120)).await;
        // Transfers sent to validator 1 were also proposed by the others.
        let submitted_to = validator_address(&sim.pk(1));
        let chain = sim.chain(0);
        let top = chain.committed().0;
        let mut by_others = 0;
        for h in 1..=top {
            let block = chain.block(h).unwrap().unwrap();
            if block.header.proposer != submitted_to {
                by_others += block.txs.len();
            }
        }
        assert!(
            by_others > 0,
            "no transfer was proposed by another validator"
        );
        let hashes = sim.agreed_app_hashes();
        let beacons = sim.agreed_beacons();
        (context.auditor().state(), hashes, beacons)
    })
}

#[test]
fn four_validators_over_lossy_links_agree_and_commit_transfers_sent_to_any_of_them() {
    let (audit, hashes, beacons) = lossy_run(1, 4, 40, 12);
    assert!(hashes.len() > 12);
    // Every validator read the same beacon at every height, and no two heights share one.
    let distinct: std::collections::BTreeSet<_> = beacons.iter().collect();
    assert_eq!(distinct.len(), beacons.len());
    // The same seed reproduces the same run exactly, beacons included.
    assert_eq!(lossy_run(1, 4, 40, 12), (audit, hashes, beacons));
}

#[test]
fn seven_validators_over_lossy_links_agree_and_the_run_is_reproducible() {
    let (audit, hashes, beacons) = lossy_run(7, 7, 20, 8);
    assert_eq!(lossy_run(7, 7, 20, 8), (audit, hashes, beacons));
}

fn partition_run(seed: u64) -> (String, Vec<Hash>) {
    runner(seed).start(|context| async move {
        let mut sim = Sim::new(context.clone(), 4).await;
        sim.link_all(lossy_link()).await;
        for i in 0..4 {
            sim.start(i).await;
        }
        sim.wait_for(3, 0, Duration::from_secs(60)).await;
        // Split 2 | 2: neither side has a quorum, so nothing is finalized.
        for (i, j) in [(0, 2), (0, 3), (1, 2), (1, 3)] {
            sim.unlink(i, j).await;
            sim.unlink(j, i).await;
        }
        sim.context.sleep(Duration::from_secs(3)).await;
        let stalled: Vec<u64> = (0..4).map(|i| sim.chain(i).committed().0).collect();
        for nonce in 0..5 {
            sim.submit(3, nonce);
        }
        sim.context.sleep(Duration::from_secs(10)).await;
        let later: Vec<u64> = (0..4).map(|i| sim.chain(i).committed().0).collect();
        assert!(
            later.iter().max() <= Some(&(stalled.iter().max().unwrap() + 1)),
            "a side without quorum finalized blocks: {stalled:?} -> {later:?}"
        );
        sim.agreed_app_hashes();
        // Heal: the chain goes on and the transfers sent during the partition commit.
        sim.link_all(lossy_link()).await;
        let top = *later.iter().max().unwrap();
        sim.wait_for(top + 5, 5, Duration::from_secs(120)).await;
        (context.auditor().state(), sim.agreed_app_hashes())
    })
}

#[test]
fn a_partition_without_quorum_stops_progress_without_a_fork_and_the_chain_resumes_when_it_heals() {
    let first = partition_run(3);
    assert_eq!(partition_run(3), first);
}

#[test]
fn a_crashed_validator_restarts_and_catches_up_from_its_peers() {
    runner(4).start(|context| async move {
        let mut sim = Sim::new(context.clone(), 4).await;
        sim.link_all(lossy_link()).await;
        for i in 0..4 {
            sim.start(i).await;
        }
        sim.wait_for(3, 0, Duration::from_secs(60)).await;
        sim.crash(2);
        let before = sim.chain(0).committed().0;
        // Three of four are a quorum: the chain goes on without it.
        for nonce in 0..10 {
            sim.submit(0, nonce);
        }
        sim.wait_for(before + 10, 10, Duration::from_secs(120))
            .await;
        sim.start(2).await;
        let top = sim.chain(0).committed().0;
        let restarted_at = sim.chain(2).committed().0;
        assert!(
            restarted_at + 5 < top,
            "validator 2 restarted at {restarted_at}, chain at {top}"
        );
        sim.wait_for(top + 3, 10, Duration::from_secs(120)).await;
        sim.agreed_app_hashes();
    });
}

#[test]
fn a_validator_whose_store_is_wiped_resyncs_from_genesis() {
    runner(5).start(|context| async move {
        let mut sim = Sim::new(context.clone(), 4).await;
        sim.link_all(lossy_link()).await;
        for i in 0..4 {
            sim.start(i).await;
        }
        for nonce in 0..10 {
            sim.submit(1, nonce);
        }
        sim.wait_for(8, 10, Duration::from_secs(120)).await;
        sim.wipe(3);
        let top = sim.chain(0).committed().0;
        sim.wait_for(top + 2, 10, Duration::from_secs(60)).await;
        sim.start(3).await;
        assert_eq!(sim.chain(3).committed().0, 0);
        let top = sim.chain(0).committed().0;
        sim.wait_for(top + 3, 10, Duration::from_secs(120)).await;
        sim.agreed_app_hashes();
    });
}

/// A validator whose machine is lost starts again from a snapshot of a peer's state at height
/// H, checked against the peer's app hash: it keeps nothing below H, fetches from its peers
/// only finalized blocks after H (not the chain from genesis), executes them, commits the
/// transfers sent meanwhile, and agrees with the others on every height from H.
#[test]
fn a_validator_restored_from_a_peers_snapshot_catches_up_and_agrees() {
    runner(11).start(|context| async move {
        let mut sim = Sim::new(context.clone(), 4).await;
        sim.link_all(lossy_link()).await;
        for i in 0..4 {
            sim.start(i).await;
        }
        for nonce in 0..5 {
            sim.submit(1, nonce);
        }
        sim.wait_for(40, 5, Duration::from_secs(300)).await;
        sim.wipe(3);
        let (height, root, file) = sim.export_snapshot(0);
        for nonce in 5..8 {
            sim.submit(1, nonce);
        }
        sim.wait_for(height + 5, 8, Duration::from_secs(120)).await;

        sim.start_from_snapshot(3, &file, root).await;
        assert_eq!(sim.chain(3).committed(), (height, root));
        assert_eq!(sim.chain(3).first_block_height(), height + 1);
        for nonce in 8..10 {
            sim.submit(3, nonce);
        }
        let top = sim.chain(0).committed().0;
        sim.wait_for(top + 3, 10, Duration::from_secs(120)).await;
        let common = (0..4).map(|i| sim.chain(i).committed().0).min().unwrap();
        for h in height..=common {
            let expected = sim.chain(0).app_hash_at(h).unwrap();
            for i in 1..4 {
                assert_eq!(
                    sim.chain(i).app_hash_at(h).unwrap(),
                    expected,
                    "validator {i} at {h}"
                );
            }
        }
        // Blocks at or below the snapshot were never fetched: every block it fetched is above.
        let fetched = metric(
            &context,
            "validator_3_1_backfill_resolver_fetch_total{status=\"Success\"}",
        );
        assert!(
            fetched <= common - height,
            "fetched {fetched} blocks to go from {height} to {common}"
        );
        let next = sim.chain(3).block(height + 1).unwrap().unwrap();
        assert_eq!(next.header.prev_app_hash, root);
    });
}

/// The value of one metric of the runtime, as `name` (with its labels) is encoded.
fn metric(context: &deterministic::Context, name: &str) -> u64 {
    context
        .encode()
        .lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// What one Byzantine validator did in a run: how many proposals and equivocations it sent,
/// and the blocks naming it as proposer that the honest validators finalized.
#[derive(Debug, PartialEq)]
struct Attacker {
    tried: u64,
    finalized: Vec<Block>,
}

/// `n` validators over lossy links, the last `attacks.len()` of them Byzantine; 10 transfers
/// sent to validator 0. The honest validators must all reach height 12 and commit every
/// transfer without halting (`wait_for` fails on a halt) and agree on every app hash. Returns
/// the runtime's audit of the run, the agreed app hashes and what each attacker did.
fn byzantine_run(seed: u64, n: u64, attacks: &[Attack]) -> (String, Vec<Hash>, Vec<Attacker>) {
    let attacks = attacks.to_vec();
    runner(seed).start(|context| async move {
        let mut sim = Sim::new(context.clone(), n).await;
        let first_byzantine = n as usize - attacks.len();
        for (offset, attack) in attacks.iter().enumerate() {
            sim.nodes[first_byzantine + offset].attack = Some(*attack);
        }
        sim.link_all(lossy_link()).await;
        for i in 0..n as usize {
            sim.start(i).await;
        }
        for nonce in 0..10 {
            sim.submit(0, nonce);
        }
        sim.wait_for(12, 10, Duration::from_secs(300)).await;
        let hashes = sim.agreed_app_hashes();
        sim.agreed_beacons();
        let chain = sim.chain(0);
        let blocks: Vec<Block> = (1..=chain.committed().0)
            .map(|h| chain.block(h).unwrap().unwrap())
            .collect();
        let attackers = (first_byzantine..n as usize)
            .map(|b| {
                let address = validator_address(&sim.pk(b));
                let tried = sim.nodes[b].byzantine_tried.as_ref().unwrap();
                Attacker {
                    tried: tried.load(Ordering::SeqCst),
                    finalized: blocks
                        .iter()
                        .filter(|block| block.header.proposer == address)
                        .cloned()
                        .collect(),
                }
            })
            .collect();
        (context.auditor().state(), hashes, attackers)
    })
}

/// Runs `attack` with one Byzantine validator of 4 and two of 7; returns the attackers of
/// both runs, each checked to have tried its attack.
fn attacked_by(attack: Attack, seed: u64) -> Vec<Attacker> {
    let mut attackers = Vec::new();
    for (n, f) in [(4, 1), (7, 2)] {
        let (_, _, run) = byzantine_run(seed + n, n, &vec![attack; f]);
        for attacker in &run {
            assert!(attacker.tried > 0, "{attack:?}: the attack was never tried");
        }
        attackers.extend(run);
    }
    attackers
}

#[test]
fn a_proposer_that_makes_up_its_checkpoint_halts_no_validator_and_gets_no_block_finalized() {
    for attacker in attacked_by(Attack::WrongCheckpoint, 10) {
        assert!(
            attacker.finalized.is_empty(),
            "a block with a made-up checkpoint was finalized"
        );
    }
}

#[test]
fn proposers_of_invalid_blocks_lose_their_views_and_halt_no_validator() {
    for attacker in attacked_by(Attack::InvalidBlock, 20) {
        // Undecodable transactions are no reason to refuse a block: they fail as
        // transactions. Every other invalid block got no quorum.
        for block in &attacker.finalized {
            assert!(
                !block.txs.is_empty() && block.txs.iter().all(|t| t[0] == 0xFF),
                "an invalid block was finalized: {:?}",
                block.header
            );
        }
    }
}

#[test]
fn a_proposer_sending_different_blocks_to_different_peers_forks_no_validator() {
    attacked_by(Attack::SplitProposal, 30);
}

#[test]
fn validators_that_vote_for_conflicting_proposals_halt_and_fork_no_one() {
    attacked_by(Attack::Equivocate, 40);
}

#[test]
fn validators_that_withhold_their_votes_do_not_stop_finalization() {
    let attackers = attacked_by(Attack::WithholdVotes, 50);
    // Their own valid proposals are finalized with the honest validators' votes alone.
    assert!(attackers.iter().any(|a| !a.finalized.is_empty()));
}

#[test]
fn byzantine_validators_of_different_kinds_run_the_same_from_the_same_seed() {
    let attacks = [Attack::WrongCheckpoint, Attack::SplitProposal];
    let first = byzantine_run(60, 7, &attacks);
    assert!(first.2.iter().all(|a| a.tried > 0));
    assert_eq!(byzantine_run(60, 7, &attacks), first);
}

#[test]
fn a_proposer_that_puts_another_views_seed_in_its_block_gets_no_block_finalized() {
    for attacker in attacked_by(Attack::WrongSeed, 70) {
        assert!(
            attacker.finalized.is_empty(),
            "a block with a wrong seed was finalized"
        );
    }
}
