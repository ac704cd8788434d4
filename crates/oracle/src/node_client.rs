//! What the oracle needs from a node: chain time, the device registry, beacons, and a way to
//! submit its transactions.

use anyhow::{bail, Context};
use plexus_ledger::registry::Device;
use plexus_ledger::ChainInfo;
use plexus_types::{Address, Body, Hash, SecretKey, UnsignedTx};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

#[derive(Clone)]
pub struct NodeClient {
    base: String,
    http: reqwest::Client,
    /// Held while a transaction is signed, sent and awaited, so two of this client's
    /// transactions never take the same nonce.
    sending: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl NodeClient {
    pub fn new(base: &str) -> anyhow::Result<NodeClient> {
        Ok(NodeClient {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            sending: Default::default(),
        })
    }

    /// Every training task on chain.
    pub async fn training_tasks(
        &self,
    ) -> anyhow::Result<Vec<plexus_ledger::training::TrainingTask>> {
        let v: Value = self.get("/v1/learn/tasks").await?;
        Ok(serde_json::from_value(v["tasks"].clone())?)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .with_context(|| format!("cannot reach the node at {}", self.base))?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        if !status.is_success() {
            bail!("node answered {status} to {path}: {body}");
        }
        Ok(serde_json::from_value(body)?)
    }

    pub async fn chain_info(&self) -> anyhow::Result<ChainInfo> {
        self.get("/v1/chain").await
    }

    /// Committed height and the number of devices ever registered.
    pub async fn height(&self) -> anyhow::Result<(u64, u64)> {
        let v: Value = self.get("/v1/status").await?;
        Ok((
            v["height"].as_u64().context("status without height")?,
            v["devices"].as_u64().unwrap_or(0),
        ))
    }

    /// App hash after block `height` (height 0: genesis).
    pub async fn app_hash(&self, height: u64) -> anyhow::Result<Hash> {
        if height == 0 {
            let v: Value = self.get("/v1/blocks/1").await?;
            return Ok(Hash::from_hex(
                v["prev_app_hash"]
                    .as_str()
                    .context("block without prev_app_hash")?,
            )?);
        }
        let v: Value = self.get(&format!("/v1/blocks/{height}")).await?;
        Ok(Hash::from_hex(
            v["app_hash"].as_str().context("block without app_hash")?,
        )?)
    }

    pub async fn devices(&self) -> anyhow::Result<Vec<Device>> {
        let v: Value = self.get("/v1/devices").await?;
        Ok(serde_json::from_value(v["devices"].clone())?)
    }

    /// The storage deals not yet ended.
    pub async fn open_deals(&self) -> anyhow::Result<Vec<plexus_ledger::storage::StorageDeal>> {
        let v: Value = self.get("/v1/storage/deals").await?;
        Ok(serde_json::from_value(v["deals"].clone())?)
    }

    /// The last epoch that has ended.
    pub async fn last_ended_epoch(&self) -> anyhow::Result<u64> {
        let v: Value = self.get("/v1/rewards").await?;
        v["last_ended_epoch"]
            .as_u64()
            .context("rewards without last_ended_epoch")
    }

    /// Signs `body` with `key` at the account's next nonce, submits it and waits until it is
    /// committed; returns its result code.
    pub async fn send(
        &self,
        key: &SecretKey,
        chain_id: &str,
        body: Body,
    ) -> anyhow::Result<String> {
        let _sending = self.sending.lock().await;
        let who = Address::from_public_key(&key.public_key());
        let acct: Value = self.get(&format!("/v1/accounts/{who}")).await?;
        let nonce = acct["nonce"].as_u64().context("account without nonce")?;
        let status: Value = self.get("/v1/status").await?;
        let fee =
            plexus_types::Amount::from_base_units(status["min_fee"].as_str().unwrap_or("1000"))?;
        let tx = UnsignedTx {
            chain_id: chain_id.to_string(),
            nonce,
            fee,
            body,
        }
        .sign(key);
        let resp = self
            .http
            .post(format!("{}/v1/txs", self.base))
            .header("content-type", "application/octet-stream")
            .body(tx.bytes.clone())
            .send()
            .await?;
        if !resp.status().is_success() {
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            bail!("node refused the transaction: {body}");
        }
        for _ in 0..600 {
            let v: Value = self
                .http
                .get(format!("{}/v1/txs/{}", self.base, tx.hash))
                .send()
                .await?
                .json()
                .await?;
            match v["status"].as_str() {
                Some("committed") => return Ok(v["code"].as_str().unwrap_or("?").to_string()),
                Some("pending") => tokio::time::sleep(Duration::from_millis(50)).await,
                _ => bail!("transaction {} was dropped: {v}", tx.hash),
            }
        }
        bail!("transaction {} not committed after 30 s", tx.hash)
    }
}
