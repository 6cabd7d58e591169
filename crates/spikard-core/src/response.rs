//! What the core sends back: the response and body types, helpers to build them, and the
//! framing headers only the server may set.

use bytes::Bytes;
use http_body_util::Full;

/// The response body type: one buffer, its length known up front.
pub type Body = Full<Bytes>;

/// An HTTP response as the core sends it.
pub type Response = http::Response<Body>;

/// Headers that frame a message on the connection (RFC 9110 §7.6.1 and §8.6, RFC 9112 §6).
/// The server alone sets them: a handler's would desync keep-alive clients, so the Python
/// `Response` and `HTTPException` refuse them and the server drops any that reach it.
pub const FRAMING_HEADERS: [&str; 8] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

/// Whether `name` is one of [`FRAMING_HEADERS`] (any case).
pub fn is_framing_header(name: &str) -> bool {
    FRAMING_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Removes every framing header a handler set, logging each: the server frames the body.
/// A response usually carries one or two headers, so this reads each name once and
/// touches the map only when one is found.
pub fn strip_framing_headers(headers: &mut http::HeaderMap) {
    while let Some(name) = headers.keys().find(|n| is_framing_header(n.as_str())).cloned() {
        headers.remove(&name);
        log::warn!("dropped the {name} header a handler set: the server frames responses");
    }
}

/// A body holding `bytes`.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
}

/// A response with the given status, content type and body.
pub fn response(status: http::StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response {
    let mut response = http::Response::new(full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    response
}

/// A `200 OK` JSON response from already-encoded bytes.
pub fn json_response(body: impl Into<Bytes>) -> Response {
    response(http::StatusCode::OK, "application/json", body)
}
