//! Writing JSON into a byte buffer: the primitives every response encoder shares.

use simd_json::StaticNode;
use simd_json::tape::Node;

/// Appends `s` as a JSON string literal. Non-ASCII text is written as UTF-8; control
/// characters, `"` and `\` are escaped.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
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
