//! Driving oha and reading its `--output-format json` report.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

/// The parts of oha's JSON report the runner uses. Times are in seconds.
#[derive(Debug, Clone, Deserialize)]
pub struct OhaReport {
    pub summary: Summary,
    #[serde(rename = "latencyPercentiles")]
    pub latency_percentiles: BTreeMap<String, Option<f64>>,
    #[serde(rename = "statusCodeDistribution")]
    pub status_code_distribution: BTreeMap<String, u64>,
    #[serde(rename = "errorDistribution")]
    pub error_distribution: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Summary {
    #[serde(rename = "successRate")]
    pub success_rate: Option<f64>,
    /// Wall time of the run.
    pub total: f64,
    pub slowest: Option<f64>,
    pub fastest: Option<f64>,
    pub average: Option<f64>,
    #[serde(rename = "requestsPerSec")]
    pub requests_per_sec: f64,
    #[serde(rename = "totalData")]
    pub total_data: u64,
    #[serde(rename = "sizePerSec")]
    pub size_per_sec: Option<f64>,
}

impl OhaReport {
    pub fn parse(json: &[u8]) -> anyhow::Result<OhaReport> {
        serde_json::from_slice(json).context("unreadable oha report")
    }

    /// A latency percentile in seconds: `percentile("p99.9")`.
    pub fn percentile(&self, key: &str) -> Option<f64> {
        self.latency_percentiles.get(key).copied().flatten()
    }

    /// Every response counted, whatever its status.
    pub fn responses(&self) -> u64 {
        self.status_code_distribution.values().sum()
    }

    /// Why this run cannot be reported as a measurement: connection or protocol errors,
    /// non-2xx answers, or no answers at all. `None` when every request succeeded.
    pub fn failure(&self) -> Option<String> {
        if !self.error_distribution.is_empty() {
            let errors: Vec<String> = self
                .error_distribution
                .iter()
                .map(|(e, n)| format!("{n} x {e}"))
                .collect();
            return Some(format!("oha reported errors: {}", errors.join("; ")));
        }
        let bad: Vec<String> = self
            .status_code_distribution
            .iter()
            .filter(|(code, _)| !code.starts_with('2'))
            .map(|(code, n)| format!("{n} x HTTP {code}"))
            .collect();
        if !bad.is_empty() {
            return Some(format!("non-2xx responses under load: {}", bad.join(", ")));
        }
        if self.responses() == 0 {
            return Some("oha completed no requests".to_owned());
        }
        None
    }
}

/// One load run: what to send, for how long, how hard.
#[derive(Debug, Clone)]
pub struct LoadSpec<'a> {
    pub url: &'a str,
    pub method: &'a str,
    pub body_file: Option<&'a Path>,
    pub content_type: Option<&'a str>,
    pub duration: Duration,
    pub connections: u32,
    /// CPUs to pin oha to (`taskset -c`), if any.
    pub cpus: Option<&'a str>,
}

/// The oha command line for `spec`. Requests still in flight at the deadline are waited
/// for (`-w`), so they count as answers, not as errors.
pub fn command(oha: &Path, spec: &LoadSpec<'_>) -> Command {
    let mut cmd = match spec.cpus {
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpus]).arg(oha);
            c
        }
        None => Command::new(oha),
    };
    cmd.args(["--no-tui", "--output-format", "json", "-w"])
        .arg("-z")
        .arg(format!("{}ms", spec.duration.as_millis()))
        .arg("-c")
        .arg(spec.connections.to_string())
        .arg("-m")
        .arg(spec.method);
    if let Some(ct) = spec.content_type {
        cmd.arg("-T").arg(ct);
    }
    if let Some(body) = spec.body_file {
        cmd.arg("-D").arg(body);
    }
    cmd.arg(spec.url);
    cmd
}

/// `oha --version`, e.g. `oha 1.16.0`.
pub fn version(oha: &Path) -> anyhow::Result<String> {
    let out = Command::new(oha)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", oha.display()))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = include_bytes!("../tests/data/oha-sample.json");

    #[test]
    fn parses_a_recorded_report() {
        let report = OhaReport::parse(SAMPLE).unwrap();
        assert!(report.summary.requests_per_sec > 0.0);
        assert!(report.summary.total > 0.0);
        assert_eq!(report.summary.success_rate, Some(1.0));
        let p50 = report.percentile("p50").unwrap();
        let p99 = report.percentile("p99").unwrap();
        assert!(0.0 < p50 && p50 <= p99, "{p50} {p99}");
        assert!(report.percentile("p99.9").is_some());
        assert!(report.responses() > 0);
        assert_eq!(report.failure(), None);
    }

    #[test]
    fn errors_and_bad_statuses_are_failures() {
        let mut report = OhaReport::parse(SAMPLE).unwrap();
        report.status_code_distribution.insert("500".into(), 3);
        assert_eq!(report.failure().unwrap(), "non-2xx responses under load: 3 x HTTP 500");
        report.error_distribution.insert("connection refused".into(), 2);
        assert!(report.failure().unwrap().contains("2 x connection refused"));
        report.error_distribution.clear();
        report.status_code_distribution.clear();
        assert_eq!(report.failure().unwrap(), "oha completed no requests");
    }

    #[test]
    fn command_line() {
        let spec = LoadSpec {
            url: "http://127.0.0.1:1/json/small",
            method: "POST",
            body_file: Some(Path::new("p.json")),
            content_type: Some("application/json"),
            duration: Duration::from_millis(1500),
            connections: 50,
            cpus: Some("1"),
        };
        let cmd = command(Path::new("oha"), &spec);
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(cmd.get_program(), "taskset");
        assert_eq!(
            args.join(" "),
            "-c 1 oha --no-tui --output-format json -w -z 1500ms -c 50 -m POST -T application/json -D p.json http://127.0.0.1:1/json/small"
        );
    }
}
