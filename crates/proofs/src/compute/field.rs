//! Integers mod p = 2³¹ − 1. Elements are `u32` in `[0, p)`; products are formed in `u64`.
//!
//! Because 2³¹ ≡ 1 (mod p), a 64-bit value folds to a congruent smaller one with a mask, a
//! shift and an add, so the hot loops never divide.

/// The modulus, the Mersenne prime 2³¹ − 1.
pub const P: u32 = (1 << 31) - 1;

const P64: u64 = P as u64;

/// A value congruent to `x` (mod p) and below 2³³ + 2³¹: the low 31 bits are below 2³¹ and
/// the high 33 bits below 2³³.
#[inline(always)]
pub(crate) fn fold(x: u64) -> u64 {
    (x & P64) + (x >> 31)
}

/// `x` reduced to `[0, p)`, for any `u64`.
#[inline(always)]
pub(crate) fn reduce(x: u64) -> u32 {
    // One fold leaves fewer than 2³⁴; a second leaves at most 2³¹ + 7 < 2p, so one
    // conditional subtraction finishes.
    let y = fold(fold(x));
    (if y >= P64 { y - P64 } else { y }) as u32
}

/// `a · b mod p` for elements in `[0, p)`; the reference the kernels are tested against.
#[cfg(test)]
pub(crate) fn mul(a: u32, b: u32) -> u32 {
    reduce(u64::from(a) * u64::from(b))
}

/// Dot product mod p of two equally long vectors of elements in `[0, p)`.
pub(crate) fn dot(a: &[u32], b: &[u32]) -> u32 {
    // Each folded product is below 2³⁴ and a vector holds at most MAX_N ≤ 2³⁰ of them, so
    // the sum stays far below 2⁶⁴.
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| fold(u64::from(x) * u64::from(y)))
        .sum();
    reduce(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn reduction_agrees_with_the_remainder(x in any::<u64>()) {
            prop_assert_eq!(u64::from(reduce(x)), x % P64);
        }

        #[test]
        fn multiplication_agrees_with_wide_arithmetic(a in 0..P, b in 0..P) {
            let wide = u128::from(a) * u128::from(b) % u128::from(P);
            prop_assert_eq!(u128::from(mul(a, b)), wide);
        }
    }

    #[test]
    fn the_largest_values_reduce_without_overflow() {
        assert_eq!(reduce(u64::MAX), (u64::MAX % P64) as u32);
        assert_eq!(mul(P - 1, P - 1), 1);
        assert_eq!(reduce(P64), 0);
    }
}
