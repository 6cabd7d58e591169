"""Schemathesis generates requests from `/openapi.json` (valid ones and invalid ones) and
checks each response against the same document: the server must never fail, and must
answer exactly what it documents.

Runs are bounded (`--max-examples` per operation) and deterministic, a few seconds each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import Serve
from schema_app import app
from spikard.testing import TestClient

MAX_EXAMPLES = 100


@pytest.fixture
def client(serve: Serve) -> TestClient:
    return serve(app)


def run_schemathesis(client: TestClient, checks: list[str], tmp_path: Path) -> dict[str, Any]:
    """Run the schemathesis CLI against the served app; its JSON report, after checking that
    it ran cleanly and tested every documented operation."""
    report = tmp_path / "schemathesis.json"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{client.base_url}/openapi.json",
        f"--checks={','.join(checks)}",
        f"--max-examples={MAX_EXAMPLES}",
        "--generation-deterministic",  # the same requests every run, no example database
        "--phases=examples,coverage,fuzzing",
        "--workers=1",
        "--request-timeout=10",
        "--no-color",
        "--report=json",
        f"--report-json-path={report}",
    ]
    # In tmp_path: no schemathesis.toml is picked up and its cache lands there.
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    result: dict[str, Any] = json.loads(report.read_text())
    operations = sum(len(item) for item in client.get("/openapi.json").json()["paths"].values())
    assert result["complete"], output
    assert result["operations"] == {
        "total": operations,
        "selected": operations,
        "tested": operations,
        "errored": 0,
        "skipped": 0,
        "skip_reasons": [],
    }, output
    assert result["failures"] == [] and result["errors"] == [], output
    assert {kind: found for kind, found in result["warnings"].items() if found} == {}, output
    return result


def test_responses_conform_to_the_document(client: TestClient, tmp_path: Path) -> None:
    """Whatever is sent, valid or not: no 5xx, and every status, content type and body is
    one the operation documents (the success schema, 422 ValidationProblem, or Problem)."""
    result = run_schemathesis(
        client,
        [
            "not_a_server_error",
            "status_code_conformance",
            "content_type_conformance",
            "response_schema_conformance",
        ],
        tmp_path,
    )
    # The generated requests reached the handlers, not only the validator.
    for operation, phases in result["valid_rates"].items():
        assert sum(rates["accepted"] for rates in phases.values()) > 0, operation


def test_validation_agrees_with_the_document(client: TestClient, tmp_path: Path) -> None:
    """Requests the document allows are accepted; requests it forbids (a constraint broken,
    a wrong type, a required header left out) are refused with a 4xx."""
    run_schemathesis(
        client,
        ["negative_data_rejection", "positive_data_acceptance", "missing_required_header"],
        tmp_path,
    )
