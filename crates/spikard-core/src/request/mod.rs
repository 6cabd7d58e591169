//! What a handler receives: the request head, decoded path parameters and the whole body.

mod body;
mod cookies;
mod query;

pub use body::{BodyError, collect_body, linger};
pub use cookies::parse_cookies;
pub use query::QueryParams;

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};

/// A request whose body has been read (under the limit) and whose route has been matched.
#[derive(Debug)]
pub struct Request {
    /// The request method.
    pub method: Method,
    /// The request target as sent.
    pub uri: Uri,
    /// The request headers.
    pub headers: HeaderMap,
    /// Path parameters in route order, percent-decoded.
    pub path_params: Vec<(String, String)>,
    /// The whole body, read under the server's limit.
    pub body: Bytes,
    /// The client's address, when the request came over a TCP connection.
    pub peer: Option<SocketAddr>,
}

impl Request {
    /// The path of the request target (no query).
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The raw query string, without the `?`; empty when there is none.
    pub fn query_string(&self) -> &str {
        self.uri.query().unwrap_or("")
    }

    /// The query string parsed once; repeated keys keep every value in order.
    pub fn query(&self) -> QueryParams {
        QueryParams::parse(self.query_string())
    }

    /// A decoded path parameter by name.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-Type` header's value, if present and readable.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// All cookies sent with the request, in order.
    pub fn cookies(&self) -> Vec<(String, String)> {
        parse_cookies(&self.headers)
    }
}

/// A header value as text: UTF-8 when it is, otherwise Latin-1 (as HTTP/1.1 historically
/// allowed), so no byte is dropped.
pub fn header_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(_) => bytes.iter().map(|&b| b as char).collect::<String>().into(),
    }
}

/// True when a `Content-Type` value names JSON (`application/json` or any `+json` suffix).
pub fn is_json_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json"))
}

#[cfg(test)]
mod tests {
    use super::is_json_content_type;

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/problem+json",
        ] {
            assert!(is_json_content_type(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/jsonx",
            "multipart/form-data; boundary=x",
            "json",
            "application/+json",
        ] {
            assert!(!is_json_content_type(bad), "{bad}");
        }
    }
}
