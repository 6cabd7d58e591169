//! A single-pass parser for well-formed documents, filling the same tape simd-json builds.
//!
//! simd-json finds every structural character first (stage 1) and then walks them to build
//! the tape (stage 2); for the small and medium bodies an API receives, most of its time
//! goes to that bookkeeping and to per-value calls. This parser reads the bytes once,
//! eight at a time inside strings, and writes each node directly.
//!
//! It is an accelerator, not a second authority: it accepts only what is unmistakably
//! valid JSON it can represent exactly, and gives up (`None`) on anything else (syntax
//! errors, lone surrogates, `-0`, integers past 20 digits, nesting near the limit, floats
//! out of range). The caller then restores the body and lets simd-json parse it, so errors, their
//! positions and every edge case are simd-json's. Tests hold the two to the same tape.

use simd_json::StaticNode;
use simd_json::tape::Node;

use super::float::decimal_to_f64;
use super::words::{escape_mask, is_ascii_word, store_head, word};

/// Nesting at which this parser hands over (simd-json enforces the real limit).
const MAX_NESTING: usize = super::MAX_DEPTH - 2;

/// The arrays and objects open at the current position, kept between documents (with
/// the rest of a document's scratch space) so parsing does not allocate it each time.
#[derive(Default)]
pub(crate) struct Stack(Vec<Open>);

/// An open array or object: its node's index on the tape and its length so far.
struct Open {
    at: usize,
    len: usize,
    object: bool,
}

/// Parses `len` bytes at `buf`, followed by at least eight bytes of zero padding, into
/// `tape` (cleared first). Strings are unescaped in place, so the buffer is changed even
/// when this gives up; the caller restores it before parsing another way.
///
/// # Safety
/// `buf` must be valid for reads and writes of `len + 8` bytes, the last eight zero, for
/// as long as the tape's strings are used; nothing else may access it meanwhile.
pub(crate) unsafe fn parse(buf: *mut u8, len: usize, tape: &mut Vec<Node<'static>>, stack: &mut Stack) -> Option<()> {
    tape.clear();
    // Room for every node, so `put` never grows the tape: a closed container spans two
    // bytes of its own, and every other node but a container's first item follows a
    // separator (`,` or `:`) besides its own first byte, so a document holds at most
    // ceil(len / 2) + 1 nodes. Capped, so a huge body does not reserve a huge tape up front
    // (it grows as it goes), and input left with containers open may need more (rejected
    // input: it grows then too).
    tape.reserve((len.div_ceil(2) + 1).min(RESERVE_MAX));
    let stack = &mut stack.0;
    stack.clear();
    let mut p = Parser { buf, len, pos: 0 };
    // SAFETY: every read is at `pos + k` with `pos <= len` and `k < 8`, inside the padding
    // (see `Parser`); strings are written only within their own bytes.
    unsafe {
        'value: loop {
            p.skip_space();
            match p.peek() {
                open @ (b'{' | b'[') => {
                    let object = open == b'{';
                    p.pos += 1;
                    if stack.len() >= MAX_NESTING {
                        return None;
                    }
                    stack.push(Open {
                        at: tape.len(),
                        len: 0,
                        object,
                    });
                    put(tape, Node::Static(StaticNode::Null)); // set when it closes
                    p.skip_space();
                    if p.peek() != closer(object) {
                        if object {
                            p.key(tape)?;
                        }
                        continue 'value;
                    }
                    // Empty: the loop below closes it.
                }
                b'"' => {
                    let s = p.string()?;
                    put(tape, Node::String(s));
                    counted(stack);
                }
                b't' if p.literal(b"true") => {
                    put(tape, Node::Static(StaticNode::Bool(true)));
                    counted(stack);
                }
                b'f' if p.literal(b"false") => {
                    put(tape, Node::Static(StaticNode::Bool(false)));
                    counted(stack);
                }
                b'n' if p.literal(b"null") => {
                    put(tape, Node::Static(StaticNode::Null));
                    counted(stack);
                }
                b'-' | b'0'..=b'9' => {
                    put(tape, Node::Static(p.number()?));
                    counted(stack);
                }
                _ => return None,
            }
            // After a value: a comma and the next item, or closings, or the end.
            loop {
                p.skip_space();
                let Some(open) = stack.last() else {
                    return (p.pos == p.len).then_some(());
                };
                let c = p.peek();
                // (This loop runs after a value, or at the closer of an empty container: a
                // comma here always follows an item.)
                if c == b',' {
                    p.pos += 1;
                    if open.object {
                        p.skip_space();
                        p.key(tape)?;
                    }
                    continue 'value;
                }
                if c != closer(open.object) {
                    return None;
                }
                p.pos += 1;
                let open = stack.pop()?;
                let count = tape.len() - open.at - 1;
                tape[open.at] = if open.object {
                    Node::Object { len: open.len, count }
                } else {
                    Node::Array { len: open.len, count }
                };
                counted(stack);
            }
        }
    }
}

