//! Field conversions shared by every component's wire code: each names the field it checks,
//! so a refusal says which field of the transaction was wrong.

use super::TxError;
use crate::amount::Amount;
use crate::hash::Hash;
use crate::keys::PublicKey;
use crate::merkle::{MerkleProof, MAX_PROOF_DEPTH};

pub(super) fn bad(field: &'static str, reason: impl std::fmt::Display) -> TxError {
    TxError::BadField {
        field,
        reason: reason.to_string(),
    }
}

pub(super) fn key_field(field: &'static str, bytes: &[u8]) -> Result<PublicKey, TxError> {
    PublicKey::from_slice(bytes).map_err(|e| bad(field, e))
}

pub(super) fn hash_field(field: &'static str, bytes: &[u8]) -> Result<Hash, TxError> {
    Hash::from_slice(bytes)
        .ok_or_else(|| bad(field, format!("expected 32 bytes, found {}", bytes.len())))
}

pub(super) fn name_field(field: &'static str, s: String, max: usize) -> Result<String, TxError> {
    if s.is_empty() || s.len() > max {
        return Err(bad(field, format!("must be 1 to {max} bytes")));
    }
    Ok(s)
}

pub(super) fn u128_field(field: &'static str, s: &str) -> Result<u128, TxError> {
    Amount::from_base_units(s)
        .map(|a| a.0)
        .map_err(|e| bad(field, e))
}

pub(super) fn proof_from(
    index: u64,
    leaf_count: u64,
    siblings: Vec<Vec<u8>>,
) -> Result<MerkleProof, TxError> {
    if siblings.len() > MAX_PROOF_DEPTH {
        return Err(bad("siblings", "proof is too deep"));
    }
    let siblings = siblings
        .iter()
        .map(|s| hash_field("siblings", s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MerkleProof {
        index,
        leaf_count,
        siblings,
    })
}

pub(super) fn siblings_to(proof: &MerkleProof) -> Vec<Vec<u8>> {
    proof.siblings.iter().map(|h| h.0.to_vec()).collect()
}
