//! The devnet's data buyer: it buys every data set the chain lists for an ended epoch, fetches
//! it from an oracle's data service with a request its key signed, checks it against the
//! chain (`plexus_client::data::check_data_set`), and the owners of the devices in it then
//! claim their share of the revenue with the leaves the check proved.

use crate::wireless::chain_io::{Account, Sent};
use plexus_chain::Chain;
use plexus_client::data::check_data_set;
use plexus_client::{Clock, OracleClient, SystemClock};
use plexus_ledger::data_market::parse_data_set_name;
use plexus_ledger::{query, ChainInfo, TxCode};
use plexus_rewards::sensors::data_sets::data_resource;
use plexus_rewards::{Manifest, ManifestLeaf};
use plexus_types::{Amount, Body, Hash, PublicKey, RewardClaim, SecretKey};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the buyer is given to spend, in PLX.
pub const BUYER_FUNDS_PLX: u64 = 5_000;

/// The buyer's key: fixed, so that a devnet restarted on its home finds the same account.
pub fn buyer_key() -> SecretKey {
    let h = blake3::derive_key("plexus devnet data buyer v1", b"");
    SecretKey::from_seed(h)
}

/// One purchase and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct Purchase {
    pub epoch: u64,
    pub name: String,
    pub price: Amount,
    /// `pending`, `bought`, `verified`, or why it failed.
    pub state: String,
    pub devices: usize,
    pub batches: usize,
    pub readings: u64,
    /// Revenue claims sent for the devices in the set.
    pub claims: usize,
    #[serde(skip)]
    tx: Option<Hash>,
    /// The set's leaves as the check proved them: device, owner and units.
    #[serde(skip)]
    leaves: Vec<(PublicKey, plexus_types::Address, u128)>,
    /// The set's revenue when its devices last claimed.
    #[serde(skip)]
    claimed_revenue: Amount,
}

/// The buyer's side of the market.
pub struct Buyer {
    pub account: Account,
    key: SecretKey,
    pub purchases: BTreeMap<(u64, String), Purchase>,
    /// Transactions the chain refused, by code.
    pub refused: BTreeMap<String, u64>,
}

impl Buyer {
    pub fn new(chain: &Chain) -> anyhow::Result<Buyer> {
        let key = buyer_key();
        Ok(Buyer {
            account: Account::open(chain, key.clone())?,
            key,
            purchases: BTreeMap::new(),
            refused: BTreeMap::new(),
        })
    }

    /// One pass: buys what is newly listed, and fetches, checks and pays out what was bought.
    /// `owners` are the device owners' accounts, `of` maps a device to its owner's index.
    pub async fn pass(
        &mut self,
        chain: &Chain,
        info: &ChainInfo,
        oracles: &[OracleClient],
        owners: &mut [Account],
        of: &BTreeMap<PublicKey, usize>,
    ) -> anyhow::Result<()> {
        let last = query::last_epoch(chain.store())?;
        for epoch in last.saturating_sub(info.rewards.claim_epochs).max(1)..=last {
            for set in query::data_sets(chain.store(), epoch)? {
                let key = (epoch, set.name.clone());
                if self.purchases.contains_key(&key) {
                    continue;
                }
                let sent = self.account.send(
                    chain,
                    Body::BuyData {
                        epoch,
                        data_set: set.name.clone(),
                        max_price: set.price,
                    },
                )?;
                let (state, tx) = match sent {
                    Ok(hash) => ("pending".to_string(), Some(hash)),
                    Err(r) => (format!("refused: {}", r.code.as_str()), None),
                };
                self.purchases.insert(
                    key,
                    Purchase {
                        epoch,
                        name: set.name,
                        price: set.price,
                        state,
                        devices: 0,
                        batches: 0,
                        readings: 0,
                        claims: 0,
                        tx,
                        leaves: Vec::new(),
                        claimed_revenue: Amount::ZERO,
                    },
                );
            }
        }
        let waiting: Vec<(u64, String)> = self
            .purchases
            .iter()
            .filter(|(_, p)| p.state == "pending" || p.state == "bought")
            .map(|(k, _)| k.clone())
            .collect();
        for key in waiting {
            self.fetch(chain, info, oracles, &key).await?;
        }
        self.pay(chain, owners, of)
    }

