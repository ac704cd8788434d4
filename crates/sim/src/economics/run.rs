//! One run: per epoch, the claims that fall due, the epoch's end on the books, the oracle's
//! scoring of the epoch's evidence, and the row that records it.

use super::books::Books;
use super::fleet::{self, Claiming, SimDevice};
use super::table::{EpochRow, Spread, Summary};
use super::{Economics, EconomicsConfig, EconomicsError, OWNER_OPENING_BALANCE, VALIDATORS};
use plexus_ledger::ResourceClass;
use plexus_rewards::audit::{score_resource, ScoredResource, SCORED_RESOURCES};
use plexus_types::{Amount, Hash, PublicKey};
use std::collections::BTreeMap;

/// Devices scored at once: the evidence of one chunk is held in memory, not the fleet's.
/// Scoring per chunk gives each device the units the whole registry would (every rule is per
/// device, and each bandwidth device is tested at an address of its own).
const CHUNK: usize = 20_000;

/// A claim an owner will make: in `due`, of `units` from `epoch`'s pool of `resource`.
struct Pending {
    epoch: u64,
    resource: ResourceClass,
    units: u128,
}

/// The devices one scored resource's manifest covers.
struct ScoredSet {
    resource: ScoredResource,
    /// Indices into the fleet, in fleet order.
    members: Vec<usize>,
    /// (key, index), in key order, to find a manifest leaf's device.
    keys: Vec<(PublicKey, usize)>,
}

struct Run<'a> {
    config: &'a EconomicsConfig,
    devices: Vec<SimDevice>,
    scored: Vec<ScoredSet>,
    books: Books,
    pending: BTreeMap<u64, Vec<Pending>>,
    fees_total: u128,
    bonded: u128,
    genesis_supply: u128,
}

/// Runs `config` to the end; `progress` hears each epoch that ends (epoch, epochs).
pub fn run(
    config: &EconomicsConfig,
    mut progress: impl FnMut(u64, u64),
) -> Result<Economics, EconomicsError> {
    config.validate()?;
    let mut run = Run::new(config)?;
    let mut rows = Vec::with_capacity(config.epochs as usize);
    for epoch in 1..=config.epochs {
        rows.push(run.epoch(epoch)?);
        progress(epoch, config.epochs);
    }
    let summary = run.summary(&rows);
    Ok(Economics {
        config_seed: config.seed,
        class_names: config.classes.iter().map(|c| c.name.clone()).collect(),
        rows,
        summary,
    })
}

