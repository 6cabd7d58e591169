//! RFC 9457 problem details: the one place that builds every error body.
//!
//! Every error Spikard answers with, from a 404 to a 422 listing each bad field, is a
//! [`Problem`] rendered as `application/problem+json`. Validation entries follow pydantic v2's
//! `type` names and `msg` wording, so FastAPI users read them without a dictionary.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::json::JsonError;
use crate::response::{Response, full};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

const TYPE_BASE: &str = "https://spikard.dev/errors/";

/// Where a rejected value came from; the first element of an error's `loc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A path segment.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
    /// The request body.
    Body,
}

impl Source {
    /// The name `loc` starts with: `path`, `query`, `header`, `cookie` or `body`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Path => "path",
            Source::Query => "query",
            Source::Header => "header",
            Source::Cookie => "cookie",
            Source::Body => "body",
        }
    }
}

/// One entry of a problem's `errors` list, shaped like a pydantic v2 error.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// pydantic's error type: `missing`, `int_parsing`, `json_invalid`, ... (owned only when
    /// it comes from outside, e.g. pydantic's own validators).
    pub kind: Cow<'static, str>,
    /// Where the value was: the source, then names or indexes.
    pub loc: Vec<Value>,
    /// A sentence a person can read.
    pub msg: String,
    /// The value that was rejected (`{}` when there was none).
    pub input: Value,
    /// Constraint context, e.g. `{"error": "..."}` or `{"ge": 1}`.
    pub ctx: Option<Box<Map<String, Value>>>,
}

impl FieldError {
    /// An error of pydantic type `kind` about `input`, located at `source` (add names with [`FieldError::at`]).
    pub fn new(kind: impl Into<Cow<'static, str>>, source: Source, msg: impl Into<String>, input: Value) -> Self {
        FieldError {
            kind: kind.into(),
            loc: vec![Value::from(source.as_str())],
            msg: msg.into(),
            input,
            ctx: None,
        }
    }

    /// Appends a field name or list index to `loc`.
    pub fn at(mut self, part: impl Into<Value>) -> Self {
        self.loc.push(part.into());
        self
    }

    /// Adds `key: value` to the error's `ctx`.
    pub fn with_ctx(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.ctx.get_or_insert_default().insert(key.to_owned(), value.into());
        self
    }

    /// A required value that is absent.
    pub fn missing(source: Source, name: &str) -> Self {
        FieldError::absent(source).at(name)
    }

    /// A required value that is absent, located at `source` alone (a whole body).
    pub fn absent(source: Source) -> Self {
        FieldError::new("missing", source, "Field required", Value::Null)
    }

    fn to_json(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("type".into(), self.kind.as_ref().into());
        entry.insert("loc".into(), Value::Array(self.loc.clone()));
        entry.insert("msg".into(), self.msg.clone().into());
        entry.insert("input".into(), self.input.clone());
        if let Some(ctx) = &self.ctx {
            entry.insert("ctx".into(), Value::Object((**ctx).clone()));
        }
        Value::Object(entry)
    }
}

/// How error bodies are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ErrorFormat {
    /// RFC 9457 problem details, `application/problem+json` (the default).
    #[default]
    Problem,
    /// FastAPI's shape, `application/json`: `{"detail": [...]}` listing a 422's errors (each
    /// as in the problem body), `{"detail": ...}` with an `HTTPException`'s detail, or the
    /// reason phrase (`"Not Found"`) for Spikard's own errors. Status and headers are the same.
    FastApi,
}

/// An error response: status, RFC 9457 members, optional field errors and extra headers.
/// Boxed, so a `Result<_, Problem>` stays one pointer wide on the happy path.
#[derive(Debug, Clone)]
pub struct Problem(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    status: StatusCode,
    type_uri: String,
    title: String,
    detail: Option<String>,
    errors: Vec<FieldError>,
    headers: Vec<(String, String)>,
    extensions: Map<String, Value>,
}

