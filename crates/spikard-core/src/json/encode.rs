//! Writing JSON into a byte buffer: the primitives every response encoder shares.

use simd_json::StaticNode;
use simd_json::tape::Node;

/// Appends `s` as a JSON string literal. Non-ASCII text is written as UTF-8; control
/// characters, `"` and `\\` are escaped. Runs of eight bytes that need no escape are
/// skipped a word at a time.
#[inline]
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    match first_escape(bytes) {
        // The common case: nothing to escape, one copy.
        None => out.extend_from_slice(bytes),
        Some(first) => {
            let mut start = 0;
            for (i, &b) in bytes.iter().enumerate().skip(first) {
                if let Some(escape) = escape(b) {
                    out.extend_from_slice(&bytes[start..i]);
                    out.extend_from_slice(escape.as_slice());
                    start = i + 1;
                }
            }
            out.extend_from_slice(&bytes[start..]);
        }
    }
    out.push(b'"');
}

/// Index of the first byte that needs escaping, checking eight bytes at a time.
#[inline]
fn first_escape(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let word = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("eight bytes"));
        if needs_escape(word) {
            break;
        }
        i += 8;
    }
    bytes[i..].iter().position(|&b| NEEDS_ESCAPE[b as usize]).map(|p| i + p)
}

/// Bytes that must be escaped inside a JSON string: controls, `"` and `\\`.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Whether any of the eight bytes is a control character, `"` or `\\` (SWAR: a byte is
/// zero after the XOR exactly when it matched; `has_below` flags bytes under 0x20).
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

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

pub fn write_i64(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

pub fn write_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends a finite float in the shortest form that reads back to the same value.
/// Returns false (writing nothing) for NaN and infinities, which JSON cannot carry.
#[must_use]
pub fn write_f64(out: &mut Vec<u8>, f: f64) -> bool {
    if !f.is_finite() {
        return false;
    }
    out.extend_from_slice(ryu::Buffer::new().format_finite(f).as_bytes());
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

    #[test]
    fn numbers() {
        let mut out = Vec::new();
        write_i64(&mut out, -42);
        out.push(b',');
        assert!(write_f64(&mut out, 1.5));
        out.push(b',');
        assert!(write_f64(&mut out, 1e300));
        assert!(!write_f64(&mut out, f64::NAN));
        assert_eq!(String::from_utf8(out).unwrap(), "-42,1.5,1e300");
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
