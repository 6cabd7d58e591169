//! Short byte strings a machine word at a time: the key compares and copies that run once
//! per object key or value, where a `memcmp`/`memcpy` call costs more than the work.

/// Equality of two byte strings, eight bytes at a time (no `memcmp` call). For the short
/// strings object keys are.
#[inline]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let mut i = 0;
    while i + 8 <= n {
        if word(&a[i..i + 8]) != word(&b[i..i + 8]) {
            return false;
        }
        i += 8;
    }
    // SAFETY: both strings have `n - i` (0 to 7) bytes left at `i`.
    i == n || unsafe { load_tail(a.as_ptr().add(i), n - i) == load_tail(b.as_ptr().add(i), n - i) }
}

/// A key known in advance (a schema property, a model field) with its first word ready, so
/// matching a document's key against several costs one word compare each: compute the
/// key's [`KnownKey::head`] once, then call [`KnownKey::matches`] on each candidate.
#[derive(Debug, Clone)]
pub struct KnownKey {
    text: String,
    head: u64,
}

impl KnownKey {
    /// The key `text`, ready to compare against a tape's keys.
    pub fn new(text: impl Into<String>) -> KnownKey {
        let text = text.into();
        let head = KnownKey::head(text.as_bytes());
        KnownKey { text, head }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A key's first eight bytes as a word (fewer, padded), what [`KnownKey::matches`] compares.
    #[inline]
    pub fn head(key: &[u8]) -> u64 {
        if key.is_empty() { 0 } else { next_word(key, 0).0 }
    }

    /// Whether `key`, whose [`KnownKey::head`] is `head`, is this key.
    #[inline]
    pub fn matches(&self, key: &[u8], head: u64) -> bool {
        self.head == head
            && self.text.len() == key.len()
            && (key.len() <= 8 || same_bytes(&self.text.as_bytes()[8..], &key[8..]))
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each of the eight bytes that is a control character, `"` or `\\`: the
/// bytes a JSON string escapes, and where a plain run inside one ends (SWAR: a byte is zero
/// after the XOR exactly when it matched; `below_space` flags bytes under 0x20). The lowest
/// flag is exact; flags above it may be spurious (a borrow carries upward), so callers use
/// only "any" and "lowest".
#[inline(always)]
pub fn escape_mask(word: u64) -> u64 {
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    below_space | has_zero(word ^ (ONES * u64::from(b'"'))) | has_zero(word ^ (ONES * u64::from(b'\\')))
}

/// Stores the first `n` (below eight) bytes of `word` at `out` and no other byte: two
/// overlapping stores at most, no load, no `memcpy` call.
///
/// # Safety
/// `out` must be valid for writing `n` bytes.
#[inline(always)]
pub unsafe fn store_head(out: *mut u8, word: u64, n: usize) {
    debug_assert!(n < 8);
    // SAFETY: each store lies within the first `n` bytes at `out`.
    unsafe {
        if n >= 4 {
            out.cast::<u32>().write_unaligned(word as u32);
            out.add(n - 4)
                .cast::<u32>()
                .write_unaligned((word >> (8 * (n - 4))) as u32);
        } else if n >= 2 {
            out.cast::<u16>().write_unaligned(word as u16);
            out.add(n - 2)
                .cast::<u16>()
                .write_unaligned((word >> (8 * (n - 2))) as u16);
        } else if n == 1 {
            *out = word as u8;
        }
    }
}

/// Whether all eight bytes of `word` are ASCII.
#[inline(always)]
pub fn is_ascii_word(word: u64) -> bool {
    word & HIGH == 0
}

/// Eight bytes as a little-endian word.
#[inline]
pub fn word(chunk: &[u8]) -> u64 {
    u64::from_le_bytes(chunk.try_into().expect("eight bytes"))
}

/// The next word of `bytes` from `i < bytes.len()`: eight bytes, or the 1 to 7 left (as
/// [`load_tail`] pads them), and how many of its bytes are text.
#[inline(always)]
pub(super) fn next_word(bytes: &[u8], i: usize) -> (u64, usize) {
    let take = (bytes.len() - i).min(8);
    if take == 8 {
        (word(&bytes[i..i + 8]), 8)
    } else {
        // SAFETY: `bytes` has `take` (1 to 7) bytes left at `i`.
        (unsafe { load_tail(bytes.as_ptr().add(i), take) }, take)
    }
}

/// The `n` (1 to 7) bytes at `src` as the low bytes of a little-endian word, the rest
/// filled with spaces (which need no JSON escape). Reads only those `n` bytes, with at most
/// two overlapping loads.
///
/// # Safety
/// `src` must be valid for reading `n` bytes, `0 < n < 8`.
#[inline(always)]
unsafe fn load_tail(src: *const u8, n: usize) -> u64 {
    // SAFETY: each load lies within `src[..n]`, per the contract.
    let word = unsafe {
        if n >= 4 {
            let lo = u64::from(src.cast::<u32>().read_unaligned());
            let hi = u64::from(src.add(n - 4).cast::<u32>().read_unaligned());
            lo | hi << ((n - 4) * 8)
        } else if n >= 2 {
            let lo = u64::from(src.cast::<u16>().read_unaligned());
            let hi = u64::from(src.add(n - 2).cast::<u16>().read_unaligned());
            lo | hi << ((n - 2) * 8)
        } else {
            u64::from(*src)
        }
    };
    // Overlapping loads OR equal bytes together, so `word` holds exactly the text.
    word | (0x2020_2020_2020_2020 << (n * 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_agrees_with_eq() {
        let text = b"abcdefghijklmnopqrstu";
        for i in 0..text.len() {
            for j in 0..text.len() {
                let (a, b) = (&text[..i], &text[..j]);
                assert_eq!(same_bytes(a, b), a == b);
                let mut c = a.to_vec();
                if let Some(last) = c.last_mut() {
                    *last = b'!';
                    assert_eq!(same_bytes(a, &c), a == c.as_slice());
                }
            }
        }
    }

    #[test]
    fn store_head_writes_exactly_n_bytes() {
        let w = u64::from_le_bytes(*b"ABCDEFGH");
        for n in 0..8 {
            let mut out = [b'.'; 10];
            // SAFETY: `out` has room for `n` bytes at offset 1.
            unsafe { store_head(out.as_mut_ptr().add(1), w, n) };
            let mut want = [b'.'; 10];
            want[1..1 + n].copy_from_slice(&b"ABCDEFGH"[..n]);
            assert_eq!(out, want, "n = {n}");
        }
    }

    #[test]
    fn known_keys_match_exactly() {
        let words = [
            "",
            "a",
            "ab",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefgh ",
            "ab ",
            "é✓",
            "abcdefghijklmnopq",
        ];
        for known in words {
            let k = KnownKey::new(known);
            for key in words {
                assert_eq!(
                    k.matches(key.as_bytes(), KnownKey::head(key.as_bytes())),
                    known == key,
                    "{known:?} {key:?}"
                );
            }
        }
    }

    #[test]
    fn tails_hold_exactly_their_bytes() {
        let text = b"1234567";
        for n in 1..8 {
            // SAFETY: `text` has at least `n` bytes.
            let w = unsafe { load_tail(text.as_ptr(), n) };
            let mut expect = [b' '; 8];
            expect[..n].copy_from_slice(&text[..n]);
            assert_eq!(w.to_le_bytes(), expect);
        }
    }
}
