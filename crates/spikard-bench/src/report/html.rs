use std::fmt::Write as _;

use super::{BarChart, Group, escape};
use crate::results::{Metrics, RunDocument};
use crate::table;

/// A self-contained HTML page for one or more runs: metadata, the results table, and
/// charts of requests/s, latency percentiles, CPU and memory.
pub fn render(runs: &[RunDocument]) -> String {
    let mut body = String::new();
    for (i, doc) in runs.iter().enumerate() {
        let _ = write!(
            body,
            "<section><h2>Run {} — {}</h2>",
            i + 1,
            escape(&doc.metadata.timestamp)
        );
        body.push_str(&metadata(doc));
        body.push_str(&results_table(doc));
        body.push_str(&profile_table(doc));
        for chart in charts(doc) {
            let _ = write!(body, "<figure>{}</figure>", chart.render());
        }
        body.push_str("</section>");
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>spikard-bench report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; white-space: nowrap; }}
th:nth-child(-n+2), td:nth-child(-n+2) {{ text-align: left; }}
td.failed {{ color: #B00020; text-align: left; }}
figure {{ margin: 1.5em 0; }}
dl {{ display: grid; grid-template-columns: max-content auto; gap: 2px 12px; font-size: 13px; }}
dt {{ font-weight: bold; }}
</style></head>
<body><h1>spikard-bench report</h1>{body}</body></html>
"#
    )
}

fn metadata(doc: &RunDocument) -> String {
    let m = &doc.metadata;
    let c = &doc.config;
    let mut items = vec![
        (
            "Host",
            format!(
                "{} ({} logical cores, {:.1} GiB), {}",
                m.host.cpu_model,
                m.host.logical_cores,
                m.host.memory_bytes as f64 / (1u64 << 30) as f64,
                m.host.os
            ),
        ),
        (
            "Commit",
            format!(
                "{}{}",
                m.git.commit.as_deref().unwrap_or("unknown"),
                if m.git.dirty == Some(true) { " (dirty)" } else { "" }
            ),
        ),
        (
            "Load",
            format!(
                "oha, {} connections, {} s x {} replicates after {} s warm-up{}",
                c.connections,
                c.duration_secs,
                c.replicates,
                c.warmup_secs,
                c.pin.as_ref().map_or(String::new(), |p| format!(", pinned {p}"))
            ),
        ),
    ];
    items.extend(m.versions.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let mut s = String::from("<dl>");
    for (k, v) in items {
        let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v));
    }
    s.push_str("</dl>");
    s
}

fn results_table(doc: &RunDocument) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in table::HEADER {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr></thead><tbody>");
    for row in table::rows(doc) {
        s.push_str("<tr>");
        let failed = row[2].starts_with("FAILED");
        for (i, cell) in row.iter().enumerate() {
            if failed && i == 2 {
                let _ = write!(
                    s,
                    r#"<td class="failed" colspan="{}">{}</td>"#,
                    row.len() - 2,
                    escape(cell)
                );
                break;
            }
            let _ = write!(s, "<td>{}</td>", escape(cell));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// Spikard's phase timings, when the run recorded them.
fn profile_table(doc: &RunDocument) -> String {
    let rows = table::profile_rows(doc);
    if rows.is_empty() {
        return String::new();
    }
    let mut s = String::from("<h3>Where the time goes (server phase timings, mean per request)</h3><table><thead><tr>");
    for h in table::PROFILE_HEADER {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr></thead><tbody>");
    for row in rows {
        s.push_str("<tr>");
        for cell in row {
            let _ = write!(s, "<td>{}</td>", escape(&cell));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// The distinct targets and workloads of a run, in run order.
fn axes(doc: &RunDocument) -> (Vec<String>, Vec<String>) {
    let mut targets: Vec<String> = Vec::new();
    let mut workloads: Vec<String> = Vec::new();
    for r in &doc.results {
        if !targets.contains(&r.target) {
            targets.push(r.target.clone());
        }
        if !workloads.contains(&r.workload) {
            workloads.push(r.workload.clone());
        }
    }
    (targets, workloads)
}

/// A latency percentile's label and how to read it.
type Percentile = (&'static str, fn(&Metrics) -> f64);

pub(super) fn charts(doc: &RunDocument) -> Vec<BarChart> {
    let (targets, workloads) = axes(doc);
    let metric = |target: &str, workload: &str, f: &dyn Fn(&Metrics) -> f64| {
        doc.get(target, workload)
            .and_then(|r| r.metrics.as_ref())
            .map(f)
            .filter(|v| v.is_finite())
    };
    let per_workload = |title: &str, unit: &str, f: &dyn Fn(&Metrics) -> f64| BarChart {
        title: title.to_owned(),
        unit: unit.to_owned(),
        series: targets.clone(),
        groups: workloads
            .iter()
            .map(|w| Group {
                label: w.clone(),
                values: targets.iter().map(|t| metric(t, w, f)).collect(),
            })
            .collect(),
    };
    let mut charts = vec![per_workload("Requests per second", "req/s, higher is better", &|m| {
        m.requests_per_sec
    })];
    for w in &workloads {
        let percentiles: [Percentile; 4] = [
            ("p50", |m| m.latency_ms.p50),
            ("p90", |m| m.latency_ms.p90),
            ("p99", |m| m.latency_ms.p99),
            ("p99.9", |m| m.latency_ms.p99_9),
        ];
        charts.push(BarChart {
            title: format!("Latency percentiles, {w}"),
            unit: "ms, lower is better".to_owned(),
            series: percentiles.iter().map(|(p, _)| (*p).to_owned()).collect(),
            groups: targets
                .iter()
                .map(|t| Group {
                    label: t.clone(),
                    values: percentiles.iter().map(|(_, f)| metric(t, w, f)).collect(),
                })
                .collect(),
        });
    }
    charts.push(per_workload("Server CPU, average", "% of one core", &|m| {
        m.cpu_percent.avg
    }));
    charts.push(per_workload("Server memory, peak RSS", "MB", &|m| {
        m.rss_bytes.peak / 1_000_000.0
    }));
    charts
}
