use std::mem::ManuallyDrop;
use std::sync::Mutex;

use serde_json::Value;
use simd_json::tape::{Node, Tape};
use simd_json::{Buffers, INPUT_PADDING, StaticNode};

use super::parse;

/// Why a body did not parse: where and what, and whether the only fault was an integer
/// outside the 64-bit range (valid JSON the tape cannot hold, which a caller may decode
/// another way). `Problem::from` makes it the 400 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// The byte offset where the parser stopped.
    pub index: usize,
    /// What is wrong there, in words.
    pub reason: String,
    /// Whether the document is valid JSON but for integers past 64 bits.
    pub big_integer: bool,
}

/// Whether the number literal around `at` is an integer too large for 64 bits: digits only
/// (an optional leading `-`), no fraction or exponent.
fn is_big_integer(buf: &[u8], at: usize) -> bool {
    let at = at.min(buf.len());
    let start = buf[..at]
        .iter()
        .rposition(|b| !(b.is_ascii_digit() || *b == b'-'))
        .map_or(0, |i| i + 1);
    let end = buf[at..]
        .iter()
        .position(|b| !b.is_ascii_digit())
        .map_or(buf.len(), |i| at + i);
    let literal = &buf[start..end];
    let digits = literal.strip_prefix(b"-").unwrap_or(literal);
    let next = buf.get(end).copied();
    !digits.is_empty()
        && digits.len() >= 19
        && digits[0] != b'0'
        && digits.iter().all(u8::is_ascii_digit)
        && !matches!(next, Some(b'.' | b'e' | b'E'))
}

/// Deepest nesting of arrays and objects a body may have. Deeper documents are rejected
/// as malformed before anything walks them recursively.
pub const MAX_DEPTH: usize = 512;

/// A parsed JSON document: a copy of the body and the simd-json tape that points into it.
///
/// simd-json parses in place (strings are unescaped inside the buffer), so the tape borrows
/// the buffer. This type owns both, so the document can move from the I/O task that parsed
/// it to the thread that turns it into Python objects without copying or re-parsing. The
/// buffer, the tape and simd-json's scratch space come from a small pool and go back to it
/// on drop, so a steady stream of requests does not allocate (or page-fault) them anew.
pub struct JsonDocument {
    /// Borrows from `buf`; emptied before the buffer is reused or freed (see `Drop`).
    tape: ManuallyDrop<Tape<'static>>,
    /// The body plus simd-json's padding, as the raw parts of a `Vec<u8>`. Raw, not a
    /// `Vec`, so that moving the document asserts nothing over bytes the tape still reads.
    buf: *mut u8,
    buf_len: usize,
    buf_cap: usize,
    buffers: ManuallyDrop<Buffers>,
    stack: parse::Stack,
}

// SAFETY: the document owns its buffer exclusively; the tape's `&str`s point only into that
// buffer, which is never written after parsing. Nothing is shared with another owner.
unsafe impl Send for JsonDocument {}
// SAFETY: as above; `&JsonDocument` only gives shared reads of immutable data.
unsafe impl Sync for JsonDocument {}

/// Reusable allocations for one document.
struct Scratch {
    buf: Vec<u8>,
    tape: Tape<'static>,
    buffers: Buffers,
    stack: parse::Stack,
}

/// At most this many scratch sets are kept, each only if its buffer is at most `POOL_KEEP`
/// bytes, so the pool holds a bounded amount of memory.
const POOL_MAX: usize = 16;
const POOL_KEEP: usize = 4 << 20;
static POOL: Mutex<Vec<Scratch>> = Mutex::new(Vec::new());

