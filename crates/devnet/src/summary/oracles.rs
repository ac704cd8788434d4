//! The oracle set's section of the summary: for each epoch, what each oracle submitted (its
//! evidence root and manifest root) and whether the manifest went final, read from the
//! oracles' manifest files and the chain once the run has stopped.

use plexus_ledger::{query, ResourceClass};
use plexus_types::Hash;
use serde::Serialize;
use std::path::Path;

/// What one oracle submitted for one epoch's compute manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OracleSubmission {
    pub oracle: usize,
    pub evidence_root: Hash,
    pub manifest_root: Hash,
    /// The chain's answer to the submission (`ok`, `manifest_final`, …).
    pub code: String,
}

/// One epoch as the oracle set saw it.
#[derive(Debug, Clone, Serialize)]
pub struct OracleEpoch {
    pub epoch: u64,
    /// Each oracle's submission; an oracle that did not close the epoch (stopped, say) is
    /// missing.
    pub submitted: Vec<OracleSubmission>,
    /// Every submission names the same evidence and manifest roots.
    pub identical: bool,
    /// The compute manifest is final on chain, with the root the oracles submitted.
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// Every epoch that some oracle closed, by epoch, and whether all of them agree: every
/// epoch's submissions identical, and every epoch that `threshold` oracles submitted final
/// (the run may stop between two oracles' submissions of its last epoch).
pub fn oracle_epochs(
    home: &Path,
    store: &plexus_store::Store,
    threshold: u32,
) -> anyhow::Result<(Vec<OracleEpoch>, bool)> {
    let dirs = crate::home::oracle_dirs(home);
    let resource = ResourceClass::Compute;
    let mut epochs = Vec::new();
    for e in 1..=query::last_epoch(store)? {
        let mut submitted = Vec::new();
        for (i, dir) in dirs.iter().enumerate() {
            let path = plexus_oracle::manifest_file(dir, e, resource.as_str());
            let Some(closed) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str::<plexus_oracle::ClosedEpoch>(&t).ok())
            else {
                continue;
            };
            submitted.push(OracleSubmission {
                oracle: i,
                evidence_root: closed.manifest.evidence_root(),
                manifest_root: closed.manifest.root(),
                code: closed.submitted,
            });
        }
        if submitted.is_empty() {
            continue;
        }
        let first = (submitted[0].evidence_root, submitted[0].manifest_root);
        let identical = submitted
            .iter()
            .all(|s| (s.evidence_root, s.manifest_root) == first);
        let on_chain = query::epoch(store, e)?.and_then(|(_, pools)| {
            pools
                .into_iter()
                .find(|p| p.resource == resource)
                .and_then(|p| p.manifest)
        });
        let is_final = on_chain.is_some_and(|m| m.root == first.1);
        epochs.push(OracleEpoch {
            epoch: e,
            submitted,
            identical,
            is_final,
        });
    }
    let agree = epochs
        .iter()
        .all(|e| e.identical && (e.is_final || e.submitted.len() < threshold as usize));
    Ok((epochs, agree))
}
