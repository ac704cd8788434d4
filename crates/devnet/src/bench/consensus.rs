//! `plexus bench consensus`: transfers per second and finality latency of N validators under
//! Commonware consensus on loopback, next to the solo driver given the same transactions in the
//! same run.
//!
//! Every validator runs in this process with its own store and its own Commonware runtime, and
//! they talk over authenticated p2p on loopback ports, as separate processes would. The
//! throughput phase spreads the transfers over all validators (each relays what it admits to
//! the others); the latency phase sends one transfer at a time, to each validator in turn, and
//! times it until that validator has committed it.

use super::transfers::{bench_transfers, start_solo, BenchTransfers};
use anyhow::{bail, Context};
use plexus_chain::commonware::{public_key_hex, ValidatorProcess};
use plexus_chain::{Chain, ChainError, MempoolConfig};
use plexus_client::{Clock as _, SystemClock};
use plexus_ledger::{Genesis, GenesisAccount, GenesisValidator};
use plexus_types::{Amount, SignedTx};
use serde::Serialize;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one transfer may take to commit before the benchmark gives up.
const COMMIT_DEADLINE: Duration = Duration::from_secs(60);

pub struct ConsensusArgs {
    pub validators: usize,
    pub txs: usize,
    pub accounts: usize,
    pub samples: usize,
    pub quiet: bool,
}

#[derive(Serialize)]
pub struct DriverFigures {
    pub driver: String,
    pub validators: usize,
    pub txs: usize,
    pub seconds: f64,
    /// Transfers committed per second, counted when every validator has committed them all.
    pub transfers_per_sec: f64,
    /// From submitting one transfer to a validator until that validator has committed it.
    pub latency_ms_median: f64,
    pub latency_ms_p90: f64,
    pub latency_ms_max: f64,
    pub blocks: u64,
    pub height: u64,
    /// Every validator has the same app hash at every height up to the lowest one's.
    pub app_hashes_agree: bool,
}

#[derive(Serialize)]
pub struct ConsensusReport {
    pub scenario: &'static str,
    pub consensus: DriverFigures,
    /// Baseline: the solo driver, same transactions, same machine, same run.
    pub baseline_solo: DriverFigures,
    /// consensus transfers_per_sec / solo transfers_per_sec.
    pub throughput_ratio: f64,
    pub cores: usize,
}

/// Runs the benchmark and prints its report.
pub async fn run(args: ConsensusArgs, json: bool) -> anyhow::Result<()> {
    let r = tokio::task::spawn_blocking(move || bench_consensus(args)).await??;
    if json {
        crate::print_json(&r);
    } else {
        for d in [&r.consensus, &r.baseline_solo] {
            println!(
                "{:<28} {:>9.0} transfers/s ({} in {:.2} s, {} blocks) · finality median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
                d.driver,
                d.transfers_per_sec,
                d.txs,
                d.seconds,
                d.blocks,
                d.latency_ms_median,
                d.latency_ms_p90,
                d.latency_ms_max
            );
        }
        println!(
            "ratio: {:.2}x of the solo driver's throughput on {} cores; app hashes agree at every height",
            r.throughput_ratio, r.cores
        );
    }
    Ok(())
}

/// A running network: the chains to submit to and read from, and how to stop it.
struct Network {
    chains: Vec<Arc<Chain>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Result<(), ChainError>>>,
    _dirs: Vec<tempfile::TempDir>,
}

impl Network {
    fn solo(genesis: &Genesis, mempool: MempoolConfig) -> anyhow::Result<Network> {
        let dir = tempfile::tempdir()?;
        let chain = Arc::new(Chain::open(dir.path(), Some(genesis), mempool)?);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = start_solo(&chain, &stop);
        Ok(Network {
            chains: vec![chain],
            stop,
            threads: vec![thread],
            _dirs: vec![dir],
        })
    }

