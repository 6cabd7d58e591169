//! What a run was measured on: the machine, the commit and the versions of every tool.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use sysinfo::System;

use crate::results::{Git, Host, Metadata};

/// Reads the machine and versions. `python` is the interpreter of the Spikard package.
pub fn collect(root: &Path, python: &Path, oha_version: String) -> Metadata {
    let mut versions = BTreeMap::new();
    versions.insert("oha".to_owned(), oha_version.trim_start_matches("oha ").to_owned());
    versions.insert("spikard-bench".to_owned(), env!("CARGO_PKG_VERSION").to_owned());
    if let Some(v) = output(Command::new("rustc").arg("--version")) {
        versions.insert("rust".to_owned(), v);
    }
    if let Some(v) = output(Command::new(python).args(["-c", "import platform; print(platform.python_version())"])) {
        versions.insert("python".to_owned(), v);
    }
    if let Some(v) = output(Command::new(python).args(["-c", "import spikard; print(spikard.__version__)"])) {
        versions.insert("spikard".to_owned(), v);
    }
    Metadata {
        timestamp: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        git: git(root),
        host: host(),
        versions,
    }
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn git(root: &Path) -> Git {
    let commit = output(Command::new("git").arg("-C").arg(root).args(["rev-parse", "HEAD"]));
    let dirty = output(
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["status", "--porcelain", "--untracked-files=no"]),
    )
    .map(|s| !s.is_empty());
    Git { commit, dirty }
}

fn host() -> Host {
    // A machine sysinfo cannot read still gets its results written, with what std knows.
    let sys = System::new().ok().map(|mut sys| {
        sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
        sys.refresh_memory();
        sys
    });
    let cpu_model = sys
        .as_ref()
        .and_then(|s| s.cpus().first().map(|c| c.brand().trim().to_owned()))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let logical_cores = sys
        .as_ref()
        .map(|s| s.cpus().len())
        .filter(|n| *n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1);
    Host {
        cpu_model,
        logical_cores,
        physical_cores: System::physical_core_count().ok(),
        memory_bytes: sys.as_ref().map_or(0, System::total_memory),
        os: System::long_os_version().unwrap_or_else(|_| std::env::consts::OS.to_owned()),
        kernel: System::kernel_version().ok(),
    }
}
