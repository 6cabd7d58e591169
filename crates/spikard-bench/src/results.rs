//! The result document: one per run, versioned, documented by
//! `docs/benchmarks/results.schema.json`.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::oha::OhaReport;
use crate::stats::{mean, median};

/// Bumped on any change a reader of old documents would notice.
pub const SCHEMA_VERSION: &str = "1.1.0";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunDocument {
    pub schema_version: String,
    pub metadata: Metadata,
    pub config: RunConfig,
    pub results: Vec<TargetWorkload>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metadata {
    /// RFC 3339, UTC.
    pub timestamp: String,
    pub git: Git,
    pub host: Host,
    pub versions: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Git {
    pub commit: Option<String>,
    pub dirty: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Host {
    pub cpu_model: String,
    pub logical_cores: usize,
    pub physical_cores: Option<usize>,
    pub memory_bytes: u64,
    pub os: String,
    pub kernel: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunConfig {
    pub targets: Vec<String>,
    pub workloads: Vec<String>,
    pub duration_secs: f64,
    pub warmup_secs: f64,
    pub connections: u32,
    pub replicates: u32,
    pub quick: bool,
    /// `server_cpus:loadgen_cpus` when pinned with taskset.
    pub pin: Option<String>,
    pub baseline: String,
}

/// One target under one workload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetWorkload {
    pub target: String,
    pub workload: String,
    /// `ok`, or `error` with `error` saying why (and no figures).
    pub status: String,
    pub error: Option<String>,
    /// Medians over the replicates (sums for counts).
    pub metrics: Option<Metrics>,
    pub replicates: Vec<Metrics>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub requests_per_sec: f64,
    pub latency_ms: Latency,
    pub success_rate: f64,
    pub status_codes: BTreeMap<String, u64>,
    pub total_requests: u64,
    pub bytes_per_sec: f64,
    pub duration_secs: f64,
    pub cpu_percent: Usage,
    pub rss_bytes: Usage,
    /// The server's own phase timings (`--profile`, Spikard targets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub min: f64,
    pub max: f64,
}

/// A sampled resource: average and peak over the measured seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub avg: f64,
    pub peak: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub baseline: String,
    pub ratios: Vec<RatioEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RatioEntry {
    pub target: String,
    pub workload: String,
    /// This target's requests/s over the baseline's, in this run; `null` if either failed.
    pub ratio_to_baseline: Option<f64>,
}

impl Metrics {
    /// One replicate's figures from oha's report and the server samples.
    pub fn from_report(
        report: &OhaReport,
        cpu_percent: Usage,
        rss_bytes: Usage,
        profile: Option<serde_json::Value>,
    ) -> Metrics {
        let ms = |s: Option<f64>| s.map_or(f64::NAN, |s| s * 1000.0);
        let s = &report.summary;
        Metrics {
            requests_per_sec: s.requests_per_sec,
            latency_ms: Latency {
                mean: ms(s.average),
                p50: ms(report.percentile("p50")),
                p90: ms(report.percentile("p90")),
                p99: ms(report.percentile("p99")),
                p99_9: ms(report.percentile("p99.9")),
                min: ms(s.fastest),
                max: ms(s.slowest),
            },
            success_rate: s.success_rate.unwrap_or(0.0),
            status_codes: report.status_code_distribution.clone(),
            total_requests: report.responses(),
            bytes_per_sec: s.size_per_sec.unwrap_or(0.0),
            duration_secs: s.total,
            cpu_percent,
            rss_bytes,
            profile,
        }
    }

    /// Medians of the replicates' rates and percentiles; counts summed; min of mins, max
    /// of maxes and peaks.
    pub fn aggregate(replicates: &[Metrics]) -> Option<Metrics> {
        if replicates.is_empty() {
            return None;
        }
        let med =
            |f: &dyn Fn(&Metrics) -> f64| median(&replicates.iter().map(f).collect::<Vec<_>>()).unwrap_or(f64::NAN);
        let fold = |f: &dyn Fn(&Metrics) -> f64, pick: fn(f64, f64) -> f64| {
            replicates.iter().map(f).reduce(pick).unwrap_or(f64::NAN)
        };
        // The profile of the replicate whose requests/s is the median.
        let rps = med(&|m| m.requests_per_sec);
        let profile = replicates
            .iter()
            .min_by(|a, b| {
                (a.requests_per_sec - rps)
                    .abs()
                    .total_cmp(&(b.requests_per_sec - rps).abs())
            })
            .and_then(|m| m.profile.clone());
        let mut status_codes = BTreeMap::new();
        for r in replicates {
            for (code, n) in &r.status_codes {
                *status_codes.entry(code.clone()).or_insert(0) += n;
            }
        }
        Some(Metrics {
            requests_per_sec: med(&|m| m.requests_per_sec),
            latency_ms: Latency {
                mean: med(&|m| m.latency_ms.mean),
                p50: med(&|m| m.latency_ms.p50),
                p90: med(&|m| m.latency_ms.p90),
                p99: med(&|m| m.latency_ms.p99),
                p99_9: med(&|m| m.latency_ms.p99_9),
                min: fold(&|m| m.latency_ms.min, f64::min),
                max: fold(&|m| m.latency_ms.max, f64::max),
            },
            success_rate: med(&|m| m.success_rate),
            total_requests: replicates.iter().map(|m| m.total_requests).sum(),
            status_codes,
            bytes_per_sec: med(&|m| m.bytes_per_sec),
            duration_secs: replicates.iter().map(|m| m.duration_secs).sum(),
            cpu_percent: Usage {
                avg: mean(&replicates.iter().map(|m| m.cpu_percent.avg).collect::<Vec<_>>()).unwrap_or(f64::NAN),
                peak: fold(&|m| m.cpu_percent.peak, f64::max),
            },
            rss_bytes: Usage {
                avg: mean(&replicates.iter().map(|m| m.rss_bytes.avg).collect::<Vec<_>>()).unwrap_or(f64::NAN),
                peak: fold(&|m| m.rss_bytes.peak, f64::max),
            },
            profile,
        })
    }
}

impl RunDocument {
    pub fn get(&self, target: &str, workload: &str) -> Option<&TargetWorkload> {
        self.results
            .iter()
            .find(|r| r.target == target && r.workload == workload)
    }

    /// Requests/s of each (target, workload) over the baseline's for the same workload.
    pub fn ratios(results: &[TargetWorkload], baseline: &str) -> Vec<RatioEntry> {
        results
            .iter()
            .map(|r| {
                let base = results
                    .iter()
                    .find(|b| b.target == baseline && b.workload == r.workload);
                let rps = |x: &TargetWorkload| x.metrics.as_ref().map(|m| m.requests_per_sec);
                let ratio = match (rps(r), base.and_then(rps)) {
                    (Some(a), Some(b)) if b > 0.0 => Some(a / b),
                    _ => None,
                };
                RatioEntry {
                    target: r.target.clone(),
                    workload: r.workload.clone(),
                    ratio_to_baseline: ratio,
                }
            })
            .collect()
    }

    pub fn ratio(&self, target: &str, workload: &str) -> Option<f64> {
        self.summary
            .ratios
            .iter()
            .find(|r| r.target == target && r.workload == workload)
            .and_then(|r| r.ratio_to_baseline)
    }

    /// The document, checked for the schema version this build reads.
    pub fn read(path: &std::path::Path) -> anyhow::Result<RunDocument> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let doc: RunDocument =
            serde_json::from_slice(&bytes).with_context(|| format!("{} is not a result document", path.display()))?;
        let major = |v: &str| v.split('.').next().map(str::to_owned);
        if major(&doc.schema_version) != major(SCHEMA_VERSION) {
            bail!(
                "{} has schema_version {}, this build reads {SCHEMA_VERSION}",
                path.display(),
                doc.schema_version
            );
        }
        Ok(doc)
    }
}
