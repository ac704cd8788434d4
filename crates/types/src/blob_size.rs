//! Proof of a blob's size. A blob id is the blake3 hash of the blob's bytes, and blake3 hashes
//! the number of 1 KiB chunks and the length of the last chunk into the tree, so the id
//! already commits to the size: the last chunk and the hashes of the subtrees to its left
//! (one per level, at most 40 for 1 TiB) recompute the id only for the true size.
//!
//! A storage deal carries such a proof, so that a deal that names a wrong size (which every
//! honest replica would then fail to prove) is refused before it takes effect.

use crate::hash::Hash;
use blake3::hazmat::{merge_subtrees_non_root, merge_subtrees_root, HasherExt, Mode};

/// Bytes in one blake3 chunk.
pub const CHUNK_BYTES: u64 = 1024;
/// Most left-subtree hashes a size proof may carry: a tree of 2⁶⁴ bytes has fewer levels.
pub const MAX_SIZE_PROOF_LEVELS: usize = 64;

/// The last chunk of a blob and the chaining values of the subtrees to its left, root first.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SizeProof {
    pub last_chunk: Vec<u8>,
    pub left: Vec<Hash>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeProofError {
    #[error("a blob of {size} bytes ends in a chunk of {want} bytes, the proof has {got}")]
    LastChunk { size: u64, want: u64, got: usize },
    #[error(
        "a blob of {size} bytes has {want} subtrees left of its last chunk, the proof has {got}"
    )]
    Levels { size: u64, want: usize, got: usize },
    #[error("the proof does not hash to blob {blob} for a size of {size} bytes")]
    Mismatch { blob: Hash, size: u64 },
}

/// The subtrees left of the last chunk of a blob of `size` bytes, root first, as
/// `(first chunk, chunks)`: a blake3 subtree of `n > 1` chunks has the largest power of two
/// below `n` on its left.
pub fn left_subtrees(size: u64) -> Vec<(u64, u64)> {
    let mut chunks = size.div_ceil(CHUNK_BYTES).max(1);
    let mut start = 0u64;
    let mut out = Vec::new();
    while chunks > 1 {
        let left = 1u64 << (63 - (chunks - 1).leading_zeros());
        out.push((start, left));
        start += left;
        chunks -= left;
    }
    out
}

/// Where the last chunk of a blob of `size` bytes starts.
pub fn last_chunk_start(size: u64) -> u64 {
    size.div_ceil(CHUNK_BYTES).saturating_sub(1) * CHUNK_BYTES
}

/// The chaining value of the subtree of `bytes` that starts at byte `offset` (a multiple of a
/// power-of-two number of chunks), as blake3 hashes it inside a larger tree.
pub fn subtree_value(offset: u64, bytes: &[u8]) -> Hash {
    Hash(
        blake3::Hasher::new()
            .set_input_offset(offset)
            .update(bytes)
            .finalize_non_root(),
    )
}

/// Checks that `proof` shows blob `blob` to be exactly `size` bytes long.
pub fn verify_size(blob: &Hash, size: u64, proof: &SizeProof) -> Result<(), SizeProofError> {
    let start = last_chunk_start(size);
    let want = size - start;
    if proof.last_chunk.len() as u64 != want {
        return Err(SizeProofError::LastChunk {
            size,
            want,
            got: proof.last_chunk.len(),
        });
    }
    let levels = left_subtrees(size).len();
    if proof.left.len() != levels {
        return Err(SizeProofError::Levels {
            size,
            want: levels,
            got: proof.left.len(),
        });
    }
    let root = if levels == 0 {
        Hash(*blake3::hash(&proof.last_chunk).as_bytes())
    } else {
        let mut value = subtree_value(start, &proof.last_chunk).0;
        for left in proof.left[1..].iter().rev() {
            value = merge_subtrees_non_root(&left.0, &value, Mode::Hash);
        }
        Hash(*merge_subtrees_root(&proof.left[0].0, &value, Mode::Hash).as_bytes())
    };
    if root != *blob {
        return Err(SizeProofError::Mismatch { blob: *blob, size });
    }
    Ok(())
}

/// The size proof of `bytes` (a blob held in memory; the blob store proves files).
pub fn prove_size(bytes: &[u8]) -> SizeProof {
    let size = bytes.len() as u64;
    let left = left_subtrees(size)
        .into_iter()
        .map(|(first, chunks)| {
            let from = (first * CHUNK_BYTES) as usize;
            let to = ((first + chunks) * CHUNK_BYTES) as usize;
            subtree_value(from as u64, &bytes[from..to])
        })
        .collect();
    SizeProof {
        last_chunk: bytes[last_chunk_start(size) as usize..].to_vec(),
        left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 1024) as u8).collect()
    }

    #[test]
    fn a_proof_shows_the_true_size_for_every_tree_shape() {
        for len in [
            0, 1, 1023, 1024, 1025, 2048, 3000, 4096, 5121, 16384, 70_000,
        ] {
            let bytes = blob(len);
            let id = Hash(*blake3::hash(&bytes).as_bytes());
            let proof = prove_size(&bytes);
            assert_eq!(verify_size(&id, len as u64, &proof), Ok(()), "len {len}");
        }
    }

    #[test]
    fn no_proof_shows_a_wrong_size() {
        let bytes = blob(70_000);
        let id = Hash(*blake3::hash(&bytes).as_bytes());
        let proof = prove_size(&bytes);
        for wrong in [0u64, 1, 69_999, 70_001, 1 << 20] {
            assert!(verify_size(&id, wrong, &proof).is_err(), "size {wrong}");
        }
        // A proof made for a shorter prefix does not fit the id either.
        let short = prove_size(&bytes[..69_632]);
        assert!(verify_size(&id, 69_632, &short).is_err());
        // Nor does one whose last chunk was altered.
        let mut bent = proof.clone();
        bent.last_chunk[0] ^= 1;
        assert!(matches!(
            verify_size(&id, 70_000, &bent),
            Err(SizeProofError::Mismatch { .. })
        ));
    }
}
