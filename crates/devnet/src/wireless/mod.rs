//! The devnet's wireless city: the radio simulator's hotspots (`plexus_radio`) registered on
//! chain at the cells they assert, with their antennas, and its subscribers' data sessions
//! settled on chain as receipts both keys signed, paid for in data credits that the carrier
//! account buys (a self-dealer's owner buys its own phone's).
//!
//! Each Wi-Fi hotspot serves the oracles' speed tests at the endpoint it declares on chain
//! ([`backhaul`]). Each epoch, the hotspots' signed location reports, beacons and witness reports go to every
//! oracle (`POST /v1/wireless`), stamped on the wall clock, which score them into the coverage
//! and poc manifests.
//!
//! The workload plays the physical world and the hotspots' firmware: it holds their keys, as
//! the simulator does. Every action goes through the chain's transactions and the oracles'
//! API like any other client's; what they refuse is counted, never retried blindly.

mod backhaul;
pub(crate) mod chain_io;
pub(crate) mod claims;
pub(crate) mod scores;
mod summary;

pub use summary::{print, summarize, WirelessSummary};

use anyhow::Context;
use chain_io::Account;
use plexus_chain::Chain;
use plexus_ledger::query;
use plexus_radio::{City, CityConfig, HotspotKind};
use plexus_rewards::wireless::SignedWireless;
use plexus_types::{
    statements, Address, Amount, Body, Capabilities, DataSession, PublicKey, SecretKey,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What an owner is given beyond its hotspot's stake, in PLX: fees and the location assertion.
const OWNER_FLOAT_PLX: u64 = 200;
/// What a self-dealer's owner is given on top, in PLX, to buy credits for its own phone.
const SELF_DEALER_FLOAT_PLX: u64 = 20_000;
/// PLX burned for credits at a time when a subscriber runs short.
const TOP_UP_PLX: u64 = 50;
/// Signed records sent to an oracle in one request (the oracle takes at most 256).
const RECORDS_PER_REQUEST: usize = 256;

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
    /// Signed wireless records the oracles recorded (each oracle counted), and those they
    /// refused, by code.
    pub records_accepted: u64,
    pub records_refused: BTreeMap<String, u64>,
}

/// An epoch's signed location reports, beacons and witness reports, as the oracles take them.
fn signed_records(evidence: &plexus_radio::evidence::EpochEvidence) -> Vec<SignedWireless> {
    evidence
        .location_reports
        .iter()
        .cloned()
        .map(SignedWireless::Location)
        .chain(evidence.beacons.iter().cloned().map(SignedWireless::Beacon))
        .chain(
            evidence
                .witnesses
                .iter()
                .cloned()
                .map(SignedWireless::Witness),
        )
        .collect()
}

