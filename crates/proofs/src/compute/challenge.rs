//! The challenge an oracle sends: a seed and a dimension, from which both sides derive the
//! matrices A and B.

use super::field::P;
use super::meter::{self, Meter};
use super::ComputeError;
use plexus_types::Hash;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Largest matrix dimension a challenge may name. It bounds what a verifier spends on one
/// row (n² multiply-adds and n² derived elements, in O(n) memory) and so what the ledger
/// spends on a fraud proof; the prover holds A, B and C, 192 MiB at this size.
pub const MAX_N: u32 = 4096;

const ID_DOMAIN: &[u8] = b"plexus/compute/id";
const SEED_DOMAIN: &[u8] = b"plexus/compute/seed";
const A_DOMAIN: &[u8] = b"plexus/compute/a";
const B_DOMAIN: &[u8] = b"plexus/compute/b";

/// Multiply C = A·B mod p for the n×n matrices A and B derived from `seed`.
///
/// Only valid challenges exist: [`ComputeChallenge::new`] and deserialization both reject a
/// dimension outside `1..=MAX_N` before anything is allocated. On the wire the seed is hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ChallengeWire", into = "ChallengeWire")]
pub struct ComputeChallenge {
    seed: [u8; 32],
    n: u32,
}

#[derive(Serialize, Deserialize)]
struct ChallengeWire {
    seed: Hash,
    n: u32,
}

impl TryFrom<ChallengeWire> for ComputeChallenge {
    type Error = ComputeError;
    fn try_from(wire: ChallengeWire) -> Result<Self, ComputeError> {
        ComputeChallenge::new(wire.seed.0, wire.n)
    }
}

impl From<ComputeChallenge> for ChallengeWire {
    fn from(c: ComputeChallenge) -> Self {
        ChallengeWire {
            seed: Hash(c.seed),
            n: c.n,
        }
    }
}

impl ComputeChallenge {
    pub fn new(seed: [u8; 32], n: u32) -> Result<ComputeChallenge, ComputeError> {
        if n == 0 || n > MAX_N {
            return Err(ComputeError::Dimension { n, max: MAX_N });
        }
        Ok(ComputeChallenge { seed, n })
    }

    /// A challenge whose seed commits to `secret`, which the oracle keeps until the prover
    /// has committed to its answer and then reveals to pick the rows to open
    /// ([`sample_rows`](super::sample_rows)). Draw `secret` fresh and uniformly for every
    /// challenge.
    pub fn from_secret(secret: &[u8; 32], n: u32) -> Result<ComputeChallenge, ComputeError> {
        ComputeChallenge::new(seed_of(secret), n)
    }

    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The matrix dimension, in `1..=MAX_N`.
    pub fn n(&self) -> u32 {
        self.n
    }

    /// Names the challenge in evidence and fraud proofs; binds both the seed and `n`.
    pub fn id(&self) -> Hash {
        let mut h = blake3::Hasher::new();
        h.update(ID_DOMAIN);
        h.update(&self.seed);
        h.update(&self.n.to_le_bytes());
        Hash(*h.finalize().as_bytes())
    }

    /// Row `i` of A, derived on its own so that a verifier checking one row of C never
    /// derives the rest of A.
    pub fn a_row(&self, i: u32) -> Result<Vec<u32>, ComputeError> {
        self.check_row_index(i)?;
        Ok(self.row(Matrix::A, i, None))
    }

    /// B, row-major (`n·n` elements).
    pub fn b_matrix(&self) -> Vec<u32> {
        self.matrix(Matrix::B, None)
    }

    pub(crate) fn check_row_index(&self, i: u32) -> Result<(), ComputeError> {
        if i >= self.n {
            return Err(ComputeError::RowOutOfRange {
                index: i,
                n: self.n,
            });
        }
        Ok(())
    }

    /// All of `m`, its rows derived in parallel.
    pub(crate) fn matrix(&self, m: Matrix, meter: Meter<'_>) -> Vec<u32> {
        let n = self.n as usize;
        let mut out = vec![0u32; n * n];
        out.par_chunks_exact_mut(n)
            .enumerate()
            // `i` is below n, which is at most MAX_N.
            .for_each(|(i, row)| self.fill_rows(m, i as u32, row, meter));
        out
    }

    pub(crate) fn row(&self, m: Matrix, i: u32, meter: Meter<'_>) -> Vec<u32> {
        let mut out = vec![0u32; self.n as usize];
        self.fill_rows(m, i, &mut out, meter);
        out
    }

    /// Rows `first..` of `m`, as many as `rows` holds, on the calling thread. Each row has its
    /// own stream, so a row derives without the rows before it and a verifier can stream a
    /// matrix in slices.
    pub(crate) fn fill_rows(&self, m: Matrix, first: u32, rows: &mut [u32], meter: Meter<'_>) {
        let domain = match m {
            Matrix::A => A_DOMAIN,
            Matrix::B => B_DOMAIN,
        };
        for (i, row) in (first..).zip(rows.chunks_exact_mut(self.n as usize)) {
            let mut h = blake3::Hasher::new();
            h.update(domain);
            h.update(&self.seed);
            h.update(&self.n.to_le_bytes());
            h.update(&i.to_le_bytes());
            fill_elements(h.finalize_xof(), row);
        }
        meter::derived(meter, rows.len() as u64);
    }
}

/// The two seeded factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Matrix {
    A,
    B,
}

pub(crate) fn seed_of(secret: &[u8; 32]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(SEED_DOMAIN);
    h.update(secret);
    *h.finalize().as_bytes()
}

/// Fills `out` with the first uniform elements of `[0, p)` in an extendable output: the
/// stream is read as little-endian `u32` words, the top bit dropped, and the one value equal
/// to p skipped (rejection sampling, so every element is exactly uniform).
pub(crate) fn fill_elements(mut xof: blake3::OutputReader, out: &mut [u32]) {
    let mut buf = [0u8; 4096];
    let mut filled = 0;
    while filled < out.len() {
        let want = (out.len() - filled).min(buf.len() / 4);
        let bytes = &mut buf[..4 * want];
        xof.fill(bytes);
        let dst = &mut out[filled..filled + want];
        for (d, w) in dst.iter_mut().zip(bytes.chunks_exact(4)) {
            *d = u32::from_le_bytes([w[0], w[1], w[2], w[3]]) & P;
        }
        // A word equal to p turns up about once in 2³¹ words; moving the rest up in that rare
        // case keeps the common path a straight copy.
        let kept = if dst.contains(&P) {
            let mut kept = 0;
            for i in 0..want {
                if dst[i] != P {
                    dst[kept] = dst[i];
                    kept += 1;
                }
            }
            kept
        } else {
            want
        };
        filled += kept;
    }
}
