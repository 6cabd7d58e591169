//! The dispatcher thread: it holds the GIL, runs the server's asyncio event loop
//! (`spikard._loop.run`), and drains the job queue whenever the loop wakes for it.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Receiver;
use pyo3::prelude::*;

use super::watchdog::spawn_watchdog;
use super::{Running, Wake, Work, call};
use crate::profile::Profile;

/// The loop's callback for the queue's eventfd.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct Drain {
    receiver: Receiver<Work>,
    wake: Arc<Wake>,
    running: Arc<Running>,
}

#[pymethods]
impl Drain {
    /// Runs every queued job (request batching); returns false once the server is closed.
    fn __call__(&self, py: Python<'_>) -> bool {
        self.wake.reset();
        let mut batch = 0;
        loop {
            while let Ok(work) = self.receiver.try_recv() {
                match work {
                    Work::Call(job) => {
                        call::run(py, &self.running, *job);
                        batch += 1;
                    }
                    Work::Cancel(key) => self.running.cancel(py, key),
                }
            }
            if self.wake.is_closed() {
                break;
            }
            // Going idle: arm the wake, then look once more, so a job queued in between
            // is not left waiting for the next one.
            self.wake.arm();
            if self.receiver.is_empty() || !self.wake.disarm() {
                break;
            }
        }
        if let Some(profile) = &self.running.profile
            && batch > 0
        {
            profile.record_batch(batch);
        }
        !self.wake.is_closed()
    }
}

/// Reports the outcome of the app's startup from the loop: `None`, or why it failed.
#[pyclass(frozen, module = "spikard._spikard")]
struct Started(Mutex<Option<std::sync::mpsc::Sender<Option<String>>>>);

#[pymethods]
impl Started {
    #[pyo3(signature = (failure))]
    fn __call__(&self, failure: Option<String>) {
        if let Some(tx) = self.0.lock().ok().and_then(|mut tx| tx.take()) {
            let _ = tx.send(failure);
        }
    }
}

/// Starts the dispatcher thread: it runs the app's startup, serves until `wake` is closed,
/// then runs its shutdown; with `slow_handler`, a watchdog warns of any handler that holds
/// it longer. Returns the thread and the startup outcome to wait for.
pub fn spawn_dispatcher(
    receiver: Receiver<Work>,
    wake: Arc<Wake>,
    profile: Option<Arc<Profile>>,
    blocking_threads: usize,
    lifespan: Py<PyAny>,
    slow_handler: Option<Duration>,
) -> std::io::Result<(JoinHandle<()>, std::sync::mpsc::Receiver<Option<String>>)> {
    let (tx, started) = std::sync::mpsc::channel();
    let running = Arc::new(Running::new(profile));
    if let Some(limit) = slow_handler {
        // Detached: it ends by itself within half `limit` of the dispatcher's end.
        spawn_watchdog(Arc::downgrade(&running.hold), limit)?;
    }
    let thread = std::thread::Builder::new()
        .name("spikard-dispatch".into())
        .spawn(move || {
            Python::attach(|py| {
                let fd = wake.raw_fd();
                let drain = Drain {
                    receiver,
                    wake,
                    running,
                };
                let report = Started(Mutex::new(Some(tx)));
                let ran = (|| {
                    let args = (
                        fd,
                        Bound::new(py, drain)?,
                        blocking_threads,
                        lifespan,
                        Bound::new(py, report)?,
                    );
                    py.import("spikard._loop")?.call_method1("run", args).map(drop)
                })();
                if let Err(err) = ran {
                    log::error!("the dispatcher's event loop failed: {err}");
                    err.print(py);
                }
            })
        })?;
    Ok((thread, started))
}
