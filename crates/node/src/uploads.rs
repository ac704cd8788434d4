//! Who may upload blobs to the node, and how long an abandoned upload keeps its disk. An
//! upload is signed (see `plexus_blobs::upload_auth`) by an account that holds at least
//! `min_balance`, or by an active registered device, whose owner it is charged to; each
//! account may upload `quota_bytes`; a partial blob that has not grown for
//! `partial_ttl_secs` is deleted.

use plexus_blobs::upload_auth::{MillisClock, UploadRefused};
use plexus_blobs::upload_gate::{SignedUploads, UploadAccounts, UploadGate};
use plexus_blobs::BlobStore;
use plexus_chain::Chain;
use plexus_ledger::query;
use plexus_ledger::registry::DeviceStatus;
use plexus_types::{Address, Amount, PublicKey};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The node's rules for blob uploads, the `[uploads]` table of `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadSettings {
    /// Least balance of an account that uploads, in uplx (decimal string).
    pub min_balance: Amount,
    /// Bytes each account may upload to this node.
    pub quota_bytes: u64,
    /// Seconds after which a partial upload that stopped growing is deleted.
    pub partial_ttl_secs: u64,
}

impl Default for UploadSettings {
    fn default() -> Self {
        UploadSettings {
            min_balance: Amount::plx(1),
            quota_bytes: 4 << 30,
            partial_ttl_secs: 24 * 60 * 60,
        }
    }
}

/// Accounts as the node's chain knows them.
struct LedgerAccounts {
    chain: Arc<Chain>,
    min_balance: Amount,
}

impl UploadAccounts for LedgerAccounts {
    fn account_of(&self, signer: &PublicKey) -> Result<Address, UploadRefused> {
        let internal = |e: plexus_store::StoreError| {
            tracing::error!(error = %e, "reading the ledger for an upload");
            UploadRefused::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "ledger_unavailable",
                "the node cannot read its ledger now; try again",
            )
        };
        let store = self.chain.store();
        let address = Address::from_public_key(signer);
        if query::account(store, &address).map_err(internal)?.balance >= self.min_balance {
            return Ok(address);
        }
        match query::device(store, signer).map_err(internal)? {
            Some(device) if device.status == DeviceStatus::Active => Ok(device.owner),
            _ => Err(UploadRefused::new(
                axum::http::StatusCode::FORBIDDEN,
                "unfunded",
                format!(
                    "{address} holds less than {} uplx and is no active device; only funded accounts upload",
                    self.min_balance
                ),
            )),
        }
    }
}

/// The gate of the node's blob service: signed uploads from funded accounts, each within
/// `settings.quota_bytes`, signed near `clock`'s time.
pub fn upload_gate(
    chain: Arc<Chain>,
    settings: &UploadSettings,
    clock: MillisClock,
) -> Arc<dyn UploadGate> {
    let chain_id = chain.status().chain_id;
    let accounts = LedgerAccounts {
        chain,
        min_balance: settings.min_balance,
    };
    Arc::new(SignedUploads::new(
        chain_id,
        clock,
        accounts,
        settings.quota_bytes,
    ))
}

/// Deletes the blob store's stale partial uploads now and then, until the task is aborted.
pub fn spawn_partial_sweeper(blobs: Arc<BlobStore>, ttl: Duration) -> tokio::task::JoinHandle<()> {
    let every = (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(600));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let store = blobs.clone();
            let swept =
                tokio::task::spawn_blocking(move || store.expire_partials(SystemTime::now(), ttl))
                    .await;
            match swept {
                Ok(Ok(expired)) if !expired.is_empty() => {
                    tracing::info!(count = expired.len(), "deleted stale partial uploads")
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "sweeping partial uploads failed"),
                Err(e) => tracing::warn!(error = %e, "the partial upload sweep stopped"),
            }
        }
    })
}
