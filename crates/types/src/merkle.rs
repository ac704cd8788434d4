//! Binary Merkle trees over blake3, with proofs of inclusion.
//!
//! Leaves are hashed by the caller (with their own domain separation); inner nodes are
//! `blake3("plexus/merkle/node" ‖ left ‖ right)`. A level with an odd number of nodes promotes
//! its last node unchanged. The tree of no leaves has root [`Hash::ZERO`]. Proofs carry the leaf
//! count, which tells the verifier the tree's shape; leaves should name what they commit to
//! (a device, a row index), since the root does not commit to the leaf count.

use crate::hash::Hash;
use serde::{Deserialize, Serialize};

/// Longest proof accepted: trees of up to 2⁴⁰ leaves.
pub const MAX_PROOF_DEPTH: usize = 40;

fn node(left: &Hash, right: &Hash) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(b"plexus/merkle/node");
    h.update(&left.0);
    h.update(&right.0);
    Hash(*h.finalize().as_bytes())
}

/// Levels at least this wide are hashed on all of rayon's threads: a manifest's tree of 10⁶
/// leaves is 10⁶ node hashes, and one thread leaves the rest of the machine idle. Each level
/// is collected in order, so the tree is the same on any number of threads.
const PARALLEL_LEVEL: usize = 1 << 14;

/// The level above `level`: nodes of adjacent pairs, an odd last node promoted unchanged.
fn next_level(level: &[Hash]) -> Vec<Hash> {
    use rayon::prelude::*;
    let pair = |pair: &[Hash]| match pair {
        [a, b] => node(a, b),
        [a] => *a,
        _ => unreachable!("chunks(2) yields one or two items"),
    };
    if level.len() >= PARALLEL_LEVEL {
        level.par_chunks(2).map(pair).collect()
    } else {
        level.chunks(2).map(pair).collect()
    }
}

/// All levels of a tree, leaves first, kept to serve proofs.
#[derive(Debug, Clone)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

/// Sibling hashes from a leaf up to the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerkleProof {
    pub index: u64,
    pub leaf_count: u64,
    pub siblings: Vec<Hash>,
}

impl MerkleTree {
    pub fn new(leaves: Vec<Hash>) -> MerkleTree {
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let next = next_level(levels.last().expect("non-empty"));
            levels.push(next);
        }
        MerkleTree { levels }
    }

    pub fn root(&self) -> Hash {
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or(Hash::ZERO)
    }

    pub fn leaf_count(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// The proof for leaf `index`, or `None` past the end.
    pub fn proof(&self, index: u64) -> Option<MerkleProof> {
        if index >= self.leaf_count() {
            return None;
        }
        let mut siblings = Vec::new();
        let mut i = index as usize;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if sibling < level.len() {
                siblings.push(level[sibling]);
            }
            i /= 2;
        }
        Some(MerkleProof {
            index,
            leaf_count: self.leaf_count(),
            siblings,
        })
    }
}

/// The root of a tree over `leaves`, without keeping the levels.
pub fn merkle_root(leaves: Vec<Hash>) -> Hash {
    MerkleTree::new(leaves).root()
}

impl MerkleProof {
    /// Whether `leaf` sits at `self.index` of a `self.leaf_count`-leaf tree with root `root`.
    pub fn verify(&self, root: &Hash, leaf: &Hash) -> bool {
        if self.index >= self.leaf_count || self.siblings.len() > MAX_PROOF_DEPTH {
            return false;
        }
        let mut acc = *leaf;
        let mut i = self.index;
        let mut width = self.leaf_count;
        let mut siblings = self.siblings.iter();
        while width > 1 {
            let is_right = i % 2 == 1;
            let has_sibling = is_right || i + 1 < width;
            if has_sibling {
                let Some(s) = siblings.next() else {
                    return false;
                };
                acc = if is_right {
                    node(s, &acc)
                } else {
                    node(&acc, s)
                };
            }
            i /= 2;
            width = width.div_ceil(2);
        }
        siblings.next().is_none() && acc == *root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| Hash::of(&(i as u64).to_le_bytes()))
            .collect()
    }

    /// The rule in the module documentation, written out: hash adjacent pairs left to right,
    /// promote an odd last node, until one node is left.
    fn root_by_the_rule(mut level: Vec<Hash>) -> Hash {
        if level.is_empty() {
            return Hash::ZERO;
        }
        while level.len() > 1 {
            let mut next = Vec::new();
            let mut i = 0;
            while i < level.len() {
                if i + 1 < level.len() {
                    let mut bytes = b"plexus/merkle/node".to_vec();
                    bytes.extend_from_slice(&level[i].0);
                    bytes.extend_from_slice(&level[i + 1].0);
                    next.push(Hash(*blake3::hash(&bytes).as_bytes()));
                } else {
                    next.push(level[i]);
                }
                i += 2;
            }
            level = next;
        }
        level[0]
    }

    #[test]
    fn wide_levels_hashed_on_many_threads_give_the_roots_the_rule_gives() {
        for n in [
            0,
            1,
            PARALLEL_LEVEL - 1,
            PARALLEL_LEVEL,
            PARALLEL_LEVEL + 1,
            3 * PARALLEL_LEVEL + 5,
        ] {
            let tree = MerkleTree::new(leaves(n));
            assert_eq!(tree.root(), root_by_the_rule(leaves(n)), "{n} leaves");
            let last = n.saturating_sub(1) as u64;
            if let Some(proof) = tree.proof(last) {
                assert!(proof.verify(&tree.root(), &leaves(n)[last as usize]));
            }
        }
    }

    proptest! {
        #[test]
        fn every_leaf_proves_and_no_other_leaf_or_index_does(n in 1usize..70, pick in 0usize..70) {
            let ls = leaves(n);
            let tree = MerkleTree::new(ls.clone());
            let i = pick % n;
            let proof = tree.proof(i as u64).unwrap();
            prop_assert!(proof.verify(&tree.root(), &ls[i]));
            prop_assert!(!proof.verify(&tree.root(), &Hash::of(b"other")));
            if n > 1 {
                let mut moved = proof.clone();
                moved.index = ((i + 1) % n) as u64;
                prop_assert!(!moved.verify(&tree.root(), &ls[i]));
            }
        }
    }

    #[test]
    fn an_empty_tree_has_the_zero_root_and_no_proofs() {
        let tree = MerkleTree::new(vec![]);
        assert_eq!(tree.root(), Hash::ZERO);
        assert!(tree.proof(0).is_none());
    }
}
