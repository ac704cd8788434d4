//! `plexus bench …`: performance figures, each next to a baseline measured in the same run.
//! One module per subject; `transfers` holds the signed transfers and the solo driver that the
//! ledger and consensus benchmarks share.

mod churn;
mod consensus;
mod ingest;
mod jobs;
mod learn;
mod ledger;
mod mempool;
mod rewards;
mod sensors;
pub mod stats;
mod storage;
mod store_growth;
mod transfers;
mod wireless;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Signed transfers executed and committed per second through the solo driver, next to
    /// the rates at which the same signatures are verified: one by one and in batches on one
    /// core, and in batches on every core.
    Ledger {
        /// Number of transfers.
        #[arg(long, default_value_t = 100_000)]
        txs: usize,
        /// Number of sending accounts.
        #[arg(long, default_value_t = 4_096)]
        accounts: usize,
        /// Runs, each on a fresh chain with its own baselines; medians and spreads are reported.
        #[arg(long, default_value_t = stats::DEFAULT_RUNS, value_parser = clap::value_parser!(u16).range(1..=100))]
        runs: u16,
    },
    /// Signed heartbeats accepted per second by an oracle over HTTP, next to the rate at which
    /// one core, and all cores, batch-verify the same heartbeats' ed25519 signatures.
    Ingest {
        /// Number of registered devices (one heartbeat each a run).
        #[arg(long, default_value_t = 20_000)]
        devices: usize,
        /// Runs, each with fresh heartbeats and its own baselines; medians are reported.
        #[arg(long, default_value_t = stats::DEFAULT_RUNS, value_parser = clap::value_parser!(u16).range(1..=100))]
        runs: u16,
    },
    /// Seconds to score an epoch and build its manifest for many devices, next to the time to
    /// blake3-hash the same leaves.
    Rewards {
        /// Number of devices.
        #[arg(long, default_value_t = 1_000_000)]
        devices: usize,
        /// Times to score the same evidence, each next to its own baseline; medians are
        /// reported.
        #[arg(long, default_value_t = stats::DEFAULT_RUNS, value_parser = clap::value_parser!(u16).range(1..=100))]
        runs: u16,
    },
    /// Transfers per second and finality latency of validators under Commonware consensus on
    /// loopback, next to the solo driver given the same transfers in the same run.
    Consensus {
        /// Validators, each with its own store and runtime, talking over loopback p2p.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Transfers for the throughput phase.
        #[arg(long, default_value_t = 20_000)]
        txs: usize,
        /// Sending accounts for the throughput phase.
        #[arg(long, default_value_t = 1_024)]
        accounts: usize,
        /// Transfers sent one at a time to time their finality.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// Federated rounds on the digits (honest participants, FedAvg, MLP 64-32-10): seconds per
    /// round and held-out accuracy, next to one process training the same model on all the
    /// participants' data for the same epochs. `bench/flower_vs_plexus.py` runs Flower beside it.
    Learn {
        /// Participants, each on a label-skewed part of the digits.
        #[arg(long, default_value_t = 8)]
        participants: usize,
        /// Rounds.
        #[arg(long, default_value_t = 30)]
        rounds: usize,
    },
    /// Compute marketplace: winning bids chosen per second for orders with many bids, next to
    /// a bare sort of the same bids; the demo WASM job and an inference job through their
    /// sandboxes, next to the same work done directly in-process. (Job dispatch latency on a
    /// devnet is in `plexus devnet --agents N --json`'s `jobs` section.)
    Jobs {
        /// Orders to match.
        #[arg(long, default_value_t = 10_000)]
        orders: usize,
        /// Providers bidding for each order.
        #[arg(long, default_value_t = 64)]
        providers: usize,
        /// Runs of each job; medians are reported.
        #[arg(long, default_value_t = 9)]
        runs: usize,
    },
    /// Blocks an honest transfer waits for while 20 accounts flood the mempool with
    /// transactions behind a missing nonce and 20 more with valid ones at the minimum fee, next
    /// to the same transfers without the flood.
    Mempool {
        /// Honest users, each sending one transfer a block.
        #[arg(long, default_value_t = 50)]
        users: usize,
        /// Blocks to run.
        #[arg(long, default_value_t = 30)]
        blocks: u64,
    },
    /// Execute-and-commit time of a block as the state grows: at each size, that many storage
    /// devices, storage deals, training tasks, compute orders (all but the devices made and
    /// ended) and rounds of one task, then the same blocks of transfers and a few of each
    /// action timed, next to the first size.
    Churn {
        /// Sizes to grow the state to, ascending, comma separated.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
        items: Vec<u64>,
        /// Heights of state the ledger's store keeps, pruning older ones as a node does
        /// (0: every height, which at 100 000 items outgrows most disks).
        #[arg(long, default_value_t = 100)]
        retain_versions: u64,
    },
    /// Blob put and get throughput over loopback HTTP, next to copying the same file with an
    /// fsync and to blake3 over it, in every run; and the verifier's cost of retrievability
    /// challenges.
    Storage {
        /// Size of the blob in MiB.
        #[arg(long, default_value_t = 1024)]
        mib: u64,
        /// Runs, each measuring put, get and their baselines afresh; the report gives medians.
        #[arg(long, default_value_t = stats::DEFAULT_RUNS,
              value_parser = clap::value_parser!(u16).range(1..=100))]
        runs: u16,
        /// Directory for the benchmark's files (default: the system's temporary directory).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Size of the state file as blocks of transfers commit with pruning (keeping the newest
    /// `keep` heights), next to the same blocks with every height kept.
    StoreGrowth {
        /// Blocks to commit.
        #[arg(long, default_value_t = 2_000)]
        blocks: u64,
        /// Transfers in each block.
        #[arg(long, default_value_t = 20)]
        txs_per_block: usize,
        /// Sending accounts.
        #[arg(long, default_value_t = 256)]
        accounts: usize,
        /// Heights of state the pruned run keeps.
        #[arg(long, default_value_t = 100)]
        keep: u64,
        /// Blocks between measurements.
        #[arg(long, default_value_t = 250)]
        every: u64,
    },
    /// Weather readings scored for quality (WeatherXM's checks per station-day, then the
    /// neighbour check across stations) per second, next to decoding and hashing the same
    /// readings.
    Sensors {
        /// Number of readings (a station-day with its lead-in is 6 750).
        #[arg(long, default_value_t = 10_000_000)]
        readings: usize,
        /// Runs over the same readings, each next to its own baseline; medians are reported.
        #[arg(long, default_value_t = stats::DEFAULT_RUNS, value_parser = clap::value_parser!(u16).range(1..=100))]
        runs: u16,
    },
    /// Signed LoRa witness reports checked (signatures, then the proof-of-coverage checks) and
    /// scored (HIP-15 units, HIP-17 density) per second, next to one core batch-verifying the
    /// same reports' ed25519 signatures.
    Wireless {
        /// Number of witness reports (10 per beacon).
        #[arg(long, default_value_t = 1_000_000)]
        reports: usize,
    },
}

