//! A client of the node's HTTP API, limited to what a provider needs: the chain's
//! parameters, the owner's nonce, submitting a transaction and waiting for it, devices and
//! ended epochs.

use crate::http::{ClientError, Service};
use crate::ports::{NodeApi, PortFuture, TxStatus};
use crate::views::learn::TaskView;
use crate::views::market::{LeaseView, OrderView};
use plexus_blobs::BlobId;
use plexus_types::{Address, Hash, PublicKey, SignedTx};
use serde::Deserialize;

pub use crate::views::node::{
    AccountState, ChainParams, CommittedTx, DeviceClass, DeviceState, EpochState, NodeStatus,
    PoolState, RewardParams,
};

#[derive(Deserialize)]
struct TxStatusBody {
    status: String,
    height: Option<u64>,
    code: Option<String>,
    log: Option<String>,
}

#[derive(Deserialize)]
struct Submitted {
    hash: Hash,
}

/// The node's HTTP API.
#[derive(Debug, Clone)]
pub struct NodeClient {
    service: Service,
}

impl NodeClient {
    pub fn new(base: &str) -> Result<NodeClient, ClientError> {
        Ok(NodeClient {
            service: Service::new("node", base)?,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.service.base
    }

    pub async fn status(&self) -> Result<NodeStatus, ClientError> {
        let answer = self.service.get("/v1/status").await?;
        self.service.json(answer)
    }

    pub async fn chain_params(&self) -> Result<ChainParams, ClientError> {
        let answer = self.service.get("/v1/chain").await?;
        self.service.json(answer)
    }

    pub async fn account(&self, address: &Address) -> Result<AccountState, ClientError> {
        let answer = self.service.get(&format!("/v1/accounts/{address}")).await?;
        self.service.json(answer)
    }

    /// The device, or `None` if the chain has never registered it.
    pub async fn device(&self, key: &PublicKey) -> Result<Option<DeviceState>, ClientError> {
        let answer = self.service.get(&format!("/v1/devices/{key}")).await?;
        if answer.status == 404 {
            return match self.service.refusal(answer) {
                e if e.code() == Some("unknown_device") => Ok(None),
                e => Err(e),
            };
        }
        self.service.json(answer).map(Some)
    }

    /// An ended epoch, or `None` if it has not ended.
    pub async fn epoch(&self, epoch: u64) -> Result<Option<EpochState>, ClientError> {
        let answer = self.service.get(&format!("/v1/epochs/{epoch}")).await?;
        if answer.status == 404 {
            return match self.service.refusal(answer) {
                e if e.code() == Some("epoch_not_ended") => Ok(None),
                e => Err(e),
            };
        }
        self.service.json(answer).map(Some)
    }

    /// Every training task on chain, oldest first.
    pub async fn training_tasks(&self) -> Result<Vec<TaskView>, ClientError> {
        #[derive(Deserialize)]
        struct Tasks {
            tasks: Vec<TaskView>,
        }
        let answer = self.service.get("/v1/learn/tasks").await?;
        Ok(self.service.json::<Tasks>(answer)?.tasks)
    }

    /// The compute orders that have not ended, with their bids and leases.
    pub async fn live_orders(&self) -> Result<Vec<OrderView>, ClientError> {
        #[derive(Deserialize)]
        struct Orders {
            orders: Vec<OrderView>,
        }
        let answer = self.service.get("/v1/market/orders?live=true").await?;
        Ok(self.service.json::<Orders>(answer)?.orders)
    }

    /// A lease, or `None` if the chain has none by that id.
    pub async fn lease(&self, id: u64) -> Result<Option<LeaseView>, ClientError> {
        let answer = self.service.get(&format!("/v1/market/leases/{id}")).await?;
        if answer.status == 404 {
            return Ok(None);
        }
        Ok(Some(self.service.json(answer)?))
    }

    /// Hands a signed transaction to the node's mempool; returns its hash.
    pub async fn submit(&self, tx: &SignedTx) -> Result<Hash, ClientError> {
        let answer = self.service.post_bytes("/v1/txs", tx.bytes.clone()).await?;
        let url = answer.url.clone();
        let submitted: Submitted = self.service.json(answer)?;
        if submitted.hash != tx.hash {
            return Err(self.service.bad_answer(
                &url,
                format!("it names transaction {} for {}", submitted.hash, tx.hash),
            ));
        }
        Ok(submitted.hash)
    }

    /// Where the transaction stands now.
    pub async fn tx_status(&self, hash: &Hash) -> Result<TxStatus, ClientError> {
        let answer = self.service.get(&format!("/v1/txs/{hash}")).await?;
        let url = answer.url.clone();
        // The node answers an unknown transaction with 404 and the usual status body.
        let body: TxStatusBody = if answer.status == 404 {
            serde_json::from_slice(&answer.body).map_err(|_| self.service.refusal(answer))?
        } else {
            self.service.json(answer)?
        };
        match body.status.as_str() {
            "committed" => Ok(TxStatus::Committed(CommittedTx {
                hash: *hash,
                height: body.height.unwrap_or(0),
                code: body.code.unwrap_or_else(|| "ok".into()),
                log: body.log.unwrap_or_default(),
            })),
            "pending" => Ok(TxStatus::Pending),
            "unknown" => Ok(TxStatus::Unknown),
            other => Err(self
                .service
                .bad_answer(&url, format!("unknown transaction status {other:?}"))),
        }
    }

    /// The distinct blobs that open storage deals assign to `device`.
    pub async fn assigned_blobs(&self, device: &PublicKey) -> Result<Vec<BlobId>, ClientError> {
        #[derive(Deserialize)]
        struct DealList {
            deals: Vec<DealEntry>,
        }
        #[derive(Deserialize)]
        struct DealEntry {
            blob: String,
        }
        let answer = self
            .service
            .get(&format!("/v1/storage/deals?provider={device}"))
            .await?;
        let url = answer.url.clone();
        let list: DealList = self.service.json(answer)?;
        let mut blobs = Vec::new();
        for d in list.deals {
            let id: BlobId = d
                .blob
                .parse()
                .map_err(|e| self.service.bad_answer(&url, format!("deal blob: {e}")))?;
            if !blobs.contains(&id) {
                blobs.push(id);
            }
        }
        Ok(blobs)
    }
}

impl NodeApi for NodeClient {
    fn name(&self) -> &str {
        self.base_url()
    }

    fn status(&self) -> PortFuture<'_, Result<NodeStatus, ClientError>> {
        Box::pin(NodeClient::status(self))
    }

    fn chain_params(&self) -> PortFuture<'_, Result<ChainParams, ClientError>> {
        Box::pin(NodeClient::chain_params(self))
    }

