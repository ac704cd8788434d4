//! The reward accounts of a simulated chain, kept by the ledger's own rules: emission
//! ([`epochs::emission`]), the validators' share ([`epochs::validators_share`]), the pool split
//! ([`epochs::split_emission`]), the claim window ([`epochs::claim_window_open`]), pay per
//! claim ([`plexus_rewards::payout`]) and settlement ([`epochs::settlement`]). Nothing here
//! restates a formula; it only moves the amounts those rules give between the accounts the
//! ledger keeps, in the order the ledger's end of block runs them.

use plexus_ledger::epochs::{self, FinalManifest, RewardPool, RewardTotals};
use plexus_ledger::{ResourceClass, RewardParams};
use plexus_types::{Amount, Hash};
use std::collections::BTreeMap;

/// A broken accounting invariant or a rule that refused its input: a bug, never an outcome.
#[derive(Debug, thiserror::Error)]
pub enum BooksError {
    #[error("reward accounting: {0}")]
    Accounting(String),
}

fn broken(what: impl Into<String>) -> BooksError {
    BooksError::Accounting(what.into())
}

fn add(a: Amount, b: Amount) -> Result<Amount, BooksError> {
    a.checked_add(b)
        .ok_or_else(|| broken("an amount overflows"))
}

fn sub(a: Amount, b: Amount, what: &str) -> Result<Amount, BooksError> {
    a.checked_sub(b).ok_or_else(|| broken(what.to_string()))
}

/// What the end of one epoch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpochEnd {
    pub emission: Amount,
    pub to_validators: Amount,
    pub split_dust: Amount,
    pub pools: BTreeMap<ResourceClass, Amount>,
    /// Settled this epoch (pools whose window closed): moved to the unclaimed account.
    pub expired: Amount,
    /// Settled this epoch: rounding left by the claims.
    pub settle_dust: Amount,
}

/// The reward accounts: open pools, running totals, and the rewards account's balance.
pub struct Books {
    params: RewardParams,
    validator_bps: u32,
    open: BTreeMap<(u64, ResourceClass), RewardPool>,
    pub totals: RewardTotals,
    /// The rewards account: minted and not yet paid, moved to validators, or settled.
    pub claimable: Amount,
    last_ended: u64,
}

impl Books {
    /// Books for a chain with `params` whose validator set is never empty, so each epoch
    /// `validator_bps` of the emission goes to validators.
    pub fn new(params: RewardParams, validator_bps: u32) -> Books {
        Books {
            params,
            validator_bps,
            open: BTreeMap::new(),
            totals: RewardTotals::default(),
            claimable: Amount::ZERO,
            last_ended: 0,
        }
    }

    /// The end of epoch `epoch`, as the ledger's end of block runs it: mint, take the
    /// validators' share, split the rest into pools, then settle the pools whose window
    /// closes.
    pub fn end_epoch(&mut self, epoch: u64) -> Result<EpochEnd, BooksError> {
        let emission = epochs::emission(&self.params, epoch);
        let to_validators = epochs::validators_share(emission, self.validator_bps);
        let pooled = sub(
            emission,
            to_validators,
            "validators' share above the emission",
        )?;
        let (pools, split_dust) = epochs::split_emission(&self.params, pooled);
        for (resource, amount) in &pools {
            self.open
                .insert((epoch, *resource), empty_pool(epoch, *resource, *amount));
        }
        let t = &mut self.totals;
        t.minted = add(t.minted, emission)?;
        t.to_validators = add(t.to_validators, to_validators)?;
        t.dust = add(t.dust, split_dust)?;
        self.claimable = add(self.claimable, pooled)?;
        self.claimable = sub(self.claimable, split_dust, "split dust above the pools")?;
        self.last_ended = epoch;
        let (expired, settle_dust) = self.settle_expired(epoch)?;
        Ok(EpochEnd {
            emission,
            to_validators,
            split_dust,
            pools,
            expired,
            settle_dust,
        })
    }

