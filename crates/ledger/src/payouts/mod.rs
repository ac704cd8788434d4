//! Oracle manifests, reward claims and fraud proofs.
//!
//! Oracles submit `{epoch, class, root, total_units, evidence_root}`; when `threshold` of them
//! have submitted the same triple the manifest is final. Anyone may then claim a device's
//! reward with the leaf and its Merkle proof; the pay, floor(pool × units / total_units), goes
//! to the leaf's owner, or to the slashed account if the device has been slashed. The claims
//! against one manifest never add up past its total units nor its pool: a manifest whose
//! leaves sum past its total pays its first claims and refuses the rest. Anyone may
//! submit a device's signed commitment to a wrong compute answer; the ledger re-checks the row
//! and slashes the device's whole stake.

mod actions;
pub mod query;
pub mod state_key;

pub(crate) use actions::{claim, compute_fraud, record_vote, submit_manifest};

use crate::codes::{TxCode, TxFailure};
use crate::genesis::{ChainInfo, ResourceClass};
use plexus_types::Hash;
use serde::{Deserialize, Serialize};

/// One oracle's submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestVote {
    pub root: Hash,
    #[serde(with = "crate::u128_string")]
    pub total_units: u128,
    pub evidence_root: Hash,
}

fn resource(name: &str) -> Result<ResourceClass, TxFailure> {
    ResourceClass::parse(name).ok_or_else(|| {
        TxFailure::new(
            TxCode::UnknownResource,
            format!("no resource class {name:?}"),
        )
    })
}

/// Whether claims (and manifests) for `epoch` are still accepted, given the last ended epoch:
/// during the `claim_epochs` epochs after it; the last of them settles it when it ends. A
/// window that would end past the last epoch there can be never closes.
fn window_open(info: &ChainInfo, epoch: u64, last_ended: u64) -> bool {
    crate::epochs::claim_window_open(&info.rewards, epoch, last_ended)
}
