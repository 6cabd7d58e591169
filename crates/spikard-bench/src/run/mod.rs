//! One run: every target, one at a time; for each, every workload checked, warmed up and
//! measured over replicates.

mod check;
mod sampler;
mod server;

pub use check::{Client, check};
pub use server::{Server, free_port};

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::oha::{self, LoadSpec, OhaReport};
use crate::results::{Metrics, RunConfig, RunDocument, SCHEMA_VERSION, Summary, TargetWorkload};
use crate::spec::{Catalog, Target, Workload};

/// What to run and how hard.
#[derive(Debug, Clone)]
pub struct Options {
    pub root: PathBuf,
    pub oha: PathBuf,
    pub python: PathBuf,
    pub targets: Vec<String>,
    pub workloads: Vec<String>,
    pub duration: Duration,
    pub warmup: Duration,
    pub connections: u32,
    pub replicates: u32,
    pub quick: bool,
    /// `(server_cpus, loadgen_cpus)` for taskset.
    pub pin: Option<(String, String)>,
    pub baseline: String,
    pub log_dir: PathBuf,
    /// Ask Spikard targets for their phase timings and record them.
    pub profile: bool,
}

/// Runs everything in `opts`; a target or workload that fails is recorded as an error in
/// the document (never as a figure), and the run goes on.
pub fn run(catalog: &Catalog, opts: &Options) -> anyhow::Result<RunDocument> {
    let targets: Vec<&Target> = opts
        .targets
        .iter()
        .map(|t| catalog.target(t))
        .collect::<anyhow::Result<_>>()?;
    let workloads: Vec<&Workload> = opts
        .workloads
        .iter()
        .map(|w| catalog.workload(w))
        .collect::<anyhow::Result<_>>()?;
    let oha_version = oha::version(&opts.oha)?;
    std::fs::create_dir_all(&opts.log_dir).with_context(|| format!("cannot create {}", opts.log_dir.display()))?;
    let client = Client::new()?;

    let per_workload = opts.warmup + opts.duration * opts.replicates;
    let planned = per_workload * (targets.len() * workloads.len()) as u32;
    let bar = ProgressBar::new(planned.as_millis() as u64).with_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% ETA {eta} {msg}")
            .expect("static template"),
    );

    let mut results = Vec::new();
    for target in &targets {
        let log = opts.log_dir.join(format!("{}.log", target.name));
        let server_cpus = opts.pin.as_ref().map(|(s, _)| s.as_str());
        bar.set_message(format!("{}: starting", target.name));
        let mut target = (*target).clone();
        if opts.profile {
            target.env.insert("SPIKARD_PROFILE".into(), "1".into());
        }
        match Server::start(&target, &opts.root, &log, server_cpus, &client) {
            Ok(server) => {
                for workload in &workloads {
                    let outcome = measure(catalog, opts, &client, &server, workload, &bar);
                    results.push(record(&target, workload, outcome, &bar));
                }
                if let Err(e) = server.stop() {
                    say(&bar, format!("warning: {e:#}"));
                }
            }
            Err(e) => {
                for workload in &workloads {
                    results.push(record(&target, workload, Err(anyhow!("{e:#}")), &bar));
                    bar.inc(per_workload.as_millis() as u64);
                }
            }
        }
    }
    bar.finish_and_clear();

    let ratios = RunDocument::ratios(&results, &opts.baseline);
    Ok(RunDocument {
        schema_version: SCHEMA_VERSION.to_owned(),
        metadata: crate::metadata::collect(&opts.root, &opts.python, oha_version),
        config: RunConfig {
            targets: opts.targets.clone(),
            workloads: opts.workloads.clone(),
            duration_secs: opts.duration.as_secs_f64(),
            warmup_secs: opts.warmup.as_secs_f64(),
            connections: opts.connections,
            replicates: opts.replicates,
            quick: opts.quick,
            pin: opts.pin.as_ref().map(|(s, l)| format!("{s}:{l}")),
            baseline: opts.baseline.clone(),
        },
        results,
        summary: Summary {
            baseline: opts.baseline.clone(),
            ratios,
        },
    })
}

