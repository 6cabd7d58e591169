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
    /// The handler of the route `label` starts running on the dispatcher; it holds it until
    /// the guard drops (on a panic too, so the count never goes out of step).
    pub fn enter<'a>(&'a self, label: &'a str) -> Held<'a> {
        let turn = self.turn.fetch_add(1, Relaxed) + 1;
        Held {
            hold: self,
            turn,
            label,
        }
    }
}

/// A handler's run on the dispatcher; dropped when it is done with it.
pub struct Held<'a> {
    hold: &'a Hold,
    turn: u64,
    label: &'a str,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let hold = self.hold;
        hold.turn.fetch_add(1, Relaxed);
        if hold.overdue.load(Relaxed) != self.turn {
            return;
        }
        let held = hold.since.lock().ok().and_then(|s| *s).map(|s| s.elapsed());
        log::warn!(
            "{} held the dispatcher for at least {:.2} s, serving no other request meanwhile: \
             give the route blocking=True, make the handler async def, or run def handlers on the \
             pool with Spikard(sync_handlers=\"pool\")",
            self.label,
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
