//! Auditing an epoch's manifest: fetch an oracle's published evidence, recompute the manifest
//! under the chain's rules and compare it with the manifest final on chain. What
//! `plexus audit epoch` runs and what the node's `GET /v1/epochs/{epoch}/audit/{resource}`
//! runs, one implementation for both.

use crate::views::{ChainView, DeviceView, EpochView, ResourceClass};
use plexus_rewards::audit::{AuditError, ScoredResource};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The most evidence (bytes) the node fetches from an oracle for one audit.
pub const MAX_EVIDENCE_BYTES: usize = 64 * 1024 * 1024;

/// How long fetching an oracle's evidence may take.
pub const EVIDENCE_TIMEOUT: Duration = Duration::from_secs(30);

/// A manifest's roots and total, as hex and decimal text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestRoots {
    /// The Merkle root of the manifest's leaves (device, owner, units).
    pub root: String,
    /// The units of every leaf, summed (decimal).
    pub total_units: String,
    /// The root of the evidence the manifest was scored from.
    pub evidence_root: String,
}

/// What an audit of one epoch's manifest found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochAudit {
    pub epoch: u64,
    /// `compute` or `bandwidth`.
    pub resource: String,
    /// Whose evidence was audited: the oracle's base URL, or the file it was read from.
    pub oracle: String,
    /// Evidence records read.
    pub records: usize,
    /// Devices the recomputed manifest pays.
    pub devices_rewarded: usize,
    pub recomputed: ManifestRoots,
    pub on_chain: ManifestRoots,
    /// Whether the manifest on chain follows from the published evidence.
    #[serde(rename = "match")]
    pub matches: bool,
    /// What differs (`root`, `total_units`, `evidence_root`), empty when it matches.
    pub mismatch: Vec<String>,
}

/// Why an epoch could not be audited.
#[derive(Debug, thiserror::Error)]
pub enum EpochAuditError {
    #[error("epoch {epoch} has no {resource} pool")]
    NoPool { epoch: u64, resource: String },
    #[error("epoch {epoch} has no final {resource} manifest on chain yet")]
    NotFinal { epoch: u64, resource: String },
    #[error("the published evidence: {0}")]
    Evidence(#[from] AuditError),
}

/// The final manifest of `resource` in the chain's `epoch` view, if there is one.
pub fn final_manifest(
    on_chain: &EpochView,
    epoch: u64,
    resource: ScoredResource,
) -> Result<ManifestRoots, EpochAuditError> {
    let name = resource.as_str();
    let pool = on_chain
        .pools
        .iter()
        .find(|p| p.resource == ResourceClass::from(resource))
        .ok_or_else(|| EpochAuditError::NoPool {
            epoch,
            resource: name.into(),
        })?;
    let manifest = pool
        .manifest
        .as_ref()
        .filter(|m| !m.is_null())
        .ok_or_else(|| EpochAuditError::NotFinal {
            epoch,
            resource: name.into(),
        })?;
    let text = |k: &str| manifest[k].as_str().unwrap_or("").to_string();
    Ok(ManifestRoots {
        root: text("root"),
        total_units: text("total_units"),
        evidence_root: text("evidence_root"),
    })
}

/// Recomputes `resource`'s manifest of `epoch` from `evidence` (what `oracle` published, JSON
/// lines) for the registry's `devices` under `chain`'s rules, and compares it with the final
/// manifest in `on_chain`. Every heartbeat's signature is checked: the work grows with the
/// evidence.
pub fn audit_epoch(
    chain: &ChainView,
    devices: &[DeviceView],
    on_chain: &EpochView,
    epoch: u64,
    resource: ScoredResource,
    oracle: &str,
    evidence: &str,
) -> Result<EpochAudit, EpochAuditError> {
    let on_chain = final_manifest(on_chain, epoch, resource)?;
    let m = chain.recompute_manifest(devices, epoch, evidence, resource)?;
    let recomputed = ManifestRoots {
        root: m.root().to_hex(),
        total_units: m.total_units().to_string(),
        evidence_root: m.evidence_root().to_hex(),
    };
    let mismatch: Vec<String> = [
        ("root", &recomputed.root, &on_chain.root),
        (
            "total_units",
            &recomputed.total_units,
            &on_chain.total_units,
        ),
        (
            "evidence_root",
            &recomputed.evidence_root,
            &on_chain.evidence_root,
        ),
    ]
    .into_iter()
    .filter(|(_, a, b)| a != b)
    .map(|(name, _, _)| name.to_string())
    .collect();
    Ok(EpochAudit {
        epoch,
        resource: resource.as_str().into(),
        oracle: oracle.into(),
        records: evidence.lines().filter(|l| !l.trim().is_empty()).count(),
        devices_rewarded: m.leaves().len(),
        recomputed,
        on_chain,
        matches: mismatch.is_empty(),
        mismatch,
    })
}

/// Why an oracle's evidence could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceFetchError {
    #[error("cannot reach the oracle at {oracle}: {reason}")]
    Unreachable { oracle: String, reason: String },
    #[error("the oracle at {oracle} answered {status}")]
    Status { oracle: String, status: u16 },
    #[error("the oracle at {oracle} publishes more than {max} bytes of evidence for the epoch")]
    TooLarge { oracle: String, max: usize },
    #[error("the oracle at {oracle} published evidence that is not UTF-8")]
    NotText { oracle: String },
}

/// `GET {oracle}/v1/evidence/{epoch}`, read up to `max_bytes`.
pub async fn fetch_evidence(
    http: &reqwest::Client,
    oracle: &str,
    epoch: u64,
    max_bytes: usize,
) -> Result<String, EvidenceFetchError> {
    let base = oracle.trim_end_matches('/');
    let unreachable = |e: reqwest::Error| EvidenceFetchError::Unreachable {
        oracle: oracle.into(),
        reason: e.to_string(),
    };
    let mut resp = http
        .get(format!("{base}/v1/evidence/{epoch}"))
        .send()
        .await
        .map_err(unreachable)?;
    if !resp.status().is_success() {
        return Err(EvidenceFetchError::Status {
            oracle: oracle.into(),
            status: resp.status().as_u16(),
        });
    }
    let too_large = || EvidenceFetchError::TooLarge {
        oracle: oracle.into(),
        max: max_bytes,
    };
    if resp.content_length().is_some_and(|n| n > max_bytes as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| EvidenceFetchError::NotText {
        oracle: oracle.into(),
    })
}
