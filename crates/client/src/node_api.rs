//! What a program asks of a node, as a trait: the HTTP [`NodeClient`](crate::NodeClient) in
//! production, an in-process fake in tests and simulations.

use crate::views::{
    AccountView, BlockView, ChainView, DealView, DeviceView, EpochView, LeaseView, OrderView,
    RewardsView, StatusView, TaskView, TxStatusView,
};
use crate::ClientError;
use plexus_types::{Address, Hash, PublicKey, SignedTx};
use std::future::Future;

/// The node's API (`/v1`), one method per question a client asks.
///
/// Each method answers what the node answered, or the [`ClientError`] that says why there is
/// no answer: unreachable, a refusal with the node's validity code, or an answer that is not
/// the view. A lookup of a record the chain does not have answers `None`, not an error. An
/// implementation must not retry on its own: callers decide what a failure means.
pub trait NodeApi: Send + Sync {
    /// `GET /v1/status`: the committed height, the chain id and the smallest fee.
    fn chain_status(&self) -> impl Future<Output = Result<StatusView, ClientError>> + Send;

    /// `GET /v1/chain`: the chain's parameters as fixed at genesis.
    fn chain_params(&self) -> impl Future<Output = Result<ChainView, ClientError>> + Send;

    /// `GET /v1/accounts/{address}` at the committed height.
    fn account_of(
        &self,
        address: &Address,
    ) -> impl Future<Output = Result<AccountView, ClientError>> + Send;

    /// `GET /v1/blocks/{height}`.
    fn block(&self, height: u64) -> impl Future<Output = Result<BlockView, ClientError>> + Send;

    /// `GET /v1/devices`: every registered device.
    fn devices(&self) -> impl Future<Output = Result<Vec<DeviceView>, ClientError>> + Send;

    /// `GET /v1/devices/{key}`, or `None` if the chain has never registered it.
    fn device(
        &self,
        key: &PublicKey,
    ) -> impl Future<Output = Result<Option<DeviceView>, ClientError>> + Send;

    /// `GET /v1/epochs/{n}`, or `None` if the epoch has not ended.
    fn epoch(
        &self,
        epoch: u64,
    ) -> impl Future<Output = Result<Option<EpochView>, ClientError>> + Send;

    /// `GET /v1/rewards`: reward totals and the last ended epoch.
    fn rewards(&self) -> impl Future<Output = Result<RewardsView, ClientError>> + Send;

    /// `GET /v1/storage/deals`: the storage deals not yet ended.
    fn open_deals(&self) -> impl Future<Output = Result<Vec<DealView>, ClientError>> + Send;

    /// `GET /v1/learn/tasks`: every training task, oldest first.
    fn training_tasks(&self) -> impl Future<Output = Result<Vec<TaskView>, ClientError>> + Send;

    /// `GET /v1/market/orders?live=true`: the compute orders that have not ended.
    fn live_orders(&self) -> impl Future<Output = Result<Vec<OrderView>, ClientError>> + Send;

    /// `GET /v1/market/leases/{id}`, or `None` if the chain has no such lease.
    fn lease(&self, id: u64)
        -> impl Future<Output = Result<Option<LeaseView>, ClientError>> + Send;

    /// `POST /v1/txs`: hands a signed transaction to the mempool; answers its hash.
    fn submit_tx(&self, tx: &SignedTx) -> impl Future<Output = Result<Hash, ClientError>> + Send;

    /// `GET /v1/txs/{hash}`: committed, pending, or unknown (status `unknown`).
    fn tx_status(
        &self,
        hash: &Hash,
    ) -> impl Future<Output = Result<TxStatusView, ClientError>> + Send;
}
