use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

use super::ServerConfig;
use crate::handler::{Response, full};
use crate::middleware::catch_panic;
use crate::problem::Problem;
use crate::request::{Request, collect_body};
use crate::router::{Resolved, Router};

/// The request path from a hyper request to a response: route, read the body under the
/// limit, run the handler (a panic becomes a 500), and strip the body of `HEAD` answers.
#[derive(Debug)]
pub struct App {
    router: Router,
    config: ServerConfig,
}

impl App {
    pub fn new(router: Router, config: ServerConfig) -> Self {
        App { router, config }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Answers one request. Never fails: every error is a problem+json response.
    pub async fn handle<B>(&self, request: http::Request<B>) -> Response
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let (parts, body) = request.into_parts();
        let (handler, path_params, head) = match self.router.resolve(&parts.method, parts.uri.path()) {
            Ok(Resolved::Handler { handler, params, head }) => (handler, params, head),
            Ok(Resolved::Options { allow }) => return options_response(allow),
            Err(problem) => return problem.into_response(),
        };
        let content_length = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let body = match collect_body(body, content_length, self.config.body_limit).await {
            Ok(body) => body,
            Err(err) => return Problem::from(err).into_response(),
        };
        let request = Request {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            path_params,
            body,
        };
        let response = match catch_panic(handler, request).await {
            Ok(response) => response,
            Err(problem) => problem.into_response(),
        };
        if head { strip_body(response) } else { response }
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

/// A `HEAD` answer: the `GET` response's status and headers, its length, no body.
fn strip_body(response: Response) -> Response {
    use http_body::Body as _;
    let (mut parts, body) = response.into_parts();
    if let Some(len) = body.size_hint().exact() {
        parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    http::Response::from_parts(parts, full(Bytes::new()))
}
