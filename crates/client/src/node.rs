//! The node's HTTP API: the typed [`NodeApi`] every program uses, and the untyped calls the
//! CLI prints from.

use crate::http::{Answer, Service};
use crate::node_api::{ApiFuture, NodeApi};
use crate::transport::{Transport, TransportError};
use crate::views::{
    AccountView, BeaconView, BlockView, ChainView, DataCreditsView, DataPaidView, DataSaleView,
    DataSetView, DataSetsView, DealView, DealsView, DelegationView, DelegationsView,
    DeviceChangesView, DeviceView, DevicesView, EpochDataView, EpochView, LeaseView, OperatorView,
    OperatorsView, OrderView, OrdersView, RewardsView, RoundResultView, RoundsView, StakingView,
    StatusView, SubmittedView, TaskView, TasksView, TxStatusView, UnbondingView, UnbondingsView,
    ValidatorSetView,
};
use crate::ClientError;
use anyhow::{bail, Context};
use plexus_types::{Address, Hash, PublicKey, SignedTx};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

/// Items asked for per page of a list endpoint: the most a node serves.
const LIST_PAGE: usize = 1000;
use std::time::{Duration, Instant};

/// How long one request may take: a node answers at once, but a batch or a large account
/// proof on a busy node can take seconds.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One node's HTTP API.
#[derive(Debug, Clone)]
pub struct NodeClient {
    service: Service,
}

impl NodeClient {
    /// A client of the node at `base` (`http://` or `https://`).
    pub fn new(base: &str) -> Result<NodeClient, ClientError> {
        Ok(NodeClient {
            service: Service::with_timeout("node", base, REQUEST_TIMEOUT)?,
        })
    }

    /// A client of the node at `base`, reached through `transport` (a simulation's in-process
    /// network, for example).
    pub fn with_transport(
        base: &str,
        transport: Arc<dyn Transport>,
    ) -> Result<NodeClient, ClientError> {
        Ok(NodeClient {
            service: Service::with_transport("node", base, transport)?,
        })
    }

