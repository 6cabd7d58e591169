"""Soak and fault runs against a real server on 127.0.0.1 (`make soak`), bounded in count:

1. `--requests` (1,000,000) JSON echoes through oha, the server's RSS sampled every half
   second: growth after warm-up (median of the run's second tenth against its last tenth)
   must stay under 2%.
2. `--raising` (100,000) requests whose handler raises: each must be a 500 problem, and the
   server must serve normally after; RSS growth is reported the same way.
3. SIGTERM under load: client threads keep requests to a CPU-bound handler in flight, the
   server is sent SIGTERM, and every request a handler finished must have been answered;
   the rest must have been refused before being read. The counts are reported.

Writes one JSON document (figures, pass/fail, the machine) to `--output`; exits 1 if any
check fails. Needs the extension built and oha in .tools/bin (`make bench-build`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OHA = ROOT / ".tools" / "bin" / "oha"
APP = "tools/soak_app.py:app"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spikard", "run", APP, "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # 100,000 logged tracebacks
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the soak server did not start")

    def rss_mib(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()


class Sampler(threading.Thread):
    """The server's RSS every half second while a phase runs."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.samples.append(self.server.rss_mib())

    def growth(self) -> dict[str, Any]:
        tenth = max(1, len(self.samples) // 10)
        warm = statistics.median(self.samples[tenth : 2 * tenth])
        end = statistics.median(self.samples[-tenth:])
        return {
            "samples": len(self.samples),
            "rss_after_warmup_mib": round(warm, 1),
            "rss_at_end_mib": round(end, 1),
            "rss_peak_mib": round(max(self.samples), 1),
            "growth_pct": round((end / warm - 1) * 100, 2),
        }


def oha(server: Server, count: int, path: str, body: bytes | None = None) -> dict[str, Any]:
    cmd = [str(OHA), "--no-tui", "--output-format", "json", "-n", str(count), "-c", "32"]
    if body is not None:
        cmd += ["-m", "POST", "-T", "application/json", "-d", body.decode()]
    out = subprocess.run([*cmd, server.url(path)], capture_output=True, check=True, text=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def load(server: Server, count: int, path: str, body: bytes | None = None) -> dict[str, Any]:
    sampler = Sampler(server)
    sampler.start()
    started = time.monotonic()
    report = oha(server, count, path, body)
    seconds = time.monotonic() - started
    sampler.stop.set()
    sampler.join()
    return {
        "requests": count,
        "seconds": round(seconds, 1),
        "requests_per_sec": round(report["summary"]["requestsPerSec"]),
        "status_codes": report.get("statusCodeDistribution", {}),
        "errors": report.get("errorDistribution", {}),
        **sampler.growth(),
    }


def sigterm_under_load(threads: int = 16, load_seconds: float = 3.0) -> dict[str, Any]:
    server = Server()
    answered = 0
    refused: dict[str, int] = {}
    wrong = 0
    lock = threading.Lock()
    stop = threading.Event()

    def client() -> None:
        nonlocal answered, wrong
        conn: http.client.HTTPConnection | None = None
        while True:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                conn.request("GET", "/work")
                response = conn.getresponse()
                body = json.loads(response.read())
                with lock:
                    if response.status == 200 and len(body["digest"]) == 64:
                        answered += 1
                    else:
                        wrong += 1
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    refused[type(exc).__name__] = refused.get(type(exc).__name__, 0) + 1
                if conn is not None:
                    conn.close()
                conn = None
                if stop.is_set():
                    return
                time.sleep(0.01)

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(load_seconds)
    server.proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    exit_code = server.proc.wait(timeout=60)
    exited_after = time.monotonic() - sent
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    assert server.proc.stdout is not None
    reported = [line for line in server.proc.stdout.read().splitlines() if line.startswith("finished ")]
    finished = int(reported[-1].split()[1]) if reported else -1
    return {
        "client_threads": threads,
        "answered_200": answered,
        "wrong_answers": wrong,
        "handler_finished": finished,
        "refused_before_read": refused,
        "exit_code": exit_code,
        "exit_seconds_after_sigterm": round(exited_after, 2),
        "ok": exit_code == 0 and wrong == 0 and finished == answered,
    }


def machine() -> dict[str, Any]:
    with open("/proc/cpuinfo") as cpuinfo:
        names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    cpu = names[0] if names else platform.processor()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": commit.stdout.strip(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--raising", type=int, default=100_000)
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "soak.json")
    args = parser.parse_args()
    if not OHA.exists():
        raise SystemExit(f"{OHA} is missing: run `make bench-build` (or tools/install-oha.sh)")

    server = Server()
    payload = (ROOT / "workloads" / "payloads" / "json-small.json").read_bytes()
    try:
        print(f"soak: {args.requests:,} JSON echoes", flush=True)
        echo = load(server, args.requests, "/json", payload)
        print(f"soak: {args.raising:,} requests that raise", flush=True)
        raising = load(server, args.raising, "/raise")
        after = server.get("/http-error")
        serves_after = after[0] == 409 and json.loads(after[1])["detail"] == "conflict"
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=60)
    print("soak: SIGTERM under load", flush=True)
    shutdown = sigterm_under_load()

    checks = {
        "echo_all_200": echo["status_codes"] == {"200": args.requests} and not echo["errors"],
        "echo_rss_growth_under_2pct": echo["growth_pct"] < 2.0,
        "raising_all_500": raising["status_codes"] == {"500": args.raising} and not raising["errors"],
        "serves_after_raising": serves_after,
        "sigterm_answers_every_finished_request": shutdown["ok"],
    }
    result = {
        "machine": machine(),
        "echo": echo,
        "raising": raising,
        "sigterm": shutdown,
        "checks": checks,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
