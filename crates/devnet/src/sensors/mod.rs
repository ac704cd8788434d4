//! The devnet's sensor region: the sensor simulator's weather stations, rooftop meters and
//! vehicles (`plexus_sensorsim`) registered on chain at the cells they assert, each sending
//! every oracle, each epoch, one signed batch of what it read over that epoch's simulated day
//! (`POST /v1/readings`), and claiming what the sensor manifest pays it.
//!
//! A devnet epoch stands for one day of the region: epoch e's readings are those of the UTC
//! day the chain's rules name for it (the genesis's midnight plus e days), so a three-minute
//! devnet scores weeks of weather. The workload plays the physical world and the devices'
//! firmware: it holds their keys, as the simulator does. Everything else goes through the
//! chain's transactions and the oracles' API like any other client's.

pub mod market;
mod summary;

pub use summary::{print, summarize, SensorSummary};

/// The sensors and data market sections in human form, those that ran.
pub fn print_sections(sensors: Option<&SensorSummary>, market: Option<&market::DataMarketSummary>) {
    if let Some(s) = sensors {
        print(s);
    }
    if let Some(m) = market {
        market::print(m);
    }
}

use crate::wireless::chain_io::{self, Account};
use crate::wireless::claims::{ClaimBook, Claimant};
use anyhow::Context;
use plexus_chain::Chain;
use plexus_ledger::query;
use plexus_rewards::sensors::sensor_origin_s;
use plexus_sensorsim::batch::day_readings;
use plexus_sensorsim::field::Field;
use plexus_sensorsim::{Region, DAY_S};
use plexus_types::readings::{ReadingBatch, SignedReadingBatch};
use plexus_types::{statements, Amount, Body, Capabilities, SecretKey};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What an owner is given beyond its device's stake, in PLX: fees and the location assertion.
const OWNER_FLOAT_PLX: u64 = 200;

/// The sensor flags of `plexus devnet`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct SensorArgs {
    /// Sensor devices in a simulated region around Athens: three in five weather stations,
    /// the rest rooftop solar meters and vehicles alike, registered on chain at the res-12
    /// cells they assert.
    #[arg(long, default_value_t = 0)]
    pub sensors: usize,
    /// How many of the sensors cheat, in turn: a station of made-up values, a station that
    /// repeats one reading, a station indoors, a meter that inflates its production, a
    /// vehicle that teleports.
    #[arg(long, default_value_t = 0)]
    pub sensor_cheaters: usize,
    /// Seed of the region (positions, keys, noise): the same seed, the same region.
    #[arg(long, default_value_t = 1)]
    pub sensor_seed: u64,
}

impl SensorArgs {
    pub fn enabled(&self) -> bool {
        self.sensors > 0
    }

    /// Refuses inconsistent flags by name.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.sensor_cheaters > self.sensors {
            anyhow::bail!(
                "--sensor-cheaters {} is more than --sensors {}",
                self.sensor_cheaters,
                self.sensors
            );
        }
        if self.sensors > MAX_SENSORS {
            anyhow::bail!("a devnet runs at most {MAX_SENSORS} sensors");
        }
        Ok(())
    }
}

/// Most sensors a devnet runs: each station's day is about 200 KB of evidence.
pub const MAX_SENSORS: usize = 500;

/// What the workload did, for the summary.
#[derive(Debug, Default)]
pub struct SensorLog {
    pub region: Option<Region>,
    /// Devices whose registration committed.
    pub registered: usize,
    /// Epochs whose day the devices reported.
    pub epochs: Vec<u64>,
    /// Batches the oracles recorded (each oracle counted), and those they refused, by code.
    pub batches_accepted: u64,
    pub batches_refused: BTreeMap<String, u64>,
    /// Readings sent, each batch counted once.
    pub readings_sent: u64,
    /// Transactions the chain refused, by its code.
    pub refused: BTreeMap<String, u64>,
    /// The data buyer's purchases, and the market transactions the chain refused.
    pub purchases: Vec<market::Purchase>,
    pub market_refused: BTreeMap<String, u64>,
}