/// What each byte after a backslash stands for: the character of a one-letter escape,
/// [`ESCAPED_UNICODE`] for `u`, zero for a byte no escape starts with.
const ESCAPED: [u8; 256] = {
    let mut table = [0; 256];
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'/' as usize] = b'/';
    table[b'b' as usize] = 0x08;
    table[b'f' as usize] = 0x0c;
    table[b'n' as usize] = b'\n';
    table[b'r' as usize] = b'\r';
    table[b't' as usize] = b'\t';
    table[b'u' as usize] = ESCAPED_UNICODE;
    table
};
/// Not a character a one-letter escape stands for (they are all ASCII).
const ESCAPED_UNICODE: u8 = 0xff;

/// Nodes `parse` reserves at most up front (24 MB of tape).
const RESERVE_MAX: usize = 1 << 20;

/// Appends `node` to `tape`. `parse` reserves room for every node of any document but a
/// huge one, so the capacity check is almost never taken; growth is kept out of line (no
/// growth code in the parser's loop).
#[inline(always)]
fn put(tape: &mut Vec<Node<'static>>, node: Node<'static>) {
    if tape.len() == tape.capacity() {
        grow(tape);
    }
    let len = tape.len();
    // SAFETY: slot `len` is allocated (checked above); writing it and counting it in
    // leaves the vector valid.
    unsafe {
        tape.as_mut_ptr().add(len).write(node);
        tape.set_len(len + 1);
    }
}

#[cold]
#[inline(never)]
fn grow(tape: &mut Vec<Node<'static>>) {
    tape.reserve(tape.len().max(16));
}

fn closer(object: bool) -> u8 {
    if object { b'}' } else { b']' }
}

/// Counts a value just ended into the container holding it, if any.
#[inline(always)]
fn counted(stack: &mut [Open]) {
    if let Some(open) = stack.last_mut() {
        open.len += 1;
    }
}

/// A position in a buffer of `len` bytes followed by at least eight zero bytes of padding:
/// every read is at most eight bytes from a position `<= len`, so it stays in the padding,
/// and a zero byte stops every scan (it is neither whitespace, a digit nor string text).
struct Parser {
    buf: *mut u8,
    len: usize,
    pos: usize,
}

impl Parser {
    /// The byte at `pos` (a padding zero at the end).
    #[inline(always)]
    unsafe fn peek(&self) -> u8 {
        // SAFETY: `pos <= len`, inside the buffer or its padding.
        unsafe { *self.buf.add(self.pos) }
    }

    #[inline(always)]
    unsafe fn skip_space(&mut self) {
        // SAFETY: stops at the first non-space byte, at the latest the padding's zero.
        unsafe {
            // Compact JSON (the usual body) has none: one compare.
            if self.peek() > b' ' {
                return;
            }
            while matches!(self.peek(), b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            }
        }
    }

    /// Whether `word` (4 or 5 bytes) is at `pos` (then consumed): one or two word compares.
    #[inline(always)]
    unsafe fn literal(&mut self, word: &[u8]) -> bool {
        let head = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        // SAFETY: at most 5 bytes from `pos <= len`, inside the padding.
        let matched = unsafe {
            let at = self.buf.add(self.pos);
            at.cast::<u32>().read_unaligned() == head && (word.len() == 4 || *at.add(4) == word[4])
        };
        if matched {
            self.pos += word.len();
        }
        matched
    }

