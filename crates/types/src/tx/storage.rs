//! The storage market's actions: a client's deal for replicas of a blob, and an oracle's audit
//! of the replicas that failed their retrievability challenge.

use super::fields::{bad, hash_field, key_field};
use super::{Body, TxError};
use crate::amount::Amount;
use crate::blob_size::{SizeProof, CHUNK_BYTES, MAX_SIZE_PROOF_LEVELS};
use crate::hash::Hash;
use crate::keys::PublicKey;
use crate::proto;
use proto::tx_payload::Body as P;

/// Most replicas one storage deal may ask for.
pub const MAX_DEAL_REPLICAS: u32 = 16;
/// Longest storage deal, in epochs.
pub const MAX_DEAL_EPOCHS: u64 = 1_000_000;
/// Most failures one storage audit may report.
pub const MAX_AUDIT_FAILURES: usize = 1_024;

/// What a client asks of a storage deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageDealTerms {
    /// The blob's id: the blake3 hash of its bytes.
    pub blob: Hash,
    pub size: u64,
    /// 1 to [`MAX_DEAL_REPLICAS`].
    pub replicas: u32,
    /// 1 to [`MAX_DEAL_EPOCHS`].
    pub epochs: u64,
    /// At least 1 uplx.
    pub price_per_replica_epoch: Amount,
    /// Shows that the blob is `size` bytes long; a deal whose proof fails never takes effect.
    pub size_proof: SizeProof,
}

/// One replica that failed its retrievability challenge.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct StorageFailure {
    pub deal: u64,
    pub device: PublicKey,
}

pub(super) fn decode_storage_deal(d: proto::StorageDeal) -> Result<Body, TxError> {
    if d.replicas == 0 || d.replicas > MAX_DEAL_REPLICAS {
        return Err(bad("replicas", format!("must be 1 to {MAX_DEAL_REPLICAS}")));
    }
    if d.epochs == 0 || d.epochs > MAX_DEAL_EPOCHS {
        return Err(bad("epochs", format!("must be 1 to {MAX_DEAL_EPOCHS}")));
    }
    let price = Amount::from_base_units(&d.price_per_replica_epoch)
        .map_err(|e| bad("price_per_replica_epoch", e))?;
    if price == Amount::ZERO {
        return Err(bad("price_per_replica_epoch", "must be at least 1 uplx"));
    }
    if d.size_proof_last_chunk.len() as u64 > CHUNK_BYTES {
        return Err(bad(
            "size_proof_last_chunk",
            format!("at most {CHUNK_BYTES} bytes"),
        ));
    }
    if d.size_proof_left.len() > MAX_SIZE_PROOF_LEVELS {
        return Err(bad(
            "size_proof_left",
            format!("at most {MAX_SIZE_PROOF_LEVELS} hashes"),
        ));
    }
    let left = d
        .size_proof_left
        .iter()
        .map(|h| hash_field("size_proof_left", h))
        .collect::<Result<Vec<_>, TxError>>()?;
    Ok(Body::StorageDeal(StorageDealTerms {
        blob: hash_field("blob", &d.blob)?,
        size: d.size,
        replicas: d.replicas,
        epochs: d.epochs,
        price_per_replica_epoch: price,
        size_proof: SizeProof {
            last_chunk: d.size_proof_last_chunk,
            left,
        },
    }))
}

pub(super) fn encode_storage_deal(d: &StorageDealTerms) -> P {
    P::StorageDeal(proto::StorageDeal {
        blob: d.blob.0.to_vec(),
        size: d.size,
        replicas: d.replicas,
        epochs: d.epochs,
        price_per_replica_epoch: d.price_per_replica_epoch.to_string(),
        size_proof_last_chunk: d.size_proof.last_chunk.clone(),
        size_proof_left: d.size_proof.left.iter().map(|h| h.0.to_vec()).collect(),
    })
}

pub(super) fn decode_storage_audit(a: proto::StorageAudit) -> Result<Body, TxError> {
    if a.failures.len() > MAX_AUDIT_FAILURES {
        return Err(bad(
            "failures",
            format!("at most {MAX_AUDIT_FAILURES} per audit"),
        ));
    }
    let failures = a
        .failures
        .into_iter()
        .map(|f| {
            Ok(StorageFailure {
                deal: f.deal,
                device: key_field("failures.device", &f.device)?,
            })
        })
        .collect::<Result<Vec<_>, TxError>>()?;
    // One encoding per report: sorted by deal, then device, with no repeats.
    if !failures.windows(2).all(|w| w[0] < w[1]) {
        return Err(bad(
            "failures",
            "must be sorted by deal, then device, without repeats",
        ));
    }
    Ok(Body::StorageAudit {
        epoch: a.epoch,
        failures,
    })
}

pub(super) fn encode_storage_audit(epoch: u64, failures: &[StorageFailure]) -> P {
    P::StorageAudit(proto::StorageAudit {
        epoch,
        failures: failures
            .iter()
            .map(|f| proto::StorageFailure {
                deal: f.deal,
                device: f.device.as_bytes().to_vec(),
            })
            .collect(),
    })
}
