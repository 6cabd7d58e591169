"""`Depends`: sub-dependencies, per-request caching, sync and async callables, generator
cleanup after the response, exceptions and `dependency_overrides`, through real servers.

(No `from __future__ import annotations`: the dependencies are local to the tests, and
annotations that name locals must be evaluated where they are written.)"""

import asyncio
import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated

import pytest

from conftest import Serve, assert_problem
from spikard import BackgroundTasks, Depends, Header, HTTPException, Path, Query, Request, Spikard


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_sub_dependencies_read_the_request_and_feed_the_handler(serve: Serve) -> None:
    app = Spikard()

    def pagination(offset: int = 0, limit: Annotated[int, Query(alias="page-size")] = 10) -> dict:
        return {"offset": offset, "limit": limit}

    async def user(x_user: Annotated[str, Header()]) -> str:
        await asyncio.sleep(0)
        return x_user.upper()

    async def listing(page: Annotated[dict, Depends(pagination)], who: Annotated[str, Depends(user)]) -> dict:
        return {"page": page, "who": who}

    @app.get("/items")
    def items(q: str, view: Annotated[dict, Depends(listing)]) -> dict:
        return {"q": q, **view}

    client = serve(app)
    got = client.get("/items?q=a&offset=5&page-size=2", headers={"x-user": "ada"}).json()
    assert got == {"q": "a", "page": {"offset": 5, "limit": 2}, "who": "ADA"}
    # The handler's and the dependencies' parameters are validated together, all errors at once.
    body = assert_problem(client.get("/items?offset=x"), 422, "validation-error")
    assert sorted(tuple(e["loc"]) for e in body["errors"]) == [
        ("header", "x-user"),
        ("query", "offset"),
        ("query", "q"),
    ]


def test_a_dependency_runs_once_per_request_unless_use_cache_is_false(serve: Serve) -> None:
    calls = {"cached": 0, "fresh": 0}
    app = Spikard()

    def cached() -> int:
        calls["cached"] += 1
        return calls["cached"]

    def fresh() -> int:
        calls["fresh"] += 1
        return calls["fresh"]

    def first(a: Annotated[int, Depends(cached)], b: Annotated[int, Depends(fresh, use_cache=False)]) -> list:
        return [a, b]

    def second(
        a: Annotated[int, Depends(cached)], b: Annotated[int, Depends(fresh, use_cache=False)]
    ) -> list:
        return [a, b]

    @app.get("/")
    def handler(x: list = Depends(first), y: list = Depends(second)) -> dict:  # noqa: B008
        return {"x": x, "y": y}

    client = serve(app)
    assert client.get("/").json() == {"x": [1, 1], "y": [1, 2]}
    # A new request gets new values.
    assert client.get("/").json() == {"x": [2, 3], "y": [2, 4]}


def test_classes_and_the_annotation_as_dependency(serve: Serve) -> None:
    app = Spikard()

    @dataclass
    class Paging:
        offset: int = 0
        limit: int = 10

    class Settings:
        def __init__(self, request: Request) -> None:
            self.path = request.path

    @app.get("/page")
    def page(paging: Annotated[Paging, Depends()], settings: Settings = Depends()) -> dict:  # noqa: B008
        return {"offset": paging.offset, "limit": paging.limit, "path": settings.path}

    client = serve(app)
    assert client.get("/page?limit=3").json() == {"offset": 0, "limit": 3, "path": "/page"}
    body = assert_problem(client.get("/page?limit=lots"), 422, "validation-error")
    assert body["errors"][0]["loc"] == ["query", "limit"]


def make_resource_app(events: list[str], released: threading.Event) -> Spikard:
    app = Spikard()

    def connection() -> Iterator[str]:
        events.append("open connection")
        try:
            yield "conn"
        finally:
            events.append("close connection")

    async def session(conn: Annotated[str, Depends(connection)]) -> AsyncIterator[str]:
        events.append("open session")
        try:
            yield f"session on {conn}"
        except ValueError as exc:
            events.append(f"session saw {exc}")
            raise
        finally:
            # Holds the cleanup until the test has seen the response.
            await asyncio.to_thread(released.wait, 5)
            events.append("close session")

    @app.get("/use")
    def use(s: Annotated[str, Depends(session)], tasks: BackgroundTasks) -> dict:
        events.append("handler")
        tasks.add_task(events.append, "background task")
        return {"session": s}

    @app.get("/fail")
    async def fail(s: Annotated[str, Depends(session)]) -> dict:
        events.append("handler")
        raise ValueError("bad row")

    @app.get("/hang")
    async def hang(s: Annotated[str, Depends(session)]) -> dict:
        events.append("handler")
        await asyncio.sleep(30)
        return {}

    return app


