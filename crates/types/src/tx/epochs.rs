//! The epochs' actions: an oracle's manifest of an epoch's work, a device owner's reward claim
//! against a final manifest, and a fraud proof against a device's signed compute answer.

use super::fields::{bad, hash_field, key_field, name_field, proof_from, siblings_to, u128_field};
use super::registry::MAX_NAME_LEN;
use super::{Body, TxError};
use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash;
use crate::keys::{PublicKey, Signature};
use crate::merkle::MerkleProof;
use crate::proto;
use proto::tx_payload::Body as P;

/// Most elements in a compute row carried by a fraud proof.
pub const MAX_ROW_LEN: usize = 4096;

/// Product cells a fraud proof's recomputation may cover per minimum fee: checking one row of
/// an n×n product costs every validator n² multiply-adds (and n² elements of B derived), about
/// what a plain transaction costs per 64 Ki of them.
pub const FRAUD_CELLS_PER_MIN_FEE: u64 = 1 << 16;

/// A reward claim: one leaf of a final manifest and its Merkle proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardClaim {
    pub epoch: u64,
    pub resource: String,
    pub device: PublicKey,
    pub owner: Address,
    pub units: u128,
    pub proof: MerkleProof,
}

/// A device's signed commitment to a compute answer, and one committed row that is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputeFraud {
    pub device: PublicKey,
    pub seed: [u8; 32],
    pub n: u32,
    pub root: Hash,
    pub device_signature: Signature,
    pub row_index: u32,
    pub row: Vec<u32>,
    pub proof: MerkleProof,
}

impl ComputeFraud {
    /// The smallest fee this proof may offer on a chain whose minimum fee is `min_fee`: one
    /// minimum fee per [`FRAUD_CELLS_PER_MIN_FEE`] cells of n², rounded up, so the sender pays
    /// for the row every validator recomputes. 1× up to n = 256, 4× for a cpu-small answer
    /// (n = 512), 256× at the largest n (4096).
    pub fn min_fee(&self, min_fee: Amount) -> Amount {
        let cells = u64::from(self.n) * u64::from(self.n);
        let units = cells.div_ceil(FRAUD_CELLS_PER_MIN_FEE).max(1);
        Amount(min_fee.0.saturating_mul(u128::from(units)))
    }
}

pub(super) fn decode_submit_manifest(m: proto::SubmitManifest) -> Result<Body, TxError> {
    Ok(Body::SubmitManifest {
        epoch: m.epoch,
        resource: name_field("resource", m.resource, MAX_NAME_LEN)?,
        root: hash_field("root", &m.root)?,
        total_units: u128_field("total_units", &m.total_units)?,
        evidence_root: hash_field("evidence_root", &m.evidence_root)?,
    })
}

pub(super) fn encode_submit_manifest(
    epoch: u64,
    resource: &str,
    root: &Hash,
    total_units: u128,
    evidence_root: &Hash,
) -> P {
    P::SubmitManifest(proto::SubmitManifest {
        epoch,
        resource: resource.to_string(),
        root: root.0.to_vec(),
        total_units: total_units.to_string(),
        evidence_root: evidence_root.0.to_vec(),
    })
}

pub(super) fn decode_claim_reward(c: proto::ClaimReward) -> Result<Body, TxError> {
    Ok(Body::ClaimReward(RewardClaim {
        epoch: c.epoch,
        resource: name_field("resource", c.resource, MAX_NAME_LEN)?,
        device: key_field("device", &c.device)?,
        owner: Address::from_slice(&c.owner).map_err(|e| bad("owner", e))?,
        units: u128_field("units", &c.units)?,
        proof: proof_from(c.leaf_index, c.leaf_count, c.siblings)?,
    }))
}

pub(super) fn encode_claim_reward(c: &RewardClaim) -> P {
    P::ClaimReward(proto::ClaimReward {
        epoch: c.epoch,
        resource: c.resource.clone(),
        device: c.device.as_bytes().to_vec(),
        owner: c.owner.as_bytes().to_vec(),
        units: c.units.to_string(),
        leaf_index: c.proof.index,
        leaf_count: c.proof.leaf_count,
        siblings: siblings_to(&c.proof),
    })
}

pub(super) fn decode_compute_fraud(f: proto::ComputeFraud) -> Result<Body, TxError> {
    if f.row.len() > MAX_ROW_LEN {
        return Err(bad("row", "too long"));
    }
    Ok(Body::ComputeFraud(ComputeFraud {
        device: key_field("device", &f.device)?,
        seed: f
            .seed
            .as_slice()
            .try_into()
            .map_err(|_| bad("seed", "expected 32 bytes"))?,
        n: f.n,
        root: hash_field("root", &f.root)?,
        device_signature: Signature::from_slice(&f.device_signature)
            .map_err(|e| bad("device_signature", e))?,
        row_index: f.row_index,
        row: f.row,
        proof: proof_from(f.row_index as u64, f.leaf_count, f.siblings)?,
    }))
}

pub(super) fn encode_compute_fraud(f: &ComputeFraud) -> P {
    P::ComputeFraud(proto::ComputeFraud {
        device: f.device.as_bytes().to_vec(),
        seed: f.seed.to_vec(),
        n: f.n,
        root: f.root.0.to_vec(),
        device_signature: f.device_signature.to_bytes().to_vec(),
        row_index: f.row_index,
        row: f.row.clone(),
        leaf_count: f.proof.leaf_count,
        siblings: siblings_to(&f.proof),
    })
}