/// A line above the progress bar, or on stderr when there is no terminal to draw it on
/// (CI logs still show progress).
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

fn record(
    target: &Target,
    workload: &Workload,
    outcome: anyhow::Result<Vec<Metrics>>,
    bar: &ProgressBar,
) -> TargetWorkload {
    let (target, workload) = (target.name.clone(), workload.name.clone());
    match outcome {
        Ok(replicates) => {
            let metrics = Metrics::aggregate(&replicates);
            if let Some(m) = &metrics {
                say(
                    bar,
                    format!(
                        "{target:>16} {workload:<16} {:>10.0} req/s  p99 {:.2} ms",
                        m.requests_per_sec, m.latency_ms.p99
                    ),
                );
            }
            TargetWorkload {
                target,
                workload,
                status: "ok".into(),
                error: None,
                metrics,
                replicates,
            }
        }
        Err(error) => {
            // The document keeps the error as text: the whole chain of context.
            let error = format!("{error:#}");
            say(bar, format!("{target:>16} {workload:<16} FAILED: {error}"));
            TargetWorkload {
                target,
                workload,
                status: "error".into(),
                error: Some(error),
                metrics: None,
                replicates: vec![],
            }
        }
    }
}

/// Check, warm up, then measure `opts.replicates` times.
fn measure(
    catalog: &Catalog,
    opts: &Options,
    client: &Client,
    server: &Server,
    workload: &Workload,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<Metrics>> {
    let body = catalog.body(workload)?;
    check(client, &server.url(""), workload, body.as_deref())?;

    let body_file = workload.body.as_ref().map(|b| catalog.body_path(b));
    let url = server.url(&workload.path);
    let spec = |duration| LoadSpec {
        url: &url,
        method: &workload.method,
        body_file: body_file.as_deref(),
        content_type: body_file.as_ref().map(|_| "application/json"),
        duration,
        connections: opts.connections,
        cpus: opts.pin.as_ref().map(|(_, l)| l.as_str()),
    };
    if !opts.warmup.is_zero() {
        bar.set_message(format!("{} / {}: warm-up", server.name, workload.name));
        load(&opts.oha, &spec(opts.warmup), bar)?;
    }
    let mut replicates = Vec::new();
    for i in 1..=opts.replicates {
        bar.set_message(format!("{} / {}: {i}/{}", server.name, workload.name, opts.replicates));
        if opts.profile {
            // Start a fresh window for this replicate.
            profile(client, server);
        }
        let sampler = sampler::Sampler::start(server.pid());
        let report = load(&opts.oha, &spec(opts.duration), bar);
        let (cpu, rss) = sampler.finish();
        let report = report?;
        if let Some(failure) = report.failure() {
            bail!(failure);
        }
        let timings = if opts.profile { profile(client, server) } else { None };
        replicates.push(Metrics::from_report(&report, cpu, rss, timings));
    }
    Ok(replicates)
}

/// The server's phase timings since the last call (and a reset), if it is a Spikard target
/// in profile mode; `None` for targets that have no such endpoint.
fn profile(client: &Client, server: &Server) -> Option<serde_json::Value> {
    let reply = client
        .send("GET", &server.url("/__spikard/profile?reset=1"), None)
        .ok()?;
    if reply.status != 200 {
        return None;
    }
    serde_json::from_slice(&reply.body).ok()
}

/// Runs oha for `spec.duration`, advancing the bar as time passes.
fn load(oha_path: &Path, spec: &LoadSpec<'_>, bar: &ProgressBar) -> anyhow::Result<OhaReport> {
    let mut child = oha::command(oha_path, spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", oha_path.display()))?;
    let planned = spec.duration.as_millis() as u64;
    let start = Instant::now();
    let mut shown = 0;
    while child.try_wait()?.is_none() {
        std::thread::sleep(Duration::from_millis(100));
        let elapsed = (start.elapsed().as_millis() as u64).min(planned);
        bar.inc(elapsed - shown);
        shown = elapsed;
    }
    bar.inc(planned - shown);
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "oha failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    OhaReport::parse(&out.stdout)
}
