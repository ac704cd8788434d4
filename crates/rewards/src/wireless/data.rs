//! The data transfer reward rule (after Helium's HIP-10 as Helium Mobile applies it): hotspots
//! are paid for the traffic their subscribers paid for in data credits, out of the epoch's
//! data pool, and what the pool does not pay goes to coverage.
//!
//! Given each hotspot's data credits burned for its settled sessions in an epoch, the price of
//! a credit (`dc_per_plx` credits per PLX) and the epoch's data pool in uplx:
//!
//! 1. a hotspot's traffic is worth `value = ⌊credits × 10⁶ / dc_per_plx⌋` uplx, the PLX its
//!    subscribers burned for those credits, rounded down;
//! 2. when the pool covers every hotspot's value, each is paid its value and the rest of the
//!    pool goes to the coverage pool;
//! 3. when it does not, each is paid `⌊pool × value / Σ value⌋` (pro rata), nothing goes to
//!    coverage, and the rounding remainder is dust.
//!
//! So `paid + to_coverage + dust = pool` exactly, and no hotspot is paid more than the value of
//! its credits. Buying credits rounds down too (`⌊uplx × dc_per_plx / 10⁶⌋` credits), so an
//! owner who buys credits and spends them on traffic to its own hotspot is paid at most the PLX
//! it burned: self-dealing never earns more than it costs, and costs the fees besides.

use crate::muldiv::mul_div_floor;

/// uplx in one PLX.
const UPLX_PER_PLX: u128 = 1_000_000;

/// Why the data rule cannot run on its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DataRewardError {
    #[error("dc_per_plx must be at least 1")]
    NoPrice,
    #[error("the epoch's data credits are worth more than 128 bits of uplx")]
    ValueOverflow,
}

/// One hotspot's pay for the epoch's data traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPayment<K> {
    pub hotspot: K,
    /// Data credits its settled sessions burned.
    pub credits: u128,
    /// What those credits are worth, in uplx (rule 1).
    pub value: u128,
    /// What it is paid, in uplx: its value, or its pro-rata share of a short pool.
    pub paid: u128,
}

/// The epoch's data pool, split by the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPayout<K> {
    /// One payment per hotspot, in the order given.
    pub payments: Vec<DataPayment<K>>,
    /// Σ paid.
    pub paid: u128,
    /// What the pool did not pay hotspots, for the coverage pool.
    pub to_coverage: u128,
    /// Rounding remainder of a pro-rata split.
    pub dust: u128,
}

/// What `credits` data credits are worth in uplx at `dc_per_plx` credits per PLX, rounded
/// down (rule 1).
pub fn credits_value(credits: u128, dc_per_plx: u64) -> Result<u128, DataRewardError> {
    if dc_per_plx == 0 {
        return Err(DataRewardError::NoPrice);
    }
    mul_div_floor(credits, UPLX_PER_PLX, u128::from(dc_per_plx))
        .ok_or(DataRewardError::ValueOverflow)
}

/// The rule's split of `pool` from the hotspots' total value alone, in constant work: what the
/// pool holds for hotspots, `min(pool, Σ value)` (their pay, plus the dust of a pro-rata
/// split), and what goes to coverage (rule 2; nothing when the pool is short, rule 3).
pub fn data_pool_split(total_value: u128, pool: u128) -> DataPoolSplit {
    let held = total_value.min(pool);
    DataPoolSplit {
        held,
        to_coverage: pool - held,
    }
}

/// [`data_pool_split`]'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataPoolSplit {
    /// What the pool holds for hotspots: `min(pool, Σ value)`.
    pub held: u128,
    /// What it gives the coverage pool: `pool - held`.
    pub to_coverage: u128,
}

/// One hotspot's pay for traffic worth `value` of the epoch's `total_value`, out of the `held`
/// of [`data_pool_split`]: `⌊held × value / Σ value⌋`, which is its value exactly when the pool
/// covers every hotspot (`held = Σ value`, rule 2) and its pro-rata share when it is short
/// (`held = pool`, rule 3). `None` when `value` exceeds `total_value`.
pub fn data_share(held: u128, value: u128, total_value: u128) -> Option<u128> {
    if value > total_value {
        return None;
    }
    if total_value == 0 {
        return Some(0);
    }
    // value ≤ total_value, so the share is at most `held`: never overflows.
    mul_div_floor(held, value, total_value)
}