impl<'a> Run<'a> {
    fn new(config: &'a EconomicsConfig) -> Result<Run<'a>, EconomicsError> {
        let weights = fleet::mix_weights(&config.classes).map_err(EconomicsError::BadInput)?;
        let devices = fleet::fleet(
            config.seed,
            &config.classes,
            &weights,
            config.devices as usize,
        );
        let scored = SCORED_RESOURCES
            .into_iter()
            .map(|r| {
                let members: Vec<usize> = (0..devices.len())
                    .filter(|i| config.classes[devices[*i].class].resource == r.into())
                    .collect();
                let mut keys: Vec<(PublicKey, usize)> = members
                    .iter()
                    .map(|i| (devices[*i].info.device, *i))
                    .collect();
                keys.sort();
                ScoredSet {
                    resource: r,
                    members,
                    keys,
                }
            })
            .collect();
        let bonded: u128 = devices
            .iter()
            .map(|d| config.classes[d.class].min_stake.0)
            .sum::<u128>()
            + u128::from(VALIDATORS) * config.staking.min_validator_stake.0;
        let genesis_supply = bonded + devices.len() as u128 * OWNER_OPENING_BALANCE.0;
        Ok(Run {
            config,
            devices,
            scored,
            books: Books::new(
                config.rewards.clone(),
                config.staking.validator_emission_bps,
            ),
            pending: BTreeMap::new(),
            fees_total: 0,
            bonded,
            genesis_supply,
        })
    }

    /// Epoch `epoch`: its claims, its end, its scoring, its row.
    fn epoch(&mut self, epoch: u64) -> Result<EpochRow, EconomicsError> {
        let (paid, claims, fees) = self.claims_due(epoch)?;
        let end = self.books.end_epoch(epoch)?;
        let mut reward = vec![0u128; self.devices.len()];
        for k in 0..self.scored.len() {
            self.score(epoch, k, &mut reward)?;
        }
        self.books.check()?;
        self.fees_total += fees;
        let t = &self.books.totals;
        let supply = self.genesis_supply + t.minted.0;
        let held = self.bonded + self.books.claimable.0 + t.expired.0 + t.dust.0;
        Ok(EpochRow {
            epoch,
            emission: end.emission.0,
            to_validators: end.to_validators.0,
            split_dust: end.split_dust.0,
            pools: ResourceClass::ALL
                .iter()
                .map(|r| end.pools.get(r).map_or(0, |a| a.0))
                .collect(),
            paid,
            claims,
            expired: end.expired.0,
            settle_dust: end.settle_dust.0,
            fees,
            supply,
            circulating: supply - held,
            claimable: self.books.claimable.0,
            devices_rewarded: reward.iter().filter(|r| **r > 0).count() as u64,
            rewards: self.spreads(&reward),
            minted_total: t.minted.0,
            paid_total: t.paid.0,
            dust_total: t.dust.0,
            expired_total: t.expired.0,
            to_validators_total: t.to_validators.0,
            fees_total: self.fees_total,
        })
    }

    /// The claims owners make during `epoch`: each pays `min_fee`, so an owner claims only a
    /// reward worth more than the fee. Returns (paid, claims, fees).
    fn claims_due(&mut self, epoch: u64) -> Result<(u128, u64, u128), EconomicsError> {
        let fee = self.config.params.min_fee;
        let (mut paid, mut claims, mut fees) = (0u128, 0u64, 0u128);
        for c in self.pending.remove(&epoch).unwrap_or_default() {
            let worth = self.books.quote(c.epoch, c.resource, c.units);
            if worth.is_none_or(|w| w <= fee) {
                continue;
            }
            paid += self.books.claim(c.epoch, c.resource, c.units)?.0;
            fees += fee.0;
            claims += 1;
        }
        Ok((paid, claims, fees))
    }

    /// Scores `epoch` for the `k`th scored resource with the oracle's rules, finalises the
    /// pool's manifest, records each device's reward and schedules its owner's claim.
    fn score(&mut self, epoch: u64, k: usize, reward: &mut [u128]) -> Result<(), EconomicsError> {
        let ScoredSet {
            resource,
            members,
            keys,
        } = &self.scored[k];
        let class: ResourceClass = (*resource).into();
        let scoring = plexus_rewards::ScoringParams {
            intervals_per_epoch: self.config.rewards.intervals_per_epoch,
            min_uptime_percent: self.config.rewards.min_uptime_percent,
            sensor_origin_s: 0,
        };
        let mut leaves: Vec<(usize, u128)> = Vec::new();
        let mut roots = blake3::Hasher::new();
        let mut records = Vec::new();
        for chunk in members.chunks(CHUNK) {
            records.clear();
            let infos: Vec<_> = chunk
                .iter()
                .map(|i| self.devices[*i].info.clone())
                .collect();
            for i in chunk {
                let d = &self.devices[*i];
                let intervals = self.config.rewards.intervals_per_epoch;
                fleet::evidence(
                    self.config.seed,
                    *i as u64,
                    d,
                    class,
                    epoch,
                    intervals,
                    &mut records,
                );
            }
            let manifest = score_resource(scoring, &infos, epoch, &records, *resource)
                .map_err(|source| EconomicsError::Scoring { epoch, source })?;
            roots.update(manifest.root().as_bytes());
            for leaf in manifest.leaves() {
                let at = keys
                    .binary_search_by(|(key, _)| key.cmp(&leaf.device))
                    .map_err(|_| EconomicsError::BadInput("a leaf of an unknown device".into()))?;
                leaves.push((keys[at].1, leaf.units));
            }
        }
        let total: u128 = leaves.iter().map(|(_, u)| u).sum();
        if total == 0 {
            return Ok(());
        }
        let root = Hash(*roots.finalize().as_bytes());
        self.books.finalize(epoch, class, root, total);
        let pool = self.books.pool_amount(epoch, class).unwrap_or(Amount::ZERO);
        let last_open = epoch + self.config.rewards.claim_epochs;
        for (i, units) in leaves {
            reward[i] = plexus_rewards::payout(pool.0, units, total).unwrap_or(0);
            let due = match self.devices[i].claiming {
                Claiming::Prompt => epoch + 1,
                Claiming::Late => last_open,
                Claiming::Never => continue,
            };
            let claim = Pending {
                epoch,
                resource: class,
                units,
            };
            self.pending.entry(due).or_default().push(claim);
        }
        Ok(())
    }

    /// Each device class's spread of this epoch's reward.
    fn spreads(&self, reward: &[u128]) -> Vec<Spread> {
        let mut by_class: Vec<Vec<u128>> = vec![Vec::new(); self.config.classes.len()];
        for (d, r) in self.devices.iter().zip(reward) {
            by_class[d.class].push(*r);
        }
        by_class.iter_mut().map(|v| Spread::of(v)).collect()
    }

    fn summary(&self, rows: &[EpochRow]) -> Summary {
        let last = rows.last().cloned().unwrap_or_default();
        let halvings_at = rows
            .windows(2)
            .filter(|w| w[1].emission < w[0].emission)
            .map(|w| w[1].epoch)
            .collect();
        let mut devices_by_class: Vec<(String, u64)> = self
            .config
            .classes
            .iter()
            .map(|c| (c.name.clone(), 0))
            .collect();
        for d in &self.devices {
            devices_by_class[d.class].1 += 1;
        }
        Summary {
            devices: self.config.devices,
            epochs: self.config.epochs,
            seed: self.config.seed,
            genesis_supply: self.genesis_supply,
            final_supply: last.supply,
            final_circulating: last.circulating,
            minted: last.minted_total,
            paid: last.paid_total,
            to_validators: last.to_validators_total,
            fees: last.fees_total,
            expired: last.expired_total,
            dust: last.dust_total,
            claimable: last.claimable,
            halvings_at,
            devices_by_class,
        }
    }
}
