//! The storage duty of an agent whose device is of a storage class: it keeps a blob store,
//! serves it under `/v1/blobs` (the same service the node mounts), and fetches every blob the
//! chain assigns to the device, from the node or other blob services, verifying each byte
//! against the blob id before the blob is kept.

use crate::http::{ClientError, Service};
use plexus_blobs::client::BlobClient;
use plexus_blobs::{BlobId, BlobState, BlobStore};
use plexus_types::PublicKey;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why keeping replicas failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("blob store: {0}")]
    Store(#[from] plexus_blobs::StoreError),
    #[error("fetching blob {id}: {reason}")]
    Fetch { id: BlobId, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

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

#[derive(Deserialize)]
struct DealList {
    deals: Vec<DealEntry>,
}

#[derive(Deserialize)]
struct DealEntry {
    blob: String,
}

/// Keeps the replicas the chain assigns to one storage device.
pub struct ReplicaKeeper {
    device: PublicKey,
    node: Service,
    sources: Vec<String>,
    store: Arc<BlobStore>,
    incoming: PathBuf,
    blobs: BlobClient,
}

impl ReplicaKeeper {
    /// Opens (or creates) the blob store under `data_dir/blobs`. Blobs are fetched from the
    /// node at `node_url` first, then from `other_sources` in order.
    pub fn open(
        data_dir: &Path,
        node_url: &str,
        device: PublicKey,
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
            device,
            node: Service::new("node", node_url)?,
            sources,
            store,
            incoming,
            blobs: BlobClient::new(),
        })
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

    /// The blob service to mount: `/v1/blobs` over this keeper's store.
    pub fn router(&self) -> axum::Router {
        plexus_blobs::http::router(self.store.clone())
    }

    /// The distinct blobs that open deals assign to this device, as the node reports them.
    pub async fn assigned(&self) -> Result<Vec<BlobId>, StorageError> {
        let answer = self
            .node
            .get(&format!("/v1/storage/deals?provider={}", self.device))
            .await?;
        let url = answer.url.clone();
        let list: DealList = self.node.json(answer)?;
        let mut blobs = Vec::new();
        for d in list.deals {
            let id: BlobId = d.blob.parse().map_err(|e| {
                StorageError::Client(self.node.bad_answer(&url, format!("deal blob: {e}")))
            })?;
            if !blobs.contains(&id) {
                blobs.push(id);
            }
        }
        Ok(blobs)
    }

    /// Fetches every assigned blob not yet complete here. A blob is kept only once every byte
    /// verified against its id; one that fails is reported and tried again next round.
    pub async fn sync_once(&self) -> Result<SyncReport, StorageError> {
        let assigned = self.assigned().await?;
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