def test_generator_cleanup_runs_after_the_response_in_reverse_order(serve: Serve) -> None:
    events: list[str] = []
    released = threading.Event()
    client = serve(make_resource_app(events, released))
    assert client.get("/use").json() == {"session": "session on conn"}
    # The response arrived while the session's cleanup is still waiting.
    wait_for(lambda: "background task" in events)
    assert events == ["open connection", "open session", "handler", "background task"]
    released.set()
    wait_for(lambda: len(events) == 6)
    assert events[4:] == ["close session", "close connection"]


def test_handler_exceptions_are_thrown_into_generators(serve: Serve) -> None:
    events: list[str] = []
    released = threading.Event()
    released.set()
    client = serve(make_resource_app(events, released), raise_server_exceptions=False)
    assert_problem(client.get("/fail"), 500, "internal-server-error")
    wait_for(lambda: "close connection" in events)
    assert events == [
        "open connection",
        "open session",
        "handler",
        "session saw bad row",
        "close session",
        "close connection",
    ]


def test_a_disconnect_still_closes_the_dependencies(serve: Serve) -> None:
    events: list[str] = []
    released = threading.Event()
    released.set()
    client = serve(make_resource_app(events, released))
    sock = socket.create_connection((client.host, client.port))
    sock.sendall(b"GET /hang HTTP/1.1\r\nhost: x\r\n\r\n")
    wait_for(lambda: "handler" in events)
    sock.close()
    wait_for(lambda: "close connection" in events)
    assert events == ["open connection", "open session", "handler", "close session", "close connection"]


