//! Splitting a class pool (in uplx) over an epoch's manifest.
//!
//! - P1 (pro rata): a leaf is paid floor(pool × units / total_units), computed exactly for any
//!   128-bit operands; rounding is always down, so the payouts never exceed the pool.
//! - P2 (dust): what flooring leaves over, pool − Σ payouts, is written out as dust for the
//!   ledger to account, never dropped. It is less than the number of leaves.
//! - P3 (empty manifest): a manifest without leaves pays nothing and the whole pool is dust.

use crate::error::RewardsError;
use crate::manifest::Manifest;
use crate::muldiv::mul_div_floor;
use plexus_types::PublicKey;
use rayon::prelude::*;

/// Rule P1: what a claim of `units` out of `total_units` is paid from `pool`.
///
/// Refuses a claim whose units exceed the total (`UnitsExceedTotal`), which no consistent
/// manifest holds and which would pay out more than the pool, and a manifest with no units
/// (`NoUnits`).
pub fn payout(pool: u128, units: u128, total_units: u128) -> Result<u128, RewardsError> {
    if total_units == 0 {
        return Err(RewardsError::NoUnits);
    }
    if units > total_units {
        return Err(RewardsError::UnitsExceedTotal { units, total_units });
    }
    Ok(mul_div_floor(pool, units, total_units)
        .expect("a nonzero total and units within it give a quotient within the pool"))
}

/// A pool split over a manifest: every leaf's payout in leaf order, and the dust.
/// Σ payouts + dust = pool exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSplit {
    pub payouts: Vec<(PublicKey, u128)>,
    pub dust: u128,
}

impl PoolSplit {
    pub fn paid(&self) -> u128 {
        self.payouts.iter().map(|(_, amount)| amount).sum()
    }
}

/// Rules P1–P3 over a whole manifest.
pub fn split_pool(pool: u128, manifest: &Manifest) -> PoolSplit {
    let total = manifest.total_units();
    let payouts: Vec<(PublicKey, u128)> = manifest
        .leaves()
        .par_iter()
        .map(|leaf| {
            let amount = payout(pool, leaf.units, total)
                .expect("a manifest's leaves have units > 0 that add up to its total");
            (leaf.device, amount)
        })
        .collect();
    // Each payout is at most pool × units / total and the units add up to the total, so the sum
    // is at most the pool: neither the sum nor the difference can overflow.
    let paid: u128 = payouts.iter().map(|(_, amount)| amount).sum();
    PoolSplit {
        payouts,
        dust: pool - paid,
    }
}
