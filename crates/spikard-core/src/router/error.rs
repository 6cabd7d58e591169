use std::fmt;

/// A route that cannot be registered. The message names the route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError {
    message: String,
}

impl RouteError {
    pub(crate) fn new(method: &http::Method, path: &str, reason: impl fmt::Display) -> Self {
        RouteError {
            message: format!("invalid route {method} {path:?}: {reason}"),
        }
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RouteError {}
