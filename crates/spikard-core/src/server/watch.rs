//! Per-connection timeouts, enforced the same way for HTTP/1.1 and h2c.
//!
//! hyper bounds a request head only once it knows the protocol, and not at all between
//! keep-alive requests, so a client that connects and sends nothing, drips a head one byte
//! at a time, or idles after a response would hold its socket forever. Each connection has
//! a [`Watch`]: the socket wrapper ([`Watched`]) notes arriving bytes and writes that went
//! through or were refused; each request holds a [`Busy`] guard while its handler runs and a
//! [`Responding`] guard until its response body is dropped; and a [`watchdog`] task beside
//! the connection samples that state every tick (half the shortest timeout) and aborts the
//! connection's task:
//!
//! - with nothing to answer, `header_timeout` after the connection's start or a later head's
//!   first byte, for the whole head (dripping bytes does not extend it);
//! - with nothing to answer, `keep_alive_timeout` after the last request or write, until the
//!   next head's first byte (on h2c, until the next request: control frames do not count);
//! - with a response owed or being written, `body_timeout` after the last write that went
//!   through: a client that never reads holds its response that long at most, while a slow
//!   reader is never cut. (On h2c, hyper hands a buffered body to h2 at once; what then waits
//!   for the client's flow-control window counts as idle, under `keep_alive_timeout`.)
//!
//! While a handler runs nothing here applies; the request body has its own idle timeout
//! (`request::collect_body`). The request path pays a few relaxed atomic loads and stores,
//! no clock read or timer: the watchdog reads the clock once a tick, so a timeout fires
//! between its value and half again.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::ServerConfig;

/// One connection's state, shared by its socket, its requests and its watchdog.
#[derive(Debug)]
pub(super) struct Watch {
    header_timeout: Duration,
    keep_alive_timeout: Duration,
    body_timeout: Duration,
    /// Requests whose handler is running (h2 has several).
    handling: AtomicU32,
    /// Responses produced whose body has not been dropped yet.
    responding: AtomicU32,
    /// Bytes of a head have arrived with nothing in flight (true from the start).
    reading_head: AtomicBool,
    /// A request started or finished since the last tick.
    active: AtomicBool,
    /// A write went through since the last tick.
    wrote: AtomicBool,
    /// The last write was refused: bytes wait for the client to read.
    stalled: AtomicBool,
    /// The connection has ended; the watchdog stops.
    done: AtomicBool,
}

impl Watch {
    pub(super) fn new(config: &ServerConfig) -> Arc<Watch> {
        Arc::new(Watch {
            header_timeout: config.header_timeout,
            keep_alive_timeout: config.keep_alive_timeout,
            body_timeout: config.body_timeout,
            handling: AtomicU32::new(0),
            responding: AtomicU32::new(0),
            reading_head: AtomicBool::new(true),
            active: AtomicBool::new(false),
            wrote: AtomicBool::new(false),
            stalled: AtomicBool::new(false),
            done: AtomicBool::new(false),
        })
    }

    /// Bytes arrived: with nothing in flight, they are a head's.
    fn on_read(&self) {
        if self.handling.load(Relaxed) == 0 && self.responding.load(Relaxed) == 0 && !self.reading_head.load(Relaxed) {
            self.reading_head.store(true, Relaxed);
        }
    }

    /// A write was refused (`pending`) or went through.
    fn on_write(&self, pending: bool) {
        if pending != self.stalled.load(Relaxed) {
            self.stalled.store(pending, Relaxed);
        }
        if !pending && !self.wrote.load(Relaxed) {
            self.wrote.store(true, Relaxed);
        }
    }

    /// A request entered the app; the connection is busy until its handler returns.
    pub(super) fn begin(self: &Arc<Self>) -> Busy {
        self.handling.fetch_add(1, Relaxed);
        self.reading_head.store(false, Relaxed);
        self.active.store(true, Relaxed);
        Busy(Arc::clone(self))
    }

    /// The connection's task has ended.
    pub(super) fn finish(&self) {
        self.done.store(true, Relaxed);
    }
}

