//! The device's signature on its blob uploads to the node (a job's outputs): the node takes
//! uploads signed by a funded account or an active device, and charges a device's to its
//! owner's quota.

use plexus_blobs::upload_auth::{UploadAuth, UploadSigner};
use plexus_blobs::BlobId;
use plexus_client::transport::BoxFuture;
use plexus_client::{Clock, NodeApi};
use plexus_types::SecretKey;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Signs uploads with the device key, for the chain the node runs, at the device's clock.
pub struct DeviceUploadSigner {
    key: SecretKey,
    node: Arc<dyn NodeApi>,
    clock: Arc<dyn Clock>,
    chain_id: OnceCell<String>,
}

impl DeviceUploadSigner {
    pub fn new(key: SecretKey, node: Arc<dyn NodeApi>, clock: Arc<dyn Clock>) -> Self {
        DeviceUploadSigner {
            key,
            node,
            clock,
            chain_id: OnceCell::new(),
        }
    }
}

impl UploadSigner for DeviceUploadSigner {
    fn sign(&self, id: BlobId, size: u64) -> BoxFuture<'_, Result<UploadAuth, String>> {
        Box::pin(async move {
            let chain_id = self
                .chain_id
                .get_or_try_init(|| async {
                    self.node.chain_params().await.map(|chain| chain.chain_id)
                })
                .await
                .map_err(|e| format!("reading the chain id from the node: {e}"))?;
            Ok(UploadAuth::sign(
                &self.key,
                chain_id,
                id,
                size,
                self.clock.now_ms(),
            ))
        })
    }
}