    /// The node's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.service.base
    }

    async fn get_view<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let answer = self.service.get(path).await?;
        self.service.json(answer)
    }

    /// Every item of a paged list, following each page's `next` (pages of the most a node
    /// serves). A node whose `next` does not move forward is refused rather than followed.
    async fn all_pages<V: DeserializeOwned, T>(
        &self,
        path: &str,
        split: impl Fn(V) -> (Vec<T>, Option<u64>),
    ) -> Result<Vec<T>, ClientError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut out = Vec::new();
        let mut from = 0u64;
        loop {
            let page = format!("{path}{sep}from={from}&limit={LIST_PAGE}");
            let (items, next) = split(self.get_view::<V>(&page).await?);
            out.extend(items);
            match next {
                None => return Ok(out),
                Some(n) if n > from => from = n,
                Some(n) => {
                    return Err(ClientError::BadAnswer {
                        service: "node",
                        url: page,
                        reason: format!("the next page would start at {n}, not after {from}"),
                    })
                }
            }
        }
    }

    /// A view, or `None` when the node answers 404 with `missing` as its code.
    async fn find_view<T: DeserializeOwned>(
        &self,
        path: &str,
        missing: &str,
    ) -> Result<Option<T>, ClientError> {
        let answer = self.service.get(path).await?;
        if answer.status == 404 {
            return match self.service.refusal(answer) {
                e if e.code() == Some(missing) => Ok(None),
                e => Err(e),
            };
        }
        self.service.json(answer).map(Some)
    }

    fn read<T: DeserializeOwned>(&self, answer: Answer) -> anyhow::Result<T> {
        let status = axum::http::StatusCode::from_u16(answer.status)
            .map(|s| s.to_string())
            .unwrap_or_else(|_| answer.status.to_string());
        let body: Value = serde_json::from_slice(&answer.body).with_context(|| {
            format!(
                "the node at {} answered {status} without JSON",
                self.service.base
            )
        })?;
        if !(200..300).contains(&answer.status) {
            if let Some(err) = body.get("error") {
                bail!(
                    "{} ({})",
                    err.get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("error"),
                    err.get("code").and_then(Value::as_str).unwrap_or("unknown")
                );
            }
            bail!("the node answered {status}: {body}");
        }
        Ok(serde_json::from_value(body)?)
    }

    /// Any `GET` of the API, as the CLI shows it: an error says how to start a node.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let answer = self.service.get(path).await.map_err(|e| {
            unreachable(e, format!("cannot reach a node at {} (is `plexus node start` or `plexus devnet` running? see --node)", self.service.base))
        })?;
        self.read(answer)
    }

    /// Every item of a paged list endpoint (`path`, whose pages hold the items under `field`),
    /// as the CLI shows it, following each page's `next`.
    pub async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        field: &str,
    ) -> anyhow::Result<Vec<T>> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut out = Vec::new();
        let mut from = 0u64;
        loop {
            let mut page: Value = self
                .get(&format!("{path}{sep}from={from}&limit={LIST_PAGE}"))
                .await?;
            let items: Vec<T> = serde_json::from_value(page[field].take())
                .with_context(|| format!("the node's {path} lists no {field}"))?;
            out.extend(items);
            match page["next"].as_u64() {
                None => return Ok(out),
                Some(n) if n > from => from = n,
                Some(n) => {
                    bail!("the node's {path}: the page from {from} says the next starts at {n}")
                }
            }
        }
    }

    /// `GET /v1/beacon`: the beacon of the block at `height` (default: the latest).
    pub async fn beacon(&self, height: Option<u64>) -> Result<BeaconView, ClientError> {
        match height {
            Some(h) => self.get_view(&format!("/v1/beacon?height={h}")).await,
            None => self.get_view("/v1/beacon").await,
        }
    }

    /// Every validator and oracle operator, in creation order.
    pub async fn operators(&self) -> Result<Vec<OperatorView>, ClientError> {
        self.all_pages("/v1/validators", |v: OperatorsView| (v.operators, v.next))
            .await
    }

    /// One operator, or `None` if there is none at `address`.
    pub async fn operator(&self, address: &Address) -> Result<Option<OperatorView>, ClientError> {
        self.find_view(&format!("/v1/validators/{address}"), "unknown_validator")
            .await
    }

    /// The validator set that serves `epoch` (the latest chosen when `None`): the set a
    /// consensus driver starts that epoch with, and the height it takes effect.
    pub async fn validator_set(
        &self,
        epoch: Option<u64>,
    ) -> Result<Option<ValidatorSetView>, ClientError> {
        let path = match epoch {
            Some(e) => format!("/v1/validators/set?epoch={e}"),
            None => "/v1/validators/set".to_string(),
        };
        self.find_view(&path, "no_set").await
    }

    /// Every delegation of `delegator`, with what each is worth and its withdrawable rewards.
    pub async fn delegations_of(
        &self,
        delegator: &Address,
    ) -> Result<Vec<DelegationView>, ClientError> {
        self.all_pages(
            &format!("/v1/delegations/{delegator}"),
            |v: DelegationsView| (v.delegations, v.next),
        )
        .await
    }

    /// Every unbonding of `delegator` not yet paid back.
    pub async fn unbondings_of(
        &self,
        delegator: &Address,
    ) -> Result<Vec<UnbondingView>, ClientError> {
        self.all_pages(
            &format!("/v1/unbondings/{delegator}"),
            |v: UnbondingsView| (v.unbondings, v.next),
        )
        .await
    }

    /// Staking's books.
    pub async fn staking(&self) -> Result<StakingView, ClientError> {
        self.get_view("/v1/staking").await
    }

    /// Epoch `epoch`'s final data sets and the data market's books.
    pub async fn data_sets(&self, epoch: u64) -> Result<DataSetsView, ClientError> {
        self.get_view(&format!("/v1/data/sets/{epoch}")).await
    }

    /// Data set `name` (`<class>/<region>`) of `epoch`, if it is final.
    pub async fn data_set(
        &self,
        epoch: u64,
        name: &str,
    ) -> Result<Option<DataSetView>, ClientError> {
        self.find_view(&format!("/v1/data/sets/{epoch}/{name}"), "unknown_data_set")
            .await
    }

    /// `buyer`'s purchase of data set `name` of `epoch`, if it bought it.
    pub async fn data_sale(
        &self,
        epoch: u64,
        name: &str,
        buyer: &Address,
    ) -> Result<Option<DataSaleView>, ClientError> {
        self.find_view(
            &format!("/v1/data/sets/{epoch}/{name}/sales/{buyer}"),
            "not_bought",
        )
        .await
    }

    /// What `device` has been paid of data set `name` of `epoch` so far.
    pub async fn data_paid(
        &self,
        epoch: u64,
        name: &str,
        device: &PublicKey,
    ) -> Result<DataPaidView, ClientError> {
        self.get_view(&format!("/v1/data/sets/{epoch}/{name}/paid/{device}"))
            .await
    }

    /// `holder`'s data credits and who paid for them.
    pub async fn data_credits(&self, holder: &Address) -> Result<DataCreditsView, ClientError> {
        self.get_view(&format!("/v1/data-credits/{holder}")).await
    }

    /// Epoch `epoch`'s data traffic: its summary and every hotspot and carrier, read page by
    /// page.
    pub async fn epoch_data(&self, epoch: u64) -> Result<EpochDataView, ClientError> {
        let path = format!("/v1/wireless/data/{epoch}");
        let mut all: EpochDataView = self
            .get_view(&format!("{path}?from=0&limit={LIST_PAGE}"))
            .await?;
        let mut from = 0u64;
        while let Some(next) = all.next {
            let page = format!("{path}?from={next}&limit={LIST_PAGE}");
            if next <= from {
                return Err(ClientError::BadAnswer {
                    service: "node",
                    url: page,
                    reason: format!("the next page would start at {next}, not after {from}"),
                });
            }
            from = next;
            let view: EpochDataView = self.get_view(&page).await?;
            all.hotspots.extend(view.hotspots);
            all.carriers.extend(view.carriers);
            all.next = view.next;
        }
        Ok(all)
    }

    /// `GET /v1/status` as JSON.
    pub async fn status(&self) -> anyhow::Result<Value> {
        self.get("/v1/status").await
    }

    /// `GET /v1/accounts/{address}` as JSON, at `height` or the committed height.
    pub async fn account(&self, address: &Address, height: Option<u64>) -> anyhow::Result<Value> {
        match height {
            Some(h) => {
                self.get(&format!("/v1/accounts/{address}?height={h}"))
                    .await
            }
            None => self.get(&format!("/v1/accounts/{address}")).await,
        }
    }

    /// `POST /v1/txs` of encoded transaction bytes; answers the hash the node names.
    pub async fn submit(&self, tx: &[u8]) -> anyhow::Result<Hash> {
        let answer = self
            .service
            .post_bytes("/v1/txs", tx.to_vec())
            .await
            .map_err(|e| unreachable(e, format!("cannot reach a node at {}", self.service.base)))?;
        let v: Value = self.read(answer)?;
        let hash = v
            .get("hash")
            .and_then(Value::as_str)
            .context("the node's answer has no hash")?;
        Ok(Hash::from_hex(hash)?)
    }

    /// Waits until the transaction is committed; returns its status object.
    pub async fn wait_committed(&self, hash: &Hash, timeout: Duration) -> anyhow::Result<Value> {
        let started = Instant::now();
        loop {
            let answer = self.service.get(&format!("/v1/txs/{hash}")).await?;
            let v: Value = serde_json::from_slice(&answer.body)?;
            match v.get("status").and_then(Value::as_str) {
                Some("committed") => return Ok(v),
                Some("pending") => {}
                Some("unknown") => bail!(
                    "transaction {hash} is neither pending nor committed: it was dropped from the mempool"
                ),
                _ => bail!("unexpected answer from the node: {v}"),
            }
            if started.elapsed() > timeout {
                bail!("transaction {hash} is still pending after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A failed request as the CLI says it: `what`, then why the transport gave up.
fn unreachable(e: ClientError, what: String) -> anyhow::Error {
    match e {
        ClientError::Unreachable { source, .. } => {
            let why = match source {
                TransportError::Unreachable { reason, .. } => reason,
                other => other.to_string(),
            };
            anyhow::anyhow!(why).context(what)
        }
        other => anyhow::Error::new(other).context(what),
    }
}

impl NodeApi for NodeClient {
    fn name(&self) -> &str {
        self.base_url()
    }

    fn chain_status(&self) -> ApiFuture<'_, Result<StatusView, ClientError>> {
        Box::pin(self.get_view("/v1/status"))
    }

    fn chain_params(&self) -> ApiFuture<'_, Result<ChainView, ClientError>> {
        Box::pin(self.get_view("/v1/chain"))
    }

    fn account_of<'a>(
        &'a self,
        address: &'a Address,
    ) -> ApiFuture<'a, Result<AccountView, ClientError>> {
        Box::pin(async move { self.get_view(&format!("/v1/accounts/{address}")).await })
    }

    fn block(&self, height: u64) -> ApiFuture<'_, Result<BlockView, ClientError>> {
        Box::pin(async move { self.get_view(&format!("/v1/blocks/{height}")).await })
    }

    fn devices(&self) -> ApiFuture<'_, Result<Vec<DeviceView>, ClientError>> {
        Box::pin(async move {
            self.all_pages("/v1/devices", |v: DevicesView| (v.devices, v.next))
                .await
        })
    }

    fn device_changes(&self, after: u64) -> ApiFuture<'_, Result<DeviceChangesView, ClientError>> {
        Box::pin(async move {
            self.get_view(&format!("/v1/devices/changes?after={after}"))
                .await
        })
    }

    fn device<'a>(
        &'a self,
        key: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Option<DeviceView>, ClientError>> {
        Box::pin(async move {
            self.find_view(&format!("/v1/devices/{key}"), "unknown_device")
                .await
        })
    }

    fn epoch(&self, epoch: u64) -> ApiFuture<'_, Result<Option<EpochView>, ClientError>> {
        Box::pin(async move {
            self.find_view(&format!("/v1/epochs/{epoch}"), "epoch_not_ended")
                .await
        })
    }

    fn rewards(&self) -> ApiFuture<'_, Result<RewardsView, ClientError>> {
        Box::pin(self.get_view("/v1/rewards"))
    }

    fn open_deals(&self) -> ApiFuture<'_, Result<Vec<DealView>, ClientError>> {
        Box::pin(async move {
            self.all_pages("/v1/storage/deals", |v: DealsView| (v.deals, v.next))
                .await
        })
    }

    fn deals_of<'a>(
        &'a self,
        device: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Vec<DealView>, ClientError>> {
        Box::pin(async move {
            let path = format!("/v1/storage/deals?provider={device}");
            self.all_pages(&path, |v: DealsView| (v.deals, v.next))
                .await
        })
    }

    fn training_tasks(&self) -> ApiFuture<'_, Result<Vec<TaskView>, ClientError>> {
        Box::pin(async move {
            self.all_pages("/v1/learn/tasks", |v: TasksView| (v.tasks, v.next))
                .await
        })
    }

    fn training_rounds(
        &self,
        task: u64,
    ) -> ApiFuture<'_, Result<Vec<RoundResultView>, ClientError>> {
        Box::pin(async move {
            let path = format!("/v1/learn/tasks/{task}/rounds");
            self.all_pages(&path, |v: RoundsView| (v.rounds, v.next))
                .await
        })
    }

    fn live_orders(&self) -> ApiFuture<'_, Result<Vec<OrderView>, ClientError>> {
        Box::pin(async move {
            self.all_pages("/v1/market/orders?live=true", |v: OrdersView| {
                (v.orders, v.next)
            })
            .await
        })
    }

    fn lease(&self, id: u64) -> ApiFuture<'_, Result<Option<LeaseView>, ClientError>> {
        Box::pin(async move {
            self.find_view(&format!("/v1/market/leases/{id}"), "unknown_lease")
                .await
        })
    }

    fn submit_tx<'a>(&'a self, tx: &'a SignedTx) -> ApiFuture<'a, Result<Hash, ClientError>> {
        Box::pin(async move {
            let answer = self.service.post_bytes("/v1/txs", tx.bytes.clone()).await?;
            let url = answer.url.clone();
            let submitted: SubmittedView = self.service.json(answer)?;
            if submitted.hash != tx.hash {
                return Err(self.service.bad_answer(
                    &url,
                    format!("it names transaction {} for {}", submitted.hash, tx.hash),
                ));
            }
            Ok(submitted.hash)
        })
    }

    fn tx_status<'a>(&'a self, hash: &'a Hash) -> ApiFuture<'a, Result<TxStatusView, ClientError>> {
        Box::pin(async move {
            let answer = self.service.get(&format!("/v1/txs/{hash}")).await?;
            // The node answers an unknown transaction with 404 and the usual status body.
            if answer.status == 404 {
                return serde_json::from_slice(&answer.body)
                    .map_err(|_| self.service.refusal(answer));
            }
            self.service.json(answer)
        })
    }
}
