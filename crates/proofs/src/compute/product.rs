//! The O(n³) kernel: rows of A times B mod p. The prover runs it over all of B; the verifier
//! runs it over B streamed a few rows at a time, so both compute exactly the same sums.

use super::challenge::MAX_N;
use super::field::{fold, reduce};
use super::meter::{self, Meter};

/// Products summed in `u64` before a fold: each is at most (p − 1)² < 2⁶², so four of them
/// stay below 2⁶⁴.
const K_STEP: usize = 4;

// Each fold adds less than 2³⁴ to an accumulator and an entry of C sees at most n folds.
const _: () = assert!((MAX_N as u64) < (1u64 << 30));

/// `acc += a[.., k0..k0 + m] · b_rows`, where `a` holds whole rows of A (length `n`),
/// `b_rows` holds rows `k0..k0 + m` of B, and `acc` holds one unreduced entry per entry of
/// `a`. Summed over disjoint ranges of k covering `0..n`, then [`finish`]ed, this is `a · B`.
///
/// The loop runs over k outside j, so B is read row by row, sequentially, and every group of
/// `K_STEP` rows of B serves all rows of `a` while it is still in cache.
pub(crate) fn accumulate(
    a: &[u32],
    n: usize,
    k0: usize,
    b_rows: &[u32],
    acc: &mut [u64],
    meter: Meter<'_>,
) {
    debug_assert_eq!(a.len(), acc.len());
    debug_assert_eq!(b_rows.len() % n, 0);
    let mut groups = b_rows.chunks_exact(K_STEP * n);
    let mut k = k0;
    for group in &mut groups {
        let (b0, rest) = group.split_at(n);
        let (b1, rest) = rest.split_at(n);
        let (b2, b3) = rest.split_at(n);
        for (a_row, acc_row) in a.chunks_exact(n).zip(acc.chunks_exact_mut(n)) {
            let x0 = u64::from(a_row[k]);
            let x1 = u64::from(a_row[k + 1]);
            let x2 = u64::from(a_row[k + 2]);
            let x3 = u64::from(a_row[k + 3]);
            for ((((s, &y0), &y1), &y2), &y3) in acc_row.iter_mut().zip(b0).zip(b1).zip(b2).zip(b3)
            {
                *s += fold(
                    x0 * u64::from(y0)
                        + x1 * u64::from(y1)
                        + x2 * u64::from(y2)
                        + x3 * u64::from(y3),
                );
            }
        }
        k += K_STEP;
    }
    for bk in groups.remainder().chunks_exact(n) {
        for (a_row, acc_row) in a.chunks_exact(n).zip(acc.chunks_exact_mut(n)) {
            let x = u64::from(a_row[k]);
            for (s, &y) in acc_row.iter_mut().zip(bk) {
                *s += fold(x * u64::from(y));
            }
        }
        k += 1;
    }
    meter::mul_adds(meter, (a.len() * (b_rows.len() / n)) as u64);
}

/// Reduces accumulated entries to elements of `[0, p)`.
pub(crate) fn finish(acc: &[u64], out: &mut [u32]) {
    for (o, &s) in out.iter_mut().zip(acc) {
        *o = reduce(s);
    }
}

/// `out = a · b mod p`, where `a` holds whole rows of length `n` and `b` is n×n row-major.
pub(crate) fn multiply_rows(a: &[u32], b: &[u32], n: usize, out: &mut [u32], meter: Meter<'_>) {
    let mut acc = vec![0u64; a.len()];
    accumulate(a, n, 0, b, &mut acc, meter);
    finish(&acc, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::field::{mul, P};
    use proptest::prelude::*;

    fn naive(a: &[u32], b: &[u32], n: usize) -> Vec<u32> {
        let rows = a.len() / n;
        let mut c = vec![0u32; rows * n];
        for i in 0..rows {
            for j in 0..n {
                let mut s = 0u64;
                for k in 0..n {
                    s = (s + u64::from(mul(a[i * n + k], b[k * n + j]))) % u64::from(P);
                }
                c[i * n + j] = s as u32;
            }
        }
        c
    }

    proptest! {
        #[test]
        fn the_kernel_agrees_with_the_textbook_product(
            n in 1usize..12,
            rows in 1usize..5,
            split in 1usize..12,
            fill in prop::collection::vec(0..P, 200),
        ) {
            let a: Vec<u32> = (0..rows * n).map(|x| fill[x % fill.len()]).collect();
            let b: Vec<u32> = (0..n * n).map(|x| fill[(x * 7 + 3) % fill.len()]).collect();
            let mut whole = vec![0u32; rows * n];
            multiply_rows(&a, &b, n, &mut whole, None);
            prop_assert_eq!(&whole, &naive(&a, &b, n));

            // B fed in slices of `split` rows, as the verifier streams it.
            let mut acc = vec![0u64; rows * n];
            for (s, slice) in b.chunks(split * n).enumerate() {
                accumulate(&a, n, s * split, slice, &mut acc, None);
            }
            let mut streamed = vec![0u32; rows * n];
            finish(&acc, &mut streamed);
            prop_assert_eq!(streamed, whole);
        }
    }

    #[test]
    fn the_largest_elements_do_not_overflow_at_the_largest_dimension() {
        let n = MAX_N as usize;
        let a = vec![P - 1; n];
        let b = vec![P - 1; n * n];
        let mut out = vec![0u32; n];
        multiply_rows(&a, &b, n, &mut out, None);
        // (p − 1)² ≡ 1, so every entry is n mod p.
        assert!(out.iter().all(|&c| c == MAX_N));
    }
}
