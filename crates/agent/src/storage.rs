//! The storage duty of an agent whose device is of a storage class: it keeps a blob store,
//! serves it under `/v1/blobs` (the same service the node mounts), and fetches every blob the
//! chain assigns to the device, from the node or other blob services, verifying each byte
//! against the blob id before the blob is kept. Its service takes uploads of the blobs
//! assigned to the device and nothing else, and deletes partial uploads that stop growing.

use crate::context::DeviceContext;
use crate::error::AgentError;
use plexus_blobs::answer_auth::AnswerSigner;
use plexus_blobs::client::BlobClient;
use plexus_blobs::upload_gate::ListedBlobs;
use plexus_blobs::{BlobId, BlobState, BlobStore};
use plexus_client::{ClientError, NodeApi, Transport};
use plexus_types::{PublicKey, SecretKey};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use crate::error::StorageError;

/// A partial upload to the device's blob service that has not grown for this long is deleted.
pub const PARTIAL_UPLOAD_TTL: Duration = Duration::from_secs(6 * 60 * 60);

/// One round of keeping replicas: what the chain assigns and what this round fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Distinct blobs assigned to the device by open deals.
    pub assigned: Vec<BlobId>,
    /// Blobs fetched and verified in this round.
    pub fetched: Vec<BlobId>,
    /// Blobs that could not be fetched this round, and why; tried again next round.
    pub failed: Vec<(BlobId, String)>,
}

/// Keeps the replicas the chain assigns to one storage device.
pub struct ReplicaKeeper {
    device: PublicKey,
    /// Signs the service's audit answers with the device key.
    answers: Arc<AnswerSigner>,
    node: Arc<dyn NodeApi>,
    sources: Vec<String>,
    store: Arc<BlobStore>,
    /// The blobs the chain assigned at the last round: the only uploads the service takes.
    assigned: Arc<ListedBlobs>,
    incoming: PathBuf,
    blobs: BlobClient,
}

impl ReplicaKeeper {
    /// Opens (or creates) the blob store under `data_dir/blobs`. Assignments are read from
    /// `node`; blobs are fetched through `transport` from the node's blob service at
    /// `node_url` first, then from `other_sources` in order.
    pub fn open(
        data_dir: &Path,
        node: Arc<dyn NodeApi>,
        node_url: &str,
        transport: Arc<dyn Transport>,
        device: &SecretKey,
        other_sources: &[String],
    ) -> Result<ReplicaKeeper, StorageError> {
        let store = Arc::new(BlobStore::open(data_dir.join("blobs"))?);
        let incoming = data_dir.join("blobs-incoming");
        std::fs::create_dir_all(&incoming).map_err(|source| StorageError::Io {
            path: incoming.clone(),
            source,
        })?;
        let mut sources = vec![node_url.trim_end_matches('/').to_string()];
        sources.extend(other_sources.iter().cloned());
        Ok(ReplicaKeeper {
            device: device.public_key(),
            answers: AnswerSigner::new(device.clone()),
            node,
            sources,
            store,
            assigned: Arc::new(ListedBlobs::default()),
            incoming,
            blobs: BlobClient::with_transport(transport),
        })
    }

    /// The chain the device answers audits on: its service signs answers from now on.
    pub fn answer_on(&self, chain_id: &str) {
        self.answers.set_chain(chain_id);
    }

