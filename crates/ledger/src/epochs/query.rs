//! Reads of the epochs' committed state: ended epochs, their pools, and reward accounting.

use super::{state_key, EpochRecord, RewardPool, RewardTotals};
use crate::bank::module_account;
use crate::bank::query::account;
use crate::genesis::ResourceClass;
use crate::stored::{get_json, get_u64};
use plexus_store::{Store, StoreError};
use plexus_types::Amount;

/// The last epoch that has ended (0 before the first).
pub fn last_epoch(store: &Store) -> Result<u64, StoreError> {
    get_u64(store, &state_key::last_epoch())
}

/// An ended epoch and its pools.
pub fn epoch(
    store: &Store,
    epoch: u64,
) -> Result<Option<(EpochRecord, Vec<RewardPool>)>, StoreError> {
    let Some(record) = get_json::<EpochRecord>(store, &state_key::epoch(epoch))? else {
        return Ok(None);
    };
    let mut pools = Vec::new();
    for resource in ResourceClass::ALL {
        if let Some(p) = get_json(store, &state_key::pool(epoch, resource))? {
            pools.push(p);
        }
    }
    Ok(Some((record, pools)))
}

/// Reward accounting: running totals plus what the rewards account still holds.
pub fn reward_totals(store: &Store) -> Result<RewardAccounting, StoreError> {
    let totals: RewardTotals = get_json(store, &state_key::reward_totals())?.unwrap_or_default();
    let claimable = account(store, &module_account::rewards())?.balance;
    Ok(RewardAccounting { totals, claimable })
}

/// Reward totals and the claimable balance: `minted = paid + forfeited + dust + expired +
/// to_validators + claimable`, exactly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RewardAccounting {
    #[serde(flatten)]
    pub totals: RewardTotals,
    pub claimable: Amount,
}

impl RewardAccounting {
    /// Whether every minted unit is accounted for.
    pub fn balances(&self) -> bool {
        let t = &self.totals;
        [
            t.paid,
            t.forfeited,
            t.dust,
            t.expired,
            t.to_validators,
            self.claimable,
        ]
        .iter()
        .try_fold(0u128, |acc, a| acc.checked_add(a.0))
            == Some(t.minted.0)
    }
}
