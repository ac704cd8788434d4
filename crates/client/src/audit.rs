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

/// What an audit of one epoch's data payments found: the data rule
/// (`plexus_rewards::wireless::pay_data_transfer`) rerun over the chain's per-hotspot records
/// and compared with the split and the claims the chain recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataAudit {
    pub epoch: u64,
    /// Hotspots that carried data.
    pub hotspots: usize,
    /// The Coverage pool the rule split (uplx, decimal).
    pub coverage_pool: String,
    /// What the rule pays hotspots, and what it gives coverage (uplx, decimal).
    pub paid: String,
    pub to_coverage: String,
    /// Whether every recorded figure follows from the rule.
    #[serde(rename = "match")]
    pub matches: bool,
    /// What differs, one line each (`held`, `to_coverage`, `total_value`, or `hotspot KEY`),
    /// empty when it matches.
    pub mismatch: Vec<String>,
}

/// Why an epoch's data payments could not be audited.
#[derive(Debug, thiserror::Error)]
pub enum DataAuditError {
    #[error("epoch {0} has no data pool on chain yet (it has not ended)")]
    NotEnded(u64),
    #[error("the data rule: {0}")]
    Rule(#[from] plexus_rewards::wireless::DataRewardError),
}

/// Reruns the data rule over `data` (every hotspot of the epoch, all pages read) at
/// `dc_per_plx`, out of the Coverage pool the chain recorded, and compares the split and each
/// claimed hotspot's pay with what the chain recorded.
pub fn audit_data(
    data: &crate::views::EpochDataView,
    dc_per_plx: u64,
) -> Result<DataAudit, DataAuditError> {
    let pool = data
        .pool
        .as_ref()
        .ok_or(DataAuditError::NotEnded(data.epoch))?;
    let hotspots: Vec<(plexus_types::PublicKey, u128)> = data
        .hotspots
        .iter()
        .map(|h| (h.device, h.credits))
        .collect();
    let rule =
        plexus_rewards::wireless::pay_data_transfer(&hotspots, dc_per_plx, pool.coverage_pool.0)?;
    let total_value: u128 = rule.payments.iter().map(|p| p.value).sum();
    let mut mismatch = Vec::new();
    let mut differs = |what: String, recorded: u128, rule: u128| {
        if recorded != rule {
            mismatch.push(format!("{what}: chain {recorded}, rule {rule}"));
        }
    };
    differs("total_value".into(), pool.total_value, total_value);
    differs("held".into(), pool.held.0, rule.paid + rule.dust);
    differs("to_coverage".into(), pool.to_coverage.0, rule.to_coverage);
    for (h, p) in data.hotspots.iter().zip(&rule.payments) {
        if let Some(claimed) = h.claimed {
            differs(format!("hotspot {}", h.device), claimed.0, p.paid);
        }
    }
    Ok(DataAudit {
        epoch: data.epoch,
        hotspots: hotspots.len(),
        coverage_pool: pool.coverage_pool.0.to_string(),
        paid: rule.paid.to_string(),
        to_coverage: rule.to_coverage.to_string(),
        matches: mismatch.is_empty(),
        mismatch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::{DataPoolView, EpochDataSummaryView, EpochDataView, HotspotDataView};
    use plexus_types::{Address, Amount, SecretKey};

    /// Epoch 7 where two hotspots carried 1 000 and 3 000 credits (worth 10 000 and 30 000
    /// uplx at 100 000 credits per PLX) out of a 20 000 uplx Coverage pool, both claimed as
    /// the chain paid them: 5 000 and 15 000.
    fn short_epoch() -> EpochDataView {
        let hotspot = |seed: u8, credits: u128, claimed: u128| HotspotDataView {
            device: SecretKey::from_seed([seed; 32]).public_key(),
            owner: Address([seed; 20]),
            credits,
            bytes: credits * 24 * 1024,
            sessions: 1,
            claimed: Some(Amount(claimed)),
        };
        EpochDataView {
            epoch: 7,
            summary: EpochDataSummaryView {
                burned: Amount(40_000),
                credits_bought: 4_000,
                credits_used: 4_000,
                bytes: 4_000 * 24 * 1024,
                sessions: 2,
                hotspots: 2,
                carriers: 1,
                value: 40_000,
            },
            pool: Some(DataPoolView {
                coverage_pool: Amount(20_000),
                total_value: 40_000,
                held: Amount(20_000),
                to_coverage: Amount::ZERO,
                paid: Amount(20_000),
                forfeited: Amount::ZERO,
                claimed_value: 40_000,
                unclaimed: None,
                dust: None,
            }),
            hotspots: vec![hotspot(1, 1_000, 5_000), hotspot(2, 3_000, 15_000)],
            carriers: Vec::new(),
            next: None,
        }
    }

    #[test]
    fn the_data_audit_matches_a_chain_that_paid_by_the_rule() {
        let report = audit_data(&short_epoch(), 100_000).unwrap();
        assert!(report.matches, "{report:?}");
        assert_eq!(report.paid, "20000");
    }

    #[test]
    fn the_data_audit_names_the_hotspot_the_chain_overpaid_and_a_wrong_split() {
        let mut data = short_epoch();
        data.hotspots[1].claimed = Some(Amount(15_001));
        let report = audit_data(&data, 100_000).unwrap();
        assert!(!report.matches);
        let key = data.hotspots[1].device.to_string();
        assert_eq!(report.mismatch.len(), 1, "{report:?}");
        assert!(report.mismatch[0].contains(&key), "{report:?}");

        let mut data = short_epoch();
        data.pool.as_mut().unwrap().to_coverage = Amount(1);
        let report = audit_data(&data, 100_000).unwrap();
        assert!(report.mismatch[0].starts_with("to_coverage"), "{report:?}");
    }

    #[test]
    fn an_epoch_that_has_not_ended_cannot_be_audited() {
        let mut data = short_epoch();
        data.pool = None;
        assert!(matches!(
            audit_data(&data, 100_000),
            Err(DataAuditError::NotEnded(7))
        ));
    }
}
