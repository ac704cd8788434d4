//! Exact floor(a × b / d) for any 128-bit operands, through a 256-bit intermediate product.
//! Reward math must never round twice or overflow silently, and no float is exact enough.

const LOW_64: u128 = u64::MAX as u128;

/// The full product `a × b` as its (high, low) 128-bit halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a_hi, a_lo) = (a >> 64, a & LOW_64);
    let (b_hi, b_lo) = (b >> 64, b & LOW_64);
    // Each partial product of two 64-bit limbs fits 128 bits.
    let lo_lo = a_lo * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_lo = a_hi * b_lo;
    let hi_hi = a_hi * b_hi;
    // Three terms below 2⁶⁴ each: no overflow.
    let middle = (lo_lo >> 64) + (lo_hi & LOW_64) + (hi_lo & LOW_64);
    let low = (lo_lo & LOW_64) | (middle << 64);
    let high = hi_hi + (lo_hi >> 64) + (hi_lo >> 64) + (middle >> 64);
    (high, low)
}

/// floor(a × b / d); `None` when `d` is zero or the quotient needs more than 128 bits (never
/// the case when `b ≤ d`, since then the quotient is at most `a`).
pub fn mul_div_floor(a: u128, b: u128, d: u128) -> Option<u128> {
    if d == 0 {
        return None;
    }
    let (high, low) = mul_wide(a, b);
    if high == 0 {
        return Some(low / d);
    }
    if high >= d {
        return None;
    }
    // Binary long division of the low half into a remainder that starts at `high < d`. The
    // remainder stays below `d`; a bit shifted out of it means the true value exceeds 2¹²⁸ > d,
    // and the wrapping subtraction then gives the true difference.
    let mut remainder = high;
    let mut quotient = 0u128;
    for bit in (0..128).rev() {
        let overflowed = remainder >> 127 == 1;
        remainder = (remainder << 1) | ((low >> bit) & 1);
        quotient <<= 1;
        if overflowed || remainder >= d {
            remainder = remainder.wrapping_sub(d);
            quotient |= 1;
        }
    }
    Some(quotient)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wide_product_of_the_largest_operands_is_exact() {
        // (2¹²⁸ − 1)² = 2²⁵⁶ − 2¹²⁹ + 1
        assert_eq!(mul_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_wide(1 << 64, 1 << 64), (1, 0));
    }

    #[test]
    fn quotients_that_need_the_wide_product_are_exact() {
        assert_eq!(
            mul_div_floor(u128::MAX, u128::MAX, u128::MAX),
            Some(u128::MAX)
        );
        assert_eq!(mul_div_floor(u128::MAX, 3, 4), Some(u128::MAX / 4 * 3 + 2));
        assert_eq!(
            mul_div_floor(u128::MAX, u128::MAX - 1, u128::MAX),
            Some(u128::MAX - 1)
        );
        assert_eq!(mul_div_floor(1 << 100, 1 << 100, 1 << 90), Some(1 << 110));
    }

    #[test]
    fn a_zero_divisor_or_an_oversized_quotient_is_refused() {
        assert_eq!(mul_div_floor(5, 5, 0), None);
        assert_eq!(mul_div_floor(u128::MAX, 2, 1), None);
    }
}