/// Starts the sensor region of `args` on `chain`, its owners funded by `funder`; devices claim
/// with the proofs the `oracles` serve.
pub fn start(
    chain: Arc<Chain>,
    funder: SecretKey,
    oracles: &[std::net::SocketAddr],
    args: &SensorArgs,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<crate::workload::Workload<SensorLog>> {
    args.check()?;
    let region = Region::new(args.sensor_seed, args.sensors, args.sensor_cheaters);
    let oracles = oracles
        .iter()
        .map(|a| plexus_client::OracleClient::new(&format!("http://{a}")))
        .collect::<Result<Vec<_>, _>>()?;
    let task = tokio::spawn(run(chain, funder, oracles, region, stop));
    Ok(task)
}

struct Workload {
    chain: Arc<Chain>,
    info: plexus_ledger::ChainInfo,
    oracles: Vec<plexus_client::OracleClient>,
    region: Region,
    funder: Account,
    owners: Vec<Account>,
    claimants: Vec<Claimant>,
    claim_book: ClaimBook,
    buyer: market::Buyer,
    log: SensorLog,
}

/// The owner of a simulated device: a key of its own, from the device's.
fn owner_key(device: &SecretKey) -> SecretKey {
    let mut h = blake3::Hasher::new_derive_key("plexus devnet sensor owner v1");
    h.update(device.public_key().as_bytes());
    SecretKey::from_seed(*h.finalize().as_bytes())
}

async fn run(
    chain: Arc<Chain>,
    funder: SecretKey,
    oracles: Vec<plexus_client::OracleClient>,
    region: Region,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<SensorLog> {
    let info = query::chain_info(chain.store())?.context("the chain has no genesis")?;
    let funder = Account::open(&chain, funder)?;
    let buyer = market::Buyer::new(&chain)?;
    let mut w = Workload {
        chain,
        info,
        oracles,
        region,
        funder,
        owners: Vec::new(),
        claimants: Vec::new(),
        claim_book: ClaimBook::default(),
        buyer,
        log: SensorLog::default(),
    };
    w.register(&mut stop).await?;
    let mut last_done = 0u64;
    // Batches not yet taken by an oracle that still follows the chain into their epoch.
    let mut unreported: Vec<(usize, SignedReadingBatch)> = Vec::new();
    loop {
        let epoch = query::last_epoch(w.chain.store())? + 1;
        if epoch > last_done {
            let batches = w.day_batches(epoch).await?;
            w.log.readings_sent += batches
                .iter()
                .map(|b| b.batch.readings.len() as u64)
                .sum::<u64>();
            unreported = (0..w.oracles.len())
                .flat_map(|i| batches.iter().map(move |b| (i, b.clone())))
                .collect();
            w.log.epochs.push(epoch);
            last_done = epoch;
        }
        let mut behind = Vec::new();
        for (oracle, batch) in unreported.drain(..) {
            if !w.report(oracle, &batch).await {
                behind.push((oracle, batch));
            }
        }
        unreported = behind;
        let sent = w
            .claim_book
            .claim_due(&w.chain, &w.info, &w.oracles, &w.claimants, &mut w.owners)
            .await?;
        for refused in sent.iter().filter_map(|s| s.as_ref().err()) {
            *w.log
                .refused
                .entry(refused.code.as_str().to_string())
                .or_default() += 1;
        }
        let of: BTreeMap<_, _> = w.claimants.iter().map(|c| (c.device, c.owner)).collect();
        w.buyer
            .pass(&w.chain, &w.info, &w.oracles, &mut w.owners, &of)
            .await?;
        if chain_io::next_block(&w.chain, &mut stop).await {
            break;
        }
    }
    w.log.region = Some(w.region);
    w.log.purchases = w.buyer.purchases.into_values().collect();
    w.log.market_refused = w.buyer.refused;
    Ok(w.log)
}

impl Workload {
    /// Funds the owners, then registers each device at the cell it stands in (a meter with
    /// its roof's rating). A device an earlier run registered stays as it is.
    async fn register(
        &mut self,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let chain = self.chain.clone();
        let mut funding = Vec::new();
        for d in &self.region.devices {
            let class = self
                .info
                .device_class(d.kind.class())
                .with_context(|| format!("the chain has no device class {}", d.kind.class()))?;
            let amount = class
                .min_stake
                .checked_add(Amount::plx(OWNER_FLOAT_PLX))
                .context("an owner's float")?;
            let owner = Account::open(&chain, owner_key(&d.key))?;
            if query::device(chain.store(), &d.key.public_key())?.is_none() {
                let to = owner.address;
                funding.push(self.funder.send(&chain, Body::Transfer { to, amount })?);
            }
            self.claimants.push(Claimant {
                device: d.key.public_key(),
                pool: class.resource,
                owner: self.owners.len(),
            });
            self.owners.push(owner);
        }
        let buyer = self.buyer.account.address;
        if query::account(chain.store(), &buyer)?.balance < Amount::plx(market::BUYER_FUNDS_PLX / 2)
        {
            let amount = Amount::plx(market::BUYER_FUNDS_PLX);
            funding.push(
                self.funder
                    .send(&chain, Body::Transfer { to: buyer, amount })?,
            );
        }
        chain_io::committed_all(&chain, &funding, stop).await?;
        let mut registrations = Vec::new();
        for (d, owner) in self.region.devices.iter().zip(self.owners.iter_mut()) {
            let device = d.key.public_key();
            if query::device(chain.store(), &device)?.is_some() {
                self.log.registered += 1;
                continue;
            }
            let class = self.info.device_class(d.kind.class()).context("a class")?;
            let statement =
                statements::device_registration(&self.info.chain_id, &owner.address, &device);
            registrations.push(owner.send(
                &chain,
                Body::RegisterDevice {
                    device,
                    class: class.name.clone(),
                    capabilities: Capabilities {
                        rated_watts: d.capacity_w,
                        ..Capabilities::default()
                    },
                    h3_cell: d.cell(),
                    stake: class.min_stake,
                    device_signature: d.key.sign(&statement),
                },
            )?);
        }
        let outcomes = chain_io::committed_all(&chain, &registrations, stop).await?;
        for outcome in outcomes.iter().flatten() {
            match outcome {
                Ok(()) => self.log.registered += 1,
                Err(refused) => {
                    *self
                        .log
                        .refused
                        .entry(refused.code.as_str().to_string())
                        .or_default() += 1;
                    tracing::warn!(reason = %refused, "a sensor's registration was refused");
                }
            }
        }
        Ok(())
    }

    /// Every device's signed batch for the day of `epoch`: a station's covers the day and the
    /// lead-in before it.
    async fn day_batches(&self, epoch: u64) -> anyhow::Result<Vec<SignedReadingBatch>> {
        let region = self.region.clone();
        let chain_id = self.info.chain_id.clone();
        let origin = sensor_origin_s(self.info.genesis_time_ms);
        let batches = tokio::task::spawn_blocking(move || {
            let field = Field::default();
            let day = origin + epoch * DAY_S;
            region
                .devices
                .iter()
                .map(|d| {
                    let readings = day_readings(&field, region.seed, d, origin, day);
                    ReadingBatch {
                        chain_id: chain_id.clone(),
                        device: d.key.public_key(),
                        epoch,
                        seq: epoch,
                        readings,
                    }
                    .sign(&d.key)
                })
                .collect::<Vec<_>>()
        })
        .await
        .context("simulating the region's day")?;
        Ok(batches)
    }

    /// Sends a batch to oracle `oracle`; false when the oracle has not followed the chain into
    /// its epoch yet (try again at the next block).
    async fn report(&mut self, oracle: usize, batch: &SignedReadingBatch) -> bool {
        match self.oracles[oracle].send_readings(batch).await {
            Ok(accepted) => self.log.batches_accepted += u64::from(accepted),
            Err(plexus_client::ClientError::Refused { code, .. }) if code == "stale" => {
                // An oracle behind the chain refuses the epoch it has not reached; one ahead
                // has moved past it, and the batch is late for good.
                let behind = query::last_epoch(self.chain.store())
                    .is_ok_and(|last| last < batch.batch.epoch);
                if behind {
                    return false;
                }
                *self.log.batches_refused.entry(code).or_default() += 1;
            }
            Err(plexus_client::ClientError::Refused { code, .. }) => {
                *self.log.batches_refused.entry(code).or_default() += 1;
            }
            Err(e) => {
                tracing::warn!(error = %e, "an oracle did not take a reading batch");
                *self
                    .log
                    .batches_refused
                    .entry("unreachable".to_string())
                    .or_default() += 1;
            }
        }
        true
    }
}
