//! The accept loop: hyper 1.x through hyper-util's auto builder (HTTP/1.1 keep-alive and
//! h2c), TCP_NODELAY, at most `max_connections` open at once, per-connection timeouts
//! (`watch`), an accept loop that outlives EMFILE, and graceful shutdown that stops
//! accepting and drains in-flight requests up to a deadline.

mod catch_panic;
mod config;
mod handle;
mod service;
mod signal;
mod watch;

pub use config::ServerConfig;
pub use handle::{ServerHandle, spawn};
pub use service::App;
pub use signal::shutdown_signal;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use watch::{Tracked, Watch, Watched};

use crate::router::Router;

/// A bound listener and the app it serves.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    app: Arc<App>,
}

impl Server {
    /// Binds `config.addr` (port 0 picks a free port; see [`Server::local_addr`]).
    pub async fn bind(router: Router, config: ServerConfig) -> io::Result<Server> {
        let listener = TcpListener::bind(config.addr).await?;
        Ok(Server {
            listener,
            app: Arc::new(App::new(router, config)),
        })
    }

    /// Serves on a listener bound elsewhere (e.g. synchronously, to learn the port first).
    /// Must be called inside a tokio runtime.
    pub fn from_std(listener: std::net::TcpListener, router: Router, config: ServerConfig) -> io::Result<Server> {
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        Ok(Server {
            listener,
            app: Arc::new(App::new(router, config)),
        })
    }

    /// The address the listener is bound to (the port chosen, for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting, asks open connections to
    /// close after their current request, and waits for them up to the shutdown timeout.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let Server { listener, app } = self;
        if let Ok(addr) = listener.local_addr() {
            log::info!("listening on http://{addr}");
        }
        let builder = connection_builder(app.config());
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(Semaphore::new(app.config().max_connections.max(1)));
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                (accepted, slot) = accept(&listener, &slots) => match accepted {
                    Ok((stream, peer)) => serve_connection(&builder, &graceful, &app, (stream, peer), slot),
                    Err(err) => accept_failed(err).await,
                },
                () = &mut shutdown => break,
            }
        }
        drop(listener);
        let timeout = app.config().shutdown_timeout;
        log::info!(
            "shutting down: draining {} connection(s) for up to {timeout:?}",
            graceful.count()
        );
        if tokio::time::timeout(timeout, graceful.shutdown()).await.is_err() {
            log::warn!("shutdown timeout passed with connections still open; closing them");
        }
        Ok(())
    }
}

/// hyper's connection settings from the config: a bounded read buffer (which bounds the
/// head hyper will hold; `App` answers heads past `max_header_size` with 431), and h2's
/// header list limit. Timeouts are `watch`'s, the same for both protocols.
fn connection_builder(config: &ServerConfig) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Twice the head limit: a head a little over it still reaches `App`, which answers it
    // with a problem+json 431; one past the buffer gets hyper's own bare 431 and a close.
    let read_buffer = (2 * config.max_header_size).max(READ_BUFFER_MIN);
    // No hyper timer: its header-read timer is re-armed for every request, which can wake a
    // parked worker each time (what it cost: docs/benchmarks.md); `watch` enforces the same
    // timeout per connection instead.
    builder.http1().header_read_timeout(None).max_buf_size(read_buffer);
    builder
        .http2()
        .max_header_list_size(u32::try_from(config.max_header_size).unwrap_or(u32::MAX));
    builder
}

/// hyper refuses a smaller read buffer.
const READ_BUFFER_MIN: usize = 8192;

/// Waits for a free connection slot, then for a connection: past `max_connections`, new
/// clients wait in the kernel's listen backlog rather than being accepted and starved.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> (io::Result<(TcpStream, SocketAddr)>, OwnedSemaphorePermit) {
    let slot = Arc::clone(slots)
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    (listener.accept().await, slot)
}

fn serve_connection(
    builder: &auto::Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
    app: &Arc<App>,
    (stream, peer): (TcpStream, SocketAddr),
    slot: OwnedSemaphorePermit,
) {
    if let Err(err) = stream.set_nodelay(true) {
        log::debug!("could not set TCP_NODELAY: {err}");
    }
    let watch = Watch::new(app.config());
    let app = Arc::clone(app);
    let requests = Arc::clone(&watch);
    let service = service_fn(move |request| {
        let app = Arc::clone(&app);
        let busy = requests.begin();
        async move {
            let response = app.handle(request, Some(peer)).await;
            let responding = busy.responding();
            Ok::<_, Infallible>(response.map(|body| Tracked::new(body, responding)))
        }
    });
    let io = TokioIo::new(Watched::new(stream, Arc::clone(&watch)));
    let connection = graceful.watch(builder.serve_connection(io, service).into_owned());
    let ended = Arc::clone(&watch);
    let task = tokio::spawn(async move {
        let _slot = slot;
        if let Err(err) = connection.await {
            log::debug!("connection ended with an error: {err}");
        }
        ended.finish();
    });
    // A task of its own, so the connection's polls never touch a timer.
    tokio::spawn(watch::watchdog(watch, task.abort_handle()));
}

/// Connection-level accept errors (the peer gave up) are skipped; resource exhaustion such
/// as EMFILE is logged and retried after a pause instead of ending the server.
async fn accept_failed(err: io::Error) {
    use io::ErrorKind::*;
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    log::error!("accept failed: {err}; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
