"""`python -m spikard run` and `app.run()` as a user starts them: a real process, real
signals, real HTTP."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
WORKLOAD_APP = ROOT / "workloads" / "apps" / "python" / "app.py"

SLOW_APP = """
import time
from spikard import Spikard
app = Spikard(shutdown_timeout=5)

@app.get("/slow")
def slow() -> dict:
    # A request that is still running when the shutdown signal arrives.
    time.sleep(1.0)
    return {"finished": True}

@app.get("/health")
def health() -> dict:
    return {"ok": True}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server did not start listening")


def get(port: int, path: str, method: str = "GET", body: bytes | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"content-type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


@pytest.fixture
def run_server():
    procs: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], port: int) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        procs.append(proc)
        wait_ready(port, proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_serves_the_workload_app(run_server) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "spikard", "run", f"{WORKLOAD_APP}:app", "--host", "127.0.0.1"]
    proc = run_server([*cmd, "--port", str(port)], port)
    small = b'{"id":12345,"name":"test_item","active":true,"count":42,"tags":["tag1","tag2","tag3"]}'
    assert get(port, "/json/small", "POST", small) == (200, small)
    assert get(port, "/path/abc") == (200, b'{"id":"abc"}')
    assert get(port, "/query?limit=5&offset=7") == (200, b'{"limit":5,"offset":7}')
    status, body = get(port, "/query?limit=ten")
    assert status == 422 and json.loads(body)["errors"][0]["loc"] == ["query", "limit"]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) == 0


def test_sigterm_drains_in_flight_requests(run_server, tmp_path: Path) -> None:
    (tmp_path / "slow_app.py").write_text(SLOW_APP)
    port = free_port()
    cmd = [sys.executable, "-m", "spikard", "run", "slow_app:app", "--app-dir", str(tmp_path)]
    proc = run_server([*cmd, "--port", str(port)], port)
    result: dict[str, object] = {}

    def call() -> None:
        result["reply"] = get(port, "/slow")

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.3)  # let the request reach the handler
    proc.send_signal(signal.SIGTERM)
    thread.join(timeout=10)
    assert result["reply"] == (200, b'{"finished":true}')
    assert proc.wait(timeout=15) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5)


def test_app_run_from_a_script(run_server, tmp_path: Path) -> None:
    port = free_port()
    script = tmp_path / "main.py"
    script.write_text(
        "from spikard import Spikard\napp = Spikard()\n"
        "@app.get('/')\ndef root() -> dict:\n    return {'root': True}\n"
        f"if __name__ == '__main__':\n    app.run(host='127.0.0.1', port={port})\n"
    )
    proc = run_server([sys.executable, str(script)], port)
    assert get(port, "/") == (200, b'{"root":true}')
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) == 0


def test_cli_rejects_a_bad_target(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "spikard", "run", "json:dumps"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "is not a Spikard app" in result.stderr


def test_cli_limit_flags_override_the_app(run_server) -> None:
    port = free_port()
    run_server(
        [
            sys.executable, "-m", "spikard", "run", f"{WORKLOAD_APP}:app", "--port", str(port),
            "--body-limit", "64", "--max-header-size", "1024", "--keep-alive-timeout", "0.3",
        ],
        port,
    )  # fmt: skip
    status, body = get(port, "/json/small", "POST", b'{"pad": "' + b"x" * 100 + b'"}')
    assert status == 413
    assert json.loads(body)["detail"] == "Request body exceeds the limit of 64 bytes"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/query?limit=1", headers={"x-big": "a" * 2000})
    assert conn.getresponse().status == 431
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /query?limit=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert sock.recv(65536) == b"", "the idle keep-alive connection was closed"
