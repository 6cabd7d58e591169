//! The [`Handler`] trait: what a route runs once the core has matched and read the request.
//!
//! It is dyn-compatible so the router can hold `Arc<dyn Handler>` for Rust closures and for
//! the Python bindings alike.

use std::future::Future;
use std::pin::Pin;

use crate::problem::Problem;
use crate::request::Request;
use crate::response::Response;

/// What a handler produces: a response, or a problem the core renders.
pub type HandlerResult = Result<Response, Problem>;

/// The boxed future a handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = HandlerResult> + Send + 'static>>;

/// A route's endpoint. Implemented for async closures `Fn(Request) -> impl Future`.
pub trait Handler: Send + Sync + 'static {
    /// Answers `request`; the future runs on the I/O runtime.
    fn call(&self, request: Request) -> HandlerFuture;
}

impl<F, Fut> Handler for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    fn call(&self, request: Request) -> HandlerFuture {
        Box::pin(self(request))
    }
}