/// Samples `watch` every tick until its connection ends, aborting the connection's task
/// when one of the module's timeouts has passed.
pub(super) async fn watchdog(watch: Arc<Watch>, connection: AbortHandle) {
    let shortest = watch
        .header_timeout
        .min(watch.keep_alive_timeout)
        .min(watch.body_timeout);
    let tick = (shortest / 2).max(Duration::from_millis(50));
    // When the current head, idle spell and wait for a write were first seen.
    let (mut head_since, mut idle_since, mut quiet_since) = (Some(Instant::now()), None, None);
    loop {
        tokio::time::sleep(tick).await;
        if watch.done.load(Relaxed) {
            return;
        }
        let now = Instant::now();
        let wrote = watch.wrote.swap(false, Relaxed);
        if watch.active.swap(false, Relaxed) || wrote {
            (head_since, idle_since) = (None, None);
        }
        if wrote {
            quiet_since = None;
        }
        let expired = if watch.handling.load(Relaxed) > 0 {
            // A handler may take as long as it needs.
            (head_since, idle_since, quiet_since) = (None, None, None);
            false
        } else if watch.responding.load(Relaxed) > 0 || watch.stalled.load(Relaxed) {
            (head_since, idle_since) = (None, None);
            now - *quiet_since.get_or_insert(now) >= watch.body_timeout
        } else if watch.reading_head.load(Relaxed) {
            (idle_since, quiet_since) = (None, None);
            now - *head_since.get_or_insert(now) >= watch.header_timeout
        } else {
            (head_since, quiet_since) = (None, None);
            now - *idle_since.get_or_insert(now) >= watch.keep_alive_timeout
        };
        if expired {
            log::debug!("closing a connection past its timeout");
            connection.abort();
            return;
        }
    }
}

/// Held by a request while its handler runs.
#[derive(Debug)]
pub(super) struct Busy(Arc<Watch>);

impl Busy {
    /// The handler returned: the response is owed until its body is dropped.
    pub(super) fn responding(self) -> Responding {
        let watch = Arc::clone(&self.0);
        watch.responding.fetch_add(1, Relaxed);
        drop(self);
        Responding(watch)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.handling.fetch_sub(1, Relaxed);
        self.0.active.store(true, Relaxed);
    }
}

/// Held by a response from its handler's return until hyper drops its body.
#[derive(Debug)]
pub(super) struct Responding(Arc<Watch>);

impl Drop for Responding {
    fn drop(&mut self) {
        self.0.responding.fetch_sub(1, Relaxed);
        self.0.active.store(true, Relaxed);
    }
}

/// A response body that keeps its response counted as owed until hyper drops it.
#[derive(Debug)]
pub(super) struct Tracked<B> {
    inner: B,
    _responding: Responding,
}

impl<B> Tracked<B> {
    pub(super) fn new(inner: B, responding: Responding) -> Self {
        Tracked {
            inner,
            _responding: responding,
        }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Tracked<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A socket that reports arriving bytes and refused writes to its connection's [`Watch`];
/// writes pass through untouched (vectored writes included, so hyper never flattens a
/// response into a copy).
#[derive(Debug)]
pub(super) struct Watched<T> {
    inner: T,
    watch: Arc<Watch>,
    /// The first bytes have been looked at, and told whether this is h2c.
    sniffed: bool,
    h2: bool,
}

/// How an h2c (prior knowledge) connection starts.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0";

impl<T> Watched<T> {
    pub(super) fn new(inner: T, watch: Arc<Watch>) -> Self {
        Watched {
            inner,
            watch,
            sniffed: false,
            h2: false,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let arrived = &buf.filled()[before..];
        if !arrived.is_empty() {
            if !self.sniffed {
                self.sniffed = true;
                self.h2 = arrived.starts_with(H2_PREFACE);
            }
            // On h2c, bytes between requests are control frames (window updates, pings),
            // not the start of a head: they do not put off the keep-alive timeout.
            if !self.h2 {
                self.watch.on_read();
            }
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch.on_write(polled.is_pending());
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch.on_write(polled.is_pending());
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
