use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::{Server, ServerConfig};
use crate::router::Router;

/// A server running on its own thread and runtime; stop it with [`ServerHandle::stop`].
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

/// Binds and serves `router` on a new thread with its own tokio runtime. Returns once the
/// socket is bound, so the address is ready for clients.
pub fn spawn(router: Router, config: ServerConfig) -> io::Result<ServerHandle> {
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all().thread_name("spikard-worker");
    if config.workers > 0 {
        runtime.worker_threads(config.workers);
    }
    let runtime = runtime.build()?;
    let listener = std::net::TcpListener::bind(config.addr)?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("spikard-server".into())
        .spawn(move || {
            runtime.block_on(async move {
                let server = Server::from_std(listener, router, config)?;
                server
                    .run(async {
                        // A dropped handle stops the server too.
                        let _ = stopped.await;
                    })
                    .await
            })
        })?;
    Ok(ServerHandle {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts a graceful shutdown and waits for it to finish.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| io::Error::other("server thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Err(err) = self.shutdown() {
            log::error!("server stopped with an error: {err}");
        }
    }
}
