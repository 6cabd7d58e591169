"""Startup and shutdown hooks, the lifespan context manager and app.state, on real servers."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conftest import Serve
from spikard import Spikard, StartupError
from spikard.testing import TestClient


def test_order_state_and_loop(serve: Serve) -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Spikard) -> AsyncIterator[None]:
        events.append("lifespan enter")
        app.state.model = {"weights": [1, 2, 3]}
        app.state.loop = asyncio.get_running_loop()
        yield
        events.append("lifespan exit")

    app = Spikard(lifespan=lifespan)

    @app.on_startup
    def first() -> None:
        events.append("startup hook")

    @app.on_startup
    async def second() -> None:
        await asyncio.sleep(0)
        events.append("async startup hook")

    @app.on_shutdown
    async def closing() -> None:
        events.append("shutdown hook")

    @app.get("/model")
    async def model() -> dict:
        events.append("request")
        same_loop = asyncio.get_running_loop() is app.state.loop
        return {"weights": app.state.model["weights"], "same_loop": same_loop}

    client = TestClient(app)
    assert events == ["startup hook", "async startup hook", "lifespan enter"]
    assert client.get("/model").json() == {"weights": [1, 2, 3], "same_loop": True}
    client.close()
    assert events == [
        "startup hook",
        "async startup hook",
        "lifespan enter",
        "request",
        "lifespan exit",
        "shutdown hook",
    ]


def test_a_failing_startup_stops_the_server() -> None:
    app = Spikard()

    @app.on_startup
    def broken() -> None:
        raise ConnectionError("database unreachable")

    with pytest.raises(StartupError, match="database unreachable"):
        TestClient(app)


def test_cli_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "bad_app.py").write_text(
        "from spikard import Spikard\napp = Spikard()\n"
        "@app.on_startup\ndef boom() -> None:\n    raise RuntimeError('model file missing')\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "spikard", "run", "bad_app:app", "--app-dir", str(tmp_path), "--port", "0"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert "application startup failed" in result.stderr
    assert "model file missing" in result.stderr
