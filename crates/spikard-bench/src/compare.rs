//! `spikard-bench compare OLD NEW`: the change in requests/s per (target, workload), with a
//! 95% confidence interval from the replicates.

use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;

use crate::results::RunDocument;
use crate::stats::{Ratio, ratio_ci};

#[derive(Debug, Clone)]
pub struct Change {
    pub target: String,
    pub workload: String,
    pub old_rps: f64,
    pub new_rps: f64,
    pub ratio: Ratio,
}

impl Change {
    /// A regression below `threshold`: the whole interval is under it (or, without an
    /// interval, the ratio itself).
    pub fn below(&self, threshold: f64) -> bool {
        self.ratio.high.unwrap_or(self.ratio.ratio) < threshold
    }
}

/// Every (target, workload) measured in both runs.
pub fn changes(old: &RunDocument, new: &RunDocument) -> Vec<Change> {
    new.results
        .iter()
        .filter_map(|n| {
            let o = old.get(&n.target, &n.workload)?;
            let rps = |r: &crate::results::TargetWorkload| -> Vec<f64> {
                r.replicates.iter().map(|m| m.requests_per_sec).collect()
            };
            let (old_rps, new_rps) = (rps(o), rps(n));
            let ratio = ratio_ci(&old_rps, &new_rps)?;
            Some(Change {
                target: n.target.clone(),
                workload: n.workload.clone(),
                old_rps: o.metrics.as_ref()?.requests_per_sec,
                new_rps: n.metrics.as_ref()?.requests_per_sec,
                ratio,
            })
        })
        .collect()
}

pub fn render(changes: &[Change], threshold: Option<f64>) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header([
        "Target",
        "Workload",
        "Old req/s",
        "New req/s",
        "New/Old",
        "95% CI",
        "Verdict",
    ]);
    for c in changes {
        let ci = match (c.ratio.low, c.ratio.high) {
            (Some(l), Some(h)) => format!("{l:.3} - {h:.3}"),
            _ => "n/a (one replicate)".to_owned(),
        };
        let verdict = match threshold {
            Some(t) if c.below(t) => format!("REGRESSION (< {t})"),
            _ if c.ratio.low.is_some_and(|l| l > 1.0) => "faster".to_owned(),
            _ if c.ratio.high.is_some_and(|h| h < 1.0) => "slower".to_owned(),
            _ => "no clear change".to_owned(),
        };
        table.add_row([
            c.target.clone(),
            c.workload.clone(),
            format!("{:.0}", c.old_rps),
            format!("{:.0}", c.new_rps),
            format!("{:.3}", c.ratio.ratio),
            ci,
            verdict,
        ]);
    }
    table.to_string()
}
