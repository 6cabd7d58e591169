//! # spikard-core
//!
//! Spikard's HTTP engine in pure Rust: a hyper 1.x server (HTTP/1.1 and h2c), matchit
//! routing, request extraction under limits, simd-json decoding, parameter validation with
//! pydantic-style errors, and RFC 9457 problem+json responses. The Python bindings
//! (`spikard-py`) implement [`Handler`]; Rust users can serve a [`Router`] directly:
//!
//! ```no_run
//! use spikard_core::{Router, Request, HandlerResult, ServerConfig, json_response};
//!
//! async fn health(_: Request) -> HandlerResult {
//!     Ok(json_response(r#"{"ok":true}"#))
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let mut router = Router::new();
//! router.get("/health", health).expect("valid route");
//! let server = spikard_core::Server::bind(router, ServerConfig::default()).await?;
//! server.run(spikard_core::shutdown_signal()).await
//! # }
//! ```

#![warn(missing_debug_implementations, missing_docs)]

#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod handler;
pub mod json;
pub mod problem;
pub mod request;
pub mod response;
pub mod router;
pub mod schema;
pub mod server;
pub mod validate;

pub use handler::{Handler, HandlerFuture, HandlerResult};
pub use problem::{ErrorFormat, FieldError, Problem, Source};
pub use request::Request;
pub use response::{Body, FRAMING_HEADERS, Response, full, is_framing_header, json_response, response};
pub use router::{RouteError, Router};
pub use server::{App, Server, ServerConfig, ServerHandle, shutdown_signal, spawn};
