//! The devnet's wireless city: the radio simulator's hotspots (`plexus_radio`) registered on
//! chain at the cells they assert, with their antennas, and its subscribers' data sessions
//! settled on chain as receipts both keys signed, paid for in data credits that the carrier
//! account buys (a self-dealer's owner buys its own phone's).
//!
//! The workload plays the physical world and the hotspots' firmware: it holds their keys, as
//! the simulator does. Every action goes through the chain's transactions and rules like any
//! other client's; what the chain refuses is counted, never retried blindly.

mod chain_io;
mod claims;
mod summary;

pub use summary::{print, summarize, WirelessSummary};

use anyhow::Context;
use chain_io::Account;
use plexus_chain::Chain;
use plexus_ledger::query;
use plexus_radio::{City, CityConfig, HotspotKind};
use plexus_types::{statements, Address, Amount, Body, Capabilities, DataSession, SecretKey};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What an owner is given beyond its hotspot's stake, in PLX: fees and the location assertion.
const OWNER_FLOAT_PLX: u64 = 200;
/// What a self-dealer's owner is given on top, in PLX, to buy credits for its own phone.
const SELF_DEALER_FLOAT_PLX: u64 = 20_000;
/// PLX burned for credits at a time when a subscriber runs short.
const TOP_UP_PLX: u64 = 50;

/// The wireless flags of `plexus devnet`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct WirelessArgs {
    /// Wireless hotspots in a simulated city around Lisbon: two in five LoRa gateways, two in
    /// five indoor Wi-Fi, one in five outdoor Wi-Fi, registered on chain at the res-12 cells
    /// they assert.
    #[arg(long, default_value_t = 0)]
    pub hotspots: usize,
    /// How many of the hotspots cheat, in turn: a location spoofer, a silent hotspot, a
    /// self-dealer paying for traffic to itself, then a witness ring of the rest (a lone
    /// fourth is a second spoofer).
    #[arg(long, default_value_t = 0)]
    pub hotspot_cheaters: usize,
    /// Phones that walk about the city and use data through the Wi-Fi hotspot they hear best.
    #[arg(long, default_value_t = 0)]
    pub subscribers: usize,
    /// Seed of the city (positions, shadowing, walks): the same seed, the same city.
    #[arg(long, default_value_t = 1)]
    pub city_seed: u64,
}

impl WirelessArgs {
    pub fn enabled(&self) -> bool {
        self.hotspots > 0
    }

    /// Refuses inconsistent flags by name; no flag at all is fine.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.enabled() || self.hotspot_cheaters > 0 || self.subscribers > 0 {
            self.config()?;
        }
        Ok(())
    }

    /// The city these flags ask for; refuses inconsistent flags by name.
    pub fn config(&self) -> anyhow::Result<CityConfig> {
        if self.hotspot_cheaters > self.hotspots {
            anyhow::bail!(
                "--hotspot-cheaters {} is more than --hotspots {}",
                self.hotspot_cheaters,
                self.hotspots
            );
        }
        if self.subscribers > 0 && self.hotspots == 0 {
            anyhow::bail!("--subscribers needs hotspots to carry their data (--hotspots N)");
        }
        let config = CityConfig::lisbon(
            self.hotspots,
            self.hotspot_cheaters,
            self.subscribers,
            self.city_seed,
        );
        config
            .validate()
            .map_err(|e| anyhow::anyhow!("the wireless city: {e}"))?;
        Ok(config)
    }
}

/// The chain's device class for a simulated hotspot.
pub fn class_of(kind: HotspotKind) -> &'static str {
    match kind {
        HotspotKind::WifiIndoor => "wifi-indoor",
        HotspotKind::WifiOutdoor => "wifi-outdoor",
        HotspotKind::Lora => "lora",
    }
}

/// What the workload did, for the summary.
#[derive(Debug, Default)]
pub struct WirelessLog {
    pub city: Option<City>,
    /// Hotspots whose registration committed.
    pub registered: usize,
    pub receipts_settled: u64,
    /// Transactions the chain refused (receipts, purchases, claims), by its code.
    pub refused: BTreeMap<String, u64>,
    /// Data credits bought, in uplx burned, by payer.
    pub burned_by: BTreeMap<Address, Amount>,
    /// Epochs whose sessions were settled.
    pub epochs: Vec<u64>,
    /// Reward claims that committed.
    pub claims: u64,
}

