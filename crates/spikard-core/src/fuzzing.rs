//! The properties the fuzz targets in `fuzz/` check, one function a target, kept beside the
//! code they hold to account so that `tests/fuzz_regressions.rs` replays every input the
//! fuzzers found (and the seeds) through the same checks in `make test`. Compiled only with
//! the `fuzzing` feature. Each function panics on a violation.

use http::{HeaderMap, HeaderValue, Method, header};
use simd_json::tape::Node;

use crate::json::{JsonDocument, MAX_DEPTH, parse, write_f64_then, write_i64_then, write_str_then, write_u64};
use crate::request::{QueryParams, parse_cookies};
use crate::router::Resolved;
use crate::schema::{Schema, TapeView};
use crate::{HandlerResult, Request, Router, Source, json_response};

/// A property: panics when `data` breaks it.
pub type Property = fn(&[u8]);

/// The targets, by name, for the replay test.
pub const TARGETS: [(&str, Property); 5] = [
    ("router", router),
    ("query_cookies", query_cookies),
    ("json_parse", json_parse),
    ("schema", schema),
    ("json_encode", json_encode),
];

async fn ok(_: Request) -> HandlerResult {
    Ok(json_response("{}"))
}

/// Registering any route works or fails with a `RouteError`, never a panic; resolving any
/// method and path on a realistic table answers a handler (with parameters taken from the
/// path), an OPTIONS answer, or a 404/405/422 problem.
pub fn router(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut scratch = Router::new();
    let _ = scratch.get(&text, ok);
    let _ = scratch.post(&text, ok);

    let mut table = Router::new();
    for path in [
        "/",
        "/items",
        "/items/{id}",
        "/items/{id}/tags/{tag}",
        "/files/{*rest}",
        "/a/b/c",
        "/{x}/static",
    ] {
        table.get(path, ok).expect("valid route");
    }
    table.post("/items", ok).expect("valid route");
    let method = match selector % 6 {
        0 => Method::GET,
        1 => Method::POST,
        2 => Method::HEAD,
        3 => Method::OPTIONS,
        4 => Method::DELETE,
        _ => Method::from_bytes(b"BREW").expect("a valid token"),
    };
    match table.resolve(&method, &text) {
        Ok(Resolved::Handler { params, .. }) => {
            for (name, value) in params {
                assert!(!name.is_empty());
                assert!(
                    text.contains(&*value) || text.contains('%'),
                    "{value:?} is not from {text:?}"
                );
            }
        }
        Ok(Resolved::Options { allow }) => assert!(allow.contains("GET")),
        Ok(Resolved::Redirect { path }) => {
            // Only ever the same path with one slash more or less, and never to another host.
            assert!(path.starts_with('/') && !path.starts_with("//"), "{path:?}");
            let same = path.strip_suffix('/') == Some(&*text) || text.strip_suffix('/') == Some(&*path);
            assert!(same, "{text:?} redirected to {path:?}");
            let target = table.resolve(&method, &path);
            assert!(
                !matches!(target, Err(p) if p.status().as_u16() == 404),
                "{path:?} is no route"
            );
        }
        Err(problem) => assert!(matches!(problem.status().as_u16(), 404 | 405 | 422)),
    }
}

/// Any query string parses, `get_all` finds every value of a key in order and `get` the
/// last; any
/// header value parses as cookies whose names are neither empty nor padded.
pub fn query_cookies(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let query = QueryParams::parse(&text);
    for (key, _) in query.pairs() {
        let all: Vec<&str> = query.get_all(key).collect();
        let expected: Vec<&str> = query
            .pairs()
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(all, expected);
        assert_eq!(
            query.get(key),
            expected.last().copied(),
            "a scalar reads the last value"
        );
    }
    assert_eq!(query.is_empty(), query.pairs().is_empty());

    if let Ok(value) = HeaderValue::from_bytes(data) {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, value.clone());
        headers.append(header::COOKIE, value);
        let cookies = parse_cookies(&headers);
        assert_eq!(cookies.len() % 2, 0, "two equal headers give each cookie twice");
        for (name, _) in &cookies {
            assert!(!name.is_empty() && name.trim() == name, "{name:?}");
        }
    }
}