/// Runs one benchmark and prints its report (as JSON with `json`).
pub async fn run(json: bool, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Churn {
            items,
            retain_versions,
        } => churn::run(items, retain_versions, json).await,
        BenchCommand::Jobs {
            orders,
            providers,
            runs,
        } => jobs::run(orders, providers, runs, json).await,
        BenchCommand::Learn {
            participants,
            rounds,
        } => learn::run(participants, rounds, json).await,
        BenchCommand::Storage { mib, runs, dir } => {
            storage::run(mib, runs, dir.as_deref(), json).await
        }
        BenchCommand::Consensus {
            validators,
            txs,
            accounts,
            samples,
        } => {
            let args = consensus::ConsensusArgs {
                validators,
                txs,
                accounts,
                samples,
                quiet: json,
            };
            consensus::run(args, json).await
        }
        BenchCommand::Ingest { devices, runs } => ingest::run(devices, runs, json).await,
        BenchCommand::Rewards { devices, runs } => rewards::run(devices, runs, json).await,
        BenchCommand::Ledger {
            txs,
            accounts,
            runs,
        } => ledger::run(txs, accounts, runs, json).await,
        BenchCommand::Mempool { users, blocks } => mempool::run(users, blocks, json).await,
        BenchCommand::Wireless { reports } => wireless::run(reports, json).await,
        BenchCommand::Sensors { readings, runs } => sensors::run(readings, runs, json).await,
        BenchCommand::StoreGrowth {
            blocks,
            txs_per_block,
            accounts,
            keep,
            every,
        } => {
            let args = store_growth::GrowthArgs {
                blocks,
                txs_per_block,
                accounts,
                keep,
                every,
            };
            store_growth::run(args, json).await
        }
    }
}
