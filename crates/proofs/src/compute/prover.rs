//! The prover's side: compute C = A·B, commit to its rows in a Merkle tree, open rows on
//! request.

use super::challenge::{ComputeChallenge, Matrix, MAX_N};
use super::meter::{self, Meter};
use super::product::multiply_rows;
use super::ComputeError;
use plexus_types::merkle::{MerkleProof, MerkleTree};
use plexus_types::Hash;
use rayon::prelude::*;
use serde::de::{Error as _, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

const ROW_DOMAIN: &[u8] = b"plexus/compute/row";

/// Rows of C computed per task: enough to reuse each slice of B several times from cache,
/// few enough that the accumulators (8·n bytes per row) stay in L2 at the largest n.
const ROW_BLOCK: usize = 8;

/// A committed answer: the product C and the Merkle tree over its rows.
#[derive(Debug, Clone)]
pub struct ComputeProof {
    challenge: ComputeChallenge,
    product: Vec<u32>,
    tree: MerkleTree,
}

/// Row `index` of a committed C with its path to the root. Signed by the device together
/// with the root, a wrong row is a fraud proof ([`is_fraud`](super::is_fraud)).
///
/// Decoding refuses a row longer than [`MAX_N`] before allocating for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowOpening {
    pub index: u32,
    #[serde(deserialize_with = "bounded_row")]
    pub row: Vec<u32>,
    pub proof: MerkleProof,
}

fn bounded_row<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
    struct RowVisitor;
    impl<'de> Visitor<'de> for RowVisitor {
        type Value = Vec<u32>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a row of at most {MAX_N} elements")
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Vec<u32>, S::Error> {
            let max = MAX_N as usize;
            let mut row = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(max));
            while let Some(x) = seq.next_element()? {
                if row.len() == max {
                    return Err(S::Error::invalid_length(max + 1, &self));
                }
                row.push(x);
            }
            Ok(row)
        }
    }
    d.deserialize_seq(RowVisitor)
}

/// The Merkle leaf for row `index` of C: blake3("plexus/compute/row" ‖ index ‖ row), all
/// integers `u32` little-endian. The index is inside the leaf because the root alone does
/// not pin which position a leaf came from.
pub fn row_leaf(index: u32, row: &[u32]) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(ROW_DOMAIN);
    h.update(&index.to_le_bytes());
    let mut buf = [0u8; 1024];
    for chunk in row.chunks(buf.len() / 4) {
        for (dst, x) in buf.chunks_exact_mut(4).zip(chunk) {
            dst.copy_from_slice(&x.to_le_bytes());
        }
        h.update(&buf[..4 * chunk.len()]);
    }
    Hash(*h.finalize().as_bytes())
}

/// Does the work: derives A and B, computes C = A·B mod p on all cores, and commits to it.
pub fn prove(challenge: &ComputeChallenge) -> ComputeProof {
    prove_metered(challenge, None)
}

pub(crate) fn prove_metered(challenge: &ComputeChallenge, meter: Meter<'_>) -> ComputeProof {
    let n = challenge.n() as usize;
    let a = challenge.matrix(Matrix::A, meter);
    let b = challenge.matrix(Matrix::B, meter);
    let mut product = vec![0u32; n * n];
    product
        .par_chunks_mut(ROW_BLOCK * n)
        .zip(a.par_chunks(ROW_BLOCK * n))
        .for_each(|(out, rows)| multiply_rows(rows, &b, n, out, meter));
    commit_unchecked(*challenge, product, meter)
}

impl ComputeProof {
    /// Commits to any claimed product, right or wrong; it is how a device's answer is rebuilt
    /// from its rows, and how tests play a cheating prover. `product` is C row-major and must
    /// hold `n·n` elements.
    pub fn commit(
        challenge: &ComputeChallenge,
        product: Vec<u32>,
    ) -> Result<ComputeProof, ComputeError> {
        let n = challenge.n() as usize;
        if product.len() != n * n {
            return Err(ComputeError::ProductLength {
                expected: n * n,
                got: product.len(),
            });
        }
        Ok(commit_unchecked(*challenge, product, None))
    }

    /// The commitment the device signs and sends before the deadline.
    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    pub fn challenge(&self) -> &ComputeChallenge {
        &self.challenge
    }

    /// C, row-major.
    pub fn product(&self) -> &[u32] {
        &self.product
    }

    /// Row `i` of C with its inclusion proof.
    pub fn open(&self, i: u32) -> Result<RowOpening, ComputeError> {
        self.challenge.check_row_index(i)?;
        let n = self.challenge.n() as usize;
        let start = i as usize * n;
        let proof = self
            .tree
            .proof(u64::from(i))
            .ok_or(ComputeError::RowOutOfRange {
                index: i,
                n: self.challenge.n(),
            })?;
        Ok(RowOpening {
            index: i,
            row: self.product[start..start + n].to_vec(),
            proof,
        })
    }
}

fn commit_unchecked(
    challenge: ComputeChallenge,
    product: Vec<u32>,
    meter: Meter<'_>,
) -> ComputeProof {
    let n = challenge.n() as usize;
    let leaves: Vec<Hash> = product
        .par_chunks_exact(n)
        .zip(0..challenge.n())
        .map(|(row, i)| row_leaf(i, row))
        .collect();
    meter::hashed(meter, product.len() as u64);
    // A binary tree over n leaves has n − 1 inner nodes.
    meter::nodes(meter, (n - 1) as u64);
    ComputeProof {
        challenge,
        product,
        tree: MerkleTree::new(leaves),
    }
}