    fn settle_expired(&mut self, ended: u64) -> Result<(Amount, Amount), BooksError> {
        let (mut expired, mut dust) = (Amount::ZERO, Amount::ZERO);
        if ended <= self.params.claim_epochs {
            return Ok((expired, dust));
        }
        let epoch = ended - self.params.claim_epochs;
        for resource in ResourceClass::ALL {
            let Some(pool) = self.open.remove(&(epoch, resource)) else {
                continue;
            };
            let s = epochs::settlement(&pool).map_err(|e| broken(e.to_string()))?;
            self.claimable = sub(
                self.claimable,
                add(s.unclaimed, s.dust)?,
                "settled too much",
            )?;
            self.totals.expired = add(self.totals.expired, s.unclaimed)?;
            self.totals.dust = add(self.totals.dust, s.dust)?;
            expired = add(expired, s.unclaimed)?;
            dust = add(dust, s.dust)?;
        }
        Ok((expired, dust))
    }

    /// The amount of `epoch`'s pool of `resource`.
    pub fn pool_amount(&self, epoch: u64, resource: ResourceClass) -> Option<Amount> {
        self.open.get(&(epoch, resource)).map(|p| p.amount)
    }

    /// Finalises `epoch`'s manifest of `resource` with `total_units`, as the oracles' votes do.
    pub fn finalize(&mut self, epoch: u64, resource: ResourceClass, root: Hash, total_units: u128) {
        if let Some(pool) = self.open.get_mut(&(epoch, resource)) {
            pool.manifest = Some(FinalManifest {
                root,
                total_units,
                evidence_root: root,
                finalized_height: 0,
                oracles: Vec::new(),
            });
        }
    }

    /// What a claim of `units` from `epoch`'s pool of `resource` would pay, if the pool takes
    /// claims now and has a manifest.
    pub fn quote(&self, epoch: u64, resource: ResourceClass, units: u128) -> Option<Amount> {
        if !epochs::claim_window_open(&self.params, epoch, self.last_ended) {
            return None;
        }
        let pool = self.open.get(&(epoch, resource))?;
        let total = pool.manifest.as_ref()?.total_units;
        plexus_rewards::payout(pool.amount.0, units, total)
            .ok()
            .map(Amount)
    }

    /// Pays a claim of `units` from `epoch`'s pool of `resource` (the ledger's claim rule).
    pub fn claim(
        &mut self,
        epoch: u64,
        resource: ResourceClass,
        units: u128,
    ) -> Result<Amount, BooksError> {
        let pay = self
            .quote(epoch, resource, units)
            .ok_or_else(|| broken("a claim outside its window or without a manifest"))?;
        let pool = self
            .open
            .get_mut(&(epoch, resource))
            .ok_or_else(|| broken("a claim on a settled pool"))?;
        pool.paid = add(pool.paid, pay)?;
        pool.claimed_units = pool
            .claimed_units
            .checked_add(units)
            .ok_or_else(|| broken("claimed units overflow"))?;
        self.totals.paid = add(self.totals.paid, pay)?;
        self.claimable = sub(
            self.claimable,
            pay,
            "paid more than the rewards account holds",
        )?;
        Ok(pay)
    }

    /// The ledger's reward invariant: minted = paid + forfeited + dust + expired +
    /// to_validators + claimable, and the rewards account holds exactly its open pools' rest.
    pub fn check(&self) -> Result<(), BooksError> {
        let accounting = plexus_ledger::epochs::query::RewardAccounting {
            totals: self.totals.clone(),
            claimable: self.claimable,
        };
        if !accounting.balances() {
            return Err(broken(format!(
                "minted ≠ the sum of its uses: {accounting:?}"
            )));
        }
        let open: Option<u128> = self
            .open
            .values()
            .map(|p| p.amount.0.checked_sub(p.paid.0))
            .try_fold(0u128, |acc, rest| acc.checked_add(rest?));
        if open != Some(self.claimable.0) {
            return Err(broken("the rewards account differs from its open pools"));
        }
        Ok(())
    }
}

fn empty_pool(epoch: u64, resource: ResourceClass, amount: Amount) -> RewardPool {
    RewardPool {
        epoch,
        resource,
        amount,
        manifest: None,
        paid: Amount::ZERO,
        forfeited: Amount::ZERO,
        claimed_units: 0,
        settlement: None,
    }
}