/// Starts the wireless city of `args` on `chain`, paid for by `carrier`; its hotspots claim
/// with the proofs the `oracles` serve.
pub fn start(
    chain: Arc<Chain>,
    carrier: SecretKey,
    oracles: &[std::net::SocketAddr],
    args: &WirelessArgs,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<crate::workload::Workload<WirelessLog>> {
    let city = City::generate(args.config()?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let oracles = oracles
        .iter()
        .map(|a| plexus_client::OracleClient::new(&format!("http://{a}")))
        .collect::<Result<Vec<_>, _>>()?;
    let task = tokio::spawn(run(chain, carrier, oracles, city, stop));
    Ok(task)
}

/// The city at work: its chain accounts, what the phones hold, and the log.
struct Workload {
    chain: Arc<Chain>,
    info: plexus_ledger::ChainInfo,
    oracles: Vec<plexus_client::OracleClient>,
    city: City,
    carrier: Account,
    /// Each hotspot's owner, in the city's order.
    owners: Vec<Account>,
    /// Credits each phone holds, as this workload bought and spent them.
    credits: BTreeMap<Address, u128>,
    next_session: BTreeMap<PublicKey, u64>,
    claimants: Vec<claims::Claimant>,
    claim_book: claims::ClaimBook,
    log: WirelessLog,
}

async fn run(
    chain: Arc<Chain>,
    carrier: SecretKey,
    oracles: Vec<plexus_client::OracleClient>,
    city: City,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<WirelessLog> {
    let info = query::chain_info(chain.store())?.context("the chain has no genesis")?;
    let carrier = Account::open(&chain, carrier)?;
    let mut w = Workload {
        chain,
        info,
        oracles,
        city,
        carrier,
        owners: Vec::new(),
        credits: BTreeMap::new(),
        next_session: BTreeMap::new(),
        claimants: Vec::new(),
        claim_book: claims::ClaimBook::default(),
        log: WirelessLog::default(),
    };
    w.register(&mut stop).await?;
    let mut last_done = 0u64;
    // Records not yet taken by an oracle that still follows the chain into their epoch.
    let mut unreported: Vec<(usize, u64, Vec<SignedWireless>)> = Vec::new();
    loop {
        let epoch = query::last_epoch(w.chain.store())? + 1;
        if epoch > last_done {
            let timing = w.timing();
            let evidence = plexus_radio::evidence::epoch_evidence_at(&mut w.city, epoch, timing);
            let records = signed_records(&evidence);
            unreported = (0..w.oracles.len())
                .map(|i| (i, epoch, records.clone()))
                .collect();
            w.settle_sessions(epoch, &evidence, &mut stop).await?;
            w.log.epochs.push(epoch);
            last_done = epoch;
        }
        let mut behind = Vec::new();
        for (oracle, epoch, records) in unreported.drain(..) {
            if !w.report(oracle, epoch, &records).await {
                behind.push((oracle, epoch, records));
            }
        }
        unreported = behind;
        w.claim(&mut stop).await?;
        if chain_io::next_block(&w.chain, &mut stop).await {
            break;
        }
    }
    w.log.city = Some(w.city);
    Ok(w.log)
}

impl Workload {
    /// Funds the owners, then registers each hotspot at its asserted cell, with the endpoint
    /// of its speed tests, and asserts its antenna. A hotspot registered by an earlier run of
    /// this devnet declares its new endpoint instead.
    async fn register(
        &mut self,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let chain = self.chain.clone();
        let mut funding = Vec::new();
        for h in &self.city.hotspots {
            let class = self
                .info
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
            let to = owner.address;
            funding.push(self.carrier.send(&chain, Body::Transfer { to, amount })?);
            self.claimants.push(claims::Claimant {
                device: h.public,
                pool: class.resource,
                owner: self.owners.len(),
            });
            self.owners.push(owner);
        }
        chain_io::committed_all(&chain, &funding, stop).await?;

        let endpoints = backhaul::serve(&self.city, &self.info.chain_id, stop).await?;
        let mut registrations = Vec::new();
        let mut updates = Vec::new();
        for (h, owner) in self.city.hotspots.iter().zip(self.owners.iter_mut()) {
            let capabilities = Capabilities {
                endpoint: endpoints.get(&h.public).cloned().unwrap_or_default(),
                ..Capabilities::default()
            };
            if query::device(chain.store(), &h.public)?.is_some() {
                updates.push(owner.send(
                    &chain,
                    Body::UpdateDevice {
                        device: h.public,
                        capabilities,
                        h3_cell: h.asserted_cell,
                    },
                )?);
                continue;
            }
            let class = self
                .info
                .device_class(class_of(h.kind))
                .context("a class")?;
            let statement =
                statements::device_registration(&self.info.chain_id, &owner.address, &h.public);
            registrations.push(owner.send(
                &chain,
                Body::RegisterDevice {
                    device: h.public,
                    class: class.name.clone(),
                    capabilities,
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
                    antenna: h.antenna,
                },
            )?);
        }
        let outcomes = chain_io::committed_all(&chain, &registrations, stop).await?;
        let updated = chain_io::committed_all(&chain, &updates, stop).await?;
        self.log.registered = outcomes
            .chunks(2)
            .filter(|pair| pair.first().is_some_and(|c| matches!(c, Some(Ok(())))))
            .count()
            + updated.iter().filter(|u| matches!(u, Some(Ok(())))).count();
        let refusals = outcomes.iter().chain(&updated).flatten();
        for refused in refusals.filter_map(|o| o.as_ref().err()) {
            self.refused(refused);
            tracing::warn!(reason = %refused, "a hotspot's registration was refused");
        }
        Ok(())
    }

    /// The stamps of an epoch's evidence: from now, over the epoch's length at the chain's
    /// pace (at most five minutes, well inside what the oracles take).
    fn timing(&self) -> plexus_radio::evidence::Timing {
        let start_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        plexus_radio::evidence::Timing {
            start_ms,
            span_ms: (self.info.rewards.epoch_blocks * 250).clamp(60_000, 300_000),
        }
    }

    /// Sends an epoch's signed records to oracle `oracle`, in batches it takes; false when the
    /// oracle has not followed the chain into the epoch yet (try again at the next block).
    async fn report(&mut self, oracle: usize, epoch: u64, records: &[SignedWireless]) -> bool {
        let oracle = &self.oracles[oracle];
        for batch in records.chunks(RECORDS_PER_REQUEST) {
            match oracle
                .send_wireless(&self.info.chain_id, epoch, batch)
                .await
            {
                Ok(answers) => {
                    for a in answers {
                        match a.error {
                            None => self.log.records_accepted += u64::from(a.accepted),
                            Some(e) => *self.log.records_refused.entry(e.code).or_default() += 1,
                        }
                    }
                }
                Err(plexus_client::ClientError::Refused { code, .. }) if code == "stale" => {
                    return false;
                }
                Err(e) => {
                    tracing::warn!(epoch, error = %e, "an oracle did not take wireless records");
                    *self
                        .log
                        .records_refused
                        .entry("unreachable".to_string())
                        .or_default() += batch.len() as u64;
                }
            }
        }
        true
    }

    /// Settles the epoch's sessions: one receipt per phone and hotspot, each phone's credits
    /// topped up first by whoever pays for it, which also submits the receipt (its nonces put
    /// the purchase first).
    async fn settle_sessions(
        &mut self,
        epoch: u64,
        evidence: &plexus_radio::evidence::EpochEvidence,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let chain = self.chain.clone();
        let phone_of: BTreeMap<PublicKey, usize> = self
            .city
            .subscribers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.public, i))
            .collect();
        let owner_of: BTreeMap<PublicKey, usize> = self
            .city
            .hotspots
            .iter()
            .enumerate()
            .map(|(i, h)| (h.owner, i))
            .collect();
        let mut sessions: BTreeMap<(usize, PublicKey), DataSession> = BTreeMap::new();
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
        let params = self.info.data_credits.clone();
        let mut sent = Vec::new();
        for ((phone, hotspot), mut session) in sessions {
            let subscriber = &self.city.subscribers[phone];
            let Some(hotspot) = self.city.hotspots.iter().find(|h| h.public == hotspot) else {
                continue;
            };
            let beneficiary = Address::from_public_key(&subscriber.public);
            let due =
                params.credits_due(u128::from(session.bytes_up) + u128::from(session.bytes_down));
            let held = self.credits.entry(beneficiary).or_default();
            let payer = match owner_of.get(&subscriber.payer) {
                Some(&i) => &mut self.owners[i],
                None => &mut self.carrier,
            };
            while *held < due {
                let value = due.saturating_mul(1_000_000) / u128::from(params.dc_per_plx) + 1;
                let top_up = Amount::plx(TOP_UP_PLX).max(Amount(value));
                let buy = Body::BuyDataCredits {
                    amount: top_up,
                    beneficiary,
                };
                sent.push((false, payer.send(&chain, buy)?));
                *held += top_up.0 * u128::from(params.dc_per_plx) / 1_000_000;
                let burned = self.log.burned_by.entry(payer.address).or_default();
                *burned = burned.checked_add(top_up).context("credits bought")?;
            }
            *held -= due;
            let number = self.next_session.entry(subscriber.public).or_default();
            session.session = *number;
            *number += 1;
            let receipt = session.sign(&self.info.chain_id, &subscriber.key, &hotspot.key);
            sent.push((true, payer.send(&chain, Body::SettleDataSession(receipt))?));
        }
        let hashes: Vec<_> = sent.iter().map(|(_, h)| h.clone()).collect();
        let outcomes = chain_io::committed_all(&chain, &hashes, stop).await?;
        for ((receipt, _), outcome) in sent.iter().zip(&outcomes) {
            let Some(outcome) = outcome else {
                continue;
            };
            match outcome {
                Ok(()) if *receipt => self.log.receipts_settled += 1,
                Ok(()) => {}
                Err(refused) => {
                    self.refused(refused);
                    tracing::warn!(reason = %refused, "a wireless transaction was refused");
                }
            }
        }
        Ok(())
    }

    /// Claims what is due to the hotspots and waits for the claims to commit.
    async fn claim(&mut self, stop: &mut tokio::sync::watch::Receiver<bool>) -> anyhow::Result<()> {
        let chain = self.chain.clone();
        let claimed = self
            .claim_book
            .claim_due(
                &chain,
                &self.info,
                &self.oracles,
                &self.claimants,
                &mut self.owners,
            )
            .await?;
        if claimed.is_empty() {
            return Ok(());
        }
        for outcome in chain_io::committed_all(&chain, &claimed, stop).await? {
            let Some(outcome) = outcome else {
                continue;
            };
            match outcome {
                Ok(()) => self.log.claims += 1,
                Err(refused) => {
                    self.refused(&refused);
                    tracing::warn!(reason = %refused, "a hotspot's claim was refused");
                }
            }
        }
        Ok(())
    }

    fn refused(&mut self, refused: &plexus_ledger::Reject) {
        *self
            .log
            .refused
            .entry(refused.code.as_str().to_string())
            .or_default() += 1;
    }
}
