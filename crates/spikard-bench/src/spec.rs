//! Workload and target definitions, read from `workloads/workloads.json` and
//! `workloads/targets.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use serde::Deserialize;
use serde_json::Value;

/// One request shape every target serves, and what its answer must be.
#[derive(Debug, Clone, Deserialize)]
pub struct Workload {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub method: String,
    /// Path and query, e.g. `/query?limit=10`.
    pub path: String,
    /// Payload file, relative to the workloads directory.
    #[serde(default)]
    pub body: Option<PathBuf>,
    /// Exact payload size in bytes.
    #[serde(default)]
    pub size_bytes: Option<u64>,
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Expect {
    pub status: u16,
    /// The response body as JSON; the string `"echo"` means the request body itself.
    pub json: Value,
}

/// A server to measure: how to start it and where it reads the port.
#[derive(Debug, Clone, Deserialize)]
pub struct Target {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The command line; `{port}` (here or in `env`) is replaced with the port the runner picked.
    pub command: Vec<String>,
    /// Extra environment variables for the server process.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// A file that must exist first, with the command that provides it.
    #[serde(default)]
    pub requires: Option<Requirement>,
    /// Peers are the frameworks a user would pick instead of Spikard.
    #[serde(default)]
    pub peer: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Requirement {
    pub path: PathBuf,
    pub install: String,
}

#[derive(Deserialize)]
struct WorkloadFile {
    workloads: Vec<Workload>,
}

#[derive(Deserialize)]
struct TargetFile {
    targets: Vec<Target>,
}

/// Everything a run can choose from.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub dir: PathBuf,
    pub workloads: Vec<Workload>,
    pub targets: Vec<Target>,
}

impl Catalog {
    /// Reads `dir/workloads.json` and `dir/targets.json`.
    pub fn load(dir: &Path) -> anyhow::Result<Catalog> {
        let workloads: WorkloadFile = read_json(dir, "workloads.json")?;
        let targets: TargetFile = read_json(dir, "targets.json")?;
        Ok(Catalog {
            dir: dir.to_owned(),
            workloads: workloads.workloads,
            targets: targets.targets,
        })
    }

    pub fn workload(&self, name: &str) -> anyhow::Result<&Workload> {
        self.workloads.iter().find(|w| w.name == name).ok_or_else(|| {
            let known: Vec<_> = self.workloads.iter().map(|w| w.name.as_str()).collect();
            anyhow!("unknown workload {name:?} (known: {})", known.join(", "))
        })
    }

    pub fn target(&self, name: &str) -> anyhow::Result<&Target> {
        self.targets.iter().find(|t| t.name == name).ok_or_else(|| {
            let known: Vec<_> = self.targets.iter().map(|t| t.name.as_str()).collect();
            anyhow!("unknown target {name:?} (known: {})", known.join(", "))
        })
    }

    /// The workload's payload bytes, if it has one.
    pub fn body(&self, workload: &Workload) -> anyhow::Result<Option<Vec<u8>>> {
        workload.body.as_ref().map(|rel| read(&self.body_path(rel))).transpose()
    }

    pub fn body_path(&self, rel: &Path) -> PathBuf {
        self.dir.join(rel)
    }
}

/// The bytes of `path`.
fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `dir/name` parsed as JSON; a parse error names the file.
fn read_json<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> anyhow::Result<T> {
    serde_json::from_slice(&read(&dir.join(name))?).with_context(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workloads");
        Catalog::load(&dir).expect("the repository's workloads load")
    }

    #[test]
    fn payloads_are_the_size_they_claim() {
        let catalog = catalog();
        for w in &catalog.workloads {
            match (catalog.body(w).unwrap(), w.size_bytes) {
                (Some(body), Some(size)) => assert_eq!(body.len() as u64, size, "{}", w.name),
                (None, None) => {}
                (body, size) => panic!(
                    "{}: body {:?} bytes vs size_bytes {size:?}",
                    w.name,
                    body.map(|b| b.len())
                ),
            }
        }
        let size = |name: &str| catalog.workload(name).unwrap().size_bytes.unwrap();
        assert_eq!(size("json-small"), 86);
        assert!((4_500..=5_500).contains(&size("json-medium")));
        assert!((45_000..=55_000).contains(&size("json-large")));
        assert!((450_000..=550_000).contains(&size("json-xlarge")));
    }

    #[test]
    fn every_target_and_workload_is_well_formed() {
        let catalog = catalog();
        assert!(catalog.workloads.len() >= 11);
        for t in &catalog.targets {
            let mentions_port = t.command.iter().chain(t.env.values()).any(|a| a.contains("{port}"));
            assert!(mentions_port, "{} never receives its port", t.name);
        }
        for name in [
            "spikard-python",
            "spikard-rust",
            "rust-baseline",
            "fastapi",
            "starlette",
            "robyn",
            "granian",
        ] {
            catalog.target(name).unwrap();
        }
        assert!(catalog.workload("nope").unwrap_err().to_string().contains("json-small"));
    }
}
