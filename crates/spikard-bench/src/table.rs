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
    format!(
        "{table}\nratios are requests/s over {} in this run\n",
        doc.summary.baseline
    )
}