    /// An object key and the colon after it, with the key pushed on the tape.
    #[inline(always)]
    unsafe fn key(&mut self, tape: &mut Vec<Node<'static>>) -> Option<()> {
        // SAFETY: as for every read (see `parse`).
        unsafe {
            if self.peek() != b'"' {
                return None;
            }
            let key = self.string()?;
            put(tape, Node::String(key));
            self.skip_space();
            if self.peek() != b':' {
                return None;
            }
            self.pos += 1;
        }
        Some(())
    }

    /// The string whose opening quote is at `pos`, unescaped in place.
    #[inline(always)]
    unsafe fn string(&mut self) -> Option<&'static str> {
        let start = self.pos + 1;
        let mut i = start;
        let mut high = 0;
        // SAFETY: word reads start at most at `len` (a stop byte ends the scan before the
        // padding's first zero is passed), so they stay within `len + 8`.
        unsafe {
            loop {
                let w = word(std::slice::from_raw_parts(self.buf.add(i), 8));
                let stops = escape_mask(w);
                if stops == 0 {
                    high |= w;
                    i += 8;
                    continue;
                }
                // Only the bytes before the stop belong to the text (the lowest flag is a
                // byte's top bit, so the mask keeps exactly the bytes below it).
                high |= w & (stops & stops.wrapping_neg()).wrapping_sub(1);
                i += (stops.trailing_zeros() / 8) as usize;
                break;
            }
            // Whether the text may hold non-ASCII bytes, which must be valid UTF-8.
            let (end, check) = match *self.buf.add(i) {
                b'"' => {
                    self.pos = i + 1;
                    (i, !is_ascii_word(high))
                }
                b'\\' => {
                    let (end, pos, ascii) = Self::unescape(self.buf, i, high)?;
                    self.pos = pos;
                    (end, !ascii)
                }
                _ => return None, // a control character, or the end of the input
            };
            let text = std::slice::from_raw_parts(self.buf.add(start), end - start);
            if check {
                std::str::from_utf8(text).ok()?;
            }
            Some(std::str::from_utf8_unchecked(text))
        }
    }

    /// Unescapes the rest of a string from its first backslash at `at`, writing over
    /// itself (the text never grows); returns where the unescaped text ends, the position
    /// past the closing quote and whether the text (before `at` too, whose bytes `high`
    /// ORs) is all ASCII. (A free function of the buffer, so the parser's state never
    /// needs an address and stays in registers.)
    #[cold]
    unsafe fn unescape(buf: *mut u8, at: usize, mut high: u64) -> Option<(usize, usize, bool)> {
        let (mut src, mut dst) = (at, at);
        let mut ascii = true;
        // SAFETY: every read starts at a byte that is not a padding zero (so below `len`)
        // and spans at most 8 bytes, within the padding (a `\u` escape reads on only
        // while it keeps matching non-zero bytes); writes land at `dst <= src`, on bytes
        // already read.
        unsafe {
            loop {
                // A run of plain bytes, a word at a time: the whole word when it is all
                // plain (its 8 bytes, all read, lie below `src + 8`), else up to its
                // first stop, without touching the bytes past it (maybe not read yet)
                // and without a `memmove` call.
                let w = word(std::slice::from_raw_parts(buf.add(src), 8));
                let stops = escape_mask(w);
                if stops == 0 {
                    buf.add(dst).cast::<u64>().write_unaligned(w);
                    high |= w;
                    src += 8;
                    dst += 8;
                    continue;
                }
                let take = (stops.trailing_zeros() / 8) as usize;
                if take > 0 {
                    store_head(buf.add(dst), w, take);
                    high |= w & (stops & stops.wrapping_neg()).wrapping_sub(1);
                    src += take;
                    dst += take;
                }
                // The stop byte, from the word already read.
                match (w >> (8 * take)) as u8 {
                    b'"' => return Some((dst, src + 1, ascii && is_ascii_word(high))),
                    b'\\' => match ESCAPED[usize::from(*buf.add(src + 1))] {
                        ESCAPED_UNICODE => {
                            let (bytes, n, used) = Self::unicode(buf, src + 2)?;
                            for (k, &byte) in bytes[..n].iter().enumerate() {
                                *buf.add(dst + k) = byte;
                            }
                            ascii &= n == 1;
                            dst += n;
                            src += 1 + used;
                        }
                        0 => return None,
                        simple => {
                            *buf.add(dst) = simple;
                            dst += 1;
                            src += 2;
                        }
                    },
                    _ => return None, // a control character, or the end of the input
                }
            }
        }
    }

    /// The `\\u` escape whose first hex digit is at `at`: its UTF-8 bytes (the first `n`
    /// of four) and how many input bytes it used after the backslash.
    unsafe fn unicode(buf: *mut u8, at: usize) -> Option<([u8; 4], usize, usize)> {
        // SAFETY: see `unescape`.
        unsafe {
            let first = Self::hex4(buf, at)?;
            let (code, used) = if (0xd800..0xdc00).contains(&first) {
                if *buf.add(at + 4) != b'\\' || *buf.add(at + 5) != b'u' {
                    return None;
                }
                let second = Self::hex4(buf, at + 6)?;
                if !(0xdc00..0xe000).contains(&second) {
                    return None;
                }
                (0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00), 11)
            } else if (0xdc00..0xe000).contains(&first) {
                return None;
            } else {
                (first, 5)
            };
            let mut bytes = [0; 4];
            let n = char::from_u32(code)?.encode_utf8(&mut bytes).len();
            Some((bytes, n, used))
        }
    }

    unsafe fn hex4(buf: *mut u8, at: usize) -> Option<u32> {
        let mut code = 0;
        for k in 0..4 {
            // SAFETY: see `unescape`; a padding zero is not a hex digit and stops this.
            let digit = char::from(unsafe { *buf.add(at + k) }).to_digit(16)?;
            code = code << 4 | digit;
        }
        Some(code)
    }

    /// Consumes the digits at `pos`, folding them into `value` (wrapping: exact while the
    /// number has at most 19 digits in all).
    #[inline(always)]
    unsafe fn fold_digits(&mut self, mut value: u64) -> u64 {
        // SAFETY: stops at the first non-digit, at the latest the padding's zero.
        unsafe {
            while let d @ b'0'..=b'9' = self.peek() {
                value = value.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                self.pos += 1;
            }
        }
        value
    }

    /// A number at `pos`, classified as simd-json does: integers as `I64` (or `U64` past
    /// `i64::MAX`), anything with a fraction or exponent as `F64`.
    #[inline(always)]
    unsafe fn number(&mut self) -> Option<StaticNode> {
        let start = self.pos;
        // SAFETY: reads stop at the first byte that is not part of the number, at the
        // latest the padding's zero.
        unsafe {
            let negative = self.peek() == b'-';
            if negative {
                self.pos += 1;
            }
            let digits_start = self.pos;
            let mut value: u64 = 0;
            match self.peek() {
                b'0' => self.pos += 1,
                b'1'..=b'9' => value = self.fold_digits(0),
                _ => return None,
            }
            let digits = self.pos - digits_start;
            let mut float = false;
            // For floats: the digits as one integer (`value`, exact while `sig <= 19`)
            // times ten to `scale`.
            let (mut sig, mut scale) = (digits, 0i64);
            if self.peek() == b'.' {
                self.pos += 1;
                let from = self.pos;
                value = self.fold_digits(value);
                let fraction = self.pos - from;
                if fraction == 0 {
                    return None;
                }
                (sig, scale) = (sig + fraction, -(fraction as i64));
                float = true;
            }
            if matches!(self.peek(), b'e' | b'E') {
                self.pos += 1;
                let negative_exponent = self.peek() == b'-';
                if matches!(self.peek(), b'+' | b'-') {
                    self.pos += 1;
                }
                let (from, mut exponent) = (self.pos, 0i64);
                while let d @ b'0'..=b'9' = self.peek() {
                    exponent = (exponent * 10 + i64::from(d - b'0')).min(1 << 20);
                    self.pos += 1;
                }
                if self.pos == from {
                    return None;
                }
                scale += if negative_exponent { -exponent } else { exponent };
                float = true;
            }
            if float {
                // Up to 19 digits are exact in `value`: converted from it directly (the
                // standard library's parser for the rare case that cannot decide, and
                // for longer numbers).
                let exact = if sig <= 19 { decimal_to_f64(value, scale) } else { None };
                let f = match exact {
                    Some(f) if negative => -f,
                    Some(f) => f,
                    None => {
                        let text = std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                            self.buf.add(start),
                            self.pos - start,
                        ));
                        text.parse().ok()?
                    }
                };
                return f.is_finite().then_some(StaticNode::F64(f));
            }
            if digits > 19 {
                // Twenty digits may still fit in a u64; the wrapped value above is wrong.
                if digits > 20 {
                    return None;
                }
                let text = std::slice::from_raw_parts(self.buf.add(digits_start), digits);
                value = std::str::from_utf8_unchecked(text).parse().ok()?;
            }
            if value == 0 && negative {
                // `-0`: simd-json's call.
                return None;
            }
            Some(if negative {
                StaticNode::I64(0i64.checked_sub_unsigned(value)?)
            } else if let Ok(n) = i64::try_from(value) {
                StaticNode::I64(n)
            } else {
                StaticNode::U64(value)
            })
        }
    }
}