thread_local! {
    /// One scratch set per thread in front of the shared pool: a thread that parses and
    /// drops its own documents (`loads`, a blocking worker) takes no lock.
    static LOCAL: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

fn take_scratch(len: usize) -> Scratch {
    let pooled = LOCAL
        .try_with(std::cell::Cell::take)
        .ok()
        .flatten()
        .or_else(|| POOL.lock().ok().and_then(|mut pool| pool.pop()));
    pooled.unwrap_or_else(|| Scratch {
        buf: Vec::with_capacity(len + INPUT_PADDING),
        tape: Tape(Vec::new()),
        buffers: Buffers::with_max_depth(len, MAX_DEPTH),
        stack: parse::Stack::default(),
    })
}

impl JsonDocument {
    /// Parses a copy of `body`. A syntax error, invalid UTF-8 in a string, or nesting
    /// deeper than [`MAX_DEPTH`] is a 400 problem with one `json_invalid` error located at
    /// the byte where it was found.
    pub fn parse(body: &[u8]) -> Result<Self, JsonError> {
        let Scratch {
            mut buf,
            tape,
            mut buffers,
            mut stack,
        } = take_scratch(body.len());
        buf.clear();
        buf.extend_from_slice(body);
        buf.resize(body.len() + INPUT_PADDING, 0);
        let mut buf = ManuallyDrop::new(buf);
        let (ptr, buf_len, buf_cap) = (buf.as_mut_ptr(), buf.len(), buf.capacity());
        let mut tape = tape;
        // SAFETY: `ptr` is valid for `buf_len` bytes (the body, then INPUT_PADDING zeros)
        // and owned by this document alone until `Drop` rebuilds the `Vec`; the `'static`
        // borrows are confined to `tape`, which is emptied before that.
        let parsed = match unsafe { parse::parse(ptr, body.len(), &mut tape.0, &mut stack) } {
            Some(()) => Ok(()),
            None => {
                // Not a document the single-pass parser takes (most often: not valid JSON).
                // It may have unescaped strings in place: restore the body, and let
                // simd-json parse it and say what is wrong.
                tape.0.clear();
                // SAFETY: as above; nothing borrows the buffer now.
                let bytes: &'static mut [u8] = unsafe { std::slice::from_raw_parts_mut(ptr, buf_len) };
                bytes[..body.len()].copy_from_slice(body);
                simd_json::fill_tape_padded(bytes, body.len(), &mut buffers, &mut tape)
            }
        };
        let doc = JsonDocument {
            tape: ManuallyDrop::new(tape),
            buf: ptr,
            buf_len,
            buf_cap,
            buffers: ManuallyDrop::new(buffers),
            stack,
        };
        match parsed {
            Ok(()) => Ok(doc),
            Err(err) if *err.error() == simd_json::ErrorType::DepthLimitExceeded => Err(JsonError {
                index: err.index(),
                reason: format!("nesting deeper than {MAX_DEPTH} levels"),
                big_integer: false,
            }),
            Err(err) => {
                // An integer past 64 bits is valid JSON that the tape cannot hold: say so,
                // so the caller can decode this (rare) document another way.
                let big_integer =
                    *err.error() == simd_json::ErrorType::InvalidNumber && is_big_integer(body, err.index());
                Err(JsonError {
                    index: err.index(),
                    reason: format!("{:?}", err.error()),
                    big_integer,
                })
            }
        }
    }

    /// The tape: a flat, document-order list of nodes (objects and arrays carry their
    /// lengths; keys and values alternate inside objects).
    pub fn nodes(&self) -> &[Node<'_>] {
        &self.tape.0
    }

    /// The first eight bytes of `text`, a string on this document's tape, as a little-endian
    /// word with the bytes past its end zeroed: read with one load (the buffer's padding
    /// makes that safe), without branching on the length. `None` for text elsewhere.
    #[inline]
    pub fn head_word(&self, text: &str) -> Option<u64> {
        let offset = (text.as_ptr() as usize).checked_sub(self.buf as usize)?;
        if offset + 8 > self.buf_len {
            return None;
        }
        // SAFETY: `offset + 8 <= buf_len`: the eight bytes lie in this document's buffer,
        // all initialised (body, then padding), and are read through the buffer's own
        // pointer; nothing writes the buffer after parsing.
        let word = u64::from_le(unsafe { self.buf.add(offset).cast::<u64>().read_unaligned() });
        Some(match text.len() {
            len @ 0..8 => word & ((1 << (8 * len)) - 1),
            _ => word,
        })
    }

    /// The document as a `serde_json::Value` (for error reports, not for the request path).
    pub fn to_value(&self) -> Value {
        node_to_value(self.nodes()).0
    }
}

impl Drop for JsonDocument {
    fn drop(&mut self) {
        // SAFETY: `tape` and `buffers` are taken exactly once, here. The tape is emptied
        // (`reset`) before the buffer it borrowed is rebuilt from the raw parts it came from.
        let scratch = unsafe {
            let tape = ManuallyDrop::take(&mut self.tape).reset();
            let buffers = ManuallyDrop::take(&mut self.buffers);
            let stack = std::mem::take(&mut self.stack);
            let buf = Vec::from_raw_parts(self.buf, self.buf_len, self.buf_cap);
            Scratch {
                buf,
                tape,
                buffers,
                stack,
            }
        };
        if scratch.buf.capacity() > POOL_KEEP {
            return;
        }
        // Into this thread's slot; what it held goes to the shared pool (if it has room).
        // A thread that is exiting lets the set go.
        let Ok(Some(scratch)) = LOCAL.try_with(|local| local.replace(Some(scratch))) else {
            return;
        };
        if let Ok(mut pool) = POOL.lock()
            && pool.len() < POOL_MAX
        {
            pool.push(scratch);
        }
    }
}

impl std::fmt::Debug for JsonDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonDocument")
            .field("nodes", &self.nodes().len())
            .finish()
    }
}