    /// Follows a purchase: committed, then fetched from an oracle and checked against the
    /// chain.
    async fn fetch(
        &mut self,
        chain: &Chain,
        info: &ChainInfo,
        oracles: &[OracleClient],
        key: &(u64, String),
    ) -> anyhow::Result<()> {
        let p = self.purchases.get_mut(key).expect("a listed purchase");
        if p.state == "pending" {
            let Some(committed) =
                p.tx.and_then(|h| query::committed_tx(chain.store(), &h).transpose())
            else {
                return Ok(());
            };
            let result = committed?.result;
            if result.code != TxCode::Ok {
                *self
                    .refused
                    .entry(result.code.as_str().to_string())
                    .or_default() += 1;
                p.state = format!("refused: {}", result.code.as_str());
                return Ok(());
            }
            p.state = "bought".into();
        }
        let Some(set) = query::data_set(chain.store(), p.epoch, &p.name)? else {
            return Ok(());
        };
        let on_chain = plexus_node::data_set_view(set);
        let mut contents = None;
        for oracle in oracles {
            let now = SystemClock.now_ms();
            match oracle
                .data_set(&info.chain_id, p.epoch, &p.name, &self.key, now)
                .await
            {
                Ok(c) => {
                    contents = Some(c);
                    break;
                }
                Err(e) => tracing::debug!(error = %e, "an oracle did not serve a bought data set"),
            }
        }
        // No oracle has it yet: asked again at the next pass.
        let Some(contents) = contents else {
            return Ok(());
        };
        let checked = match check_data_set(&info.chain_id, &contents, &on_chain) {
            Ok(c) => c,
            Err(e) => {
                p.state = format!("failed its check: {e}");
                return Ok(());
            }
        };
        p.state = "verified".into();
        p.devices = contents.leaves.len();
        p.batches = checked.batches.len();
        p.readings = checked.readings;
        p.leaves = contents
            .leaves
            .iter()
            .map(|l| (l.device, l.owner, l.units))
            .collect();
        Ok(())
    }

    /// Sends the claims of the devices in verified sets whose revenue grew since their last
    /// claims: each is owed its share of the revenue to date less what it was paid.
    fn pay(
        &mut self,
        chain: &Chain,
        owners: &mut [Account],
        of: &BTreeMap<PublicKey, usize>,
    ) -> anyhow::Result<()> {
        let mut sent: Vec<Sent> = Vec::new();
        for p in self
            .purchases
            .values_mut()
            .filter(|p| p.state == "verified")
        {
            let Some(set) = query::data_set(chain.store(), p.epoch, &p.name)? else {
                continue;
            };
            if set.revenue <= p.claimed_revenue {
                continue;
            }
            p.claimed_revenue = set.revenue;
            let (class, region) = parse_data_set_name(&p.name).expect("a listed name");
            let resource = data_resource(&class, region);
            let leaves = p
                .leaves
                .iter()
                .map(|(device, owner, units)| ManifestLeaf {
                    device: *device,
                    owner: *owner,
                    units: *units,
                })
                .collect();
            let manifest = Manifest::from_leaves(p.epoch, &resource, leaves, set.data_root)?;
            for leaf in manifest.leaves() {
                let Some(&i) = of.get(&leaf.device) else {
                    continue;
                };
                let share = plexus_rewards::payout(set.revenue.0, leaf.units, set.total_units)?;
                let paid = query::data_paid(chain.store(), p.epoch, &p.name, &leaf.device)?;
                let Some((leaf, proof)) = manifest.proof(&leaf.device).filter(|_| share > paid)
                else {
                    continue;
                };
                sent.push(owners[i].send(
                    chain,
                    Body::ClaimReward(RewardClaim {
                        epoch: p.epoch,
                        resource: resource.clone(),
                        device: leaf.device,
                        owner: leaf.owner,
                        units: leaf.units,
                        proof,
                    }),
                )?);
                p.claims += 1;
            }
        }
        for refused in sent.iter().filter_map(|s| s.as_ref().err()) {
            *self
                .refused
                .entry(refused.code.as_str().to_string())
                .or_default() += 1;
        }
        Ok(())
    }
}

