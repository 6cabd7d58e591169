//! # spikard-bench
//!
//! The workload runner. For each target app it starts the server, checks every workload's
//! response is correct, warms up, drives it with oha, samples the server's CPU and memory,
//! and writes one versioned JSON document per run. `compare` diffs two runs with confidence
//! intervals; `report` renders runs as a self-contained HTML page or Markdown.

pub mod compare;
pub mod metadata;
pub mod oha;
pub mod report;
pub mod results;
pub mod run;
pub mod spec;
pub mod stats;
pub mod table;
