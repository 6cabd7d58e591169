use std::net::SocketAddr;
use std::time::Duration;

use crate::problem::ErrorFormat;

/// How a server listens, what it allows and how long it waits.
///
/// The defaults are what a server facing the internet wants; `docs/reliability.md` says
/// how each limit answers.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen. Port 0 picks a free port.
    pub addr: SocketAddr,
    /// Largest request body accepted; larger ones get 413. Default 10 MiB.
    pub body_limit: usize,
    /// How long a graceful shutdown waits for in-flight requests. Default 10 s.
    pub shutdown_timeout: Duration,
    /// Tokio worker threads for [`spawn`](super::spawn); 0 means one per core.
    pub workers: usize,
    /// How long a client has to send a request's whole head, from the connection's start or
    /// from the head's first byte; past it the connection is closed. Default 30 s.
    pub header_timeout: Duration,
    /// How long a keep-alive connection may sit idle between requests. Default 5 s.
    pub keep_alive_timeout: Duration,
    /// How long a body may make no progress: a request body without a byte arriving is
    /// answered 408; a response the client reads nothing of closes the connection.
    /// Default 30 s.
    pub body_timeout: Duration,
    /// Most open connections; past it new ones wait in the listen backlog until one
    /// closes. Default 10,000.
    pub max_connections: usize,
    /// Largest request head (request line and headers); larger ones get 431. Default 16 KiB.
    pub max_header_size: usize,
    /// How error bodies are written: RFC 9457 problem details (the default) or FastAPI's
    /// `{"detail": ...}`.
    pub error_format: ErrorFormat,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            body_limit: 10 * 1024 * 1024,
            shutdown_timeout: Duration::from_secs(10),
            workers: 0,
            header_timeout: Duration::from_secs(30),
            keep_alive_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            max_header_size: 16 * 1024,
            error_format: ErrorFormat::Problem,
        }
    }
}