/// A running wireless workload.
pub struct WirelessRun {
    task: tokio::task::JoinHandle<anyhow::Result<WirelessLog>>,
}

impl WirelessRun {
    /// Waits for the workload to wind down after the stop signal.
    pub async fn finish(self) -> anyhow::Result<WirelessLog> {
        self.task.await.context("the wireless workload panicked")?
    }
}

/// Starts the wireless city of `args` on `chain`, paid for by `carrier`; its hotspots claim
/// with the proofs the `oracles` serve.
pub fn start(
    chain: Arc<Chain>,
    carrier: SecretKey,
    oracles: &[std::net::SocketAddr],
    args: &WirelessArgs,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<WirelessRun> {
    let city = City::generate(args.config()?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let oracles = oracles
        .iter()
        .map(|a| plexus_client::OracleClient::new(&format!("http://{a}")))
        .collect::<Result<Vec<_>, _>>()?;
    let task = tokio::spawn(run(chain, carrier, oracles, city, stop));
    Ok(WirelessRun { task })
}

async fn run(
    chain: Arc<Chain>,
    carrier: SecretKey,
    oracles: Vec<plexus_client::OracleClient>,
    mut city: City,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<WirelessLog> {
    let mut log = WirelessLog::default();
    let info = query::chain_info(chain.store())?.context("the chain has no genesis")?;
    let mut carrier = Account::open(&chain, carrier)?;

    // Fund the owners, then register each hotspot and assert its antenna.
    let mut owners: Vec<Account> = Vec::with_capacity(city.hotspots.len());
    let mut funding = Vec::new();
    for h in &city.hotspots {
        let class = info
            .device_class(class_of(h.kind))
            .with_context(|| format!("the chain has no device class {}", class_of(h.kind)))?;
        let mut amount = class
            .min_stake
            .checked_add(Amount::plx(OWNER_FLOAT_PLX))
            .context("an owner's float")?;
        if h.behaviour == plexus_radio::Behaviour::SelfDealer {
            amount = amount
                .checked_add(Amount::plx(SELF_DEALER_FLOAT_PLX))
                .context("a self-dealer's float")?;
        }
        let owner = Account::open(&chain, h.owner_key.clone())?;
        funding.push(carrier.send(
            &chain,
            Body::Transfer {
                to: owner.address,
                amount,
            },
        )?);
        owners.push(owner);
    }
    chain_io::committed_all(&chain, &funding, &mut stop).await?;

    let mut registrations = Vec::new();
    for (h, owner) in city.hotspots.iter().zip(owners.iter_mut()) {
        let class = info.device_class(class_of(h.kind)).expect("checked above");
        let statement = statements::device_registration(&info.chain_id, &owner.address, &h.public);
        registrations.push(owner.send(
            &chain,
            Body::RegisterDevice {
                device: h.public,
                class: class.name.clone(),
                capabilities: Capabilities::default(),
                h3_cell: h.asserted_cell,
                stake: class.min_stake,
                device_signature: h.key.sign(&statement),
            },
        )?);
        registrations.push(owner.send(
            &chain,
            Body::AssertLocation {
                device: h.public,
                h3_cell: h.asserted_cell,
                antenna: plexus_types::Antenna {
                    gain_cdbi: h.antenna.gain_cdbi,
                    elevation_m: h.antenna.elevation_m,
                    azimuth_deg: u32::from(h.antenna.azimuth_deg),
                },
            },
        )?);
    }
    let outcomes = chain_io::committed_all(&chain, &registrations, &mut stop).await?;
    log.registered = outcomes
        .chunks(2)
        .filter(|pair| pair.first().is_some_and(|c| c.is_ok()))
        .count();
    for outcome in &outcomes {
        if let Err(refused) = outcome {
            tracing::warn!(reason = %refused, "a hotspot's registration was refused");
        }
    }
    let claimants: Vec<claims::Claimant> = city
        .hotspots
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let pool = info.device_class(class_of(h.kind))?.resource;
            Some(claims::Claimant {
                device: h.public,
                pool,
                owner: i,
            })
        })
        .collect();
    let mut claim_book = claims::ClaimBook::default();
    let owner_of: BTreeMap<_, usize> = city
        .hotspots
        .iter()
        .enumerate()
        .map(|(i, h)| (h.owner, i))
        .collect();

    // Each epoch in progress: its sessions, one receipt per phone and hotspot, each phone's
    // credits topped up by whoever pays for it.
    let mut credits: BTreeMap<Address, u128> = BTreeMap::new();
    let mut next_session: BTreeMap<plexus_types::PublicKey, u64> = BTreeMap::new();
    let mut last_settled = 0u64;
    loop {
        let epoch = query::last_epoch(chain.store())? + 1;
        if epoch > last_settled {
            let evidence = plexus_radio::evidence::epoch_evidence(&mut city, epoch)
                .map_err(|e| anyhow::anyhow!("the radio model: {e}"))?;
            let mut sessions: BTreeMap<(usize, plexus_types::PublicKey), DataSession> =
                BTreeMap::new();
            let phone_of: BTreeMap<_, usize> = city
                .subscribers
                .iter()
                .enumerate()
                .map(|(i, s)| (s.public, i))
                .collect();
            for s in &evidence.sessions {
                let Some(&phone) = phone_of.get(&s.subscriber) else {
                    continue;
                };
                let entry = sessions
                    .entry((phone, s.hotspot))
                    .or_insert_with(|| DataSession {
                        hotspot: s.hotspot,
                        subscriber: s.subscriber,
                        session: 0,
                        epoch,
                        bytes_up: 0,
                        bytes_down: 0,
                    });
                entry.bytes_up = entry.bytes_up.saturating_add(s.bytes_up);
                entry.bytes_down = entry.bytes_down.saturating_add(s.bytes_down);
            }
            let mut sent = Vec::new();
            for ((phone, hotspot), mut session) in sessions {
                let subscriber = &city.subscribers[phone];
                let Some(hotspot) = city.hotspots.iter().find(|h| h.public == hotspot) else {
                    continue;
                };
                let beneficiary = Address::from_public_key(&subscriber.public);
                let due = info
                    .data_credits
                    .credits_due(u128::from(session.bytes_up) + u128::from(session.bytes_down));
                let held = credits.entry(beneficiary).or_default();
                let payer = match owner_of.get(&subscriber.payer) {
                    Some(&i) => &mut owners[i],
                    None => &mut carrier,
                };
                while *held < due {
                    let top_up = Amount::plx(TOP_UP_PLX).max(Amount(
                        due.saturating_mul(1_000_000) / u128::from(info.data_credits.dc_per_plx)
                            + 1,
                    ));
                    sent.push((
                        None,
                        payer.send(
                            &chain,
                            Body::BuyDataCredits {
                                amount: top_up,
                                beneficiary,
                            },
                        )?,
                    ));
                    *held += top_up.0 * u128::from(info.data_credits.dc_per_plx) / 1_000_000;
                    let burned = log.burned_by.entry(payer.address).or_default();
                    *burned = burned.checked_add(top_up).context("credits bought")?;
                }
                *held -= due;
                let number = next_session.entry(subscriber.public).or_default();
                session.session = *number;
                *number += 1;
                // The payer submits the receipt too: its nonces put the purchase first.
                let receipt = session.sign(&info.chain_id, &subscriber.key, &hotspot.key);
                sent.push((
                    Some(()),
                    payer.send(&chain, Body::SettleDataSession(receipt))?,
                ));
            }
            let hashes: Vec<_> = sent.iter().map(|(_, h)| h.clone()).collect();
            let outcomes = chain_io::committed_all(&chain, &hashes, &mut stop).await?;
            for ((receipt, _), outcome) in sent.iter().zip(&outcomes) {
                match (receipt, outcome) {
                    (Some(()), Ok(())) => log.receipts_settled += 1,
                    (_, Err(refused)) => {
                        *log.refused
                            .entry(refused.code.as_str().to_string())
                            .or_default() += 1;
                        tracing::warn!(reason = %refused, "a wireless transaction was refused");
                    }
                    (None, Ok(())) => {}
                }
            }
            log.epochs.push(epoch);
            last_settled = epoch;
        }
        let claimed = claim_book
            .claim_due(&chain, &info, &oracles, &claimants, &mut owners)
            .await?;
        if !claimed.is_empty() {
            for outcome in chain_io::committed_all(&chain, &claimed, &mut stop).await? {
                match outcome {
                    Ok(()) => log.claims += 1,
                    Err(refused) => {
                        *log.refused
                            .entry(refused.code.as_str().to_string())
                            .or_default() += 1;
                        tracing::warn!(reason = %refused, "a hotspot's claim was refused");
                    }
                }
            }
        }
        if chain_io::next_block(&chain, &mut stop).await {
            break;
        }
    }
    log.city = Some(city);
    Ok(log)
}
