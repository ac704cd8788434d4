//! What a device earned in the finalized epochs of its pool, from the manifests final on chain,
//! and what its claims paid: the figure every section of the summary shows per device.

use plexus_ledger::{query, ResourceClass};
use plexus_types::{Amount, PublicKey};
use std::collections::BTreeMap;

/// An epoch whose manifest for a resource is final on chain: its pool, and the manifest the
/// devnet's oracle computed when it is the one on chain.
pub type FinalizedEpoch = (u64, Amount, Option<plexus_oracle::ClosedEpoch>);

/// One device's earnings.
#[derive(Debug, Default)]
pub struct Earnings {
    pub by_epoch: BTreeMap<u64, Amount>,
    pub total: Amount,
    pub claimed: Amount,
}

/// What `key` earned in each of `finalized` (the epochs of `resource`'s pool), and what its
/// claims on them paid.
pub fn earnings(
    store: &plexus_store::Store,
    key: &PublicKey,
    resource: ResourceClass,
    finalized: &[FinalizedEpoch],
) -> anyhow::Result<Earnings> {
    let mut out = Earnings::default();
    for (e, pool, closed) in finalized {
        let earned = closed
            .as_ref()
            .and_then(|c| {
                c.manifest
                    .leaf(key)
                    .map(|l| (l.units, c.manifest.total_units()))
            })
            .map(|(u, t)| Amount(plexus_rewards::payout(pool.0, u, t).unwrap_or(0)))
            .unwrap_or(Amount::ZERO);
        out.by_epoch.insert(*e, earned);
        out.total = out.total.checked_add(earned).unwrap_or(out.total);
        if let Some(paid) = query::claim_amount(store, *e, resource, key)? {
            out.claimed = out.claimed.checked_add(paid).unwrap_or(out.claimed);
        }
    }
    Ok(out)
}
