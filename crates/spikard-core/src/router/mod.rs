//! Routing: a matchit tree of [`RouteId`]s over a `Vec` of endpoints, each with its methods.
//!
//! Paths are checked when a route is registered; a request only ever looks up. An unknown
//! path is a 404 (or, when only its other form with or without a trailing slash is a route,
//! a 307 there, as FastAPI does), a known path with the wrong method a 405 with `Allow`,
//! `HEAD` falls back to `GET`, and `OPTIONS` answers with `Allow` unless the app registered
//! its own.

mod error;

pub use error::RouteError;

use std::collections::HashMap;
use std::sync::Arc;

use http::Method;
use percent_encoding::percent_decode_str;

use crate::handler::Handler;
use crate::problem::{FieldError, Problem, Source};

/// Index of an endpoint (one path with all its methods) in the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteId(usize);

struct Endpoint {
    path: String,
    methods: Vec<(Method, Arc<dyn Handler>)>,
    /// The `Allow` header value, kept current as methods are added.
    allow: String,
}

impl Endpoint {
    fn handler(&self, method: &Method) -> Option<&Arc<dyn Handler>> {
        self.methods.iter().find(|(m, _)| m == method).map(|(_, h)| h)
    }

    fn refresh_allow(&mut self) {
        let mut allow: Vec<&str> = self.methods.iter().map(|(m, _)| m.as_str()).collect();
        if self.handler(&Method::GET).is_some() && self.handler(&Method::HEAD).is_none() {
            allow.push("HEAD");
        }
        if self.handler(&Method::OPTIONS).is_none() {
            allow.push("OPTIONS");
        }
        self.allow = allow.join(", ");
    }
}

/// What a request resolved to.
pub enum Resolved<'r> {
    /// Run `handler` with the decoded path parameters. `head` is set when a `HEAD` request
    /// is answered by the `GET` handler: the caller must send the headers without the body.
    Handler {
        /// The route's handler.
        handler: &'r Arc<dyn Handler>,
        /// The path parameters, decoded, in path order.
        params: Vec<(String, String)>,
        /// A `HEAD` request answered by the `GET` handler: send no body.
        head: bool,
    },
    /// An `OPTIONS` request to a path that registered no `OPTIONS` handler.
    Options {
        /// The path's methods, for the 204's `Allow`.
        allow: &'r str,
    },
    /// The path is no route, but the same path with (or without) a trailing slash is:
    /// answer 307 to it.
    Redirect {
        /// The route's form of the path.
        path: String,
    },
}

impl std::fmt::Debug for Resolved<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resolved::Handler { params, head, .. } => f
                .debug_struct("Handler")
                .field("params", params)
                .field("head", head)
                .finish_non_exhaustive(),
            Resolved::Options { allow } => f.debug_struct("Options").field("allow", allow).finish(),
            Resolved::Redirect { path } => f.debug_struct("Redirect").field("path", path).finish(),
        }
    }
}

