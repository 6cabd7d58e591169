use std::net::SocketAddr;
use std::time::Duration;

/// How a server listens and what it allows.
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            body_limit: 10 * 1024 * 1024,
            shutdown_timeout: Duration::from_secs(10),
            workers: 0,
        }
    }
}