    fn account(&self, address: Address) -> PortFuture<'_, Result<AccountState, ClientError>> {
        Box::pin(async move { NodeClient::account(self, &address).await })
    }

    fn device(&self, key: PublicKey) -> PortFuture<'_, Result<Option<DeviceState>, ClientError>> {
        Box::pin(async move { NodeClient::device(self, &key).await })
    }

    fn epoch(&self, epoch: u64) -> PortFuture<'_, Result<Option<EpochState>, ClientError>> {
        Box::pin(NodeClient::epoch(self, epoch))
    }

    fn training_tasks(&self) -> PortFuture<'_, Result<Vec<TaskView>, ClientError>> {
        Box::pin(NodeClient::training_tasks(self))
    }

    fn live_orders(&self) -> PortFuture<'_, Result<Vec<OrderView>, ClientError>> {
        Box::pin(NodeClient::live_orders(self))
    }

    fn lease(&self, id: u64) -> PortFuture<'_, Result<Option<LeaseView>, ClientError>> {
        Box::pin(NodeClient::lease(self, id))
    }

    fn assigned_blobs(
        &self,
        device: PublicKey,
    ) -> PortFuture<'_, Result<Vec<BlobId>, ClientError>> {
        Box::pin(async move { NodeClient::assigned_blobs(self, &device).await })
    }

    fn submit(&self, tx: SignedTx) -> PortFuture<'_, Result<Hash, ClientError>> {
        Box::pin(async move { NodeClient::submit(self, &tx).await })
    }

    fn tx_status(&self, hash: Hash) -> PortFuture<'_, Result<TxStatus, ClientError>> {
        Box::pin(async move { NodeClient::tx_status(self, &hash).await })
    }
}
