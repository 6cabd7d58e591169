//! Grouped horizontal bar charts as inline SVG.

use std::fmt::Write as _;

use super::escape;

/// Colours for series, in order (colour-blind safe palette).
const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

/// One group of bars (e.g. a workload), one bar per series (e.g. a target). `None` is a
/// value that could not be measured; it is drawn as a label, never as a zero-length bar.
#[derive(Debug, Clone)]
pub struct Group {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone)]
pub struct BarChart {
    pub title: String,
    pub unit: String,
    pub series: Vec<String>,
    pub groups: Vec<Group>,
}

impl BarChart {
    pub fn render(&self) -> String {
        const WIDTH: f64 = 900.0;
        const LABEL_W: f64 = 170.0;
        const VALUE_W: f64 = 110.0;
        const BAR_H: f64 = 16.0;
        const GAP: f64 = 12.0;
        const TOP: f64 = 56.0;
        let plot_w = WIDTH - LABEL_W - VALUE_W;
        let max = self
            .groups
            .iter()
            .flat_map(|g| g.values.iter().flatten())
            .copied()
            .fold(0.0, f64::max);
        let group_h = BAR_H * self.series.len() as f64 + GAP;
        let height = TOP + group_h * self.groups.len() as f64 + 10.0;

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{title}">"#,
            title = escape(&self.title)
        );
        let _ = write!(
            s,
            r#"<text x="0" y="18" font-size="15" font-weight="bold">{} ({})</text>"#,
            escape(&self.title),
            escape(&self.unit)
        );
        // Legend.
        let mut x = 0.0;
        for (i, name) in self.series.iter().enumerate() {
            let _ = write!(
                s,
                r#"<rect x="{x}" y="30" width="12" height="12" fill="{}"/><text x="{}" y="41" font-size="12">{}</text>"#,
                PALETTE[i % PALETTE.len()],
                x + 16.0,
                escape(name)
            );
            x += 24.0 + 7.5 * name.len() as f64;
        }
        for (g, group) in self.groups.iter().enumerate() {
            let y0 = TOP + g as f64 * group_h;
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>"#,
                LABEL_W - 8.0,
                y0 + group_h / 2.0,
                escape(&group.label)
            );
            for (i, value) in group.values.iter().enumerate() {
                let y = y0 + i as f64 * BAR_H;
                match value {
                    Some(v) => {
                        let w = if max > 0.0 { (v / max * plot_w).max(1.0) } else { 1.0 };
                        let _ = write!(
                            s,
                            r#"<rect class="bar" x="{LABEL_W}" y="{y}" width="{w:.1}" height="{}" fill="{}"><title>{}: {}</title></rect><text x="{:.1}" y="{}" font-size="11">{}</text>"#,
                            BAR_H - 2.0,
                            PALETTE[i % PALETTE.len()],
                            escape(&self.series[i]),
                            fmt_value(*v),
                            LABEL_W + w + 4.0,
                            y + BAR_H - 4.0,
                            fmt_value(*v)
                        );
                    }
                    None => {
                        let _ = write!(
                            s,
                            r##"<text x="{LABEL_W}" y="{}" font-size="11" fill="#B00020">{}: not measured</text>"##,
                            y + BAR_H - 4.0,
                            escape(&self.series[i])
                        );
                    }
                }
            }
        }
        s.push_str("</svg>");
        s
    }
}

fn fmt_value(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_bar_per_value_and_labels_gaps() {
        let chart = BarChart {
            title: "Requests/s <all>".into(),
            unit: "req/s".into(),
            series: vec!["a".into(), "b".into()],
            groups: vec![
                Group {
                    label: "w1".into(),
                    values: vec![Some(100.0), Some(50.0)],
                },
                Group {
                    label: "w2".into(),
                    values: vec![Some(10.0), None],
                },
            ],
        };
        let svg = chart.render();
        assert_eq!(svg.matches(r#"class="bar""#).count(), 3);
        assert!(svg.contains("b: not measured"));
        assert!(svg.contains("Requests/s &lt;all&gt;"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
