//! A decimal `digits * 10^exponent` (at most 19 digits, exactly held in a `u64`) as the
//! nearest double, without reading the text again.
//!
//! Clinger's fast path takes what one exact multiplication or division rounds correctly;
//! Eisel and Lemire's algorithm (Lemire, "Number Parsing at a Gigabyte per Second", 2021:
//! the one Rust's standard library, simdjson and fast_float use) takes nearly all the rest
//! with one or two 64-bit products against a table of powers of five. The rare case it
//! cannot decide (`None`) goes back to the caller, which asks the standard library.

use super::powers_of_five::{LARGEST, POWERS, SMALLEST};

/// `digits * 10^exponent` rounded to the nearest double (ties to even), infinity past the
/// largest; `None` where the caller must parse the text instead.
#[inline]
pub(super) fn decimal_to_f64(digits: u64, exponent: i64) -> Option<f64> {
    // Clinger: an integer below 2**53 and a power of ten up to 10**22 are both exact
    // doubles, so one multiplication or division rounds correctly.
    const POWERS_OF_TEN: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];
    if digits <= 1 << 53 && exponent.abs() <= 22 {
        let m = digits as f64;
        return Some(if exponent < 0 {
            m / POWERS_OF_TEN[(-exponent) as usize]
        } else {
            m * POWERS_OF_TEN[exponent as usize]
        });
    }
    eisel_lemire(digits, exponent).map(f64::from_bits)
}

/// Bits of a double.
const SIGNIFICAND_BITS: i32 = 52;
const MINIMUM_EXPONENT: i32 = -1023;
const INFINITE_POWER: i32 = 0x7ff;
/// The powers of ten at which a product can be exactly halfway between two doubles.
const ROUND_TO_EVEN: std::ops::RangeInclusive<i64> = -4..=23;