    fn consensus(
        genesis: &Genesis,
        keys: Vec<(
            commonware_cryptography::ed25519::PrivateKey,
            plexus_chain::commonware::ThresholdKey,
        )>,
        mempool: MempoolConfig,
    ) -> anyhow::Result<Network> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut net = Network {
            chains: Vec::new(),
            stop: stop.clone(),
            threads: Vec::new(),
            _dirs: Vec::new(),
        };
        for (i, (key, threshold)) in keys.into_iter().enumerate() {
            let dir = tempfile::tempdir()?;
            let chain = Arc::new(Chain::open(
                &dir.path().join("data"),
                Some(genesis),
                mempool.clone(),
            )?);
            let process = ValidatorProcess {
                chain: chain.clone(),
                key,
                threshold,
                validators: genesis.validators.clone(),
                storage_dir: dir.path().join("consensus"),
                stop: stop.clone(),
                min_block_ms: 0,
            };
            let thread = std::thread::Builder::new()
                .name(format!("validator-{i}"))
                .spawn(move || process.run())?;
            net.chains.push(chain);
            net.threads.push(thread);
            net._dirs.push(dir);
        }
        Ok(net)
    }

    /// Fails if a validator stopped by itself (a halt, a port already taken).
    fn check_running(&mut self) -> anyhow::Result<()> {
        if let Some(i) = self.threads.iter().position(|t| t.is_finished()) {
            let thread = self.threads.remove(i);
            let result = thread
                .join()
                .map_err(|_| anyhow::anyhow!("validator {i} panicked"))?;
            match result {
                Ok(()) => bail!("validator {i} stopped early"),
                Err(e) => bail!("validator {i} stopped: {e}"),
            }
        }
        Ok(())
    }

    /// Waits until every chain has committed at least `target` transactions.
    fn wait_committed(
        &mut self,
        target: u64,
        bar: Option<&indicatif::ProgressBar>,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + COMMIT_DEADLINE;
        loop {
            let least = self
                .chains
                .iter()
                .map(|c| c.status().txs_committed)
                .min()
                .unwrap_or(0);
            if let Some(bar) = bar {
                bar.set_position(least);
            }
            if least >= target {
                return Ok(());
            }
            self.check_running()?;
            if Instant::now() > deadline {
                bail!("only {least} of {target} transfers committed on every validator after waiting {COMMIT_DEADLINE:?}");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Compares every chain's app hash at every height up to the lowest committed height.
    fn app_hashes_agree(&self) -> anyhow::Result<(bool, u64)> {
        let lowest = self
            .chains
            .iter()
            .map(|c| c.committed().0)
            .min()
            .unwrap_or(0);
        for height in 0..=lowest {
            let first = self.chains[0].app_hash_at(height)?;
            for chain in &self.chains[1..] {
                if chain.app_hash_at(height)? != first {
                    return Ok((false, lowest));
                }
            }
        }
        Ok((true, lowest))
    }

    fn shut_down(self) -> anyhow::Result<()> {
        self.stop.store(true, Ordering::SeqCst);
        for chain in &self.chains {
            chain.wake();
        }
        for (i, thread) in self.threads.into_iter().enumerate() {
            thread
                .join()
                .map_err(|_| anyhow::anyhow!("driver thread {i} panicked"))?
                .with_context(|| format!("driver {i}"))?;
        }
        Ok(())
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Runs both phases on `net` and stops it.
fn measure(
    driver: &str,
    mut net: Network,
    transfers: &[SignedTx],
    probes: &[SignedTx],
    quiet: bool,
) -> anyhow::Result<DriverFigures> {
    let n = net.chains.len();
    if !quiet {
        eprintln!(
            "{driver}: {} transfers spread over {n} validator(s)…",
            transfers.len()
        );
    }
    let bar =
        (!quiet).then(|| crate::progress::count_bar(quiet, transfers.len() as u64, "committed"));
    let start_height = net
        .chains
        .iter()
        .map(|c| c.committed().0)
        .min()
        .unwrap_or(0);
    let started = Instant::now();
    let submitter = {
        let chains = net.chains.clone();
        let raw: Vec<Vec<u8>> = transfers.iter().map(|t| t.bytes.clone()).collect();
        std::thread::spawn(move || {
            let mut refused = Vec::new();
            for (k, chunk) in raw.chunks(2_048).enumerate() {
                for r in chains[k % chains.len()].submit_many(chunk.to_vec()) {
                    if let Err(e) = r {
                        refused.push(e.to_string());
                    }
                }
            }
            refused
        })
    };
    let waited = net.wait_committed(transfers.len() as u64, bar.as_ref());
    let seconds = started.elapsed().as_secs_f64();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let refused = submitter
        .join()
        .map_err(|_| anyhow::anyhow!("submitter panicked"))?;
    if let Some(first) = refused.first() {
        bail!(
            "{} transfers were refused, the first: {first}",
            refused.len()
        );
    }
    waited?;
    let end_height = net
        .chains
        .iter()
        .map(|c| c.committed().0)
        .min()
        .unwrap_or(0);

    if !quiet {
        eprintln!("{driver}: timing {} transfers one at a time…", probes.len());
    }
    let mut latencies = Vec::with_capacity(probes.len());
    for (i, probe) in probes.iter().enumerate() {
        let chain = net.chains[i % n].clone();
        let sent = Instant::now();
        chain
            .submit(probe.bytes.clone())
            .map_err(|e| anyhow::anyhow!("probe transfer {i} refused: {e}"))?;
        loop {
            if chain.committed_tx(&probe.hash)?.is_some() {
                break;
            }
            if sent.elapsed() > COMMIT_DEADLINE {
                bail!("probe transfer {i} was not committed within {COMMIT_DEADLINE:?}");
            }
            net.check_running()?;
            std::thread::sleep(Duration::from_micros(200));
        }
        latencies.push(sent.elapsed().as_secs_f64() * 1_000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let (agree, height) = net.app_hashes_agree()?;
    net.shut_down()?;
    Ok(DriverFigures {
        driver: driver.to_string(),
        validators: n,
        txs: transfers.len(),
        seconds,
        transfers_per_sec: transfers.len() as f64 / seconds,
        latency_ms_median: percentile(&latencies, 0.5),
        latency_ms_p90: percentile(&latencies, 0.9),
        latency_ms_max: latencies.last().copied().unwrap_or(0.0),
        blocks: end_height.saturating_sub(start_height),
        height,
        app_hashes_agree: agree,
    })
}

pub fn bench_consensus(args: ConsensusArgs) -> anyhow::Result<ConsensusReport> {
    use commonware_codec::DecodeExt;
    use commonware_cryptography::{ed25519, Signer as _};
    if !(1..=16).contains(&args.validators) {
        bail!("--validators must be between 1 and 16");
    }
    if args.samples == 0 {
        bail!("--samples must be at least 1");
    }
    let chain_id = "plexus-bench-consensus";
    if !args.quiet {
        eprintln!(
            "preparing {} accounts, {} signed transfers and {} probes…",
            args.accounts, args.txs, args.samples
        );
    }
    let BenchTransfers {
        addrs,
        signed: transfers,
    } = bench_transfers(chain_id, 0xbe, args.txs, args.accounts)?;
    // Probes come from accounts of their own, one transfer each, so they never wait behind a
    // nonce gap.
    let BenchTransfers {
        addrs: probe_addrs,
        signed: probes,
    } = bench_transfers(chain_id, 0xcf, args.samples, args.samples.max(2))?;
    let accounts = addrs
        .iter()
        .chain(&probe_addrs)
        .map(|a| GenesisAccount {
            address: *a,
            balance: Amount::plx(1_000_000),
        })
        .collect();
    let mut genesis = Genesis::new(chain_id, SystemClock.now_ms(), accounts);
    let mempool = MempoolConfig {
        max_txs: (args.txs + args.samples).max(200_000),
        max_bytes: usize::MAX / 2,
        ..MempoolConfig::default()
    };

    let solo = measure(
        "solo",
        Network::solo(&genesis, mempool.clone())?,
        &transfers,
        &probes,
        args.quiet,
    )?;

    let keys: Vec<ed25519::PrivateKey> = (0..args.validators)
        .map(|i| {
            let mut seed = [0x5e; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            ed25519::PrivateKey::decode(seed.as_slice())
                .expect("any 32 bytes are an Ed25519 secret key")
        })
        .collect();
    for key in &keys {
        let port = free_port()?;
        genesis.validators.push(GenesisValidator {
            consensus_key: public_key_hex(&key.public_key()),
            stake: Amount::plx(1_000),
            p2p_address: SocketAddr::from(([127, 0, 0, 1], port)).to_string(),
        });
    }
    let public: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0x5e);
    let threshold = plexus_chain::commonware::deal_for_genesis(&mut rng, &mut genesis, &public)
        .map_err(anyhow::Error::msg)?;
    genesis.validate()?;
    let consensus = measure(
        &format!("commonware ({} validators)", args.validators),
        Network::consensus(&genesis, keys.into_iter().zip(threshold).collect(), mempool)?,
        &transfers,
        &probes,
        args.quiet,
    )?;
    if !solo.app_hashes_agree || !consensus.app_hashes_agree {
        bail!("validators disagree on an app hash: this is a consensus bug, not a slow machine");
    }
    Ok(ConsensusReport {
        scenario: "consensus",
        throughput_ratio: consensus.transfers_per_sec / solo.transfers_per_sec,
        consensus,
        baseline_solo: solo,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}
