//! The dispatcher's watchdog. A `def` handler (and an `async def` one until its first
//! suspension) runs on the dispatcher thread, and while it runs no other request is served.
//! The dispatcher bumps a counter before and after each such run (two relaxed atomic adds:
//! no clock read on the request path); a watchdog thread samples it every half limit, warns
//! as soon as one run has lasted longer than the limit, and marks it, so that the dispatcher
//! names the handler and its time when it returns.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the dispatcher is running, as the watchdog sees it.
#[derive(Debug, Default)]
pub struct Hold {
    /// Odd while a handler runs on the dispatcher.
    turn: AtomicU64,
    /// The turn the watchdog found past the limit (0: none).
    overdue: AtomicU64,
    /// When the watchdog first saw the overdue turn running.
    since: Mutex<Option<Instant>>,
}

impl Hold {
    /// A handler starts running on the dispatcher; returns its turn.
    pub fn enter(&self) -> u64 {
        self.turn.fetch_add(1, Relaxed) + 1
    }

    /// The handler of `turn` (the route `label`) is done with the dispatcher.
    pub fn leave(&self, turn: u64, label: &str) {
        self.turn.fetch_add(1, Relaxed);
        if self.overdue.load(Relaxed) != turn {
            return;
        }
        let held = self.since.lock().ok().and_then(|s| *s).map(|s| s.elapsed());
        log::warn!(
            "{label} held the dispatcher for at least {:.2} s, serving no other request meanwhile: \
             give the route blocking=True, make the handler async def, or run def handlers on the \
             pool with Spikard(sync_handlers=\"pool\")",
            held.unwrap_or_default().as_secs_f64()
        );
    }
}

/// Starts the watchdog over `hold`; it stops once the dispatcher's state is gone.
pub fn spawn_watchdog(hold: Weak<Hold>, limit: Duration) -> std::io::Result<JoinHandle<()>> {
    let tick = (limit / 2).max(Duration::from_millis(5));
    std::thread::Builder::new()
        .name("spikard-watchdog".into())
        .spawn(move || {
            let (mut seen, mut first_seen) = (0, Instant::now());
            loop {
                std::thread::sleep(tick);
                let Some(hold) = hold.upgrade() else { break };
                let turn = hold.turn.load(Relaxed);
                if turn.is_multiple_of(2) {
                    continue; // idle
                }
                if turn != seen {
                    (seen, first_seen) = (turn, Instant::now());
                    continue;
                }
                // The same run as when first seen: it has lasted at least since then.
                if first_seen.elapsed() >= limit && hold.overdue.load(Relaxed) != turn {
                    if let Ok(mut s) = hold.since.lock() {
                        *s = Some(first_seen);
                    }
                    hold.overdue.store(turn, Relaxed);
                    log::warn!(
                        "a handler has held the dispatcher for more than {:.2} s: no other request is \
                         being served (it is named when it returns)",
                        limit.as_secs_f64()
                    );
                }
            }
        })
}
