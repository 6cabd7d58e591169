//! Writing JSON into a byte buffer: the primitives every response encoder shares.

use simd_json::StaticNode;
use simd_json::tape::Node;

use super::words::{escape_mask, next_word};

/// Appends `s` as a JSON string literal. Non-ASCII text is written as UTF-8; control
/// characters, `"` and `\\` are escaped.
///
/// Text is checked and copied in one pass, eight bytes at a time, with whole-word stores
/// into reserved space (no `memcpy` call for the short keys and values that dominate API
/// documents); the last partial word is read without touching bytes past the end. Only a
/// word that holds a byte to escape is written byte by byte.
#[inline(always)]
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    write_str_then(out, s, None);
}

/// [`write_str`] followed by `then` (a separator, when given) under the same capacity
/// check: in a container's loop, one check per item instead of two.
#[inline(always)]
pub fn write_str_then(out: &mut Vec<u8>, s: &str, then: Option<u8>) {
    let bytes = s.as_bytes();
    let n = bytes.len();
    // Most keys and many values fit in one word: quote, one word store, quote.
    if n <= 8 {
        let word = if n == 0 { SPACES } else { next_word(bytes, 0).0 };
        if escape_mask(word) == 0 {
            out.reserve(8 + 3);
            // SAFETY: 11 bytes of spare capacity hold the quote, the word (of which `n`
            // bytes are text) and, at `1 + n <= 9`, the closing quote and `then`.
            unsafe {
                let dst = out.as_mut_ptr().add(out.len());
                *dst = b'"';
                dst.add(1).cast::<u64>().write_unaligned(word);
                *dst.add(1 + n) = b'"';
                // The separator is stored before the one length update (a second
                // `set_len` after it is measurably slower on whole documents).
                let mut len = n + 2;
                if let Some(then) = then {
                    *dst.add(len) = then;
                    len += 1;
                }
                out.set_len(out.len() + len);
            }
            return;
        }
    }
    write_str_words(out, bytes);
    if let Some(then) = then {
        // SAFETY: `write_str_words` leaves at least 8 bytes of spare capacity.
        unsafe { push_reserved(out, then) };
    }
}

/// Appends `byte` without a capacity check.
///
/// # Safety
/// `out` must have spare capacity.
#[inline(always)]
unsafe fn push_reserved(out: &mut Vec<u8>, byte: u8) {
    debug_assert!(out.len() < out.capacity());
    // SAFETY: per the contract.
    unsafe {
        *out.as_mut_ptr().add(out.len()) = byte;
        out.set_len(out.len() + 1);
    }
}

/// [`write_str`] for text longer than a word or holding a byte to escape. Leaves at least
/// eight bytes of spare capacity.
#[inline(never)]
fn write_str_words(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    // Room for the text, the quotes and one word of slack (a word store may run past
    // the text). Invariant below: spare capacity >= (n - i) + 1 + 8.
    out.reserve(n + 2 + 8);
    let mut len = out.len();
    // SAFETY: every store lands within the spare capacity the invariant guarantees: a word
    // store needs 8 bytes and advances `len` by at most as many text bytes as it consumes;
    // an escape (up to 6 bytes for 1 text byte) first reserves enough to keep the
    // invariant. `set_len` covers written bytes only.
    unsafe {
        *out.as_mut_ptr().add(len) = b'"';
        len += 1;
        let mut i = 0;
        while i < n {
            let (word, take) = next_word(bytes, i);
            // The whole word is stored either way: up to its first byte to escape (or all
            // of it) is text to keep.
            out.as_mut_ptr().add(len).cast::<u64>().write_unaligned(word);
            let mask = escape_mask(word);
            if mask == 0 {
                len += take;
                i += take;
                continue;
            }
            // The lowest flagged byte is exact, and padding never is: `at < take`.
            let at = (mask.trailing_zeros() / 8) as usize;
            len += at;
            i += at;
            let escape = escape(bytes[i]);
            out.set_len(len);
            out.reserve(escape.bytes.len() + (n - i) + 9);
            out.as_mut_ptr()
                .add(len)
                .copy_from_nonoverlapping(escape.bytes.as_ptr(), escape.bytes.len());
            len += escape.len;
            i += 1;
        }
        *out.as_mut_ptr().add(len) = b'"';
        out.set_len(len + 1);
    }
}

/// A word of spaces: what [`next_word`] pads with, and a byte that needs no escape.
const SPACES: u64 = 0x2020_2020_2020_2020;

/// The escape sequence for a byte [`escape_mask`] flags exactly.
fn escape(b: u8) -> Escape {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => Escape::short(b'"'),
        b'\\' => Escape::short(b'\\'),
        b'\n' => Escape::short(b'n'),
        b'\r' => Escape::short(b'r'),
        b'\t' => Escape::short(b't'),
        0x08 => Escape::short(b'b'),
        0x0c => Escape::short(b'f'),
        _ => {
            debug_assert!(b < 0x20, "{b:#x} needs no escape");
            Escape {
                bytes: [b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]],
                len: 6,
            }
        }
    }
}

