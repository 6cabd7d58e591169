"""Shared paths for the runner's end-to-end tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "target" / "release" / "spikard-bench"
OHA = ROOT / ".tools" / "bin" / "oha"
SCHEMA = ROOT / "docs" / "benchmarks" / "results.schema.json"
