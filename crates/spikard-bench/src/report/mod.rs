//! `spikard-bench report RUN.json... -o report.html`: one self-contained page (no network,
//! charts as inline SVG), or Markdown for docs.

mod html;
mod markdown;
mod svg;

pub use html::render as html;
pub use markdown::render as markdown;
pub use svg::{BarChart, Group};

/// Escapes text for HTML and SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
