use std::fmt::Write as _;

use crate::results::RunDocument;
use crate::table;

/// Each run as a Markdown section: when, where, how, and the results table.
pub fn render(runs: &[RunDocument]) -> String {
    let mut s = String::new();
    for doc in runs {
        let m = &doc.metadata;
        let c = &doc.config;
        let _ = writeln!(s, "### {}\n", m.timestamp);
        let _ = writeln!(
            s,
            "{} ({} logical cores, {:.1} GiB), {}; commit `{}`{}; {}.\n",
            m.host.cpu_model,
            m.host.logical_cores,
            m.host.memory_bytes as f64 / (1u64 << 30) as f64,
            m.host.os,
            m.git.commit.as_deref().map_or("unknown", |c| &c[..c.len().min(12)]),
            if m.git.dirty == Some(true) { " (dirty)" } else { "" },
            m.versions
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        let _ = writeln!(
            s,
            "oha, {} connections, {} s x {} replicates (medians) after {} s warm-up{}.\n",
            c.connections,
            c.duration_secs,
            c.replicates,
            c.warmup_secs,
            c.pin.as_ref().map_or(String::new(), |p| format!(", pinned {p}"))
        );
        let _ = writeln!(s, "| {} |", table::HEADER.join(" | "));
        let _ = writeln!(s, "|{}", "---|".repeat(table::HEADER.len()));
        for row in table::rows(doc) {
            let _ = writeln!(s, "| {} |", row.join(" | ").replace('\n', " "));
        }
        let profiles = table::profile_rows(doc);
        if !profiles.is_empty() {
            let _ = writeln!(s, "\nServer phase timings, mean µs per request (share of the sum):\n");
            let _ = writeln!(s, "| {} |", table::PROFILE_HEADER.join(" | "));
            let _ = writeln!(s, "|{}", "---|".repeat(table::PROFILE_HEADER.len()));
            for row in profiles {
                let _ = writeln!(s, "| {} |", row.join(" | "));
            }
        }
        s.push('\n');
    }
    s
}
