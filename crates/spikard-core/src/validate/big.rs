//! Bodies holding integers past 64 bits, which the tape cannot carry: Python's limit on
//! their size, and a copy of the document the validator (serde_json's `f64` numbers) reads.

use std::borrow::Cow;

use super::MAX_INT_DIGITS;

/// serde_json reads an integer past 64 bits as an `f64`, which holds every integer of up to
/// 308 digits (to within its precision) and none longer.
const F64_DIGITS: usize = 308;

/// What a longer integer is read as: the largest `f64`, which no finite bound is below
/// without the integer being above it too.
const F64_MAX: &[u8] = b"1.7976931348623157e308";

/// `body` (valid JSON but for its big integers) as the validator should read it: integers
/// of more than 308 digits, which `f64` cannot hold, are written as the largest `f64`
/// (with their sign), which compares the same against any bound a schema can state. An
/// integer of more than [`MAX_INT_DIGITS`] digits is refused (the error holds its digits),
/// as Python's `int()` refuses it.
pub fn for_validation(body: &[u8]) -> Result<Cow<'_, [u8]>, &[u8]> {
    let mut copy: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => i = string_end(body, i + 1),
            b'0'..=b'9' => {
                let start = i;
                while i < body.len() && body[i].is_ascii_digit() {
                    i += 1;
                }
                if !is_integer(body, start, i) {
                    continue;
                }
                let digits = &body[start..i];
                let significant = digits.iter().skip_while(|&&b| b == b'0').count();
                if significant > MAX_INT_DIGITS {
                    return Err(digits);
                }
                if significant > F64_DIGITS {
                    let out = copy.get_or_insert_with(|| Vec::with_capacity(body.len()));
                    out.extend_from_slice(&body[copied..start]);
                    out.extend_from_slice(F64_MAX);
                    copied = i;
                }
            }
            _ => i += 1,
        }
    }
    Ok(match copy {
        Some(mut out) => {
            out.extend_from_slice(&body[copied..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(body),
    })
}

/// The index just past the string whose contents start at `i`.
fn string_end(body: &[u8], mut i: usize) -> usize {
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Whether the digits `body[start..end]` are a whole integer literal, not a fraction, an
/// exponent, or the integer part of a number with either.
fn is_integer(body: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).map(|p| body[p]);
    let exponent_sign = before == Some(b'-') && start >= 2 && matches!(body[start - 2], b'e' | b'E');
    !matches!(before, Some(b'.' | b'e' | b'E' | b'+'))
        && !exponent_sign
        && !matches!(body.get(end), Some(b'.' | b'e' | b'E'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_integers_are_capped_for_the_validator_and_refused_past_the_limit() {
        let small = br#"{"a": 12345678901234567890123, "b": "999"}"#;
        assert!(matches!(for_validation(small), Ok(Cow::Borrowed(_))));

        let long = format!(
            r#"{{"a": -{}, "s": "{}", "f": 1.{}}}"#,
            "7".repeat(400),
            "8".repeat(400),
            "9".repeat(400)
        );
        let copy = for_validation(long.as_bytes()).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&copy).unwrap();
        assert_eq!(value["a"].as_f64(), Some(-f64::MAX));
        let fits = format!("[{}]", "2".repeat(F64_DIGITS));
        assert!(
            matches!(for_validation(fits.as_bytes()), Ok(Cow::Borrowed(_))),
            "f64 holds it"
        );
        assert_eq!(value["s"].as_str().unwrap().len(), 400, "strings are left alone");

        let too_long = format!(r#"[1, {{"n": {}}}]"#, "5".repeat(MAX_INT_DIGITS + 1));
        let err = for_validation(too_long.as_bytes()).unwrap_err();
        assert_eq!(err.len(), MAX_INT_DIGITS + 1);
        let at_limit = format!("[{}{}]", "0".repeat(10), "5".repeat(MAX_INT_DIGITS));
        assert!(
            for_validation(at_limit.as_bytes()).is_ok(),
            "leading zeros do not count"
        );
        let exponent = format!("[1e-{}]", "5".repeat(MAX_INT_DIGITS + 1));
        assert!(
            for_validation(exponent.as_bytes()).is_ok(),
            "an exponent is not an integer"
        );
    }
}
