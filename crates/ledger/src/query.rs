//! Reads of committed state for APIs and clients, straight from the store: no ledger lock, no
//! waiting for the block producer.

use crate::bank::Account;
use crate::codes::CommittedTx;
use crate::state_key;
use plexus_store::{StateProof, Store, StoreError};
use plexus_types::{Address, Amount, Hash};

/// An account in committed state (a never-seen address is an empty account).
pub fn account(store: &Store, address: &Address) -> Result<Account, StoreError> {
    Ok(store
        .get(&state_key::account(address))?
        .and_then(|b| Account::decode(&b))
        .unwrap_or_default())
}

/// An account at `height` with a proof against that height's app hash. `None` with a proof
/// of absence for an address the chain has never seen.
pub fn account_with_proof(
    store: &Store,
    address: &Address,
    height: u64,
) -> Result<(Option<Account>, StateProof), StoreError> {
    let (value, proof) = store.get_with_proof(&state_key::account(address), height)?;
    Ok((value.and_then(|v| Account::decode(&v)), proof))
}

/// Total tokens in existence.
pub fn supply(store: &Store) -> Result<Amount, StoreError> {
    Ok(decode_supply(store.get(&state_key::supply())?))
}

/// The stored supply (16 bytes, big-endian); zero before genesis.
pub(crate) fn decode_supply(bytes: Option<Vec<u8>>) -> Amount {
    bytes
        .and_then(|b| {
            b.try_into()
                .ok()
                .map(|a: [u8; 16]| Amount(u128::from_be_bytes(a)))
        })
        .unwrap_or_default()
}

/// Transactions committed since genesis.
pub fn txs_committed(store: &Store) -> Result<u64, StoreError> {
    Ok(store
        .get(&state_key::txs_committed())?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0))
}

/// The result of a committed transaction.
pub fn committed_tx(store: &Store, hash: &Hash) -> Result<Option<CommittedTx>, StoreError> {
    Ok(store
        .get_aux(&state_key::tx_result(hash))?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

fn get_json<T: serde::de::DeserializeOwned>(
    store: &Store,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    match store.get(key)? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("state value: {e}"))),
    }
}

/// The chain id and genesis parameters.
pub fn chain_info(store: &Store) -> Result<Option<crate::ChainInfo>, StoreError> {
    get_json(store, &state_key::chain_info())
}

/// A registered device.
pub fn device(
    store: &Store,
    key: &plexus_types::PublicKey,
) -> Result<Option<crate::registry::Device>, StoreError> {
    get_json(store, &state_key::device(key))
}

/// Number of devices ever registered.
pub fn device_count(store: &Store) -> Result<u64, StoreError> {
    Ok(store
        .get(&state_key::device_count())?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0))
}

/// Every device ever registered, in registration order.
pub fn devices(store: &Store) -> Result<Vec<crate::registry::Device>, StoreError> {
    let snapshot = store.snapshot()?;
    let count = snapshot
        .get(&state_key::device_count())?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0);
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let Some(key) = snapshot.get(&state_key::device_by_index(i))? else {
            return Err(StoreError::Corrupt(format!("device index {i} missing")));
        };
        let key = plexus_types::PublicKey::from_slice(&key)
            .map_err(|e| StoreError::Corrupt(format!("device index {i}: {e}")))?;
        let Some(bytes) = snapshot.get(&state_key::device(&key))? else {
            return Err(StoreError::Corrupt(format!("device {key} missing")));
        };
        out.push(
            serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::Corrupt(format!("device record: {e}")))?,
        );
    }
    Ok(out)
}

/// The last epoch that has ended (0 before the first).
pub fn last_epoch(store: &Store) -> Result<u64, StoreError> {
    Ok(store
        .get(&state_key::last_epoch())?
        .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0))
}

/// An ended epoch and its pools.
pub fn epoch(
    store: &Store,
    epoch: u64,
) -> Result<Option<(crate::epochs::EpochRecord, Vec<crate::epochs::RewardPool>)>, StoreError> {
    let Some(record) = get_json::<crate::epochs::EpochRecord>(store, &state_key::epoch(epoch))?
    else {
        return Ok(None);
    };
    let mut pools = Vec::new();
    for resource in crate::ResourceClass::ALL {
        if let Some(p) = get_json(store, &state_key::pool(epoch, resource))? {
            pools.push(p);
        }
    }
    Ok(Some((record, pools)))
}

