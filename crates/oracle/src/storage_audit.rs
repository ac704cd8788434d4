//! Retrievability audits of storage replicas. Once an epoch, after its first interval, the
//! oracle challenges every replica that an open deal covering the epoch assigns: random chunk
//! groups of the blob, drawn from a secret derived from the oracle's key, the epoch, the deal
//! and the device, so no provider can know them before it is asked. The answer must be the
//! verified encoding of exactly those groups, checked against the blob id alone, within
//! [`AUDIT_DEADLINE`], and signed with the key of the device the chain assigned the replica
//! to, over a fresh nonce: a server without that key cannot answer for the device. Replicas that fail are reported on chain in one `StorageAudit`
//! transaction; the ledger then leaves them unpaid for the epoch and reassigns them.
//!
//! Each audit is also written to `storage-audits/epoch-E.json` under the oracle's data
//! directory: every challenge, its groups and its outcome.

use crate::shared::Shared;
use futures::StreamExt;
use plexus_blobs::answer_auth::AnswerCheck;
use plexus_blobs::retrievability::challenge_groups;
use plexus_blobs::BlobId;
use plexus_client::views::DealView;
use plexus_types::{PublicKey, StorageFailure};
use serde::Serialize;
use std::time::Duration;

/// Chunk groups asked of each replica per audit.
pub const AUDIT_GROUPS: usize = 8;
/// How long a provider has to answer a challenge.
pub const AUDIT_DEADLINE: Duration = Duration::from_secs(5);
/// Challenges in flight at once.
const CONCURRENCY: usize = 32;

/// One replica's challenge and how it went.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicaAudit {
    pub deal: u64,
    pub device: PublicKey,
    pub endpoint: String,
    pub groups: Vec<u64>,
    /// The nonce the device signs its answer over.
    #[serde(skip)]
    pub nonce: [u8; 32],
    /// Data bytes the answer proved, if it verified in time.
    pub proved_bytes: Option<u64>,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

/// An epoch's audit.
#[derive(Debug, Clone, Serialize)]
pub struct EpochAudit {
    pub epoch: u64,
    pub replicas: Vec<ReplicaAudit>,
}

impl EpochAudit {
    /// The failed replicas, sorted as the transaction requires.
    pub fn failures(&self) -> Vec<StorageFailure> {
        let mut out: Vec<StorageFailure> = self
            .replicas
            .iter()
            .filter(|r| r.failure.is_some())
            .map(|r| StorageFailure {
                deal: r.deal,
                device: r.device,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Challenges every replica that `deals` assign for `epoch`, in groups drawn from `beacon`
/// (the beacon of the epoch's [`crate::draws::storage_height`]), so every oracle challenges
/// the same groups.
pub(crate) async fn audit_epoch(
    shared: &Shared,
    deals: &[DealView],
    epoch: u64,
    beacon: &plexus_types::Hash,
) -> EpochAudit {
    let endpoints: std::collections::BTreeMap<PublicKey, String> = shared
        .state
        .lock()
        .devices
        .values()
        .map(|d| (d.key, d.capabilities.endpoint.clone()))
        .collect();
    let client = shared.blobs.clone();
    let chain_id = shared.info.chain_id.clone();
    let mut jobs = Vec::new();
    for deal in deals
        .iter()
        .filter(|d| d.first_epoch <= epoch && epoch <= d.last_epoch)
    {
        for device in deal.providers.iter().filter(|p| deal.serves_in(p, epoch)) {
            let id = BlobId(deal.blob.0);
            let seed = crate::draws::storage_seed(&chain_id, beacon, deal.id, device, epoch);
            jobs.push(ReplicaAudit {
                deal: deal.id,
                device: *device,
                endpoint: endpoints.get(device).cloned().unwrap_or_default(),
                groups: challenge_groups(id, deal.size, &seed, AUDIT_GROUPS),
                nonce: blake3::derive_key("plexus oracle storage answer nonce v1", &seed),
                proved_bytes: None,
                failure: None,
            });
        }
    }
    let blobs: std::collections::BTreeMap<u64, (BlobId, u64)> = deals
        .iter()
        .map(|d| (d.id, (BlobId(d.blob.0), d.size)))
        .collect();
    let replicas = futures::stream::iter(jobs)
        .map(|mut job| {
            let client = client.clone();
            let (id, size) = blobs[&job.deal];
            let check = AnswerCheck {
                chain_id: chain_id.clone(),
                device: job.device,
                nonce: job.nonce,
            };
            async move {
                if job.endpoint.is_empty() {
                    job.failure = Some("the device declares no endpoint".into());
                    return job;
                }
                match client
                    .challenge(
                        &job.endpoint,
                        id,
                        size,
                        &job.groups,
                        AUDIT_DEADLINE,
                        Some(&check),
                    )
                    .await
                {
                    Ok(bytes) => job.proved_bytes = Some(bytes),
                    Err(e) => job.failure = Some(e.to_string()),
                }
                job
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    EpochAudit { epoch, replicas }
}
