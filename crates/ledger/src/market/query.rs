//! Reads of the compute market's committed state: orders, bids, leases, provider records and
//! escrow accounting.

use super::{state_key, Bid, Lease, MarketTotals, Order, ProviderRecord};
use crate::bank::module_account;
use crate::bank::query::account;
use crate::id_set;
use crate::stored::get_json;
use plexus_store::{Store, StoreError};
use plexus_types::{Address, Amount};

fn market_count(store: &Store, kind: &str) -> Result<u64, StoreError> {
    Ok(match store.get(&state_key::market_count(kind))? {
        Some(b) => u64::from_be_bytes(
            b.try_into()
                .map_err(|_| StoreError::Corrupt(format!("market {kind} count")))?,
        ),
        None => 0,
    })
}

/// A compute order, by id.
pub fn market_order(store: &Store, id: u64) -> Result<Option<Order>, StoreError> {
    get_json(store, &state_key::market_order(id))
}

/// A bid, by id.
pub fn market_bid(store: &Store, id: u64) -> Result<Option<Bid>, StoreError> {
    get_json(store, &state_key::market_bid(id))
}

/// A lease, by id.
pub fn market_lease(store: &Store, id: u64) -> Result<Option<Lease>, StoreError> {
    get_json(store, &state_key::market_lease(id))
}

/// How many orders were ever made (the next order's id).
pub fn market_order_count(store: &Store) -> Result<u64, StoreError> {
    market_count(store, "order")
}

/// Orders `from..` (at most `limit`), oldest first.
pub fn market_orders(store: &Store, from: u64, limit: usize) -> Result<Vec<Order>, StoreError> {
    let count = market_count(store, "order")?;
    let mut out = Vec::new();
    for id in from..count {
        if out.len() >= limit {
            break;
        }
        match market_order(store, id)? {
            Some(o) => out.push(o),
            None => return Err(StoreError::Corrupt(format!("order {id} missing"))),
        }
    }
    Ok(out)
}

fn orders_by_id(store: &Store, ids: Vec<u64>) -> Result<Vec<Order>, StoreError> {
    ids.into_iter()
        .map(|id| {
            market_order(store, id)?
                .ok_or_else(|| StoreError::Corrupt(format!("order {id} missing")))
        })
        .collect()
}

/// A page of the orders that have not ended, in no particular order (an order that ends
/// gives its place to the last one): at most `limit` from position `from`, and the position
/// the next page starts at (`None` after the last).
pub fn market_live_page(
    store: &Store,
    from: u64,
    limit: usize,
) -> Result<(Vec<Order>, Option<u64>), StoreError> {
    let (ids, next) = id_set::page(store, &state_key::market_live(), from, limit)?;
    Ok((orders_by_id(store, ids)?, next))
}

/// Every order that has not ended, by id.
pub fn market_live_orders(store: &Store) -> Result<Vec<Order>, StoreError> {
    let n = id_set::len(store, &state_key::market_live())?;
    let (mut orders, _) = market_live_page(store, 0, n as usize)?;
    orders.sort_by_key(|o| o.id);
    Ok(orders)
}

/// A page of a consumer's orders, oldest first: at most `limit` from its `from`-th, and where
/// the next page starts (`None` after the last).
pub fn market_orders_of(
    store: &Store,
    owner: &Address,
    from: u64,
    limit: usize,
) -> Result<(Vec<Order>, Option<u64>), StoreError> {
    let (ids, next) = id_set::page(store, &state_key::market_owner_orders(owner), from, limit)?;
    Ok((orders_by_id(store, ids)?, next))
}

/// A provider's record of checked results.
pub fn market_provider(store: &Store, provider: &Address) -> Result<ProviderRecord, StoreError> {
    Ok(get_json(store, &state_key::market_provider(provider))?.unwrap_or_default())
}

/// Market escrow accounting: running totals, what orders and unreleased leases still hold,
/// and the escrow account's balance.
pub fn market_totals(store: &Store) -> Result<MarketAccounting, StoreError> {
    let totals: MarketTotals = get_json(store, &state_key::market_totals())?.unwrap_or_default();
    let mut in_orders = Amount::ZERO;
    for order in market_live_orders(store)? {
        in_orders = in_orders
            .checked_add(order.escrow)
            .ok_or_else(|| StoreError::Corrupt("order escrow overflows".into()))?;
        for id in &order.leases {
            let lease = market_lease(store, *id)?
                .ok_or_else(|| StoreError::Corrupt(format!("lease {id} missing")))?;
            if !lease.released {
                in_orders = in_orders
                    .checked_add(lease.accrued)
                    .ok_or_else(|| StoreError::Corrupt("lease accruals overflow".into()))?;
            }
        }
    }
    let balance = account(store, &module_account::market_escrow())?.balance;
    Ok(MarketAccounting {
        totals,
        in_orders,
        balance,
    })
}

/// Market totals: `escrowed = paid + fees + refunded + in_orders`, and the escrow account
/// holds `escrowed − withdrawn − fees − refunded + bonded − bonds returned − bonds slashed`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MarketAccounting {
    #[serde(flatten)]
    pub totals: MarketTotals,
    pub in_orders: Amount,
    pub balance: Amount,
}

impl MarketAccounting {
    /// Whether every escrowed and bonded unit is accounted for.
    pub fn balances(&self) -> bool {
        let t = &self.totals;
        let out = [t.paid, t.fees, t.refunded, self.in_orders]
            .iter()
            .try_fold(0u128, |acc, a| acc.checked_add(a.0));
        let held = (|| {
            t.escrowed
                .0
                .checked_add(t.bonded.0)?
                .checked_sub(t.withdrawn.0)?
                .checked_sub(t.fees.0)?
                .checked_sub(t.refunded.0)?
                .checked_sub(t.bonds_returned.0)?
                .checked_sub(t.bonds_slashed.0)
        })();
        out == Some(t.escrowed.0) && held == Some(self.balance.0)
    }
}