/// The bits of the double nearest `w * 10^q`, or `None` where the 128-bit product cannot
/// decide the rounding.
#[inline]
fn eisel_lemire(mut w: u64, q: i64) -> Option<u64> {
    if w == 0 || q < SMALLEST {
        return Some(0);
    }
    if q > LARGEST {
        return Some(f64::INFINITY.to_bits());
    }
    // Normalise, so the top bit is set.
    let lz = w.leading_zeros();
    w <<= lz;
    let (lo, hi) = product(q, w);
    if lo == u64::MAX && !(-27..=55).contains(&q) {
        // The truncated power of five may be one short of the truth, and that may carry.
        return None;
    }
    let upper = (hi >> 63) as i32;
    let shift = upper + 64 - SIGNIFICAND_BITS - 3;
    let mut mantissa = hi >> shift;
    // floor(log2(10^q)) + 63, by a fixed-point product: exact over the table's range.
    let log2 = ((q as i32).wrapping_mul(152_170 + 65_536) >> 16) + 63;
    let mut power2 = log2 + upper - lz as i32 - MINIMUM_EXPONENT;
    if power2 <= 0 {
        // Subnormal, or zero.
        if -power2 + 1 >= 64 {
            return Some(0);
        }
        mantissa >>= -power2 + 1;
        mantissa += mantissa & 1;
        mantissa >>= 1;
        let biased = u64::from(mantissa >= 1 << SIGNIFICAND_BITS);
        return Some(mantissa & ((1 << SIGNIFICAND_BITS) - 1) | biased << SIGNIFICAND_BITS);
    }
    // Exactly halfway (only possible where 5^q fits a word): round to even, not up.
    if lo <= 1 && ROUND_TO_EVEN.contains(&q) && mantissa & 3 == 1 && mantissa << shift == hi {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= 2 << SIGNIFICAND_BITS {
        mantissa = 1 << SIGNIFICAND_BITS;
        power2 += 1;
    }
    if power2 >= INFINITE_POWER {
        return Some(f64::INFINITY.to_bits());
    }
    Some(mantissa & !(1 << SIGNIFICAND_BITS) | (power2 as u64) << SIGNIFICAND_BITS)
}

/// The high 128 bits of `w` times the 128-bit 5^q: one product where it settles the top
/// 55 bits, two where their low bits are all ones (a carry from below could change them).
#[inline(always)]
fn product(q: i64, w: u64) -> (u64, u64) {
    const MASK: u64 = u64::MAX >> (SIGNIFICAND_BITS + 3);
    let (hi5, lo5) = POWERS[(q - SMALLEST) as usize];
    let (mut first_lo, mut first_hi) = full(w, hi5);
    if first_hi & MASK == MASK {
        let (_, second_hi) = full(w, lo5);
        first_lo = first_lo.wrapping_add(second_hi);
        if second_hi > first_lo {
            first_hi += 1;
        }
    }
    (first_lo, first_hi)
}

/// The 128-bit product of `a` and `b` as (low, high) words.
#[inline(always)]
fn full(a: u64, b: u64) -> (u64, u64) {
    let p = u128::from(a) * u128::from(b);
    (p as u64, (p >> 64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard library's answer for `digits` e `exponent`.
    fn std(digits: u64, exponent: i64) -> f64 {
        format!("{digits}e{exponent}").parse().unwrap()
    }

    /// Whether `decimal_to_f64` decided (it must then agree with the standard library).
    fn check(digits: u64, exponent: i64) -> bool {
        let decided = decimal_to_f64(digits, exponent);
        if let Some(f) = decided {
            assert_eq!(f.to_bits(), std(digits, exponent).to_bits(), "{digits}e{exponent}");
        }
        decided.is_some()
    }

    #[test]
    fn the_table_is_the_powers_of_five() {
        // Exactly representable ones: 5^q itself, shifted to the top.
        for q in 0..=55 {
            let p = 5u128.pow(q as u32);
            let (hi, lo) = POWERS[(q - SMALLEST) as usize];
            assert_eq!(u128::from(hi) << 64 | u128::from(lo), p << p.leading_zeros(), "5^{q}");
        }
        // Reciprocals, whose high word `hi` is floor(2^(z + 63) / 5^q) for 5^q of z bits
        // (the low word rounds the rest up).
        for q in 1..=27 {
            let (hi, _) = POWERS[(-q - SMALLEST) as usize];
            let p = 5u128.pow(q as u32);
            let t = 1u128 << (128 - p.leading_zeros() + 63);
            assert!(
                hi >> 63 == 1 && u128::from(hi) * p <= t && t < (u128::from(hi) + 1) * p,
                "5^-{q}"
            );
        }
    }

    #[test]
    fn agrees_with_the_standard_library() {
        // Every digit count and exponent, digits at and around every power of two and ten,
        // halfway cases and subnormals, and pseudo-random digits.
        let mut next = crate::json::xorshift(0x2545_f491_4f6c_dd1d);
        for exponent in -360..=320 {
            for k in 0..64 {
                for d in [1u64 << k, (1u64 << k) - 1, (1u64 << k) + 1] {
                    check(d, exponent);
                }
            }
            for k in 0..20 {
                let p = 10u64.pow(k);
                check(p, exponent);
                check(p - 1, exponent);
                check(p + 1, exponent);
            }
            let decided = (0..400)
                .filter(|_| check(next() % 10u64.pow((next() % 19 + 1) as u32), exponent))
                .count();
            assert!(decided >= 399, "{decided} of 400 decided at 10^{exponent}");
        }
        // Exactly halfway between two doubles (2^53 + 1, also written with trailing zeros,
        // and an odd multiple): ties go to even.
        for k in 0..=3 {
            assert!(check(((1 << 53) + 1) * 10u64.pow(k), -(k as i64)));
        }
        assert!(check(((1 << 53) + 3) * 2, 0));
        // The decimal forms of many doubles read back to themselves.
        for _ in 0..200_000 {
            let f = f64::from_bits(next() & !(1 << 63));
            if !f.is_finite() {
                continue;
            }
            let text = format!("{f:e}");
            let (mantissa, exponent) = text.split_once('e').unwrap();
            let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
            let Ok(digits) = format!("{int}{frac}").parse::<u64>() else {
                continue;
            };
            let exponent = exponent.parse::<i64>().unwrap() - frac.len() as i64;
            check(digits, exponent);
            assert_eq!(
                decimal_to_f64(digits, exponent).map(f64::to_bits),
                Some(f.to_bits()),
                "{text}"
            );
        }
    }
}
