//! Per-connection timeouts, enforced the same way for HTTP/1.1 and h2c.
//!
//! hyper bounds a request head only once it knows the protocol, and not at all between
//! keep-alive requests, so a client that connects and sends nothing, drips a head one byte
//! at a time, or idles after a response would hold its socket forever. Each connection has
//! a [`Watch`]: the socket wrapper ([`Watched`]) notes when bytes arrive, each request holds
//! a [`Busy`] guard until its response body is dropped, and [`Watch::expired`] completes when
//! the connection has been without a request in flight past its deadline:
//!
//! - from the connection's start, or from the first byte of a later head: `header_timeout`
//!   for the whole head (dripping bytes does not extend it);
//! - after the last response's last write: `keep_alive_timeout` until the next head's
//!   first byte (on h2c, until the next request: control frames do not count).
//!
//! While a request is in flight, handlers may take as long as they need and the request
//! body has its own idle timeout (`request::collect_body`); a response the client stops
//! reading (the socket refuses writes) for `body_timeout` closes the connection, so a
//! client that never reads holds its response's memory for that long at most.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use super::ServerConfig;

/// One connection's timing state, shared by its socket, its requests and its watchdog.
#[derive(Debug)]
pub(super) struct Watch {
    start: Instant,
    header_timeout: Duration,
    keep_alive_timeout: Duration,
    body_timeout: Duration,
    /// Requests whose response body has not been dropped yet (h2 has several).
    in_flight: AtomicU32,
    /// A head is being read: its deadline is set and arriving bytes do not move it.
    reading_head: AtomicBool,
    /// Milliseconds after `start` past which an idle connection is closed.
    deadline_ms: AtomicU64,
    /// Milliseconds after `start` (plus one, so 0 means "not stalled") since which the
    /// socket has refused every write.
    stalled_ms: AtomicU64,
}

impl Watch {
    pub(super) fn new(config: &ServerConfig) -> Arc<Watch> {
        Arc::new(Watch {
            start: Instant::now(),
            header_timeout: config.header_timeout,
            keep_alive_timeout: config.keep_alive_timeout,
            body_timeout: config.body_timeout,
            in_flight: AtomicU32::new(0),
            reading_head: AtomicBool::new(true),
            deadline_ms: AtomicU64::new(millis(config.header_timeout)),
            stalled_ms: AtomicU64::new(0),
        })
    }

    fn set_deadline(&self, after: Duration) {
        self.deadline_ms.store(millis(self.start.elapsed() + after), Relaxed);
    }

    fn deadline(&self) -> Instant {
        self.start + Duration::from_millis(self.deadline_ms.load(Relaxed))
    }

    /// Bytes arrived: the first ones of a head start its clock.
    fn on_read(&self) {
        if self.in_flight.load(Relaxed) == 0 && !self.reading_head.swap(true, Relaxed) {
            self.set_deadline(self.header_timeout);
        }
    }

    /// A write was refused (`pending`) or went through. A response outlives its body
    /// (hyper takes a buffered body in one frame, then writes it out), so while no request
    /// is in flight each write that goes through restarts the keep-alive clock.
    fn on_write(&self, pending: bool) {
        let stalled = self.stalled_ms.load(Relaxed);
        if pending {
            if stalled == 0 {
                self.stalled_ms.store(millis(self.start.elapsed()) + 1, Relaxed);
            }
            return;
        }
        if stalled != 0 {
            self.stalled_ms.store(0, Relaxed);
        }
        if self.in_flight.load(Relaxed) == 0 {
            self.set_deadline(self.keep_alive_timeout);
        }
    }

    /// Whether the socket is refusing writes, and has for `body_timeout`.
    fn write_stalled(&self) -> (bool, bool) {
        let stalled = self.stalled_ms.load(Relaxed);
        let expired = stalled != 0 && self.start.elapsed() >= Duration::from_millis(stalled - 1) + self.body_timeout;
        (stalled != 0, expired)
    }

    /// A request entered the app; the connection is busy until the guard drops.
    pub(super) fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Relaxed);
        self.reading_head.store(false, Relaxed);
        Busy(Arc::clone(self))
    }

    /// Completes once the connection has had no request in flight past its deadline, or
    /// its client has read nothing of a response for `body_timeout`.
    pub(super) async fn expired(&self) {
        // Look again at least every half of the shortest timeout: cheap, and no wake-up to wire.
        let shortest = self.header_timeout.min(self.keep_alive_timeout).min(self.body_timeout);
        let recheck = (shortest / 2).max(Duration::from_millis(100));
        loop {
            let (stalled, expired) = self.write_stalled();
            if expired {
                return;
            }
            // A response still being written is not idle, whatever its request's state.
            if stalled || self.in_flight.load(Relaxed) > 0 {
                tokio::time::sleep(recheck).await;
                continue;
            }
            let deadline = self.deadline();
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            // The deadline can also move closer (a head's clock, then a shorter keep-alive):
            // never sleep past the next look.
            tokio::time::sleep_until(deadline.min(now + recheck)).await;
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 2)
}

/// Held by a request from the moment it enters the app until its response body is dropped.
#[derive(Debug)]
pub(super) struct Busy(Arc<Watch>);

impl Drop for Busy {
    fn drop(&mut self) {
        let watch = &self.0;
        if watch.in_flight.fetch_sub(1, Relaxed) == 1 {
            watch.set_deadline(watch.keep_alive_timeout);
        }
    }
}

/// A response body that keeps its request counted as in flight until hyper drops it.
#[derive(Debug)]
pub(super) struct Tracked<B> {
    inner: B,
    _busy: Busy,
}

impl<B> Tracked<B> {
    pub(super) fn new(inner: B, busy: Busy) -> Self {
        Tracked { inner, _busy: busy }
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
