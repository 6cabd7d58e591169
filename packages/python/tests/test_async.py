"""`async def` handlers on the server's own event loop, through a real server."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time

from conftest import Serve, assert_problem
from spikard import HTTPException, Spikard


def make_app(events: list[str]) -> Spikard:
    app = Spikard()

    @app.get("/eager/{n}")
    async def eager(n: int) -> dict:
        # Never suspends: finishes in the dispatcher's first step.
        return {"n": n}

    @app.post("/sleepy")
    async def sleepy(body: dict) -> dict:
        await asyncio.sleep(body.get("delay", 0.01))
        await asyncio.sleep(0)
        return {"slept": body.get("delay", 0.01), "loop": type(asyncio.get_running_loop()).__name__}

    @app.get("/fails")
    async def fails() -> dict:
        await asyncio.sleep(0.001)
        raise RuntimeError("async boom")

    @app.get("/teapot")
    async def teapot() -> dict:
        await asyncio.sleep(0.001)
        raise HTTPException(418, "short and stout")

    @app.get("/forever")
    async def forever() -> dict:
        events.append("started")
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        return {}

    @app.get("/sync")
    def sync() -> dict:
        return {"sync": True}

    return app


def test_eager_and_suspending_handlers(serve: Serve) -> None:
    client = serve(make_app([]))
    assert client.get("/eager/5").json() == {"n": 5}
    body = client.post("/sleepy", json={"delay": 0.02}).json()
    assert body["slept"] == 0.02
    assert body["loop"]  # ran on a real event loop
    assert client.get("/sync").json() == {"sync": True}


def test_exceptions_in_async_handlers(serve: Serve) -> None:
    client = serve(make_app([]), raise_server_exceptions=False)
    assert_problem(client.get("/fails"), 500, "internal-server-error")
    assert assert_problem(client.get("/teapot"), 418)["detail"] == "short and stout"
    assert client.get("/eager/1").json() == {"n": 1}


def test_a_thousand_concurrent_sleeps_overlap(serve: Serve) -> None:
    client = serve(make_app([]))
    body = b'{"delay": 0.5}'
    request = (
        f"POST /sleepy HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body

    async def one() -> bytes:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(request)
        await writer.drain()
        data = await reader.read()
        writer.close()
        return data

    async def all_of_them() -> list[bytes]:
        return await asyncio.gather(*(one() for _ in range(1000)))

    started = time.monotonic()
    replies = asyncio.run(all_of_them())
    elapsed = time.monotonic() - started
    assert all(r.startswith(b"HTTP/1.1 200") for r in replies)
    # Sequential handling would take 500 s; overlapping sleeps take about 0.5 s.
    assert elapsed < 10, elapsed


def test_a_client_that_disconnects_cancels_its_handler(serve: Serve) -> None:
    events: list[str] = []
    client = serve(make_app(events))
    sock = socket.create_connection((client.host, client.port))
    sock.sendall(b"GET /forever HTTP/1.1\r\nhost: x\r\n\r\n")
    deadline = time.monotonic() + 5
    while "started" not in events and time.monotonic() < deadline:
        time.sleep(0.01)
    sock.close()
    while "cancelled" not in events and time.monotonic() < deadline:
        time.sleep(0.01)
    assert events == ["started", "cancelled"]
    assert client.get("/eager/2").json() == {"n": 2}


def test_a_sleeping_async_handler_does_not_hold_up_others(serve: Serve) -> None:
    client = serve(make_app([]))
    done = threading.Event()

    def slow() -> None:
        conn = http.client.HTTPConnection(client.host, client.port, timeout=10)
        conn.request("POST", "/sleepy", body=b'{"delay": 1.0}', headers={"content-type": "application/json"})
        assert conn.getresponse().status == 200
        done.set()

    threading.Thread(target=slow).start()
    time.sleep(0.1)
    for i in range(20):
        assert client.get("/sync").json() == {"sync": True}
        assert client.get(f"/eager/{i}").json() == {"n": i}
    assert not done.is_set()  # the slow handler was still sleeping while those ran
    assert done.wait(5)