    /// Deletes a kept replica (what a cheating device does; an honest one never calls it).
    pub fn drop_replica(&self, id: BlobId) -> Result<(), StorageError> {
        match self.store.remove(id) {
            Ok(()) | Err(plexus_blobs::StoreError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub fn store(&self) -> Arc<BlobStore> {
        self.store.clone()
    }

    /// The blob service to mount: `/v1/blobs` over this keeper's store, taking uploads of
    /// the blobs assigned to the device at the last round only, and signing audit answers with
    /// the device key (once [`ReplicaKeeper::answer_on`] names the chain).
    pub fn router(&self) -> axum::Router {
        plexus_blobs::http::signing_router(
            self.store.clone(),
            self.assigned.clone(),
            Some(self.answers.clone()),
        )
    }

    /// Deletes partial uploads that have not grown for [`PARTIAL_UPLOAD_TTL`] at `now`.
    pub fn expire_partials(&self, now: SystemTime) -> Result<Vec<BlobId>, StorageError> {
        Ok(self.store.expire_partials(now, PARTIAL_UPLOAD_TTL)?)
    }

    /// The distinct blobs that open deals assign to this device, as the node reports them.
    pub async fn assigned(&self) -> Result<Vec<BlobId>, StorageError> {
        Ok(assigned_blobs(self.node.as_ref(), &self.device).await?)
    }

    /// Asks the node what is assigned, then [`ReplicaKeeper::sync`]s it.
    pub async fn sync_once(&self) -> Result<SyncReport, StorageError> {
        self.sync(self.assigned().await?).await
    }

    /// Fetches every blob of `assigned` not yet complete here. A blob is kept only once every
    /// byte verified against its id; one that fails is reported and tried again next round.
    pub async fn sync(&self, assigned: Vec<BlobId>) -> Result<SyncReport, StorageError> {
        self.assigned.set(assigned.iter().copied());
        let mut report = SyncReport {
            assigned: assigned.clone(),
            ..SyncReport::default()
        };
        for id in assigned {
            if self.store.status(id)?.state == BlobState::Complete {
                continue;
            }
            match self.fetch(id).await {
                Ok(()) => {
                    tracing::info!(blob = %id, "fetched and verified an assigned replica");
                    report.fetched.push(id);
                }
                Err(e) => {
                    tracing::warn!(blob = %id, error = %e, "could not fetch an assigned replica");
                    report.failed.push((id, e.to_string()));
                }
            }
        }
        Ok(report)
    }

    async fn fetch(&self, id: BlobId) -> Result<(), StorageError> {
        let path = self.incoming.join(id.to_hex());
        let result = async {
            self.blobs
                .get(&self.sources, id, &path)
                .await
                .map_err(|e| StorageError::Fetch {
                    id,
                    reason: e.to_string(),
                })?;
            let store = self.store.clone();
            let file = path.clone();
            let (imported, _) = tokio::task::spawn_blocking(move || store.import_file(&file))
                .await
                .map_err(|e| StorageError::Fetch {
                    id,
                    reason: e.to_string(),
                })??;
            if imported != id {
                // The client verified every byte against `id`, so this is a local fault.
                return Err(StorageError::Fetch {
                    id,
                    reason: format!("the fetched file hashes to {imported}"),
                });
            }
            Ok(())
        }
        .await;
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not remove a fetched copy")
            }
        }
        result
    }
}

/// The distinct blobs that open storage deals assign to `device`, oldest deal first.
pub async fn assigned_blobs(
    node: &dyn NodeApi,
    device: &PublicKey,
) -> Result<Vec<BlobId>, ClientError> {
    let mut blobs = Vec::new();
    for deal in node.deals_of(device).await? {
        let id = BlobId(deal.blob.0);
        if !blobs.contains(&id) {
            blobs.push(id);
        }
    }
    Ok(blobs)
}

/// What a storage device does with its replicas after each round of fetching them.
///
/// Called with the round's report; an honest policy keeps every replica it fetched.
pub trait ReplicaPolicy: Send + Sync {
    fn after_sync(&self, keeper: &ReplicaKeeper, report: &SyncReport) -> Result<(), StorageError>;
}

/// Keeps every replica.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeepReplicas;

impl ReplicaPolicy for KeepReplicas {
    fn after_sync(&self, _: &ReplicaKeeper, _: &SyncReport) -> Result<(), StorageError> {
        Ok(())
    }
}

/// The storage duty of one storage device.
pub struct Replicas {
    keeper: ReplicaKeeper,
    policy: Arc<dyn ReplicaPolicy>,
}

impl Replicas {
    pub fn new(keeper: ReplicaKeeper, policy: Arc<dyn ReplicaPolicy>) -> Replicas {
        Replicas { keeper, policy }
    }

    pub fn keeper(&self) -> &ReplicaKeeper {
        &self.keeper
    }

    /// One round: asks the node what is assigned, fetches what is missing, and applies the
    /// device's replica policy.
    pub async fn once(&self, ctx: &DeviceContext) -> Result<SyncReport, AgentError> {
        let assigned = assigned_blobs(ctx.ports.node.as_ref(), &ctx.device.public_key()).await?;
        let report = self.keeper.sync(assigned).await?;
        self.policy.after_sync(&self.keeper, &report)?;
        let now = SystemTime::UNIX_EPOCH + ctx.clock().now();
        for id in self.keeper.expire_partials(now)? {
            tracing::info!(blob = %id, "deleted a stale partial upload");
        }
        Ok(report)
    }
}
