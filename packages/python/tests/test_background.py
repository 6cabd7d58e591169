"""BackgroundTasks run after the response, in order, on real servers; their failures are
logged with a traceback."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from conftest import Serve
from spikard import BackgroundTasks, Spikard


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_tasks_run_after_the_response_in_order(serve: Serve) -> None:
    events: list[str] = []
    released = threading.Event()
    app = Spikard()

    def slow_write(name: str) -> None:
        released.wait(5)
        events.append(f"sync {name}")

    async def notify(name: str) -> None:
        await asyncio.sleep(0)
        events.append(f"async {name}")

    @app.post("/signup")
    def signup(body: dict, tasks: BackgroundTasks) -> dict:
        tasks.add_task(slow_write, body["name"])
        tasks.add_task(notify, name=body["name"])
        events.append("handler")
        return {"queued": len(tasks.tasks)}

    @app.post("/signup-async")
    async def signup_async(body: dict, tasks: BackgroundTasks) -> dict:
        await asyncio.sleep(0.01)
        tasks.add_task(notify, body["name"])
        return {"queued": 1}

    client = serve(app)
    # The response arrives while the first task is still blocked.
    assert client.post("/signup", json={"name": "ada"}).json() == {"queued": 2}
    assert events == ["handler"]
    released.set()
    wait_for(lambda: len(events) == 3)
    assert events == ["handler", "sync ada", "async ada"]
    assert client.post("/signup-async", json={"name": "bob"}).json() == {"queued": 1}
    wait_for(lambda: "async bob" in events)


def test_failing_tasks_are_logged(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    app = Spikard()
    done = threading.Event()

    def broken() -> None:
        raise ValueError("smtp down")

    @app.get("/ping")
    def ping(tasks: BackgroundTasks) -> dict:
        tasks.add_task(broken)
        tasks.add_task(done.set)
        return {"pong": True}

    client = serve(app)
    with caplog.at_level(logging.ERROR, logger="spikard"):
        assert client.get("/ping").json() == {"pong": True}
        assert done.wait(5)
        wait_for(lambda: any("background task" in r.getMessage() for r in caplog.records))
    record = next(r for r in caplog.records if "background task" in r.getMessage())
    assert record.exc_info is not None and "smtp down" in str(record.exc_info[1])
    assert client.get("/ping").json() == {"pong": True}
