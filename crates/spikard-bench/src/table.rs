//! The terminal table printed at the end of a run.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};

use crate::results::RunDocument;

pub const HEADER: [&str; 12] = [
    "Target",
    "Workload",
    "Req/s",
    "Average",
    "Fastest",
    "Slowest",
    "p50",
    "p99",
    "MB/s",
    "Success",
    "Requests",
    "vs baseline",
];

/// One row per (target, workload), as text cells in [`HEADER`]'s order; failed entries
/// say why instead of showing figures.
pub fn rows(doc: &RunDocument) -> Vec<Vec<String>> {
    let ms = |v: f64| format!("{v:.2} ms");
    doc.results
        .iter()
        .map(|r| match &r.metrics {
            Some(m) => vec![
                r.target.clone(),
                r.workload.clone(),
                format!("{:.0}", m.requests_per_sec),
                ms(m.latency_ms.mean),
                ms(m.latency_ms.min),
                ms(m.latency_ms.max),
                ms(m.latency_ms.p50),
                ms(m.latency_ms.p99),
                format!("{:.2}", m.bytes_per_sec / 1_000_000.0),
                format!("{:.2}%", m.success_rate * 100.0),
                m.total_requests.to_string(),
                doc.ratio(&r.target, &r.workload)
                    .map_or("-".to_owned(), |x| format!("{x:.2}x")),
            ],
            None => {
                let mut row = vec![r.target.clone(), r.workload.clone()];
                let first_line = r
                    .error
                    .as_deref()
                    .unwrap_or("failed")
                    .lines()
                    .next()
                    .unwrap_or_default();
                row.push(format!("FAILED: {first_line}"));
                row.resize(HEADER.len(), String::new());
                row
            }
        })
        .collect()
}

/// Where a request's time went on the server, for targets that reported phase timings
/// (`--profile`): mean microseconds per phase, and requests per GIL acquisition.
pub fn profile_rows(doc: &RunDocument) -> Vec<Vec<String>> {
    doc.results
        .iter()
        .filter_map(|r| {
            let p = r.metrics.as_ref()?.profile.as_ref()?;
            let mut row = vec![r.target.clone(), r.workload.clone()];
            for phase in PROFILE_PHASES {
                let phase = &p["phases"][phase];
                row.push(format!(
                    "{:.1} ({:.0}%)",
                    phase["mean_us"].as_f64().unwrap_or(f64::NAN),
                    phase["share"].as_f64().unwrap_or(f64::NAN) * 100.0
                ));
            }
            row.push(format!("{:.1}", p["batches"]["mean_size"].as_f64().unwrap_or(f64::NAN)));
            Some(row)
        })
        .collect()
}

pub const PROFILE_PHASES: [&str; 6] = ["extract", "queue_wait", "async_wait", "convert", "handler", "serialize"];
pub const PROFILE_HEADER: [&str; 9] = [
    "Target",
    "Workload",
    "extract µs",
    "queue wait µs",
    "async wait µs",
    "convert µs",
    "handler µs",
    "serialize µs",
    "batch",
];

pub fn render(doc: &RunDocument) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(HEADER);
    for row in rows(doc) {
        table.add_row(row.into_iter().enumerate().map(|(i, c)| {
            let cell = Cell::new(c);
            if i >= 2 {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    let mut text = format!(
        "{table}\nratios are requests/s over {} in this run\n",
        doc.summary.baseline
    );
    let profiles = profile_rows(doc);
    if !profiles.is_empty() {
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED).set_header(PROFILE_HEADER);
        for row in profiles {
            table.add_row(row);
        }
        text.push_str(&format!(
            "\nserver phase timings (mean per request, share of the sum):\n{table}\n"
        ));
    }
    text
}