struct Escape {
    bytes: [u8; 6],
    len: usize,
}

impl Escape {
    fn short(c: u8) -> Escape {
        Escape {
            bytes: [b'\\', c, 0, 0, 0, 0],
            len: 2,
        }
    }
}

/// Writes `n` in decimal.
#[inline]
pub fn write_i64(out: &mut Vec<u8>, n: i64) {
    write_i64_then(out, n, None);
}

/// [`write_i64`] followed by `then`, as [`write_str_then`].
#[inline(always)]
pub fn write_i64_then(out: &mut Vec<u8>, n: i64, then: Option<u8>) {
    out.reserve(21);
    // SAFETY: 21 bytes of spare capacity hold a sign, up to 19 digits (|i64::MIN| has 19)
    // and `then`; `set_len` counts exactly the bytes written.
    unsafe {
        let dst = out.as_mut_ptr().add(out.len());
        let sign = usize::from(n < 0);
        *dst = b'-';
        let mut len = sign + write_digits(dst.add(sign), n.unsigned_abs());
        if let Some(then) = then {
            *dst.add(len) = then;
            len += 1;
        }
        out.set_len(out.len() + len);
    }
}

/// Writes `n` in decimal.
#[inline]
pub fn write_u64(out: &mut Vec<u8>, n: u64) {
    out.reserve(20);
    // SAFETY: 20 bytes of spare capacity hold the up to 20 digits of a u64.
    unsafe {
        let len = write_digits(out.as_mut_ptr().add(out.len()), n);
        out.set_len(out.len() + len);
    }
}

/// Writes `v`'s decimal digits forward from `dst`, two at a time from the end (as itoa
/// does, but in place: no staging buffer to copy from); returns how many.
///
/// # Safety
/// `dst` must be valid for writing 20 bytes.
#[inline]
unsafe fn write_digits(dst: *mut u8, mut v: u64) -> usize {
    const PAIRS: &[u8; 200] = b"\
        0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let len = v.checked_ilog10().map_or(1, |log| log as usize + 1);
    // SAFETY: `len <= 20` bytes from `dst`, per the contract; each pair is read within
    // PAIRS (`2 * r + 1 < 200` for `r < 100`).
    unsafe {
        let mut end = dst.add(len);
        while v >= 100 {
            let r = (v % 100) as usize;
            v /= 100;
            end = end.sub(2);
            end.copy_from_nonoverlapping(PAIRS.as_ptr().add(2 * r), 2);
        }
        if v >= 10 {
            end.sub(2)
                .copy_from_nonoverlapping(PAIRS.as_ptr().add(2 * v as usize), 2);
        } else {
            *end.sub(1) = b'0' + v as u8;
        }
    }
    len
}

/// Appends a finite float in the shortest form that reads back to the same value.
/// Returns false (writing nothing) for NaN and infinities, which JSON cannot carry.
#[must_use]
pub fn write_f64(out: &mut Vec<u8>, f: f64) -> bool {
    write_f64_then(out, f, None)
}

/// [`write_f64`] followed by `then`, as [`write_str_then`].
#[must_use]
#[inline]
pub fn write_f64_then(out: &mut Vec<u8>, f: f64, then: Option<u8>) -> bool {
    if !f.is_finite() {
        return false;
    }
    out.reserve(std::mem::size_of::<zmij::Buffer>() + 1);
    // SAFETY: `zmij::Buffer` is an array of `MaybeUninit<u8>` (alignment 1), so the spare
    // capacity just reserved is a valid place for one. The digits zmij returns lie within
    // it, and are moved to its start if they are not there already, before `set_len`
    // counts them as written.
    unsafe {
        let spare = out.as_mut_ptr().add(out.len());
        let buffer = &mut *spare.cast::<zmij::Buffer>();
        let text = buffer.format_finite(f);
        let (at, n) = (text.as_ptr(), text.len());
        if at != spare.cast_const() {
            // Not reached with zmij's current layout; move the digits rather than assume it.
            std::ptr::copy(at, spare, n);
        }
        out.set_len(out.len() + n);
        if let Some(then) = then {
            // The buffer's size is at least the longest number it writes.
            push_reserved(out, then);
        }
    }
    true
}

