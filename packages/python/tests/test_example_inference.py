"""examples/inference_service.py through a real server: the blur is right, and the health
endpoint answers while blurs run on the blocking pool."""

from __future__ import annotations

import http.client
import importlib.util
import threading
import time
from pathlib import Path

from spikard.testing import TestClient

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "inference_service.py"


def load():
    spec = importlib.util.spec_from_file_location("inference_service", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_blur_is_correct() -> None:
    service = load()
    flat = bytes([77]) * (40 * 30)
    assert service.box_blur(flat, 40, 3) == flat
    # A single bright pixel spreads evenly over its 3x3 window.
    img = bytearray(9 * 9)
    img[4 * 9 + 4] = 90
    out = service.box_blur(bytes(img), 9, 1)
    assert out[4 * 9 + 4] == 10 and out[3 * 9 + 3] == 10 and out[0] == 0


def test_health_stays_fast_while_blurs_run() -> None:
    service = load()
    with TestClient(service.app) as client:
        width, height = 400, 300
        image = bytes((x * 7 + y * 13) % 256 for y in range(height) for x in range(width))
        replies: list[tuple[int, bytes]] = []

        def blur() -> None:
            conn = http.client.HTTPConnection(client.host, client.port, timeout=60)
            conn.request("POST", f"/blur?width={width}&radius=4", body=image)
            response = conn.getresponse()
            replies.append((response.status, response.read()))

        workers = [threading.Thread(target=blur) for _ in range(2)]
        for w in workers:
            w.start()
        time.sleep(0.05)
        latencies = []
        while any(w.is_alive() for w in workers):
            t = time.monotonic()
            assert client.get("/health").json()["ok"] is True
            latencies.append(time.monotonic() - t)
            time.sleep(0.01)
        for w in workers:
            w.join()
        assert [status for status, _ in replies] == [200, 200]
        assert replies[0][1] == service.box_blur(image, width, 4)
        assert latencies, "the blurs finished before health was asked"
        assert max(latencies) < 0.5, max(latencies)
        assert client.get("/health").json()["served"] == 2
        bad = client.post("/blur?width=7", content=b"12345678")
        assert bad.status_code == 422
