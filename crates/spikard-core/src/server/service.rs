use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, Version, header};

use super::ServerConfig;
use super::catch_panic::catch_panic;
use crate::problem::Problem;
use crate::request::{BodyError, Request, collect_body, linger};
use crate::response::{Response, full, strip_framing_headers};
use crate::router::{Resolved, Router};

/// The request path from a hyper request to a response: check the head, route, read the
/// body under its limits, run the handler (a panic becomes a 500), drop framing headers the
/// handler set, and strip the body of `HEAD` answers.
#[derive(Debug)]
pub struct App {
    router: Router,
    config: ServerConfig,
}

impl App {
    /// The service for `router` under `config`'s limits.
    pub fn new(router: Router, config: ServerConfig) -> Self {
        App { router, config }
    }

    /// The limits it serves under.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Answers one request from `peer`. Never fails: every error is a problem+json response.
    pub async fn handle<B>(&self, request: http::Request<B>, peer: Option<SocketAddr>) -> Response
    where
        B: http_body::Body<Data = Bytes> + Unpin + Send + 'static,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let (parts, mut body) = request.into_parts();
        if let Err(problem) = self.check_head(&parts) {
            return problem.into_response_as(self.config.error_format);
        }
        let (handler, path_params, head) = match self.router.resolve(&parts.method, parts.uri.path()) {
            Ok(Resolved::Handler { handler, params, head }) => (handler, params, head),
            Ok(Resolved::Options { allow }) => return options_response(allow),
            Ok(Resolved::Redirect { path }) => return redirect_response(path, parts.uri.query()),
            Err(problem) => return problem.into_response_as(self.config.error_format),
        };
        let content_length = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let config = &self.config;
        let body = match collect_body(&mut body, content_length, config.body_limit, config.body_timeout).await {
            Ok(bytes) => bytes,
            Err(err) => {
                // A client that waits for `100 Continue` sends nothing more; others are
                // mid-send, and read the 413 only if the rest is read first.
                if matches!(err, BodyError::TooLarge { .. }) && !parts.headers.contains_key(header::EXPECT) {
                    linger(body);
                }
                return Problem::from(err).into_response_as(config.error_format);
            }
        };
        let request = Request {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            path_params,
            body,
            peer,
        };
        let mut response = match catch_panic(handler, request).await {
            Ok(response) => response,
            Err(problem) => problem.into_response_as(self.config.error_format),
        };
        strip_framing_headers(response.headers_mut());
        if head { strip_body(response) } else { response }
    }

    /// Refuses a target past `max_header_size` (414) and heads past it (431), and HTTP/1.1
    /// requests without exactly one `Host` (400, RFC 9112 §3.2). Each closes the connection
    /// after answering. (Framing conflicts never get here: hyper refuses bad lengths and
    /// codings, and reads `Content-Length` with `Transfer-Encoding` as chunked and closes
    /// the connection after, as RFC 9112 §6.1 asks.)
    fn check_head(&self, parts: &http::request::Parts) -> Result<(), Problem> {
        let limit = self.config.max_header_size;
        let target = parts.uri.path_and_query().map_or(1, |pq| pq.as_str().len());
        if target > limit {
            return Err(Problem::uri_too_long(limit));
        }
        let head = parts.headers.iter().fold(target, |n, (name, value)| {
            n + name.as_str().len() + value.len() + 4 // ": " and the line end
        });
        if head > limit {
            return Err(Problem::header_fields_too_large(limit));
        }
        if parts.version == Version::HTTP_11 {
            let mut hosts = parts.headers.get_all(header::HOST).iter();
            if hosts.next().is_none() || hosts.next().is_some() {
                return Err(
                    Problem::bad_request("An HTTP/1.1 request needs exactly one Host header")
                        .with_header("connection", "close"),
                );
            }
        }
        Ok(())
    }
}

fn options_response(allow: &str) -> Response {
    let mut response = http::Response::new(full(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    if let Ok(allow) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

/// 307 to the route's form of the path, the query kept: the method and body are sent again.
/// `Location` is the path (a relative reference, RFC 9110 §10.2.2), not an absolute URL.
fn redirect_response(path: String, query: Option<&str>) -> Response {
    let location = match query {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut response = http::Response::new(full(Bytes::new()));
    *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    // The path came from a parsed request target, so it is a valid header value.
    if let Ok(location) = HeaderValue::try_from(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A `HEAD` answer: the `GET` response's status and headers, its length, no body.
fn strip_body(response: Response) -> Response {
    use http_body::Body as _;
    let (mut parts, body) = response.into_parts();
    if let Some(len) = body.size_hint().exact() {
        parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    http::Response::from_parts(parts, full(Bytes::new()))
}