/// The single-pass parser agrees with simd-json: a document it takes, simd-json takes, with
/// the same tape. A body's verdict (parsed, or refused with a 400) is serde_json's, except
/// where they are documented to differ: serde_json's nesting limit of 128, ours of 512,
/// integers past 64 bits (flagged for the big-integer path rather than refused), and
/// exponents past serde_json's range on numbers that underflow to zero.
pub fn json_parse(text: &[u8]) {
    let mut buf = text.to_vec();
    buf.resize(text.len() + simd_json::INPUT_PADDING, 0);
    let mut tape: Vec<Node<'static>> = Vec::new();
    // SAFETY: `buf` is padded and outlives `tape`, which is cleared before `buf` drops.
    let fast = unsafe { parse::parse(buf.as_mut_ptr(), text.len(), &mut tape, &mut parse::Stack::default()) };
    if fast.is_some() {
        let mut copy = text.to_vec();
        let simd = simd_json::to_tape(&mut copy).map(|t| t.0);
        assert_eq!(
            simd.as_ref().ok(),
            Some(&tape),
            "the single-pass tape differs from simd-json's"
        );
    }
    tape.clear();
    drop(buf);

    let ours = JsonDocument::parse(text);
    let theirs = serde_json::from_slice::<serde_json::Value>(text);
    match (&ours, &theirs) {
        (Ok(_), Ok(_)) | (Err(_), Err(_)) => {}
        (Err(err), Ok(_)) if err.big_integer || depth(text) > MAX_DEPTH => {}
        (Ok(_), Err(err)) if err.to_string().contains("recursion limit") => {}
        // serde_json refuses an exponent past its range even when the number underflows to
        // zero (`5e-999999999`, which Python reads as 0.0); no number we take is infinite.
        (Ok(doc), Err(err)) if err.to_string().starts_with("number out of range") => {
            for node in doc.nodes() {
                if let Node::Static(simd_json::StaticNode::F64(f)) = node {
                    assert!(f.is_finite(), "took an out-of-range number as {f}");
                }
            }
        }
        _ => panic!(
            "verdicts differ: spikard {:?}, serde_json {:?}",
            ours.as_ref()
                .map(|_| ())
                .map_err(|e| crate::Problem::from(e.clone()).body()),
            theirs.map(|_| ())
        ),
    }
}

/// Nesting depth of a document, counting brackets outside strings.
fn depth(text: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for &b in text {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (_, _, b'"') => in_string = !in_string,
            (false, _, b'[' | b'{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Any schema compiles or is refused by name, never a panic; a document is judged the same
/// on the simd-json tape (the request path) as on a serde_json value (the big-integer
/// path): the same errors, in order. Input: the schema, a NUL, the document.
pub fn schema(data: &[u8]) {
    let Some(split) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let Ok(schema) = serde_json::from_slice::<serde_json::Value>(&data[..split]) else {
        return;
    };
    let Ok(schema) = Schema::compile(&schema) else {
        return;
    };
    let text = &data[split + 1..];
    let (Ok(doc), Ok(value)) = (
        JsonDocument::parse(text),
        serde_json::from_slice::<serde_json::Value>(text),
    ) else {
        return;
    };
    let (mut on_tape, mut on_value) = (Vec::new(), Vec::new());
    schema.validate(TapeView(doc.nodes()), Source::Body, &[], &mut on_tape);
    schema.validate(&value, Source::Body, &[], &mut on_value);
    assert_eq!(on_tape, on_value);
}

/// Strings, integers and floats written by the encoder's primitives parse back (serde_json)
/// to the same values, floats to the same number (read back by the standard library).
pub fn json_encode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut words = data
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
    let (i, u, f) = (
        words.next().unwrap_or(0) as i64,
        words.next().unwrap_or(0),
        f64::from_bits(words.next().unwrap_or(0)),
    );
    let mut out = vec![b'['];
    write_str_then(&mut out, &text, Some(b','));
    write_i64_then(&mut out, i, Some(b','));
    let finite = write_f64_then(&mut out, f, Some(b','));
    if !finite {
        out.extend_from_slice(b"null,");
    }
    write_u64(&mut out, u);
    out.push(b']');

    let value: serde_json::Value =
        serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&out)));
    assert_eq!(value[0].as_str(), Some(&*text));
    assert_eq!(value[1].as_i64(), Some(i));
    if finite {
        // serde_json's default float reading is not always correctly rounded: the
        // standard library's is, so the written text is checked with it.
        assert!(value[2].is_number());
        let mut alone = Vec::new();
        assert!(write_f64_then(&mut alone, f, None));
        let back: f64 = std::str::from_utf8(&alone).expect("ASCII").parse().expect("a float");
        assert_eq!(back, f, "{f:e} was written {:?}", String::from_utf8_lossy(&alone));
    } else {
        assert!(!f.is_finite());
    }
    assert_eq!(value[3].as_u64(), Some(u));
}