/// Whether a device's reward of an epoch and class has been claimed.
pub fn claimed(
    store: &Store,
    epoch: u64,
    resource: crate::ResourceClass,
    device: &plexus_types::PublicKey,
) -> Result<bool, StoreError> {
    Ok(store
        .get(&state_key::claim(epoch, resource, device))?
        .is_some())
}

/// What a device's claim of an epoch and class paid (to its owner, or forfeited), if claimed.
pub fn claim_amount(
    store: &Store,
    epoch: u64,
    resource: crate::ResourceClass,
    device: &plexus_types::PublicKey,
) -> Result<Option<Amount>, StoreError> {
    Ok(store
        .get(&state_key::claim(epoch, resource, device))?
        .and_then(|b| {
            b.try_into()
                .ok()
                .map(|a: [u8; 16]| Amount(u128::from_be_bytes(a)))
        }))
}

/// A storage deal, by id.
pub fn storage_deal(
    store: &Store,
    id: u64,
) -> Result<Option<crate::storage::StorageDeal>, StoreError> {
    get_json(store, &state_key::storage_deal(id))
}

/// Every deal ever made for a blob, oldest first.
pub fn storage_deals_of_blob(
    store: &Store,
    blob: &Hash,
) -> Result<Vec<crate::storage::StorageDeal>, StoreError> {
    let snapshot = store.snapshot()?;
    deals_by_ids(&snapshot, &state_key::storage_blob_deals(blob))
}

/// The deals not yet ended, oldest first.
pub fn open_storage_deals(store: &Store) -> Result<Vec<crate::storage::StorageDeal>, StoreError> {
    let snapshot = store.snapshot()?;
    deals_by_ids(&snapshot, &state_key::storage_open_deals())
}

fn deals_by_ids(
    snapshot: &plexus_store::Snapshot,
    list_key: &[u8],
) -> Result<Vec<crate::storage::StorageDeal>, StoreError> {
    fn decode<T: serde::de::DeserializeOwned>(what: &str, b: Vec<u8>) -> Result<T, StoreError> {
        serde_json::from_slice(&b).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
    }
    let ids: Vec<u64> = match snapshot.get(list_key)? {
        None => Vec::new(),
        Some(b) => decode("storage deal list", b)?,
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(b) = snapshot.get(&state_key::storage_deal(id))? else {
            return Err(StoreError::Corrupt(format!("storage deal {id} missing")));
        };
        out.push(decode("storage deal", b)?);
    }
    Ok(out)
}

/// Storage escrow accounting: running totals plus what the escrow account holds.
pub fn storage_totals(store: &Store) -> Result<StorageAccounting, StoreError> {
    let totals: crate::storage::StorageTotals =
        get_json(store, &state_key::storage_totals())?.unwrap_or_default();
    let held = account(store, &crate::module_account::storage_escrow())?.balance;
    Ok(StorageAccounting { totals, held })
}

/// Storage totals and the escrow balance: `escrowed = paid + refunded + held`, exactly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StorageAccounting {
    #[serde(flatten)]
    pub totals: crate::storage::StorageTotals,
    pub held: Amount,
}

impl StorageAccounting {
    /// Whether every escrowed unit is accounted for.
    pub fn balances(&self) -> bool {
        let t = &self.totals;
        [t.paid, t.refunded, self.held]
            .iter()
            .try_fold(0u128, |acc, a| acc.checked_add(a.0))
            == Some(t.escrowed.0)
    }
}

/// Reward accounting: running totals plus what the rewards account still holds.
pub fn reward_totals(store: &Store) -> Result<RewardAccounting, StoreError> {
    let totals: crate::epochs::RewardTotals =
        get_json(store, &state_key::reward_totals())?.unwrap_or_default();
    let claimable = account(store, &crate::module_account::rewards())?.balance;
    Ok(RewardAccounting { totals, claimable })
}

/// Reward totals and the claimable balance: `minted = paid + forfeited + dust + expired +
/// claimable`, exactly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RewardAccounting {
    #[serde(flatten)]
    pub totals: crate::epochs::RewardTotals,
    pub claimable: Amount,
}

impl RewardAccounting {
    /// Whether every minted unit is accounted for.
    pub fn balances(&self) -> bool {
        let t = &self.totals;
        [t.paid, t.forfeited, t.dust, t.expired, self.claimable]
            .iter()
            .try_fold(0u128, |acc, a| acc.checked_add(a.0))
            == Some(t.minted.0)
    }
}

