"""`blocking=True` handlers run on a bounded pool: they stall nothing else, and a full
pool answers 503 with Retry-After."""

from __future__ import annotations

import http.client
import threading
import time

import pytest

from conftest import Serve, assert_problem
from spikard import Spikard


def slow_app(threads: int, queue: int) -> Spikard:
    app = Spikard(blocking_threads=threads, blocking_queue=queue)

    @app.post("/render", blocking=True)
    def render(body: dict) -> dict:
        # Stands for real blocking work (a model call, a PDF render): the thread sleeps.
        time.sleep(body["seconds"])
        return {"rendered": body["id"], "thread": threading.current_thread().name}

    @app.get("/health")
    def health() -> dict:
        return {"ok": True}

    @app.get("/fails", blocking=True)
    def fails() -> dict:
        raise ValueError("blocking boom")

    return app


def post(host: str, port: int, path: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("POST", path, body=body, headers={"content-type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read(), dict(response.getheaders())


def test_slow_blocking_handlers_do_not_stall_fast_ones(serve: Serve) -> None:
    client = serve(slow_app(threads=4, queue=4))
    results: list[tuple[int, bytes, dict[str, str]]] = []

    def slow(i: int) -> None:
        results.append(post(client.host, client.port, "/render", f'{{"id": {i}, "seconds": 2}}'.encode()))

    workers = [threading.Thread(target=slow, args=(i,)) for i in range(4)]
    started = time.monotonic()
    for w in workers:
        w.start()
    time.sleep(0.2)  # the four renders are now sleeping on the pool
    latencies = []
    for _ in range(50):
        t = time.monotonic()
        assert client.get("/health").json() == {"ok": True}
        latencies.append(time.monotonic() - t)
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    assert sorted(latencies)[int(len(latencies) * 0.99) - 1] < 0.1, latencies
    assert all(status == 200 for status, _, _ in results)
    assert all(b"spikard-blocking" in body for _, body, _ in results)
    assert elapsed < 4  # the four 2 s renders ran side by side, not one after another


def test_a_full_pool_answers_503_with_retry_after(serve: Serve) -> None:
    client = serve(slow_app(threads=1, queue=0))
    first: list[int] = []
    worker = threading.Thread(
        target=lambda: first.append(post(client.host, client.port, "/render", b'{"id": 1, "seconds": 1}')[0])
    )
    worker.start()
    time.sleep(0.3)
    response = client.post("/render", json={"id": 2, "seconds": 0})
    body = assert_problem(response, 503, "service-unavailable")
    assert response.headers["retry-after"] == "1"
    assert "blocking" in body["detail"]
    worker.join()
    assert first == [200]
    # With the place back, the next one runs.
    assert client.post("/render", json={"id": 3, "seconds": 0}).json()["rendered"] == 3


def test_exceptions_in_blocking_handlers_are_500(serve: Serve) -> None:
    client = serve(slow_app(threads=2, queue=2), raise_server_exceptions=False)
    assert_problem(client.get("/fails"), 500)
    assert client.get("/health").json() == {"ok": True}


def test_blocking_is_for_def_handlers() -> None:
    with pytest.raises(TypeError, match="blocking=True is for `def` handlers"):

        @Spikard().get("/x", blocking=True)
        async def nope() -> None: ...


def test_sync_handlers_pool_runs_every_def_handler_off_the_dispatcher(serve: Serve) -> None:
    def threads_app(sync_handlers: str) -> Spikard:
        app = Spikard(sync_handlers=sync_handlers)  # type: ignore[arg-type]

        @app.get("/def")
        def plain() -> str:
            return threading.current_thread().name

        @app.get("/inline", blocking=False)
        def inline() -> str:
            return threading.current_thread().name

        @app.get("/async")
        async def coroutine() -> str:
            return threading.current_thread().name

        return app

    # `async def` handlers always run on the dispatcher (the loop's thread).
    default = serve(threads_app("dispatcher"))
    dispatcher = default.get("/async").json()
    assert default.get("/def").json() == dispatcher
    pool = serve(threads_app("pool"))
    dispatcher = pool.get("/async").json()
    assert pool.get("/def").json() != dispatcher
    assert pool.get("/inline").json() == dispatcher
    with pytest.raises(ValueError, match="sync_handlers"):
        Spikard(sync_handlers="threads")  # type: ignore[arg-type]


def test_a_handler_holding_the_dispatcher_is_named_in_the_log(
    serve: Serve, capfd: pytest.CaptureFixture[str]
) -> None:
    app = Spikard(slow_handler_warning=0.2)

    @app.get("/stalls")
    def stalls() -> dict:
        time.sleep(0.8)  # blocks the dispatcher: the mistake the warning is for
        return {"ok": True}

    @app.get("/quick")
    def quick() -> dict:
        return {"ok": True}

    client = serve(app)
    assert client.get("/quick").json() == {"ok": True}
    assert "held the dispatcher" not in capfd.readouterr().err
    assert client.get("/stalls").json() == {"ok": True}
    err = capfd.readouterr().err
    assert "a handler has held the dispatcher for more than 0.20 s" in err
    assert "GET /stalls held the dispatcher for at least" in err
    with pytest.raises(ValueError, match="slow_handler_warning"):
        Spikard(slow_handler_warning=0).build_server()
