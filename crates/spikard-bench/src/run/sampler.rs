//! CPU and RSS of a server process and its children, sampled while oha drives it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::results::Usage;

const INTERVAL: Duration = Duration::from_millis(250);

/// Samples until stopped; `finish` returns CPU% (100 = one core) and RSS in bytes.
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(Vec<f64>, Vec<f64>)>,
}

impl Sampler {
    pub fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || sample(Pid::from_u32(pid), &flag));
        Sampler { stop, thread }
    }

    pub fn finish(self) -> (Usage, Usage) {
        self.stop.store(true, Ordering::Relaxed);
        let (cpu, rss) = self.thread.join().unwrap_or_default();
        (usage(&cpu), usage(&rss))
    }
}

fn usage(samples: &[f64]) -> Usage {
    if samples.is_empty() {
        return Usage {
            avg: f64::NAN,
            peak: f64::NAN,
        };
    }
    Usage {
        avg: samples.iter().sum::<f64>() / samples.len() as f64,
        peak: samples.iter().copied().fold(0.0, f64::max),
    }
}

/// The server and every descendant process (workers of multi-process servers). Threads
/// are left out: a process's figures already include its threads.
fn tree(sys: &System, root: Pid) -> Vec<Pid> {
    let mut pids = vec![root];
    let mut i = 0;
    while i < pids.len() {
        let parent = pids[i];
        let children = sys
            .processes()
            .iter()
            .filter(|(_, p)| p.parent() == Some(parent) && p.thread_kind().is_none())
            .map(|(pid, _)| *pid);
        pids.extend(children);
        i += 1;
    }
    pids
}

fn sample(root: Pid, stop: &AtomicBool) -> (Vec<f64>, Vec<f64>) {
    let (mut cpu, mut rss) = (Vec::new(), Vec::new());
    let Ok(mut sys) = System::new() else {
        return (cpu, rss);
    };
    // One full scan to find the process tree, then cheap refreshes of just those PIDs.
    sys.refresh_processes_specifics(ProcessesToUpdate::All, true, ProcessRefreshKind::nothing());
    let pids = tree(&sys, root);
    let kind = ProcessRefreshKind::nothing().with_cpu().with_memory();
    sys.refresh_processes_specifics(ProcessesToUpdate::Some(&pids), true, kind);
    loop {
        std::thread::sleep(INTERVAL);
        sys.refresh_processes_specifics(ProcessesToUpdate::Some(&pids), true, kind);
        let procs: Vec<_> = pids.iter().filter_map(|p| sys.process(*p)).collect();
        if procs.is_empty() {
            break;
        }
        cpu.push(procs.iter().map(|p| f64::from(p.cpu_usage())).sum());
        rss.push(procs.iter().map(|p| p.memory() as f64).sum());
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    (cpu, rss)
}
