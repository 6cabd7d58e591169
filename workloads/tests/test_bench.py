"""spikard-bench end to end: a --quick run against real servers, the result document
validated against its JSON Schema, compare, and the HTML report opened in Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import BENCH, OHA, ROOT, SCHEMA

TARGETS = ["rust-baseline", "spikard-python", "spikard-rust"]
WORKLOADS = ["json-small", "path-simple", "query-few"]


def bench(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BENCH), *args], cwd=cwd, check=False, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def quick_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict, Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("run")
    result = bench(
        "run",
        "--quick",
        "--profile",
        "--targets",
        ",".join(TARGETS),
        "--workloads",
        ",".join(WORKLOADS),
        "--output",
        str(out / "run.json"),
        "--html",
        str(out / "run.html"),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads((out / "run.json").read_text()), out, result


def test_document_matches_the_schema(quick_run) -> None:
    doc, _, _ = quick_run
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
    assert doc["schema_version"].startswith("1.")


def test_every_pair_was_measured(quick_run) -> None:
    doc, _, result = quick_run
    pairs = {(r["target"], r["workload"]) for r in doc["results"]}
    assert pairs == {(t, w) for t in TARGETS for w in WORKLOADS}
    for r in doc["results"]:
        assert r["status"] == "ok", r
        m = r["metrics"]
        assert m["requests_per_sec"] > 0
        assert m["total_requests"] > 0
        assert set(m["status_codes"]) == {"200"}
        assert 0 < m["latency_ms"]["p50"] <= m["latency_ms"]["p99"] <= m["latency_ms"]["max"]
        assert m["rss_bytes"]["peak"] > 1_000_000
    ratios = {(r["target"], r["workload"]): r["ratio_to_baseline"] for r in doc["summary"]["ratios"]}
    assert all(ratios[("rust-baseline", w)] == 1.0 for w in WORKLOADS)
    for header in ["Req/s", "p99", "MB/s", "Success", "vs baseline"]:
        assert header in result.stdout


def test_profile_mode_records_where_the_time_goes(quick_run) -> None:
    doc, _, result = quick_run
    for r in doc["results"]:
        profile = r["metrics"].get("profile")
        if r["target"] == "spikard-python":
            phases = profile["phases"]
            assert set(phases) == {"extract", "queue_wait", "async_wait", "convert", "handler", "serialize"}
            # The window is reset before the replicate and read after it: every request oha
            # counted ran the handler exactly once (the quick run has one replicate).
            (replicate,) = r["replicates"]
            assert phases["handler"]["count"] == replicate["total_requests"]
            assert phases["extract"]["count"] == replicate["total_requests"]
            assert profile["batches"]["mean_size"] >= 1
        else:
            assert profile is None, r["target"]
    assert "server phase timings" in result.stdout


def test_versions_and_machine_are_recorded(quick_run) -> None:
    doc, _, _ = quick_run
    meta = doc["metadata"]
    assert re.fullmatch(r"[0-9a-f]{40}", meta["git"]["commit"] or "")
    assert meta["host"]["logical_cores"] >= 1
    for tool in ["oha", "rust", "python", "spikard", "spikard-bench"]:
        assert meta["versions"].get(tool), tool


def test_compare_and_markdown(quick_run, tmp_path: Path) -> None:
    _, out, _ = quick_run
    same = bench("compare", str(out / "run.json"), str(out / "run.json"), "--fail-below", "0.9")
    assert same.returncode == 0, same.stderr
    assert "1.000" in same.stdout
    # A run that is half as fast fails the gate.
    doc = json.loads((out / "run.json").read_text())
    for r in doc["results"]:
        for m in [r["metrics"], *r["replicates"]]:
            m["requests_per_sec"] /= 2
    (tmp_path / "slow.json").write_text(json.dumps(doc))
    slower = bench(
        "compare",
        str(out / "run.json"),
        str(tmp_path / "slow.json"),
        "--fail-below",
        "0.9",
    )
    assert slower.returncode == 1
    assert "REGRESSION" in slower.stdout
    md = bench(
        "report",
        str(out / "run.json"),
        "-o",
        str(tmp_path / "run.md"),
        "--format",
        "markdown",
    )
    assert md.returncode == 0, md.stderr
    text = (tmp_path / "run.md").read_text()
    assert "| Target | Workload | Req/s" in text
    # One results row and one phase-timings row per workload.
    assert text.count("\n| spikard-python |") == 2 * len(WORKLOADS)
    assert "Server phase timings" in text


def test_html_report_draws_its_charts_in_chromium(quick_run, tmp_path: Path) -> None:
    _, out, _ = quick_run
    chromium = shutil.which("chromium")
    assert chromium, "chromium is installed by tools/install-chromium.sh (make test)"
    html = (out / "run.html").read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', ""), (
        "the page must not fetch anything"
    )
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", (out / "run.html").as_uri()],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr
    # Every chart rendered, and every measured value drew a bar: 3 per-workload charts
    # (req/s, CPU, RSS) of targets x workloads bars, and per workload a latency chart of
    # 4 percentiles x targets.
    assert dom.stdout.count('class="chart"') == 3 + len(WORKLOADS)
    assert dom.stdout.count('class="bar"') == 3 * len(TARGETS) * len(WORKLOADS) + 4 * len(TARGETS) * len(
        WORKLOADS
    )
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            *flags,
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            (out / "run.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000


def test_a_wrong_answer_fails_loudly_with_a_diff(tmp_path: Path) -> None:
    workloads = tmp_path / "workloads"
    shutil.copytree(ROOT / "workloads" / "payloads", workloads / "payloads")
    (workloads / "workloads.json").write_text(
        json.dumps(
            {
                "workloads": [
                    {
                        "name": "path-simple",
                        "method": "GET",
                        "path": "/path/abc123",
                        "expect": {"status": 200, "json": {"id": "something-else"}},
                    },
                ]
            }
        )
    )
    (workloads / "targets.json").write_text(
        json.dumps(
            {
                "targets": [
                    {
                        "name": "rust-baseline",
                        "command": [
                            str(ROOT / "target/release/rust-baseline"),
                            "--port",
                            "{port}",
                        ],
                    },
                ]
            }
        )
    )
    result = bench(
        "run",
        "--quick",
        "--root",
        str(tmp_path),
        "--oha",
        str(OHA),
        "--targets",
        "rust-baseline",
        "--workloads",
        "path-simple",
        "--output",
        str(tmp_path / "out.json"),
    )
    assert result.returncode == 1
    assert "first difference at /id" in result.stderr
    doc = json.loads((tmp_path / "out.json").read_text())
    (entry,) = doc["results"]
    assert entry["status"] == "error" and entry["metrics"] is None and entry["replicates"] == []
    assert "expected" in entry["error"]
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
