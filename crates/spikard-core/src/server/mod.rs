//! The accept loop: hyper 1.x through hyper-util's auto builder (HTTP/1.1 keep-alive and
//! h2c), TCP_NODELAY, an accept loop that outlives EMFILE, and graceful shutdown that stops
//! accepting and drains in-flight requests up to a deadline.

mod config;
mod handle;
mod service;
mod signal;

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
        let builder = auto::Builder::new(TokioExecutor::new());
        let graceful = GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => serve_connection(&builder, &graceful, &app, stream),
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

fn serve_connection(
    builder: &auto::Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
    app: &Arc<App>,
    stream: TcpStream,
) {
    if let Err(err) = stream.set_nodelay(true) {
        log::debug!("could not set TCP_NODELAY: {err}");
    }
    let app = Arc::clone(app);
    let service = service_fn(move |request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Infallible>(app.handle(request).await) }
    });
    let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service).into_owned());
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            log::debug!("connection ended with an error: {err}");
        }
    });
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
