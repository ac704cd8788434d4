//! What a program asks of a node, as a trait: the HTTP [`NodeClient`](crate::NodeClient) in
//! production, an in-process fake in tests and simulations.

use crate::views::{
    AccountView, BlockView, ChainView, DealView, DeviceChangesView, DeviceView, EpochView,
    LeaseView, OrderView, RewardsView, RoundResultView, StatusView, TaskView, TxStatusView,
};
use crate::ClientError;
use plexus_types::{Address, Hash, PublicKey, SignedTx};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a call of an API trait returns: boxed, so that [`NodeApi`] and
/// [`OracleApi`](crate::OracleApi) can be trait objects (`Arc<dyn NodeApi>`).
pub type ApiFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The node's API (`/v1`), one method per question a client asks.
///
/// Each method answers what the node answered, or the [`ClientError`] that says why there is
/// no answer: unreachable, a refusal with the node's validity code, or an answer that is not
/// the view. A lookup of a record the chain does not have answers `None`, not an error. An
/// implementation must not retry on its own: callers decide what a failure means.
pub trait NodeApi: Send + Sync {
    /// Names the node in logs and errors.
    fn name(&self) -> &str {
        "node"
    }

    /// `GET /v1/status`: the committed height, the chain id and the smallest fee.
    fn chain_status(&self) -> ApiFuture<'_, Result<StatusView, ClientError>>;

    /// `GET /v1/chain`: the chain's parameters as fixed at genesis.
    fn chain_params(&self) -> ApiFuture<'_, Result<ChainView, ClientError>>;

    /// `GET /v1/accounts/{address}` at the committed height.
    fn account_of<'a>(
        &'a self,
        address: &'a Address,
    ) -> ApiFuture<'a, Result<AccountView, ClientError>>;

    /// `GET /v1/blocks/{height}`.
    fn block(&self, height: u64) -> ApiFuture<'_, Result<BlockView, ClientError>>;

    /// `GET /v1/devices`: every registered device.
    fn devices(&self) -> ApiFuture<'_, Result<Vec<DeviceView>, ClientError>>;

    /// `GET /v1/devices/changes?after=H`: the devices registered or changed after block `after`
    /// (in bounded steps: ask again from `through`).
    fn device_changes(&self, after: u64) -> ApiFuture<'_, Result<DeviceChangesView, ClientError>>;

    /// `GET /v1/devices/{key}`, or `None` if the chain has never registered it.
    fn device<'a>(
        &'a self,
        key: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Option<DeviceView>, ClientError>>;

    /// `GET /v1/epochs/{n}`, or `None` if the epoch has not ended.
    fn epoch(&self, epoch: u64) -> ApiFuture<'_, Result<Option<EpochView>, ClientError>>;

    /// `GET /v1/rewards`: reward totals and the last ended epoch.
    fn rewards(&self) -> ApiFuture<'_, Result<RewardsView, ClientError>>;

    /// `GET /v1/storage/deals`: the storage deals not yet ended.
    fn open_deals(&self) -> ApiFuture<'_, Result<Vec<DealView>, ClientError>>;

    /// `GET /v1/storage/deals?provider={device}`: the open deals that assign `device` a
    /// replica.
    fn deals_of<'a>(
        &'a self,
        device: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Vec<DealView>, ClientError>>;

    /// `GET /v1/learn/tasks`: every training task, oldest first, each with its newest rounds.
    fn training_tasks(&self) -> ApiFuture<'_, Result<Vec<TaskView>, ClientError>>;

    /// `GET /v1/learn/tasks/{id}/rounds`: every submitted round of task `id`, oldest first.
    fn training_rounds(
        &self,
        task: u64,
    ) -> ApiFuture<'_, Result<Vec<RoundResultView>, ClientError>>;

    /// `GET /v1/market/orders?live=true`: the compute orders that have not ended.
    fn live_orders(&self) -> ApiFuture<'_, Result<Vec<OrderView>, ClientError>>;

    /// `GET /v1/market/leases/{id}`, or `None` if the chain has no such lease.
    fn lease(&self, id: u64) -> ApiFuture<'_, Result<Option<LeaseView>, ClientError>>;

    /// `POST /v1/txs`: hands a signed transaction to the mempool; answers its hash.
    fn submit_tx<'a>(&'a self, tx: &'a SignedTx) -> ApiFuture<'a, Result<Hash, ClientError>>;

    /// `GET /v1/txs/{hash}`: committed, pending, or unknown (status `unknown`).
    fn tx_status<'a>(&'a self, hash: &'a Hash) -> ApiFuture<'a, Result<TxStatusView, ClientError>>;
}

/// A shared node is a node: `TxSender<Arc<dyn NodeApi>>` and `Arc<NodeClient>` work as
/// senders' nodes.
impl<N: NodeApi + ?Sized> NodeApi for Arc<N> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn chain_status(&self) -> ApiFuture<'_, Result<StatusView, ClientError>> {
        (**self).chain_status()
    }
    fn chain_params(&self) -> ApiFuture<'_, Result<ChainView, ClientError>> {
        (**self).chain_params()
    }
    fn account_of<'a>(
        &'a self,
        address: &'a Address,
    ) -> ApiFuture<'a, Result<AccountView, ClientError>> {
        (**self).account_of(address)
    }
    fn block(&self, height: u64) -> ApiFuture<'_, Result<BlockView, ClientError>> {
        (**self).block(height)
    }
    fn devices(&self) -> ApiFuture<'_, Result<Vec<DeviceView>, ClientError>> {
        (**self).devices()
    }
    fn device_changes(&self, after: u64) -> ApiFuture<'_, Result<DeviceChangesView, ClientError>> {
        (**self).device_changes(after)
    }
    fn device<'a>(
        &'a self,
        key: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Option<DeviceView>, ClientError>> {
        (**self).device(key)
    }
    fn epoch(&self, epoch: u64) -> ApiFuture<'_, Result<Option<EpochView>, ClientError>> {
        (**self).epoch(epoch)
    }
    fn rewards(&self) -> ApiFuture<'_, Result<RewardsView, ClientError>> {
        (**self).rewards()
    }
    fn open_deals(&self) -> ApiFuture<'_, Result<Vec<DealView>, ClientError>> {
        (**self).open_deals()
    }
    fn deals_of<'a>(
        &'a self,
        device: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Vec<DealView>, ClientError>> {
        (**self).deals_of(device)
    }
    fn training_tasks(&self) -> ApiFuture<'_, Result<Vec<TaskView>, ClientError>> {
        (**self).training_tasks()
    }
    fn training_rounds(
        &self,
        task: u64,
    ) -> ApiFuture<'_, Result<Vec<RoundResultView>, ClientError>> {
        (**self).training_rounds(task)
    }
    fn live_orders(&self) -> ApiFuture<'_, Result<Vec<OrderView>, ClientError>> {
        (**self).live_orders()
    }
    fn lease(&self, id: u64) -> ApiFuture<'_, Result<Option<LeaseView>, ClientError>> {
        (**self).lease(id)
    }
    fn submit_tx<'a>(&'a self, tx: &'a SignedTx) -> ApiFuture<'a, Result<Hash, ClientError>> {
        (**self).submit_tx(tx)
    }
    fn tx_status<'a>(&'a self, hash: &'a Hash) -> ApiFuture<'a, Result<TxStatusView, ClientError>> {
        (**self).tx_status(hash)
    }
}