def test_exceptions_in_dependencies(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    events: list[str] = []
    app = Spikard()

    def token(authorization: Annotated[str | None, Header()] = None) -> str:
        if authorization != "Bearer good":
            raise HTTPException(401, "Not authenticated", headers={"www-authenticate": "Bearer"})
        return "user-1"

    async def broken() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("database is down")

    def opened() -> Iterator[int]:
        events.append("opened")
        try:
            yield 1
        finally:
            events.append("closed")

    def failing_cleanup() -> Iterator[int]:
        yield 2
        raise RuntimeError("cleanup exploded")

    @app.get("/me")
    def me(user: Annotated[str, Depends(token)]) -> dict:
        return {"user": user}

    @app.get("/broken")
    def uses_broken(first: Annotated[int, Depends(opened)], n: Annotated[int, Depends(broken)]) -> dict:
        raise AssertionError("not reached")

    @app.get("/messy")
    def messy(n: Annotated[int, Depends(failing_cleanup)]) -> dict:
        return {"n": n}

    client = serve(app, raise_server_exceptions=False)
    response = client.get("/me")
    assert assert_problem(response, 401)["detail"] == "Not authenticated"
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/me", headers={"authorization": "Bearer good"}).json() == {"user": "user-1"}
    with caplog.at_level(logging.ERROR, logger="spikard"):
        assert_problem(client.get("/broken"), 500, "internal-server-error")
        # The generator entered before the failure is still closed.
        wait_for(lambda: events == ["opened", "closed"])
        assert client.get("/messy").json() == {"n": 2}
        wait_for(lambda: any("cleanup of a dependency" in r.getMessage() for r in caplog.records))
    assert any("database is down" in (r.exc_text or "") for r in caplog.records)
    assert any("cleanup exploded" in (r.exc_text or "") for r in caplog.records)
    assert client.get("/me", headers={"authorization": "Bearer good"}).status_code == 200


def test_route_dependencies_guard_the_route(serve: Serve) -> None:
    app = Spikard()

    def api_key(x_key: Annotated[str, Header()]) -> None:
        if x_key != "secret":
            raise HTTPException(403, "Wrong key")

    @app.post("/things", status_code=201, dependencies=[Depends(api_key)])
    def create(body: dict) -> dict:
        return body

    client = serve(app)
    assert_problem(client.post("/things", json={"a": 1}, headers={"x-key": "nope"}), 403)
    body = assert_problem(client.post("/things", json={"a": 1}), 422, "validation-error")
    assert body["errors"][0]["loc"] == ["header", "x-key"]
    response = client.post("/things", json={"a": 1}, headers={"x-key": "secret"})
    assert (response.status_code, response.json()) == (201, {"a": 1})


def test_overrides_replace_a_dependency_anywhere_in_the_tree(serve: Serve) -> None:
    app = Spikard()

    def database() -> str:
        raise AssertionError("the real database is not used in tests")

    def repository(db: Annotated[str, Depends(database)]) -> str:
        return f"repo({db})"

    @app.get("/repo")
    def handler(repo: Annotated[str, Depends(repository)]) -> dict:
        return {"repo": repo}

    async def fake_database(name: str = "memory") -> str:
        return name

    app.dependency_overrides[database] = fake_database
    client = serve(app)
    assert client.get("/repo").json() == {"repo": "repo(memory)"}
    # The override's own parameters are read from the request.
    assert client.get("/repo?name=sqlite").json() == {"repo": "repo(sqlite)"}
    app.dependency_overrides.clear()
    assert_problem(serve(app, raise_server_exceptions=False).get("/repo"), 500)


def test_blocking_handlers_with_dependencies_run_on_the_pool(serve: Serve) -> None:
    app = Spikard(blocking_threads=1, blocking_queue=0)
    started = threading.Event()
    release = threading.Event()

    async def loop_name() -> str:
        return threading.current_thread().name

    @app.get("/work", blocking=True)
    def work(dep_thread: Annotated[str, Depends(loop_name)]) -> dict:
        started.set()
        release.wait(5)
        return {"dependency": dep_thread, "handler": threading.current_thread().name}

    client = serve(app)
    results: list[dict] = []

    def first() -> None:
        conn = http.client.HTTPConnection(client.host, client.port, timeout=10)
        conn.request("GET", "/work")
        results.append(json.loads(conn.getresponse().read()))
        conn.close()

    worker = threading.Thread(target=first)
    worker.start()
    assert started.wait(5)
    # The only place in the pool is taken: the next blocking request is refused.
    response = client.get("/work")
    assert assert_problem(response, 503, "service-unavailable") and response.headers["retry-after"] == "1"
    release.set()
    worker.join(5)
    assert results[0]["handler"].startswith("spikard-blocking")
    assert not results[0]["dependency"].startswith("spikard-blocking")


def test_bad_dependency_trees_fail_at_startup() -> None:
    app = Spikard()

    def a(x: Annotated[int, Depends(lambda: 1)]) -> int:
        return x

    def b(y: Annotated[int, Depends(a)]) -> int:
        return y

    @app.get("/ok")
    def ok(v: Annotated[int, Depends(b)]) -> dict:
        return {"v": v}

    def loops(v: Annotated[int, Depends(b)]) -> int:
        return v

    app.dependency_overrides[a] = loops
    with pytest.raises(TypeError, match="dependency cycle"):
        app.build_server()

    with pytest.raises(TypeError, match=r"GET /bad \(dependency .*needs_path\).*no such \{segment\}"):

        def needs_path(item: Annotated[int, Path()]) -> int:
            return item

        @app.get("/bad")
        def bad(v: Annotated[int, Depends(needs_path)]) -> dict:
            return {}


def test_shutdown_lets_cleanup_and_background_tasks_finish(serve: Serve) -> None:
    events: list[str] = []
    app = Spikard()

    async def resource() -> AsyncIterator[int]:
        yield 1
        await asyncio.sleep(0.3)
        events.append("closed")

    async def slow_task() -> None:
        await asyncio.sleep(0.2)
        events.append("task done")

    @app.get("/")
    def handler(r: Annotated[int, Depends(resource)], tasks: BackgroundTasks) -> dict:
        tasks.add_task(slow_task)
        return {"r": r}

    client = serve(app)
    assert client.get("/").json() == {"r": 1}
    client.close()  # returns once the server has stopped
    assert events == ["task done", "closed"]