// The caller's buffer carries simd-json's padding, which must cover a word read.
const _: () = assert!(simd_json::INPUT_PADDING >= 8);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::xorshift;

    /// This parser's tape for `text`, or `None` where it hands over.
    fn fast(text: &[u8]) -> Option<Vec<Node<'static>>> {
        let mut buf = text.to_vec();
        buf.resize(text.len() + simd_json::INPUT_PADDING, 0);
        let buf: &'static mut [u8] = Box::leak(buf.into_boxed_slice());
        let mut tape = Vec::new();
        // SAFETY: the leaked buffer is padded, lives forever and is used by nothing else.
        unsafe { parse(buf.as_mut_ptr(), text.len(), &mut tape, &mut Stack::default()) }.map(|()| tape)
    }

    fn simd(text: &[u8]) -> Option<Vec<Node<'static>>> {
        let buf: &'static mut [u8] = Box::leak(text.to_vec().into_boxed_slice());
        simd_json::to_tape(buf).ok().map(|tape| tape.0)
    }

    /// What must always hold: a document this parser takes is one simd-json takes, with the
    /// same tape.
    fn agrees(text: &[u8]) -> bool {
        match fast(text) {
            Some(tape) => simd(text).as_ref() == Some(&tape),
            None => true,
        }
    }

    const DOCUMENTS: &[&str] = &[
        r#"{"id":1,"name":"alpha bravo","price":12.5,"active":true,"tags":["a","b"],"dims":{"w":0.25,"h":3,"unit":"cm"},"parent":null}"#,
        r#"[]"#,
        r#"{}"#,
        r#" [ 1 , -2 , 3.5e3 , 4E-2 , 0 , 0.0 , -0.5 , 1e300 ] "#,
        r#"[9223372036854775807,-9223372036854775808,18446744073709551615,9223372036854775808]"#,
        r#"["", "\"", "\\", "\/", "\b\f\n\r\t", "\u0000\u001f", "\u00e9\u4e2d\ud83d\ude00", "ünïcödé", "tab\there x"]"#,
        r#"{"a":{"b":{"c":[[[{}]]]}},"d":[{},[],"",0,false]}"#,
        "\"top-level string\"",
        "  42  ",
        "true",
        "null",
        r#"{"dup":1,"dup":2}"#,
        r#"[1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 0.1, 123456789012345678e-5]"#,
        r#"[-0.0, -0e5, 0e0, 1E22, 1e23, 9007199254740993.0, 0.1234567890123456789, 0.000001, 12.50]"#,
    ];

    #[test]
    fn takes_typical_documents_with_simd_jsons_tape() {
        for text in DOCUMENTS {
            let tape = fast(text.as_bytes()).unwrap_or_else(|| panic!("handed over {text}"));
            assert_eq!(simd(text.as_bytes()), Some(tape), "{text}");
        }
    }

    #[test]
    fn hands_over_what_is_not_valid_or_not_exact() {
        for text in [
            "",
            " ",
            "[",
            "]",
            "{",
            "[1,]",
            "[,1]",
            "{,}",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":1 "b":2}"#,
            "[1 2]",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "--1",
            "tru",
            "nul",
            "falsey",
            "[true1]",
            "\"abc",
            "\"a\u{1}b\"",
            r#""\x""#,
            r#""\u12""#,
            r#""\ud800""#,
            r#""\udc00x""#,
            r#""\ud800\u0041""#,
            "1 2",
            "{} {}",
            "[]]",
            "-0",
            "123456789012345678901",
            "1e999",
            "\u{feff}1",
            "[\"\\uZZZZ\"]",
        ] {
            assert!(fast(text.as_bytes()).is_none(), "took {text:?}");
        }
        // Invalid UTF-8 inside a string, and non-ASCII outside one.
        assert!(fast(b"\"\xff\"").is_none());
        assert!(fast(b"\"\xc3\"").is_none());
        // ... also after an escape, before one, and in the word a run ends in.
        for text in [
            &b"\"a\\n\xff\""[..],
            b"\"\xff\\n\"",
            b"\"abcdefgh\\t\xc3xyz\"",
            b"\"\\u00e9\xe9\"",
        ] {
            assert!(fast(text).is_none(), "took {}", String::from_utf8_lossy(text));
        }
        assert!(fast(b"[1]\xc3\xa9").is_none());
        // Nesting near the limit goes to simd-json, which enforces it.
        let deep = "[".repeat(super::MAX_NESTING + 1) + &"]".repeat(super::MAX_NESTING + 1);
        assert!(fast(deep.as_bytes()).is_none());
    }

    #[test]
    fn the_densest_documents_fit_the_reserved_tape() {
        // One node per two bytes is the most any document has (what `parse` reserves);
        // each of these is at that bound or near it.
        for n in [1, 2, 3, 10, 100] {
            let items = |item: &str| vec![item; n].join(",");
            for text in [
                format!("[{}]", items("1")),
                format!("[{}]", items("[]")),
                format!("[{}]", items("{}")),
                format!("[{}]", items("\"\"")),
                format!(
                    "{{{}}}",
                    (0..n)
                        .map(|i| format!("\"{}\":1", i % 10))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                "[".repeat(n.min(super::MAX_NESTING)) + &"]".repeat(n.min(super::MAX_NESTING)),
            ] {
                let tape = fast(text.as_bytes()).unwrap_or_else(|| panic!("handed over {text}"));
                assert!(tape.len() <= text.len().div_ceil(2) + 1, "{text}");
                assert_eq!(simd(text.as_bytes()), Some(tape), "{text}");
            }
        }
    }

    #[test]
    fn unclosed_and_truncated_documents_are_handed_over() {
        // Containers left open are each a node past the reserved bound (their closing byte
        // is missing): input rejected only at its end grows the tape, then hands over.
        for depth in 1..=super::MAX_NESTING + 1 {
            for open in ["[", "{\"\":", "[1,", "[[]"] {
                assert!(fast(open.repeat(depth).as_bytes()).is_none());
            }
        }
        // Every prefix of dense and of typical documents.
        let dense = format!("[{}]", vec!["[1,{\"a\":[]},\"\",[[0]]]"; 20].join(","));
        for text in [dense.as_str(), r#"{"a":[1,2,{"b":null}],"c":"d\n","e":-1.5e3}"#] {
            for end in 0..=text.len() {
                let prefix = &text.as_bytes()[..end];
                assert_eq!(fast(prefix).is_some(), simd(prefix).is_some(), "{end}");
            }
        }
    }

    /// Strings of every length around the word size with each kind of escape at each
    /// position (and two in a row): unescaped in place exactly as simd-json unescapes them.
    #[test]
    fn strings_of_every_length_and_escape_position() {
        for (len, alphabet) in (0..40).flat_map(|len| [(len, "abcdefgh"), (len, "abcdéfgh✓")]) {
            let plain: String = alphabet.chars().cycle().take(len).collect();
            for at in 0..=len {
                for special in ["\"", "\\", "\n", "\u{1}", "é", "😀", "\n\t", "/"] {
                    let mut text: Vec<char> = plain.chars().collect();
                    text.splice(at.min(text.len())..at.min(text.len()), special.chars());
                    let text: String = text.into_iter().collect();
                    let json = serde_json::to_string(&vec![text.as_str(), "tail"]).unwrap();
                    let tape = fast(json.as_bytes()).unwrap_or_else(|| panic!("handed over {json}"));
                    assert_eq!(simd(json.as_bytes()), Some(tape), "{json}");
                    // Escapes serde_json does not write: `\/` and `\u` for plain text.
                    let odd = json.replace('a', "\\u0061").replace('/', "\\/");
                    assert_eq!(fast(odd.as_bytes()), simd(odd.as_bytes()), "{odd}");
                }
            }
        }
    }

    /// Numbers of every shape the fast paths split on (digit counts, scales either side
    /// of 10**22, mantissas either side of 2**53), read exactly as simd-json reads them.
    #[test]
    fn numbers_read_as_simd_json_reads_them() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let mut texts = Vec::new();
        for _ in 0..20_000 {
            let bits = next();
            let f = f64::from_bits(bits);
            if f.is_finite() {
                texts.push(format!("{f}"));
                texts.push(format!("{f:e}"));
            }
            let digits = 1 + next() % 20;
            let mantissa = next() % 10u64.pow(digits.min(19) as u32);
            let point = next() % (digits + 1);
            let text = format!("{mantissa:0width$}", width = digits as usize);
            let (int, frac) = text.split_at(point as usize);
            let int = if int.is_empty() {
                "0"
            } else {
                int.trim_start_matches('0')
            };
            let int = if int.is_empty() { "0" } else { int };
            let exponent = next() % 60;
            texts.push(format!("{int}.{}", if frac.is_empty() { "0" } else { frac }));
            texts.push(format!(
                "-{int}.{}e-{exponent}",
                if frac.is_empty() { "5" } else { frac }
            ));
            texts.push(format!("{int}e{}", exponent % 30));
        }
        let mut taken = 0;
        for text in &texts {
            let text = format!("[{text}]");
            assert!(agrees(text.as_bytes()), "{text}");
            taken += usize::from(fast(text.as_bytes()).is_some());
        }
        assert!(taken * 10 > texts.len() * 9, "{taken} of {}", texts.len());
    }

    /// Random edits of valid documents (bytes replaced, inserted, removed; JSON's own
    /// punctuation favoured): whatever this parser takes, simd-json takes identically.
    #[test]
    fn never_takes_what_simd_json_reads_differently() {
        const ALPHABET: &[u8] = b"{}[]\",:\\ -+.eE0123456789tfnulrsabu\x00\x1f\xc3\xa9\xff";
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut taken, mut valid) = (0, 0);
        for round in 0..60_000 {
            let mut text = DOCUMENTS[round % DOCUMENTS.len()].as_bytes().to_vec();
            for _ in 0..1 + next() % 3 {
                let at = (next() as usize) % (text.len() + 1);
                let byte = ALPHABET[(next() as usize) % ALPHABET.len()];
                match next() % 3 {
                    0 if at < text.len() => text[at] = byte,
                    1 => text.insert(at, byte),
                    _ if at < text.len() => {
                        text.remove(at);
                    }
                    _ => text.push(byte),
                }
            }
            assert!(agrees(&text), "{:?}", String::from_utf8_lossy(&text));
            taken += usize::from(fast(&text).is_some());
            valid += usize::from(simd(&text).is_some());
        }
        // The edits leave a fair share of documents valid, and this parser takes nearly all
        // of those (it hands over `-0`, overlong numbers and the like).
        assert!(
            valid > 5_000 && taken * 10 > valid * 9,
            "{taken} taken of {valid} valid"
        );
    }
}