/// Converts the value starting at `nodes[0]`; returns it and how many nodes it used.
pub(crate) fn node_to_value(nodes: &[Node<'_>]) -> (Value, usize) {
    match nodes[0] {
        Node::String(s) => (Value::from(s), 1),
        Node::Static(s) => (static_to_value(s), 1),
        Node::Array { len, count } => {
            let mut at = 1;
            let items = (0..len)
                .map(|_| {
                    let (v, used) = node_to_value(&nodes[at..]);
                    at += used;
                    v
                })
                .collect();
            (Value::Array(items), count + 1)
        }
        Node::Object { len, count } => {
            let mut at = 1;
            let mut map = serde_json::Map::new();
            for _ in 0..len {
                let key = match nodes[at] {
                    Node::String(k) => k.to_owned(),
                    _ => unreachable!("simd-json object keys are strings"),
                };
                let (v, used) = node_to_value(&nodes[at + 1..]);
                at += 1 + used;
                map.insert(key, v);
            }
            (Value::Object(map), count + 1)
        }
    }
}

fn static_to_value(node: StaticNode) -> Value {
    match node {
        StaticNode::Null => Value::Null,
        StaticNode::Bool(b) => Value::Bool(b),
        StaticNode::I64(n) => Value::from(n),
        StaticNode::U64(n) => Value::from(n),
        StaticNode::F64(f) => Value::from(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_keeps_document_order() {
        let doc = JsonDocument::parse(br#"{"z":1,"a":[true,null,"x\n\u00e9"],"m":{"k":-2.5}}"#).unwrap();
        assert_eq!(
            doc.to_value(),
            json!({"z": 1, "a": [true, null, "x\né"], "m": {"k": -2.5}})
        );
        // The tape itself is in document order.
        assert!(matches!(doc.nodes()[1], Node::String("z")));
        assert!(matches!(doc.nodes()[3], Node::String("a")));
    }

    #[test]
    fn document_moves_across_threads() {
        let doc = JsonDocument::parse(br#"["a","b"]"#).unwrap();
        let value = std::thread::spawn(move || doc.to_value()).join().unwrap();
        assert_eq!(value, json!(["a", "b"]));
    }

    #[test]
    fn malformed_is_json_invalid_with_position() {
        for bad in [&b"{\"a\":"[..], b"", b"{'a':1}", b"[1,2", b"\"\xff\"", b"nul"] {
            let err = JsonDocument::parse(bad).unwrap_err();
            assert!(!err.reason.is_empty(), "{bad:?}");
            assert!(err.index <= bad.len(), "{bad:?}");
        }
    }

    #[test]
    fn big_integers_are_flagged_not_just_rejected() {
        for big in [
            "123456789012345678901234567890",
            "[1, -99999999999999999999]",
            r#"{"a":{"b":18446744073709551616}}"#,
        ] {
            assert!(JsonDocument::parse(big.as_bytes()).unwrap_err().big_integer, "{big}");
        }
        for bad in ["[1.5.5]", "01", "[-]", "1e99999", "[1,2"] {
            assert!(!JsonDocument::parse(bad.as_bytes()).unwrap_err().big_integer, "{bad}");
        }
        assert!(JsonDocument::parse(b"18446744073709551615").is_ok());
    }

    #[test]
    fn depth_limit() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(JsonDocument::parse(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let err = JsonDocument::parse(deep.as_bytes()).unwrap_err();
        assert!(err.reason.contains("nesting"), "{}", err.reason);
        let siblings = format!("[{}]", vec!["[[1]]"; 1000].join(","));
        assert!(JsonDocument::parse(siblings.as_bytes()).is_ok());
    }
}
