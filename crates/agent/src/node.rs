//! A client of the node's HTTP API, limited to what a provider needs: the chain's
//! parameters, the owner's nonce, submitting a transaction and waiting for it, devices and
//! ended epochs.

use crate::http::{ClientError, Service};
use plexus_types::{Address, Amount, Hash, PublicKey, SignedTx};
use serde::Deserialize;
use std::time::{Duration, Instant};

/// `GET /v1/status`.
#[derive(Debug, Clone, Deserialize)]
pub struct NodeStatus {
    pub chain_id: String,
    pub height: u64,
    pub app_hash: Hash,
    pub min_fee: Amount,
}

/// What the agent reads of `GET /v1/chain`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChainParams {
    pub chain_id: String,
    pub rewards: RewardParams,
    pub device_classes: Vec<DeviceClass>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RewardParams {
    pub epoch_blocks: u64,
    pub intervals_per_epoch: u32,
    /// Epochs after an epoch ends during which its rewards can be claimed.
    pub claim_epochs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceClass {
    pub name: String,
    /// The reward pool the class earns from (`compute`, `storage`, …).
    pub resource: String,
    pub min_stake: Amount,
}

impl ChainParams {
    pub fn device_class(&self, name: &str) -> Option<&DeviceClass> {
        self.device_classes.iter().find(|c| c.name == name)
    }
}

/// What the agent reads of `GET /v1/accounts/{address}`.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountState {
    pub balance: Amount,
    /// The nonce the account's next transaction must carry.
    pub nonce: u64,
}

/// What the agent reads of `GET /v1/devices/{key}`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceState {
    pub key: PublicKey,
    pub owner: Address,
    pub class: String,
    /// `"active"`, or an object naming a retired, slashed or withdrawn device.
    pub status: serde_json::Value,
    #[serde(default)]
    pub capabilities: plexus_types::Capabilities,
    #[serde(default)]
    pub h3_cell: u64,
}

impl DeviceState {
    pub fn is_active(&self) -> bool {
        self.status.as_str() == Some("active")
    }
}

/// One reward pool of an ended epoch.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolState {
    pub resource: String,
    /// Present once enough oracles agreed on the epoch's manifest for this pool.
    pub manifest: Option<serde_json::Value>,
}

/// What the agent reads of `GET /v1/epochs/{n}`.
#[derive(Debug, Clone, Deserialize)]
pub struct EpochState {
    pub pools: Vec<PoolState>,
}

impl EpochState {
    pub fn has_final_manifest(&self, resource: &str) -> bool {
        self.pools
            .iter()
            .any(|p| p.resource == resource && p.manifest.is_some())
    }
}

/// A committed transaction's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedTx {
    pub hash: Hash,
    pub height: u64,
    /// `ok`, or why the transaction failed (`already_claimed`, `stake_too_low`, …).
    pub code: String,
    pub log: String,
}

impl CommittedTx {
    pub fn succeeded(&self) -> bool {
        self.code == "ok"
    }
}

/// Why waiting for a transaction ended without it being committed.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("transaction {hash} is still pending after {waited:?}")]
    Timeout { hash: Hash, waited: Duration },
    #[error("transaction {hash} was dropped from the mempool without being committed")]
    Dropped { hash: Hash },
}

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
    poll: Duration,
}

impl NodeClient {
    pub fn new(base: &str) -> Result<NodeClient, ClientError> {
        Ok(NodeClient {
            service: Service::new("node", base)?,
            poll: Duration::from_millis(100),
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
    pub async fn training_tasks(&self) -> Result<Vec<crate::learner::TaskView>, ClientError> {
        #[derive(Deserialize)]
        struct Tasks {
            tasks: Vec<crate::learner::TaskView>,
        }
        let answer = self.service.get("/v1/learn/tasks").await?;
        Ok(self.service.json::<Tasks>(answer)?.tasks)
    }

    /// The compute orders that have not ended, with their bids and leases.
    pub async fn live_orders(&self) -> Result<Vec<crate::jobs::OrderView>, ClientError> {
        #[derive(Deserialize)]
        struct Orders {
            orders: Vec<crate::jobs::OrderView>,
        }
        let answer = self.service.get("/v1/market/orders?live=true").await?;
        Ok(self.service.json::<Orders>(answer)?.orders)
    }

    /// A lease, or `None` if the chain has none by that id.
    pub async fn lease(&self, id: u64) -> Result<Option<crate::jobs::LeaseView>, ClientError> {
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

    /// Polls the transaction until it is committed, dropped, or `timeout` passes.
    pub async fn wait_committed(
        &self,
        hash: &Hash,
        timeout: Duration,
    ) -> Result<CommittedTx, WaitError> {
        let started = Instant::now();
        loop {
            let answer = self.service.get(&format!("/v1/txs/{hash}")).await?;
            let url = answer.url.clone();
            // The node answers an unknown transaction with 404 and the usual status body.
            let body: TxStatusBody = if answer.status == 404 {
                serde_json::from_slice(&answer.body).map_err(|_| self.service.refusal(answer))?
            } else {
                self.service.json(answer)?
            };
            match body.status.as_str() {
                "committed" => {
                    return Ok(CommittedTx {
                        hash: *hash,
                        height: body.height.unwrap_or(0),
                        code: body.code.unwrap_or_else(|| "ok".into()),
                        log: body.log.unwrap_or_default(),
                    })
                }
                "pending" => {}
                "unknown" => return Err(WaitError::Dropped { hash: *hash }),
                other => {
                    return Err(self
                        .service
                        .bad_answer(&url, format!("unknown transaction status {other:?}"))
                        .into())
                }
            }
            if started.elapsed() >= timeout {
                return Err(WaitError::Timeout {
                    hash: *hash,
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}
