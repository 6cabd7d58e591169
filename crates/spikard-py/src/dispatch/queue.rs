//! The queue from the I/O threads to the dispatcher, and the eventfd that wakes the
//! dispatcher's event loop when work arrives while it sleeps.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender};

use super::Job;

/// What the dispatcher is asked to do.
pub enum Work {
    /// Boxed: a job is large, and the queue moves it twice.
    Call(Box<Job>),
    /// The client of the async job with this key went away: cancel its task.
    Cancel(u64),
}

/// Wakes the dispatcher's event loop through an eventfd it watches.
///
/// The loop arms the wake before it goes idle; a producer that finds it armed disarms it
/// and writes the eventfd. So a busy loop is never written to, and an idle one is woken
/// exactly once however many jobs arrive.
#[derive(Debug)]
pub struct Wake {
    fd: OwnedFd,
    armed: AtomicBool,
    closed: AtomicBool,
}

impl Wake {
    pub fn new() -> io::Result<Wake> {
        // SAFETY: eventfd(2) returns a new descriptor we own, or -1.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Wake {
            fd,
            armed: AtomicBool::new(true),
            closed: AtomicBool::new(false),
        })
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writing 8 bytes from a live u64 to our eventfd. A full counter (EAGAIN)
        // still leaves it readable, which is all a wake needs.
        unsafe {
            libc::write(self.fd.as_raw_fd(), (&raw const one).cast(), 8);
        }
    }

    /// After queueing work: wake the loop if it is idle.
    pub fn notify(&self) {
        if self.armed.swap(false, Ordering::AcqRel) {
            self.signal();
        }
    }

    /// The loop is about to go idle: the next producer will write the eventfd.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::Release);
    }

    /// Takes the arm back (the loop found more work after arming); true if it was still set.
    pub fn disarm(&self) -> bool {
        self.armed.swap(false, Ordering::AcqRel)
    }

    /// Consumes a pending wake.
    pub fn reset(&self) {
        let mut count: u64 = 0;
        // SAFETY: reading 8 bytes into a live u64 from our non-blocking eventfd.
        unsafe {
            libc::read(self.fd.as_raw_fd(), (&raw mut count).cast(), 8);
        }
    }

    /// The server is done: the loop should finish.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.signal();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// The producer side, one per route handler.
#[derive(Clone)]
pub struct Queue {
    sender: Sender<Work>,
    wake: Arc<Wake>,
}

impl Queue {
    pub fn new(wake: Arc<Wake>) -> (Queue, Receiver<Work>) {
        let (sender, receiver) = crossbeam_channel::unbounded();
        (Queue { sender, wake }, receiver)
    }

    /// Queues `work`; fails only when the dispatcher is gone (the server is shutting down).
    pub fn send(&self, work: Work) -> Result<(), Closed> {
        self.sender.send(work).map_err(|_| Closed)?;
        self.wake.notify();
        Ok(())
    }
}

/// The dispatcher no longer takes work.
#[derive(Debug)]
pub struct Closed;

static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

pub fn next_cancel_key() -> u64 {
    NEXT_KEY.fetch_add(1, Ordering::Relaxed)
}

/// Sends `Work::Cancel` when dropped armed: the request's future went away unanswered.
pub struct CancelOnDrop {
    queue: Option<Queue>,
    key: u64,
}

impl CancelOnDrop {
    pub fn new(queue: Queue, key: u64) -> CancelOnDrop {
        CancelOnDrop {
            queue: Some(queue),
            key,
        }
    }

    pub fn disarm(mut self) {
        self.queue = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(queue) = self.queue.take() {
            let _ = queue.send(Work::Cancel(self.key));
        }
    }
}