impl Problem {
    /// A problem of one of Spikard's own kinds, `https://spikard.dev/errors/{slug}`.
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Problem(Box::new(Inner {
            status,
            type_uri: format!("{TYPE_BASE}{slug}"),
            title: title.to_owned(),
            detail: None,
            errors: Vec::new(),
            headers: Vec::new(),
            extensions: Map::new(),
        }))
    }

    /// A plain HTTP error (what `HTTPException` raises): type `about:blank`, title the reason phrase.
    pub fn http(status: StatusCode, detail: Option<String>) -> Self {
        Problem(Box::new(Inner {
            status,
            type_uri: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            detail,
            errors: Vec::new(),
            headers: Vec::new(),
            extensions: Map::new(),
        }))
    }

    /// 404: no route matches the path.
    pub fn not_found() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not Found").with_detail("No route matches this path")
    }

    /// 405 with the `Allow` header listing what the path does accept.
    pub fn method_not_allowed(method: &http::Method, allow: &str) -> Self {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method Not Allowed",
        )
        .with_detail(format!("Method {method} is not allowed here; allowed: {allow}"))
        .with_header("allow", allow)
    }

    /// 413; the connection is closed after it (the rest of the body is not read).
    pub fn payload_too_large(limit: usize) -> Self {
        Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Payload Too Large")
            .with_detail(format!("Request body exceeds the limit of {limit} bytes"))
            .with_header("connection", "close")
    }

    /// 408 for a body that stopped arriving; the connection is closed after it.
    pub fn request_timeout(idle: std::time::Duration) -> Self {
        Problem::new(StatusCode::REQUEST_TIMEOUT, "request-timeout", "Request Timeout")
            .with_detail(format!(
                "No byte of the request body arrived for {:.1} s",
                idle.as_secs_f64()
            ))
            .with_header("connection", "close")
    }

    /// 414 for a request target past the head limit.
    pub fn uri_too_long(limit: usize) -> Self {
        Problem::new(StatusCode::URI_TOO_LONG, "uri-too-long", "URI Too Long")
            .with_detail(format!("The request target exceeds the limit of {limit} bytes"))
            .with_header("connection", "close")
    }

    /// 431 for a request head (request line and headers) past the limit.
    pub fn header_fields_too_large(limit: usize) -> Self {
        Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header-fields-too-large",
            "Request Header Fields Too Large",
        )
        .with_detail(format!("The request head exceeds the limit of {limit} bytes"))
        .with_header("connection", "close")
    }

    /// 415: the body's media type `found` is not the `expected` one.
    pub fn unsupported_media_type(found: &str, expected: &str) -> Self {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported Media Type",
        )
        .with_detail(format!("Expected {expected}, got {found}"))
    }

    /// 400 for a body that is not JSON; `errors` carries one `json_invalid` entry saying
    /// why, located at the byte offset `at` when it is known.
    pub fn malformed_json(at: Option<usize>, reason: impl Into<String>) -> Self {
        let empty = Value::Object(Map::new());
        let mut error = FieldError::new("json_invalid", Source::Body, "JSON decode error", empty);
        if let Some(at) = at {
            error = error.at(at);
        }
        Problem::new(StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON")
            .with_detail("Request body is not valid JSON")
            .with_errors(vec![error.with_ctx("error", reason.into())])
    }

    /// 400 with `detail`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad Request").with_detail(detail)
    }

    /// 422 listing every failure of a request at once.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let n = errors.len();
        let noun = if n == 1 { "error" } else { "errors" };
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-error",
            "Request Validation Failed",
        )
        .with_detail(format!("{n} validation {noun} in request"))
        .with_errors(errors)
    }

    /// 500, saying nothing of the cause (which is logged).
    pub fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-server-error",
            "Internal Server Error",
        )
        .with_detail("The server failed to handle this request")
    }

    /// Sets the human-readable `detail`.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// Sets the `errors` list (a 422's field errors).
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.0.errors = errors;
        self
    }

    /// Adds a header to the response (e.g. `Allow`, `Retry-After`).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.headers.push((name.into(), value.into()));
        self
    }

    /// An extension member beside the standard ones (e.g. `traceback` in debug mode).
    pub fn with_extension(mut self, key: &str, value: Value) -> Self {
        self.0.extensions.insert(key.to_owned(), value);
        self
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The field errors, if any.
    pub fn errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    /// The JSON document of the body.
    pub fn body(&self) -> Value {
        let p = &self.0;
        let mut doc = json!({
            "type": p.type_uri,
            "title": p.title,
            "status": p.status.as_u16(),
        });
        let obj = doc.as_object_mut().expect("literal object");
        if let Some(detail) = &p.detail {
            obj.insert("detail".into(), detail.clone().into());
        }
        if !p.errors.is_empty() {
            obj.insert("errors".into(), p.errors.iter().map(FieldError::to_json).collect());
        }
        for (k, v) in &p.extensions {
            obj.insert(k.clone(), v.clone());
        }
        doc
    }

    /// The body in FastAPI's shape (see [`ErrorFormat::FastApi`]).
    pub fn fastapi_body(&self) -> Value {
        let p = &self.0;
        let detail = if !p.errors.is_empty() {
            p.errors.iter().map(FieldError::to_json).collect()
        } else if p.type_uri != "about:blank" {
            p.title.clone().into()
        } else if let Some(structured) = p.extensions.get("detail") {
            structured.clone()
        } else {
            p.detail.as_deref().unwrap_or(&p.title).into()
        };
        json!({ "detail": detail })
    }

    /// The `application/problem+json` response.
    pub fn into_response(self) -> Response {
        self.into_response_as(ErrorFormat::Problem)
    }

    /// The response, its body written in `format`.
    pub fn into_response_as(self, format: ErrorFormat) -> Response {
        let (body, media_type) = match format {
            ErrorFormat::Problem => (self.body(), PROBLEM_JSON),
            ErrorFormat::FastApi => (self.fastapi_body(), "application/json"),
        };
        let body = serde_json::to_vec(&body).expect("a JSON value always serializes");
        let mut response = http::Response::new(full(Bytes::from(body)));
        let Inner {
            status, headers: extra, ..
        } = *self.0;
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
        for (name, value) in extra {
            match (header::HeaderName::try_from(name), HeaderValue::try_from(value)) {
                (Ok(name), Ok(value)) => {
                    headers.append(name, value);
                }
                _ => log::warn!("dropped an invalid header on a {status} problem"),
            }
        }
        response
    }
}

