//! Proofs of retrievability: a challenge names random chunk groups of a blob, drawn from a
//! seed the prover cannot know in advance; the answer is the verified encoding of exactly those
//! groups (their bytes and the sibling hashes up to the blob id), which the verifier checks
//! against the id alone, without holding the blob. A provider that lost or altered any byte of
//! a challenged group cannot answer.

use crate::{BlobId, BLOCK_SIZE, CHUNK_GROUP_BYTES};
use bao_tree::io::sync::DecodeResponseIter;
use bao_tree::io::BaoContentItem;
use bao_tree::{BaoTree, ChunkNum, ChunkRanges};
use std::io::{self, Read};

/// Most chunk groups one challenge may name: bounds the answer to 1 MiB of data.
pub const MAX_CHALLENGE_GROUPS: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("a challenge names 1 to {MAX_CHALLENGE_GROUPS} chunk groups, got {0}")]
    BadChallenge(usize),
    #[error("chunk group {group} is past the end of a blob of {size} bytes")]
    OutOfRange { group: u64, size: u64 },
    #[error("the answer does not verify against the blob id: {0}")]
    Invalid(String),
    #[error("the answer has {0} bytes beyond the proof")]
    TrailingBytes(usize),
}

/// Number of chunk groups in a blob of `size` bytes (an empty blob has one, empty).
pub fn group_count(size: u64) -> u64 {
    size.div_ceil(CHUNK_GROUP_BYTES).max(1)
}

/// `count` distinct chunk groups of blob `id` drawn from `seed` (sorted). The same seed,
/// blob and count always give the same groups, so the verifier can re-derive them.
pub fn challenge_groups(id: BlobId, size: u64, seed: &[u8; 32], count: usize) -> Vec<u64> {
    let groups = group_count(size);
    let want = (count as u64).min(groups) as usize;
    let mut hasher = blake3::Hasher::new_keyed(seed);
    hasher.update(b"plexus/storage-challenge/v1");
    hasher.update(&id.0);
    hasher.update(&size.to_le_bytes());
    let mut xof = hasher.finalize_xof();
    let mut picked = std::collections::BTreeSet::new();
    while picked.len() < want {
        let mut word = [0u8; 8];
        xof.fill(&mut word);
        picked.insert(u64::from_le_bytes(word) % groups);
    }
    picked.into_iter().collect()
}

/// The chunk ranges a challenge names, checked against the blob's size.
pub(crate) fn ranges_of(groups: &[u64], size: u64) -> Result<ChunkRanges, ProofError> {
    if groups.is_empty() || groups.len() > MAX_CHALLENGE_GROUPS {
        return Err(ProofError::BadChallenge(groups.len()));
    }
    let per_group = CHUNK_GROUP_BYTES / 1024;
    let mut ranges = ChunkRanges::empty();
    for &group in groups {
        if group >= group_count(size) {
            return Err(ProofError::OutOfRange { group, size });
        }
        ranges |= ChunkRanges::from(ChunkNum(group * per_group)..ChunkNum((group + 1) * per_group));
    }
    Ok(ranges)
}

/// Checks an answer to a challenge against the blob id and size alone. Returns the number of
/// data bytes the answer proved.
pub fn verify(id: BlobId, size: u64, groups: &[u64], answer: &[u8]) -> Result<u64, ProofError> {
    let ranges = ranges_of(groups, size)?;
    let tree = BaoTree::new(size, BLOCK_SIZE);
    let mut reader = answer;
    let mut proved = 0u64;
    for item in DecodeResponseIter::new(id.hash(), tree, &mut reader, &ranges) {
        match item {
            Ok(BaoContentItem::Leaf(leaf)) => proved += leaf.data.len() as u64,
            Ok(BaoContentItem::Parent(_)) => {}
            Err(e) => return Err(ProofError::Invalid(io::Error::from(e).to_string())),
        }
    }
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    if !rest.is_empty() {
        return Err(ProofError::TrailingBytes(rest.len()));
    }
    Ok(proved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BlobStore;

    fn store_with(bytes: &[u8]) -> (tempfile::TempDir, BlobStore, BlobId) {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path().join("s")).unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        let (id, _) = store.import_file(&path).unwrap();
        (dir, store, id)
    }

    #[test]
    fn an_honest_answer_verifies_and_a_lost_byte_does_not() {
        let bytes: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let size = bytes.len() as u64;
        let (_dir, store, id) = store_with(&bytes);
        let groups = challenge_groups(id, size, &[9; 32], 8);
        assert_eq!(groups.len(), 8);
        assert_eq!(groups, challenge_groups(id, size, &[9; 32], 8));
        assert_ne!(groups, challenge_groups(id, size, &[10; 32], 8));
        let mut answer = Vec::new();
        store.prove(id, &groups, &mut answer).unwrap();
        let proved = verify(id, size, &groups, &answer).unwrap();
        assert_eq!(proved, 8 * CHUNK_GROUP_BYTES);

        // Alter one byte of a challenged group on disk: the answer no longer verifies.
        let mut copy = std::fs::read(store.data_path(id)).unwrap();
        copy[(groups[3] * CHUNK_GROUP_BYTES + 5) as usize] ^= 1;
        std::fs::write(store.data_path(id), copy).unwrap();
        let mut answer = Vec::new();
        store.prove(id, &groups, &mut answer).unwrap();
        assert!(matches!(
            verify(id, size, &groups, &answer),
            Err(ProofError::Invalid(_))
        ));
        // An answer for other groups, or a truncated one, does not verify either.
        assert!(verify(id, size, &groups[..4], &answer).is_err());
        assert!(verify(id, size, &groups, &answer[..answer.len() - 1]).is_err());
        assert_eq!(
            verify(id, size, &[], &answer),
            Err(ProofError::BadChallenge(0))
        );
    }
}
