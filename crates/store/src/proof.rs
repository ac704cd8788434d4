//! Merkle proofs of a key's value (or absence) in one version of the state.

use crate::{key_hash, Blake3Hasher};
use jmt::proof::SparseMerkleProof;
use jmt::RootHash;
use plexus_types::Hash;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("proof is not well formed: {0}")]
    Malformed(String),
    #[error("proof does not verify against root {root}: {reason}")]
    Mismatch { root: Hash, reason: String },
}

/// A proof as carried by the API: the borsh encoding of a jmt sparse Merkle proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateProof(pub Vec<u8>);

impl StateProof {
    pub(crate) fn from_jmt(proof: &SparseMerkleProof<Blake3Hasher>) -> StateProof {
        StateProof(borsh::to_vec(proof).expect("encoding a proof in memory cannot fail"))
    }

    /// Checks that `key` has `value` (or, with `None`, is absent) in the state whose root is
    /// `root`.
    pub fn verify(&self, root: Hash, key: &[u8], value: Option<&[u8]>) -> Result<(), ProofError> {
        let proof: SparseMerkleProof<Blake3Hasher> =
            borsh::from_slice(&self.0).map_err(|e| ProofError::Malformed(e.to_string()))?;
        proof
            .verify(RootHash(root.0), key_hash(key), value)
            .map_err(|e| ProofError::Mismatch {
                root,
                reason: e.to_string(),
            })
    }
}