/// The `data_market` section of the devnet's summary.
#[derive(Debug, Clone, Serialize)]
pub struct DataMarketSummary {
    /// Data sets final on chain, sales, and what they took and paid, in uplx.
    pub sets_listed: u64,
    pub sales: u64,
    pub revenue: Amount,
    pub paid: Amount,
    pub forfeited: Amount,
    /// What the `data_market` account holds.
    pub held: Amount,
    /// `held = revenue − paid − forfeited`, over the market and summed over every set.
    pub balanced: bool,
    /// Purchases the buyer fetched and checked against the chain.
    pub verified: usize,
    /// Devices in the verified sets, those paid, and whether each paid device got exactly
    /// floor(revenue × units / total) of its set.
    pub devices_in_sets: usize,
    pub devices_paid: usize,
    pub payouts_exact: bool,
    pub refused: BTreeMap<String, u64>,
    pub purchases: Vec<Purchase>,
}

/// The section from the buyer's log and the chain's books.
pub fn summarize(
    store: &plexus_store::Store,
    purchases: &[Purchase],
    refused: &BTreeMap<String, u64>,
) -> anyhow::Result<DataMarketSummary> {
    let totals = query::data_market_totals(store)?;
    let held = query::account(store, &plexus_ledger::module_account::data_market())?.balance;
    let mut owed_by_sets = Some(0u128);
    for e in 1..=query::last_epoch(store)? {
        for set in query::data_sets(store, e)? {
            let owed = set
                .revenue
                .0
                .checked_sub(set.paid.0)
                .and_then(|r| r.checked_sub(set.forfeited.0));
            owed_by_sets = owed_by_sets.zip(owed).and_then(|(a, b)| a.checked_add(b));
        }
    }
    let books = totals
        .revenue
        .0
        .checked_sub(totals.paid.0)
        .and_then(|r| r.checked_sub(totals.forfeited.0));
    let balanced = books == Some(held.0) && owed_by_sets == Some(held.0);
    let (mut devices_in_sets, mut devices_paid, mut exact) = (0, 0, true);
    for p in purchases.iter().filter(|p| p.state == "verified") {
        let Some(set) = query::data_set(store, p.epoch, &p.name)? else {
            exact = false;
            continue;
        };
        for (device, _, units) in &p.leaves {
            devices_in_sets += 1;
            let paid = query::data_paid(store, p.epoch, &p.name, device)?;
            if paid == 0 {
                continue;
            }
            devices_paid += 1;
            let share = plexus_rewards::payout(set.revenue.0, *units, set.total_units)?;
            exact &= paid == share;
        }
    }
    Ok(DataMarketSummary {
        sets_listed: totals.sets,
        sales: totals.sales,
        revenue: totals.revenue,
        paid: totals.paid,
        forfeited: totals.forfeited,
        held,
        balanced,
        verified: purchases.iter().filter(|p| p.state == "verified").count(),
        devices_in_sets,
        devices_paid,
        payouts_exact: exact,
        refused: refused.clone(),
        purchases: purchases.to_vec(),
    })
}

/// The section in human form.
pub fn print(s: &DataMarketSummary) {
    println!(
        "data market: {} sets listed · {} sales · revenue {} · paid to devices {} · held {} ({})",
        s.sets_listed,
        s.sales,
        s.revenue.to_plx_string(),
        s.paid.to_plx_string(),
        s.held.to_plx_string(),
        crate::balance_word(s.balanced)
    );
    println!(
        "  {} purchases fetched and checked against the chain · {} of {} devices in them paid, each exactly its quality-weighted share: {}",
        s.verified, s.devices_paid, s.devices_in_sets, s.payouts_exact
    );
}