/// The route table. Build it once, then share it (it is immutable while serving).
#[derive(Default)]
pub struct Router {
    tree: matchit::Router<RouteId>,
    endpoints: Vec<Endpoint>,
    by_path: HashMap<String, RouteId>,
    /// Answer 404, not a redirect, for a path that is a route only with the other slash.
    strict_slashes: bool,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for e in &self.endpoints {
            list.entry(&format_args!("{} {}", e.allow, e.path));
        }
        list.finish()
    }
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `method` on `path` (`/users/{id}`, `/files/{*rest}`).
    ///
    /// Fails, naming the route, when the path is malformed, conflicts with another route, or
    /// already has a handler for this method.
    pub fn route(&mut self, method: Method, path: &str, handler: impl Handler) -> Result<&mut Self, RouteError> {
        self.route_arc(method, path, Arc::new(handler))
    }

    /// [`Router::route`] for a handler that is already shared.
    pub fn route_arc(
        &mut self,
        method: Method,
        path: &str,
        handler: Arc<dyn Handler>,
    ) -> Result<&mut Self, RouteError> {
        if !path.starts_with('/') {
            return Err(RouteError::new(&method, path, "a path must start with '/'"));
        }
        if named_params(path) > MAX_PARAMS {
            return Err(RouteError::new(
                &method,
                path,
                format!("a route may have at most {MAX_PARAMS} parameters"),
            ));
        }
        let id = match self.by_path.get(path) {
            Some(&id) => id,
            None => {
                let id = RouteId(self.endpoints.len());
                self.tree
                    .insert(path, id)
                    .map_err(|e| RouteError::new(&method, path, e))?;
                self.endpoints.push(Endpoint {
                    path: path.to_owned(),
                    methods: Vec::new(),
                    allow: String::new(),
                });
                self.by_path.insert(path.to_owned(), id);
                id
            }
        };
        let endpoint = &mut self.endpoints[id.0];
        if endpoint.handler(&method).is_some() {
            return Err(RouteError::new(
                &method,
                path,
                "this method is already registered for this path",
            ));
        }
        endpoint.methods.push((method, handler));
        endpoint.refresh_allow();
        Ok(self)
    }

    /// Whether a path that is no route, when its other form (with or without a trailing
    /// slash) is one, is redirected there with a 307 (the default, as in FastAPI) or is a 404.
    pub fn redirect_slashes(&mut self, redirect: bool) -> &mut Self {
        self.strict_slashes = !redirect;
        self
    }

    /// Adds a `GET` route.
    pub fn get(&mut self, path: &str, handler: impl Handler) -> Result<&mut Self, RouteError> {
        self.route(Method::GET, path, handler)
    }

    /// Adds a `POST` route.
    pub fn post(&mut self, path: &str, handler: impl Handler) -> Result<&mut Self, RouteError> {
        self.route(Method::POST, path, handler)
    }

    /// Looks a request up. Errors are the 404/405/400 problems to answer with.
    pub fn resolve(&self, method: &Method, path: &str) -> Result<Resolved<'_>, Problem> {
        let Ok(matched) = self.tree.at(path) else {
            return match self.other_slash(path) {
                Some(path) => Ok(Resolved::Redirect { path }),
                None => Err(Problem::not_found()),
            };
        };
        let endpoint = &self.endpoints[matched.value.0];
        let (handler, head) = match endpoint.handler(method) {
            Some(handler) => (handler, false),
            None if method == Method::HEAD => match endpoint.handler(&Method::GET) {
                Some(handler) => (handler, true),
                None => return Err(Problem::method_not_allowed(method, &endpoint.allow)),
            },
            None if method == Method::OPTIONS => return Ok(Resolved::Options { allow: &endpoint.allow }),
            None => return Err(Problem::method_not_allowed(method, &endpoint.allow)),
        };
        let params = decode_params(matched.params.iter())?;
        Ok(Resolved::Handler { handler, params, head })
    }

    /// `path` with its trailing slash removed, or one added, when that form is a route.
    /// Never `/` itself, and never a path starting `//`, which a client would read as
    /// another host.
    fn other_slash(&self, path: &str) -> Option<String> {
        if self.strict_slashes || path == "/" {
            return None;
        }
        let other = match path.strip_suffix('/') {
            Some(stripped) => stripped.to_owned(),
            None => format!("{path}/"),
        };
        let safe = other.starts_with('/') && !other.starts_with("//");
        (safe && self.tree.at(&other).is_ok()).then_some(other)
    }
}

/// matchit names a route's parameters `a` to `z` internally and panics past that (found by
/// the router fuzz target): more are refused at registration instead.
const MAX_PARAMS: usize = 25;

/// The `{name}` parameters of a route, as matchit counts them: not `{{`/`}}` escapes, not
/// the `{*rest}` catch-all.
fn named_params(path: &str) -> usize {
    let bytes = path.as_bytes();
    let (mut count, mut i) = (0, 0);
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'{', Some(b'{')) | (b'}', Some(b'}')) => i += 2,
            (b'{', next) => {
                count += usize::from(next != Some(&b'*'));
                i += 1;
            }
            _ => i += 1,
        }
    }
    count
}

/// Percent-decodes path parameters; bytes that are not UTF-8 are a 422 on that parameter,
/// never a silent replacement.
fn decode_params<'a>(params: impl Iterator<Item = (&'a str, &'a str)>) -> Result<Vec<(String, String)>, Problem> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (name, raw) in params {
        match percent_decode_str(raw).decode_utf8() {
            Ok(value) => out.push((name.to_owned(), value.into_owned())),
            Err(_) => errors.push(
                FieldError::new(
                    "string_unicode",
                    Source::Path,
                    "Input should be a valid string, unable to parse raw data as a unicode string",
                    raw.into(),
                )
                .at(name),
            ),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Problem::validation(errors))
    }
}

#[cfg(test)]
mod tests;