impl From<Problem> for Response {
    fn from(problem: Problem) -> Self {
        problem.into_response()
    }
}

impl From<JsonError> for Problem {
    fn from(err: JsonError) -> Problem {
        Problem::malformed_json(Some(err.index), err.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_is_one_json_invalid_error_at_the_byte() {
        let problem = Problem::from(crate::json::JsonDocument::parse(b"[1,2").unwrap_err());
        assert_eq!(problem.status(), StatusCode::BAD_REQUEST);
        let err = &problem.errors()[0];
        assert_eq!(err.kind, "json_invalid");
        assert_eq!(err.loc[0], "body");
        assert!(err.loc[1].is_u64(), "{:?}", err.loc);
        assert!(err.ctx.as_ref().unwrap().contains_key("error"));
    }

    #[test]
    fn validation_body_follows_the_contract() {
        let errors = vec![
            FieldError::new(
                "int_parsing",
                Source::Query,
                "Input should be a valid integer, unable to parse string as an integer",
                "ten".into(),
            )
            .at("limit"),
            FieldError::missing(Source::Body, "name"),
        ];
        let body = Problem::validation(errors).body();
        assert_eq!(body["type"], "https://spikard.dev/errors/validation-error");
        assert_eq!(body["title"], "Request Validation Failed");
        assert_eq!(body["status"], 422);
        assert_eq!(body["detail"], "2 validation errors in request");
        assert_eq!(body["errors"][0]["loc"], json!(["query", "limit"]));
        assert_eq!(body["errors"][0]["input"], "ten");
        assert_eq!(body["errors"][1]["type"], "missing");
        assert!(body["errors"][1].get("ctx").is_none());
    }

    #[test]
    fn http_problem_uses_reason_phrase() {
        let body = Problem::http(StatusCode::NOT_FOUND, Some("no such item".into())).body();
        assert_eq!(
            body,
            json!({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no such item"})
        );
    }

    #[test]
    fn response_carries_media_type_and_headers() {
        let response = Problem::method_not_allowed(&http::Method::DELETE, "GET, HEAD").into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(response.headers()[header::ALLOW], "GET, HEAD");
    }

    #[test]
    fn fastapi_format_writes_detail() {
        let errors = vec![FieldError::missing(Source::Query, "q")];
        assert_eq!(
            Problem::validation(errors).fastapi_body(),
            json!({"detail": [{"type": "missing", "loc": ["query", "q"], "msg": "Field required", "input": null}]})
        );
        let http = |detail: Option<&str>| Problem::http(StatusCode::FORBIDDEN, detail.map(str::to_owned));
        assert_eq!(http(Some("no")).fastapi_body(), json!({"detail": "no"}));
        assert_eq!(http(None).fastapi_body(), json!({"detail": "Forbidden"}));
        let structured = http(None).with_extension("detail", json!({"reason": "no"}));
        assert_eq!(structured.fastapi_body(), json!({"detail": {"reason": "no"}}));
        assert_eq!(Problem::not_found().fastapi_body(), json!({"detail": "Not Found"}));
        let response = Problem::method_not_allowed(&http::Method::DELETE, "GET").into_response_as(ErrorFormat::FastApi);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(response.headers()[header::ALLOW], "GET");
    }
}
