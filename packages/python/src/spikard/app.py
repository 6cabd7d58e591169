"""The `Spikard` application: route decorators and serving."""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from spikard import _spikard
from spikard.lifespan import Lifespan, LifespanFactory, State
from spikard.params import ParamDesc, analyze

F = TypeVar("F", bound=Callable[..., Any])
H = TypeVar("H", bound=Callable[[], Any])

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Route:
    """A registered route, as `spikard._spikard.Server` reads it."""

    methods: list[str]
    path: str
    handler: Callable[..., Any]
    params: list[ParamDesc]
    status_code: int
    is_async: bool
    blocking: bool


class Spikard:
    """A Spikard application.

    >>> app = Spikard()
    >>> @app.get("/items/{item_id}")
    ... def read_item(item_id: int, q: str | None = None) -> dict:
    ...     return {"item_id": item_id, "q": q}
    """

    def __init__(
        self,
        *,
        debug: bool = False,
        body_limit: int = 10 * 1024 * 1024,
        shutdown_timeout: float = 10.0,
        profile: bool | None = None,
        blocking_threads: int = 8,
        blocking_queue: int = 64,
        lifespan: LifespanFactory | None = None,
    ) -> None:
        """`profile` turns on per-request phase timings at `GET /__spikard/profile`
        (default: on when the environment has `SPIKARD_PROFILE=1`). Handlers registered with
        `blocking=True` run on a pool of `blocking_threads` threads; past that many running
        plus `blocking_queue` waiting, their requests are answered 503 with `Retry-After`."""
        self.blocking_threads = blocking_threads
        self.blocking_queue = blocking_queue
        self.state = State()
        self._lifespan = Lifespan(self, lifespan)
        self.debug = debug
        self.profile = os.environ.get("SPIKARD_PROFILE") == "1" if profile is None else profile
        self.body_limit = body_limit
        self.shutdown_timeout = shutdown_timeout
        self.routes: list[Route] = []

    def route(
        self,
        path: str,
        methods: Iterable[str] = ("GET",),
        *,
        status_code: int = 200,
        blocking: bool = False,
    ) -> Callable[[F], F]:
        """Register the decorated function for `methods` on `path` (`/users/{id}`).

        `blocking=True` runs a `def` handler that blocks (sleeps, waits on I/O, computes for
        long) on the blocking pool, so it stalls no other request."""
        methods = [m.upper() for m in methods]
        for m in methods:
            if m not in _METHODS:
                raise ValueError(f"route {path}: unsupported method {m!r}")

        def register(func: F) -> F:
            label = f"{','.join(methods)} {path}"
            params = analyze(label, path, func)
            is_async = inspect.iscoroutinefunction(func)
            if blocking and is_async:
                raise TypeError(f"route {label}: blocking=True is for `def` handlers, not `async def`")
            self.routes.append(Route(methods, path, func, params, status_code, is_async, blocking))
            return func

        return register

    def on_startup(self, hook: H) -> H:
        """Run `hook` (sync or async) on the server's loop before the first request."""
        self._lifespan.startup_hooks.append(hook)
        return hook

    def on_shutdown(self, hook: H) -> H:
        """Run `hook` (sync or async) after the last request has drained."""
        self._lifespan.shutdown_hooks.append(hook)
        return hook

    def get(self, path: str, *, status_code: int = 200, blocking: bool = False) -> Callable[[F], F]:
        return self.route(path, ["GET"], status_code=status_code, blocking=blocking)

    def post(self, path: str, *, status_code: int = 200, blocking: bool = False) -> Callable[[F], F]:
        return self.route(path, ["POST"], status_code=status_code, blocking=blocking)

    def put(self, path: str, *, status_code: int = 200, blocking: bool = False) -> Callable[[F], F]:
        return self.route(path, ["PUT"], status_code=status_code, blocking=blocking)

    def patch(self, path: str, *, status_code: int = 200, blocking: bool = False) -> Callable[[F], F]:
        return self.route(path, ["PATCH"], status_code=status_code, blocking=blocking)

    def delete(self, path: str, *, status_code: int = 200, blocking: bool = False) -> Callable[[F], F]:
        return self.route(path, ["DELETE"], status_code=status_code, blocking=blocking)

    def head(self, path: str, *, status_code: int = 200, blocking: bool = False) -> Callable[[F], F]:
        return self.route(path, ["HEAD"], status_code=status_code, blocking=blocking)

    def options(self, path: str, *, status_code: int = 200, blocking: bool = False) -> Callable[[F], F]:
        return self.route(path, ["OPTIONS"], status_code=status_code, blocking=blocking)

    def build_server(self, host: str = "127.0.0.1", port: int = 8000) -> _spikard.Server:
        """Compile the routes into a native server (validating every route) without serving."""
        return _spikard.Server(
            self.routes,
            host=host,
            port=port,
            body_limit=self.body_limit,
            shutdown_timeout=self.shutdown_timeout,
            debug=self.debug,
            profile=self.profile,
            blocking_threads=self.blocking_threads,
            blocking_queue=self.blocking_queue,
            lifespan=self._lifespan,
        )

    def run(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        """Serve until SIGINT or SIGTERM, then finish in-flight requests and return."""
        server = self.build_server(host, port)
        # On SIGINT the server drains and returns; Python may then notice the signal late.
        with contextlib.suppress(KeyboardInterrupt):
            server.serve()
