//! Freivalds' check of a whole product: C = A·B is tested as A·(B·r) = C·r for random
//! vectors r, in O(n²) per round instead of the O(n³) of recomputing C.

use super::challenge::{fill_elements, ComputeChallenge, Matrix};
use super::field::{dot, P};
use rayon::prelude::*;

const FREIVALDS_DOMAIN: &[u8] = b"plexus/compute/freivalds";

/// Rounds tested per pass over A and B; bounds the memory at 8·n words whatever `rounds` is.
const ROUNDS_PER_PASS: u32 = 8;

/// Whether `c` (row-major, `n·n` elements, each in `[0, p)`) is A·B for `challenge`, tested
/// with `rounds` random vectors drawn from `seed`.
///
/// Never rejects the true product. Accepts a wrong one with probability at most p⁻ʳᵒᵘⁿᵈˢ
/// (p = 2³¹ − 1): if D = A·B − C ≠ 0, some row d of D is nonzero, and for r uniform over
/// F_pⁿ the value d·r is uniform over F_p, so it is zero with probability exactly 1/p; rounds
/// use independent vectors. One round already errs with probability below 5·10⁻¹⁰, two
/// below 2.2·10⁻¹⁹. (With 0/1 vectors, the textbook variant, the bound is only ½ per round.)
///
/// The bound needs `seed` to be unknown to whoever chose `c`: draw it after receiving C.
/// Zero rounds prove nothing, so they accept nothing. A `c` of the wrong length or with an
/// unreduced element is rejected outright (an unreduced entry could otherwise pass the
/// congruence test while differing from the product).
///
/// Cost per pass of up to eight rounds: A and B derived row by row (2n² elements, O(n)
/// memory each) and 3n² multiply-adds per round.
pub fn freivalds(challenge: &ComputeChallenge, c: &[u32], rounds: u32, seed: [u8; 32]) -> bool {
    let n = challenge.n() as usize;
    if rounds == 0 || c.len() != n * n || c.iter().any(|&x| x >= P) {
        return false;
    }
    let id = challenge.id();
    let mut first = 0;
    while first < rounds {
        let last = rounds.min(first.saturating_add(ROUNDS_PER_PASS));
        let vectors: Vec<Vec<u32>> = (first..last)
            .map(|round| {
                let mut h = blake3::Hasher::new();
                h.update(FREIVALDS_DOMAIN);
                h.update(&seed);
                h.update(id.as_bytes());
                h.update(&round.to_le_bytes());
                let mut r = vec![0u32; n];
                fill_elements(h.finalize_xof(), &mut r);
                r
            })
            .collect();
        if !pass(challenge, c, &vectors) {
            return false;
        }
        first = last;
    }
    true
}

/// Tests A·(B·r) = C·r for each r in `vectors`, deriving each row of B and of A once.
fn pass(challenge: &ComputeChallenge, c: &[u32], vectors: &[Vec<u32>]) -> bool {
    let n = challenge.n() as usize;
    // (B·r)[i] for every r, row i of B at a time.
    let by_row: Vec<Vec<u32>> = (0..challenge.n())
        .into_par_iter()
        .map(|i| {
            let b_row = challenge.row(Matrix::B, i, None);
            vectors.iter().map(|r| dot(&b_row, r)).collect()
        })
        .collect();
    let br: Vec<Vec<u32>> = (0..vectors.len())
        .map(|t| by_row.iter().map(|row| row[t]).collect())
        .collect();
    (0..challenge.n()).into_par_iter().all(|i| {
        let a_row = challenge.row(Matrix::A, i, None);
        let c_row = &c[i as usize * n..(i as usize + 1) * n];
        vectors
            .iter()
            .zip(&br)
            .all(|(r, y)| dot(&a_row, y) == dot(c_row, r))
    })
}
