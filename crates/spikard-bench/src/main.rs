//! `spikard-bench`: run workloads against targets, compare runs, render reports.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::{Parser, Subcommand, ValueEnum};
use spikard_bench::results::RunDocument;
use spikard_bench::run::{self, Options};
use spikard_bench::spec::Catalog;
use spikard_bench::{compare, report, table};

#[derive(Parser)]
#[command(
    name = "spikard-bench",
    version,
    about = "Measure Spikard against pure Rust and the frameworks people would pick instead."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check, warm up and load every workload on every target; print a table; write JSON.
    Run(RunArgs),
    /// Compare two result documents: change in requests/s with a 95% confidence interval.
    Compare {
        old: PathBuf,
        new: PathBuf,
        /// Exit 1 when any ratio's whole confidence interval is below this (e.g. 0.95).
        #[arg(long)]
        fail_below: Option<f64>,
    },
    /// Render result documents as one self-contained HTML page (or Markdown).
    Report {
        #[arg(required = true)]
        runs: Vec<PathBuf>,
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Html)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Html,
    Markdown,
}

#[derive(Parser)]
struct RunArgs {
    /// Comma-separated target names (see workloads/targets.json).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "spikard-python,spikard-rust,rust-baseline"
    )]
    targets: Vec<String>,
    /// Comma-separated workload names (see workloads/workloads.json).
    #[arg(long, value_delimiter = ',', default_value = "json-small,path-simple,query-few")]
    workloads: Vec<String>,
    /// Seconds of measured load per replicate.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of unmeasured load before the replicates.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    #[arg(long, default_value_t = 50)]
    connections: u32,
    #[arg(long, default_value_t = 3)]
    replicates: u32,
    /// A seconds-long smoke run: 1 s, one replicate, 0.5 s warm-up.
    #[arg(long)]
    quick: bool,
    /// Pin the server and oha to separate CPUs with taskset: SERVER_CPUS:OHA_CPUS.
    #[arg(long, num_args = 0..=1, default_missing_value = "0:1")]
    pin: Option<String>,
    /// The target every ratio is taken against.
    #[arg(long, default_value = "rust-baseline")]
    baseline: String,
    #[arg(short, long, default_value = "results/latest.json")]
    output: PathBuf,
    /// Also write an HTML report here.
    #[arg(long)]
    html: Option<PathBuf>,
    /// Repository root: commands in targets.json run from here.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    #[arg(long, default_value = ".tools/bin/oha")]
    oha: PathBuf,
    /// Record Spikard's per-request phase timings (queue wait, async wait, handler, ...).
    #[arg(long)]
    profile: bool,
    /// The interpreter with the spikard package (for version metadata).
    #[arg(long, default_value = ".venv/bin/python")]
    python: PathBuf,
}

fn main() -> ExitCode {
    match real_main(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("spikard-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run_command(args),
        Command::Compare { old, new, fail_below } => {
            let (old, new) = (RunDocument::read(&old)?, RunDocument::read(&new)?);
            let changes = compare::changes(&old, &new);
            if changes.is_empty() {
                bail!("the two runs have no (target, workload) measured in both");
            }
            println!("{}", compare::render(&changes, fail_below));
            let regressed = fail_below.is_some_and(|t| changes.iter().any(|c| c.below(t)));
            Ok(if regressed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Report { runs, output, format } => {
            let docs = runs
                .iter()
                .map(|p| RunDocument::read(p))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let text = match format {
                Format::Html => report::html(&docs),
                Format::Markdown => report::markdown(&docs),
            };
            write(&output, text.as_bytes())?;
            eprintln!("wrote {}", output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_command(args: RunArgs) -> anyhow::Result<ExitCode> {
    let secs = |s: f64, what: &str| {
        Duration::try_from_secs_f64(s).map_err(|_| anyhow!("--{what} must be a non-negative number of seconds"))
    };
    let (duration, warmup, replicates) = if args.quick {
        (Duration::from_secs(1), Duration::from_millis(500), 1)
    } else {
        (
            secs(args.duration, "duration")?,
            secs(args.warmup, "warmup")?,
            args.replicates.max(1),
        )
    };
    let pin = match args.pin {
        Some(p) => {
            let (s, l) = p
                .split_once(':')
                .context("--pin takes SERVER_CPUS:OHA_CPUS, e.g. 0:1")?;
            Some((s.to_owned(), l.to_owned()))
        }
        None => None,
    };
    let root = args
        .root
        .canonicalize()
        .with_context(|| format!("--root {}", args.root.display()))?;
    let catalog = Catalog::load(&root.join("workloads"))?;
    let opts = Options {
        oha: root.join(&args.oha),
        python: root.join(&args.python),
        log_dir: root.join("results/logs"),
        root,
        targets: args.targets,
        workloads: args.workloads,
        duration,
        warmup,
        connections: args.connections,
        replicates,
        quick: args.quick,
        pin,
        baseline: args.baseline,
        profile: args.profile,
    };
    let doc = run::run(&catalog, &opts)?;
    print!("{}", table::render(&doc));
    let json = serde_json::to_vec_pretty(&doc)?;
    write(&args.output, &json)?;
    eprintln!("wrote {}", args.output.display());
    if let Some(html) = &args.html {
        write(html, report::html(std::slice::from_ref(&doc)).as_bytes())?;
        eprintln!("wrote {}", html.display());
    }
    let failed: Vec<_> = doc.results.iter().filter(|r| r.status != "ok").collect();
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        for r in &failed {
            eprintln!(
                "FAILED {} / {}: {}",
                r.target,
                r.workload,
                r.error.as_deref().unwrap_or("?")
            );
        }
        Ok(ExitCode::FAILURE)
    }
}

fn write(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
