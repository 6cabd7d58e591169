"""The validated-json workloads: every target checks the body against the same constraints.

Each target in workloads/targets.json is started as the runner starts it (a target whose
program is not installed is skipped) and sent the workload payloads, which it must echo, and
payloads that break one constraint each, which it must refuse with 422."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from conftest import ROOT

TARGETS = json.loads((ROOT / "workloads" / "targets.json").read_text())["targets"]
SMALL = (ROOT / "workloads" / "payloads" / "json-small.json").read_bytes()
MEDIUM = (ROOT / "workloads" / "payloads" / "json-medium.json").read_bytes()


def small(**changes: object) -> bytes:
    return json.dumps({**json.loads(SMALL), **changes}).encode()


def medium(old: str, new: str) -> bytes:
    """The medium payload with the first `old` replaced by `new`."""
    assert old.encode() in MEDIUM, old
    return MEDIUM.replace(old.encode(), new.encode(), 1)


S = "/validated/json/small"
M = "/validated/json/medium"
# (name, path, body, status): 200 means the body comes back as it went.
CASES = [
    ("small", S, SMALL, 200),
    ("medium", M, MEDIUM, 200),
    ("small id < 1", S, small(id=0), 422),
    ("small name empty", S, small(name=""), 422),
    ("small name > 64 chars", S, small(name="n" * 65), 422),
    ("small count < 0", S, small(count=-1), 422),
    ("small 17 tags", S, small(tags=["t"] * 17), 422),
    ("small active not bool", S, small(active=[]), 422),
    ("small tags missing", S, b'{"id":1,"name":"x","active":true,"count":1}', 422),
    ("medium catalogue empty", M, medium('"catalogue":"workload"', '"catalogue":""'), 422),
    ("medium sku pattern", M, medium('"sku":"SKU-51706749"', '"sku":"SKU-5170674X"'), 422),
    ("medium sku too long", M, medium('"sku":"SKU-51706749"', '"sku":"SKU-517067490"'), 422),
    ("medium price 0", M, medium('"price":965.5', '"price":0'), 422),
    ("medium dimension < 0", M, medium('"w":75', '"w":-75'), 422),
    ("medium name > 128 chars", M, medium('"golf alpha echo"', json.dumps("g" * 129)), 422),
    ("medium note not str", M, medium('"note":null', '"note":5'), 422),
    ("medium note missing", M, medium(',"note":null', ""), 422),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port: int, path: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=body, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture(scope="module", params=TARGETS, ids=[t["name"] for t in TARGETS])
def server(request: pytest.FixtureRequest) -> Iterator[int]:
    target = request.param
    needs = target["requires"]
    if not (ROOT / needs["path"]).exists():
        pytest.skip(f"{target['name']}: {needs['path']} is missing ({needs['install']})")
    port = free_port()
    command = [arg.replace("{port}", str(port)) for arg in target["command"]]
    env = {**os.environ, **{k: v.replace("{port}", str(port)) for k, v in target.get("env", {}).items()}}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, f"{target['name']} exited with {proc.returncode}"
                assert time.monotonic() < deadline, f"{target['name']} did not start"
                time.sleep(0.1)
        yield port
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(("name", "path", "body", "status"), CASES, ids=[c[0] for c in CASES])
def test_the_body_is_validated(server: int, name: str, path: str, body: bytes, status: int) -> None:
    got, answer = post(server, path, body)
    assert got == status, answer[:500]
    if status == 200:
        assert json.loads(answer) == json.loads(body)
    else:
        json.loads(answer)  # every 422 explains itself in JSON
