//! Profile mode: where each request's time goes, phase by phase, and how many requests the
//! dispatcher runs per GIL acquisition. Off unless `Spikard(profile=True)` or
//! `SPIKARD_PROFILE=1`; then `GET /__spikard/profile` answers a snapshot (and
//! `?reset=1` starts a new window), which `spikard-bench --profile` records.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The phases of a Python request, in order.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    /// Routing is done; reading parameters and parsing the JSON body, in Rust, on the I/O thread.
    Extract,
    /// Queued, waiting for the dispatcher to take the job.
    QueueWait,
    /// An `async def` handler suspended on the event loop, from its first await to its end.
    AsyncWait,
    /// Building the handler's arguments as Python objects.
    Convert,
    /// The handler itself (for `async def`, its first step).
    Handler,
    /// Encoding the return value.
    Serialize,
}

const PHASES: [(&str, Phase); 6] = [
    ("extract", Phase::Extract),
    ("queue_wait", Phase::QueueWait),
    ("async_wait", Phase::AsyncWait),
    ("convert", Phase::Convert),
    ("handler", Phase::Handler),
    ("serialize", Phase::Serialize),
];

/// Runs `f`, and records how long it took under `phase` when profiling.
pub fn timed<T>(profile: Option<&Profile>, phase: Phase, f: impl FnOnce() -> T) -> T {
    let Some(profile) = profile else { return f() };
    let started = Instant::now();
    let out = f();
    profile.record(phase, started.elapsed());
    out
}

/// Records the time since `since` under `phase`, when profiling (`since` is `None` when not).
pub fn record_since(profile: Option<&Profile>, phase: Phase, since: Option<Instant>) {
    if let (Some(profile), Some(since)) = (profile, since) {
        profile.record(phase, since.elapsed());
    }
}

#[derive(Debug, Default)]
struct Stat {
    count: AtomicU64,
    total_ns: AtomicU64,
    max_ns: AtomicU64,
}

impl Stat {
    fn add(&self, ns: u64) {
        self.count.fetch_add(1, Relaxed);
        self.total_ns.fetch_add(ns, Relaxed);
        self.max_ns.fetch_max(ns, Relaxed);
    }

    fn take(&self) -> (u64, u64, u64) {
        (
            self.count.swap(0, Relaxed),
            self.total_ns.swap(0, Relaxed),
            self.max_ns.swap(0, Relaxed),
        )
    }

    fn peek(&self) -> (u64, u64, u64) {
        (
            self.count.load(Relaxed),
            self.total_ns.load(Relaxed),
            self.max_ns.load(Relaxed),
        )
    }
}

/// Counters shared by the I/O threads and the dispatcher (relaxed atomics: a snapshot may
/// straddle a request, never corrupt one).
#[derive(Debug, Default)]
pub struct Profile {
    phases: [Stat; 6],
    /// Requests per GIL acquisition.
    batches: Stat,
}

impl Profile {
    pub fn record(&self, phase: Phase, elapsed: Duration) {
        self.phases[phase as usize].add(elapsed.as_nanos().min(u128::from(u64::MAX)) as u64);
    }

    pub fn record_batch(&self, jobs: u64) {
        self.batches.add(jobs);
    }

    /// The counters as JSON: per phase the count, mean and max in microseconds and the share
    /// of the summed means; batch sizes. With `reset`, the counters start again from zero.
    pub fn snapshot(&self, reset: bool) -> Value {
        let read = |s: &Stat| if reset { s.take() } else { s.peek() };
        let stats: Vec<(&str, (u64, u64, u64))> = PHASES
            .iter()
            .map(|(n, p)| (*n, read(&self.phases[*p as usize])))
            .collect();
        let mean_us = |(count, total, _): (u64, u64, u64)| {
            if count == 0 {
                0.0
            } else {
                total as f64 / count as f64 / 1e3
            }
        };
        let sum: f64 = stats.iter().map(|(_, s)| mean_us(*s)).sum();
        let phases: serde_json::Map<String, Value> = stats
            .iter()
            .map(|(name, s)| {
                let mean = mean_us(*s);
                let share = if sum > 0.0 { mean / sum } else { 0.0 };
                (
                    name.to_string(),
                    json!({"count": s.0, "mean_us": mean, "max_us": s.2 as f64 / 1e3, "share": share}),
                )
            })
            .collect();
        let (batches, jobs, max) = read(&self.batches);
        json!({
            "phases": phases,
            "total_mean_us": sum,
            "batches": {"count": batches, "mean_size": if batches == 0 { 0.0 } else { jobs as f64 / batches as f64 }, "max_size": max},
        })
    }
}
