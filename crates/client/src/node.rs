//! A small client for the node's HTTP API.

use anyhow::{bail, Context};
use plexus_types::{Address, Hash};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::{Duration, Instant};

pub struct NodeClient {
    base: String,
    http: reqwest::Client,
}

impl NodeClient {
    pub fn new(base: &str) -> anyhow::Result<NodeClient> {
        let base = base.trim_end_matches('/').to_string();
        if !base.starts_with("http://") && !base.starts_with("https://") {
            bail!("--node must be an http:// or https:// URL, got {base:?}");
        }
        Ok(NodeClient {
            base,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
        })
    }

    /// The node's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn read<T: DeserializeOwned>(&self, resp: reqwest::Response) -> anyhow::Result<T> {
        let status = resp.status();
        let body: Value = resp
            .json()
            .await
            .with_context(|| format!("the node at {} answered {status} without JSON", self.base))?;
        if !status.is_success() {
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

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .with_context(|| format!("cannot reach a node at {} (is `plexus node start` or `plexus devnet` running? see --node)", self.base))?;
        self.read(resp).await
    }

    pub async fn status(&self) -> anyhow::Result<Value> {
        self.get("/v1/status").await
    }

    pub async fn account(&self, address: &Address, height: Option<u64>) -> anyhow::Result<Value> {
        match height {
            Some(h) => {
                self.get(&format!("/v1/accounts/{address}?height={h}"))
                    .await
            }
            None => self.get(&format!("/v1/accounts/{address}")).await,
        }
    }

    pub async fn submit(&self, tx: &[u8]) -> anyhow::Result<Hash> {
        let resp = self
            .http
            .post(format!("{}/v1/txs", self.base))
            .header("content-type", "application/octet-stream")
            .body(tx.to_vec())
            .send()
            .await
            .with_context(|| format!("cannot reach a node at {}", self.base))?;
        let v: Value = self.read(resp).await?;
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
            let resp = self
                .http
                .get(format!("{}/v1/txs/{hash}", self.base))
                .send()
                .await?;
            let v: Value = resp.json().await?;
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