/// A training task, by id.
pub fn training_task(
    store: &Store,
    id: u64,
) -> Result<Option<crate::training::TrainingTask>, StoreError> {
    get_json(store, &state_key::training_task(id))
}

/// Every training task, oldest first.
pub fn training_tasks(store: &Store) -> Result<Vec<crate::training::TrainingTask>, StoreError> {
    let snapshot = store.snapshot()?;
    let count = match snapshot.get(&state_key::training_task_count())? {
        None => 0,
        Some(b) => u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("training task count".into()))?,
        ),
    };
    let mut out = Vec::with_capacity(count as usize);
    for id in 0..count {
        let Some(b) = snapshot.get(&state_key::training_task(id))? else {
            return Err(StoreError::Corrupt(format!("training task {id} missing")));
        };
        out.push(
            serde_json::from_slice(&b)
                .map_err(|e| StoreError::Corrupt(format!("training task {id}: {e}")))?,
        );
    }
    Ok(out)
}

/// Training escrow accounting: running totals plus what the escrow account holds.
pub fn training_totals(store: &Store) -> Result<TrainingAccounting, StoreError> {
    let totals: crate::training::TrainingTotals =
        get_json(store, &state_key::training_totals())?.unwrap_or_default();
    let held = account(store, &crate::module_account::training_escrow())?.balance;
    Ok(TrainingAccounting { totals, held })
}

/// Training totals and the escrow balance: `escrowed = paid + refunded + held`, exactly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrainingAccounting {
    #[serde(flatten)]
    pub totals: crate::training::TrainingTotals,
    pub held: Amount,
}

impl TrainingAccounting {
    /// Whether every escrowed unit is accounted for.
    pub fn balances(&self) -> bool {
        let t = &self.totals;
        [t.paid, t.refunded, self.held]
            .iter()
            .try_fold(0u128, |acc, a| acc.checked_add(a.0))
            == Some(t.escrowed.0)
    }
}

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
pub fn market_order(store: &Store, id: u64) -> Result<Option<crate::market::Order>, StoreError> {
    get_json(store, &state_key::market_order(id))
}

/// A bid, by id.
pub fn market_bid(store: &Store, id: u64) -> Result<Option<crate::market::Bid>, StoreError> {
    get_json(store, &state_key::market_bid(id))
}

/// A lease, by id.
pub fn market_lease(store: &Store, id: u64) -> Result<Option<crate::market::Lease>, StoreError> {
    get_json(store, &state_key::market_lease(id))
}

/// Orders `from..` (at most `limit`), oldest first.
pub fn market_orders(
    store: &Store,
    from: u64,
    limit: usize,
) -> Result<Vec<crate::market::Order>, StoreError> {
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

/// Orders that have not ended, oldest first.
pub fn market_live_orders(store: &Store) -> Result<Vec<crate::market::Order>, StoreError> {
    let ids: Vec<u64> = get_json(store, &state_key::market_live_orders())?.unwrap_or_default();
    ids.into_iter()
        .map(|id| {
            market_order(store, id)?
                .ok_or_else(|| StoreError::Corrupt(format!("live order {id} missing")))
        })
        .collect()
}

/// A consumer's orders, oldest first.
pub fn market_orders_of(
    store: &Store,
    owner: &Address,
) -> Result<Vec<crate::market::Order>, StoreError> {
    let ids: Vec<u64> =
        get_json(store, &state_key::market_owner_orders(owner))?.unwrap_or_default();
    ids.into_iter()
        .map(|id| {
            market_order(store, id)?
                .ok_or_else(|| StoreError::Corrupt(format!("order {id} missing")))
        })
        .collect()
}

/// A provider's record of checked results.
pub fn market_provider(
    store: &Store,
    provider: &Address,
) -> Result<crate::market::ProviderRecord, StoreError> {
    Ok(get_json(store, &state_key::market_provider(provider))?.unwrap_or_default())
}

/// Market escrow accounting: running totals, what orders and unreleased leases still hold,
/// and the escrow account's balance.
pub fn market_totals(store: &Store) -> Result<MarketAccounting, StoreError> {
    let totals: crate::market::MarketTotals =
        get_json(store, &state_key::market_totals())?.unwrap_or_default();
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
    let balance = account(store, &crate::module_account::market_escrow())?.balance;
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
    pub totals: crate::market::MarketTotals,
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