/// Splits `pool` uplx over `hotspots` (each with the data credits its traffic burned in the
/// epoch) by the data transfer rule above.
pub fn pay_data_transfer<K: Clone>(
    hotspots: &[(K, u128)],
    dc_per_plx: u64,
    pool: u128,
) -> Result<DataPayout<K>, DataRewardError> {
    let mut payments = Vec::with_capacity(hotspots.len());
    let mut total_value = 0u128;
    for (hotspot, credits) in hotspots {
        let value = credits_value(*credits, dc_per_plx)?;
        total_value = total_value
            .checked_add(value)
            .ok_or(DataRewardError::ValueOverflow)?;
        payments.push(DataPayment {
            hotspot: hotspot.clone(),
            credits: *credits,
            value,
            paid: 0,
        });
    }
    let split = data_pool_split(total_value, pool);
    let mut paid = 0u128;
    for p in &mut payments {
        p.paid =
            data_share(split.held, p.value, total_value).ok_or(DataRewardError::ValueOverflow)?;
        paid += p.paid;
    }
    Ok(DataPayout {
        payments,
        paid,
        to_coverage: split.to_coverage,
        dust: split.held - paid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Credits that burning `uplx` buys, as the ledger computes them.
    fn credits_bought(uplx: u128, dc_per_plx: u64) -> u128 {
        uplx * u128::from(dc_per_plx) / UPLX_PER_PLX
    }

    #[test]
    fn a_pool_that_covers_the_traffic_pays_its_value_and_gives_the_rest_to_coverage() {
        let out = pay_data_transfer(&[("a", 100_000), ("b", 50_001)], 100_000, 5_000_000).unwrap();
        let paid: Vec<u128> = out.payments.iter().map(|p| p.paid).collect();
        assert_eq!(paid, vec![1_000_000, 500_010]);
        assert_eq!(out.to_coverage, 5_000_000 - 1_500_010);
        assert_eq!(out.dust, 0);
    }

    #[test]
    fn a_short_pool_is_split_pro_rata_with_nothing_to_coverage() {
        // Worth 1 PLX and 2 PLX; the pool holds 1 000 001 uplx.
        let out = pay_data_transfer(&[("a", 100_000), ("b", 200_000)], 100_000, 1_000_001).unwrap();
        let paid: Vec<u128> = out.payments.iter().map(|p| p.paid).collect();
        assert_eq!(paid, vec![333_333, 666_667]);
        assert_eq!(out.to_coverage, 0);
        assert_eq!(out.dust, 1);
    }

    #[test]
    fn no_price_is_refused() {
        assert_eq!(
            pay_data_transfer(&[("a", 1)], 0, 10),
            Err(DataRewardError::NoPrice)
        );
    }

    proptest! {
        /// An owner who burns PLX for credits and spends them all on traffic to its own
        /// hotspot is never paid more than it burned, whatever the pool and the other traffic.
        #[test]
        fn a_self_dealer_never_receives_more_than_it_burned(
            burned in 0u128..1_000_000_000_000_000,
            dc_per_plx in 1u64..10_000_000,
            pool in 0u128..10_000_000_000_000_000,
            others in proptest::collection::vec(0u128..1_000_000_000_000, 0..8),
        ) {
            let credits = credits_bought(burned, dc_per_plx);
            let mut hotspots = vec![("self", credits)];
            hotspots.extend(others.iter().map(|c| ("other", *c)));
            let out = pay_data_transfer(&hotspots, dc_per_plx, pool).unwrap();
            prop_assert!(out.payments[0].paid <= burned,
                "burned {} uplx, paid {}", burned, out.payments[0].paid);
        }

        /// The constant-work split from Σ value alone agrees with the rule run per hotspot:
        /// what it holds for hotspots is their pay plus the dust, what it gives coverage is
        /// the rule's, and each hotspot's share of what it holds is the rule's pay.
        #[test]
        fn the_aggregate_split_is_the_rules_per_hotspot_sum(
            credits in proptest::collection::vec(0u128..1_000_000_000_000, 0..16),
            dc_per_plx in 1u64..10_000_000,
            pool in 0u128..100_000_000_000_000,
        ) {
            let hotspots: Vec<(usize, u128)> = credits.iter().copied().enumerate().collect();
            let out = pay_data_transfer(&hotspots, dc_per_plx, pool).unwrap();
            let total_value: u128 = credits
                .iter()
                .map(|c| credits_value(*c, dc_per_plx).unwrap())
                .sum();
            let split = data_pool_split(total_value, pool);
            prop_assert_eq!(split.held, out.paid + out.dust);
            prop_assert_eq!(split.to_coverage, out.to_coverage);
            for p in &out.payments {
                prop_assert_eq!(data_share(split.held, p.value, total_value), Some(p.paid));
            }
        }

        /// paid + to coverage + dust = pool, and no hotspot is paid more than its value.
        #[test]
        fn the_books_balance(
            credits in proptest::collection::vec(0u128..1_000_000_000_000_000, 0..16),
            dc_per_plx in 1u64..10_000_000,
            pool in 0u128..100_000_000_000_000_000,
        ) {
            let hotspots: Vec<(usize, u128)> = credits.iter().copied().enumerate().collect();
            let out = pay_data_transfer(&hotspots, dc_per_plx, pool).unwrap();
            let sum: u128 = out.payments.iter().map(|p| p.paid).sum();
            prop_assert_eq!(sum, out.paid);
            prop_assert_eq!(out.paid + out.to_coverage + out.dust, pool);
            for p in &out.payments {
                prop_assert!(p.paid <= p.value);
            }
            prop_assert!(out.dust == 0 || out.to_coverage == 0);
            prop_assert!(out.dust < hotspots.len().max(1) as u128);
        }
    }
}
