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
            let prev = levels.last().expect("non-empty");
            let next = prev
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] => node(a, b),
                    [a] => *a,
                    _ => unreachable!("chunks(2) yields one or two items"),
                })
                .collect();
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
