//! Writing JSON into a byte buffer: the primitives every response encoder shares.

use simd_json::StaticNode;
use simd_json::tape::Node;

use super::words::next_word;

/// Appends `s` as a JSON string literal. Non-ASCII text is written as UTF-8; control
/// characters, `"` and `\\` are escaped.
///
/// Text is checked and copied in one pass, eight bytes at a time, with whole-word stores
/// into reserved space (no `memcpy` call for the short keys and values that dominate API
/// documents); the last partial word is read without touching bytes past the end. Only a
/// word that holds a byte to escape is written byte by byte.
#[inline]
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
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
            if !needs_escape(word) {
                out.as_mut_ptr().add(len).cast::<u64>().write_unaligned(word);
                len += take;
                i += take;
                continue;
            }
            for &b in &bytes[i..i + take] {
                match escape(b) {
                    None => {
                        *out.as_mut_ptr().add(len) = b;
                        len += 1;
                    }
                    Some(escape) => {
                        out.set_len(len);
                        out.reserve(escape.bytes.len() + (n - i) + 9);
                        out.as_mut_ptr()
                            .add(len)
                            .copy_from_nonoverlapping(escape.bytes.as_ptr(), escape.bytes.len());
                        len += escape.len;
                    }
                }
                i += 1;
            }
        }
        *out.as_mut_ptr().add(len) = b'"';
        out.set_len(len + 1);
    }
}

/// Appends a short run of bytes (a number's digits) with word stores instead of a `memcpy`
/// call.
#[inline]
fn push_short(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    out.reserve(n + 8);
    // SAFETY: `n + 8` bytes of spare capacity cover every word store (each at offset
    // `i < n`).
    unsafe {
        let dst = out.as_mut_ptr().add(out.len());
        let mut i = 0;
        while i < n {
            let (word, take) = next_word(bytes, i);
            dst.add(i).cast::<u64>().write_unaligned(word);
            i += take;
        }
        out.set_len(out.len() + n);
    }
}

/// Whether any of the eight bytes is a control character, `"` or `\\` (SWAR: a byte is
/// zero after the XOR exactly when it matched; `below_space` flags bytes under 0x20). Exact
/// about whether such a byte exists, which is all the callers ask.
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    (below_space | has_zero(word ^ (ONES * u64::from(b'"'))) | has_zero(word ^ (ONES * u64::from(b'\\')))) != 0
}

/// The escape sequence for one byte, if it needs one.
fn escape(b: u8) -> Option<Escape> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    Some(match b {
        b'"' => Escape::short(b'"'),
        b'\\' => Escape::short(b'\\'),
        b'\n' => Escape::short(b'n'),
        b'\r' => Escape::short(b'r'),
        b'\t' => Escape::short(b't'),
        0x08 => Escape::short(b'b'),
        0x0c => Escape::short(b'f'),
        0x00..=0x1f => Escape {
            bytes: [b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]],
            len: 6,
        },
        _ => return None,
    })
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

pub fn write_i64(out: &mut Vec<u8>, n: i64) {
    push_short(out, itoa::Buffer::new().format(n).as_bytes());
}

pub fn write_u64(out: &mut Vec<u8>, n: u64) {
    push_short(out, itoa::Buffer::new().format(n).as_bytes());
}

/// Appends a finite float in the shortest form that reads back to the same value.
/// Returns false (writing nothing) for NaN and infinities, which JSON cannot carry.
#[must_use]
pub fn write_f64(out: &mut Vec<u8>, f: f64) -> bool {
    if !f.is_finite() {
        return false;
    }
    push_short(out, zmij::Buffer::new().format_finite(f).as_bytes());
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

    #[test]
    fn tape_round_trip() {
        let text = r#"{"z":[1,-2,3.5,true,null,"a\"b"],"a":{},"m":[[],{"k":18446744073709551615}]}"#;
        let doc = crate::json::JsonDocument::parse(text.as_bytes()).unwrap();
        let mut out = Vec::new();
        assert_eq!(write_nodes(&mut out, doc.nodes()), doc.nodes().len());
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }
}