/// Appends the value starting at `nodes[0]` of a simd-json tape, compactly; returns the
/// number of nodes it spans. Object keys keep their document order.
pub fn write_nodes(out: &mut Vec<u8>, nodes: &[Node<'_>]) -> usize {
    match nodes[0] {
        Node::String(s) => {
            write_str(out, s);
            1
        }
        Node::Static(s) => {
            match s {
                StaticNode::Null => out.extend_from_slice(b"null"),
                StaticNode::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
                StaticNode::I64(n) => write_i64(out, n),
                StaticNode::U64(n) => write_u64(out, n),
                // simd-json only produces finite floats.
                StaticNode::F64(f) => {
                    let _ = write_f64(out, f);
                }
            }
            1
        }
        Node::Array { len, count } => {
            out.push(b'[');
            let mut at = 1;
            for i in 0..len {
                if i > 0 {
                    out.push(b',');
                }
                at += write_nodes(out, &nodes[at..]);
            }
            out.push(b']');
            count + 1
        }
        Node::Object { len, count } => {
            out.push(b'{');
            let mut at = 1;
            for i in 0..len {
                if i > 0 {
                    out.push(b',');
                }
                at += write_nodes(out, &nodes[at..]);
                out.push(b':');
                at += write_nodes(out, &nodes[at..]);
            }
            out.push(b'}');
            count + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, x);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_round_trip_through_serde_json() {
        for x in [
            "",
            "plain",
            "q\"b\\s",
            "nl\n\r\t\u{8}\u{c}",
            "\u{1}\u{1f}",
            "é😀",
            "\u{7f}",
        ] {
            assert_eq!(serde_json::from_str::<String>(&s(x)).unwrap(), x);
        }
        assert_eq!(s("\u{1}"), "\"\\u0001\"");
        // Runs of bytes to escape, back to back and between words.
        let every: String = (0u8..0x20)
            .map(char::from)
            .chain("\"\\\"\\ab\u{0}\u{1}".chars())
            .collect();
        for text in [every.clone(), format!("abcdefgh{every}ijklmnop{every}")] {
            assert_eq!(s(&text), serde_json::to_string(&text).unwrap());
        }
    }

    /// Every length around the word size, with and without a byte to escape at each
    /// position: the word loop, the partial last word and the hand-over to the escaping
    /// path must agree with serde_json.
    #[test]
    fn strings_of_every_length_and_escape_position() {
        for len in 0..40 {
            let plain: String = "abcdéfgh✓".chars().cycle().take(len).collect();
            assert_eq!(serde_json::from_str::<String>(&s(&plain)).unwrap(), plain);
            assert_eq!(s(&plain), serde_json::to_string(&plain).unwrap());
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1f}', '\u{0}'] {
                    let mut text: Vec<char> = plain.chars().collect();
                    text[at] = special;
                    let text: String = text.into_iter().collect();
                    assert_eq!(serde_json::from_str::<String>(&s(&text)).unwrap(), text);
                }
            }
        }
    }

    /// A value followed by its separator is the value, then the separator, for every
    /// string length and escape position, ints of every length and floats.
    #[test]
    fn separators_follow_values_exactly() {
        let then = |write: &dyn Fn(&mut Vec<u8>, Option<u8>)| {
            let (mut with, mut without) = (b"[".to_vec(), b"[".to_vec());
            write(&mut with, Some(b':'));
            write(&mut without, None);
            without.push(b':');
            assert_eq!(with, without);
        };
        for len in 0..40 {
            let plain: String = "abcdéfgh✓".chars().cycle().take(len).collect();
            then(&|out, sep| write_str_then(out, &plain, sep));
            for at in 0..len {
                let mut text: Vec<char> = plain.chars().collect();
                text[at] = '"';
                let text: String = text.into_iter().collect();
                then(&|out, sep| write_str_then(out, &text, sep));
            }
        }
        for n in [0, 7, -42, 1 << 40, i64::MIN, i64::MAX] {
            then(&|out, sep| write_i64_then(out, n, sep));
        }
        for f in [0.0, -1.5, 1e300, 5e-324, f64::MAX, 0.1 + 0.2] {
            then(&|out, sep| assert!(write_f64_then(out, f, sep)));
        }
    }

    #[test]
    fn numbers() {
        let mut out = Vec::new();
        write_i64(&mut out, -42);
        out.push(b',');
        assert!(write_f64(&mut out, 1.5));
        out.push(b',');
        assert!(write_f64(&mut out, 1e300));
        assert!(!write_f64(&mut out, f64::NAN));
        assert_eq!(String::from_utf8(out).unwrap(), "-42,1.5,1e+300");
    }

    /// Every digit count, both sides of each power of ten, and the extremes, against
    /// Rust's own formatting.
    #[test]
    fn integers_of_every_length() {
        let mut cases = vec![0, 1, 9, i64::MIN, i64::MAX, i64::MIN + 1];
        let mut p: i64 = 10;
        while let Some(next) = p.checked_mul(10) {
            cases.extend([p - 1, p, p + 1, -p, -(p - 1), p / 2 + 7]);
            p = next;
        }
        for n in cases {
            let mut out = b"x".to_vec();
            write_i64(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), format!("x{n}"));
        }
        for n in [0, 7, 10, 99, 100, u64::MAX, u64::MAX / 3, 1 << 63] {
            let mut out = Vec::new();
            write_u64(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }

    #[test]
    fn tape_round_trip() {
        let text = r#"{"z":[1,-2,3.5,true,null,"a\"b"],"a":{},"m":[[],{"k":18446744073709551615}]}"#;
        let doc = crate::json::JsonDocument::parse(text.as_bytes()).unwrap();
        let mut out = Vec::new();
        assert_eq!(write_nodes(&mut out, doc.nodes()), doc.nodes().len());
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }
}
