"""The `Spikard` application: route decorators and serving."""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import os
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from spikard import _spikard
from spikard._plan import Route
from spikard.dependencies import compile_route
from spikard.lifespan import Lifespan, LifespanFactory, State
from spikard.openapi import mount_docs
from spikard.params import Dependency
from spikard.response_model import ResponseModel, ResponseOptions
from spikard.responses import Response
from spikard.schema import SchemaSet

if TYPE_CHECKING:
    from typing_extensions import Unpack

F = TypeVar("F", bound=Callable[..., Any])
H = TypeVar("H", bound=Callable[[], Any])

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class RouteOptions(ResponseOptions, total=False):
    """The keyword options of `Spikard.route`, shared by `get`, `post` and the rest."""

    status_code: int
    blocking: bool
    dependencies: Sequence[Dependency]
    response_model: Any
    body_schema: dict[str, Any] | None
    parameter_schema: dict[str, Any] | None
    response_schema: dict[str, Any] | None
    include_in_schema: bool
    summary: str | None
    description: str | None
    tags: Sequence[str]


_FROM_ANNOTATION: Any = object()


def _return_annotation(func: Callable[..., Any]) -> Any:
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:
        return None
    return hints.get("return")


def _response_model(
    label: str, model: Any, options: ResponseOptions
) -> tuple[dict[str, Any] | None, ResponseModel | None]:
    """The JSON Schema of a response declared `model`, and the `ResponseModel` that makes
    what is sent fit it when it holds a model (a plain `int` or `dict` is sent as returned).
    (None, None) for no annotation, `None`, a `Response` or a type JSON Schema cannot
    describe."""
    if model is None or model is type(None) or (isinstance(model, type) and issubclass(model, Response)):
        return None, None
    schemas = SchemaSet()
    try:
        schema, _ = schemas.of(model)
    except TypeError:
        return None, None
    if not schemas.defs:
        return schemas.document(schema), None
    applied = ResponseModel(label, model, options)
    return _sent_fields(schemas.document(schema), options), applied


def _sent_fields(document: dict[str, Any], options: ResponseOptions) -> dict[str, Any]:
    """The documented schema of a model response without the top-level fields that
    `response_model_include` / `_exclude` (given as sets of names) leave out."""
    include, exclude = options.get("response_model_include"), options.get("response_model_exclude")
    ref = document.get("$ref", "")
    name = ref.removeprefix("#/$defs/")
    if not (include or exclude) or name not in document.get("$defs", {}):
        return document
    model = dict(document["$defs"][name])
    kept = {k: v for k, v in model.get("properties", {}).items() if (not include or k in include)}
    kept = {k: v for k, v in kept.items() if not (isinstance(exclude, set) and k in exclude)}
    model["properties"] = kept
    if "required" in model:
        model["required"] = [k for k in model["required"] if k in kept]
    return {**document, "$defs": {**document["$defs"], name: model}}


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
        sync_handlers: Literal["dispatcher", "pool"] = "dispatcher",
        slow_handler_warning: float | None = 0.5,
        lifespan: LifespanFactory | None = None,
        title: str = "Spikard",
        version: str = "0.1.0",
        openapi_url: str | None = "/openapi.json",
        docs_url: str | None = "/docs",
        header_timeout: float = 30.0,
        keep_alive_timeout: float = 5.0,
        body_timeout: float = 30.0,
        max_connections: int = 10_000,
        max_header_size: int = 16 * 1024,
        redirect_slashes: bool = True,
        error_format: Literal["problem", "fastapi"] = "problem",
    ) -> None:
        """`profile` turns on per-request phase timings at `GET /__spikard/profile`
        (default: on when the environment has `SPIKARD_PROFILE=1`). Handlers registered with
        `blocking=True` run on a pool of `blocking_threads` threads; past that many running
        plus `blocking_queue` waiting, their requests are answered 503 with `Retry-After`.

        `def` handlers run on the dispatcher thread, the fastest path, where one that blocks
        delays every other request (`sync_handlers="dispatcher"`, the default); with
        `sync_handlers="pool"` every `def` handler runs on the blocking pool, as FastAPI runs
        them on a thread pool, unless its route says `blocking=False`. A handler that holds the
        dispatcher longer than `slow_handler_warning` seconds is logged, with its route and
        time (None: never).

        The app's OpenAPI 3.1 document (`title`, `version`) is served at `openapi_url` and
        Swagger UI, from files inside the package, at `docs_url`; None turns either off.

        Limits a server facing the internet needs (docs/reliability.md): a client has
        `header_timeout` seconds to send a request's head, a keep-alive connection may idle
        `keep_alive_timeout` seconds between requests, a body that stops arriving for
        `body_timeout` seconds is answered 408; past `max_connections` open connections new
        ones wait in the listen backlog; a head over `max_header_size` bytes is answered 431
        and a body over `body_limit` bytes 413.

        As in FastAPI, a request for a path that is no route, when the same path with (or
        without) a trailing slash is one, is answered 307 to that path (`redirect_slashes`;
        False answers 404).

        Error bodies are RFC 9457 problem details (`application/problem+json`);
        `error_format="fastapi"` writes them as FastAPI does, `{"detail": [...]}` for a 422
        (the same error entries) and `{"detail": "..."}` otherwise, for clients that read
        FastAPI's shape."""
        self.blocking_threads = blocking_threads
        self.blocking_queue = blocking_queue
        if sync_handlers not in ("dispatcher", "pool"):
            raise ValueError(f"sync_handlers must be 'dispatcher' or 'pool', not {sync_handlers!r}")
        self.sync_handlers = sync_handlers
        self.slow_handler_warning = slow_handler_warning
        self.state = State()
        self._lifespan = Lifespan(self, lifespan)
        self.debug = debug
        self.profile = os.environ.get("SPIKARD_PROFILE") == "1" if profile is None else profile
        self.body_limit = body_limit
        self.shutdown_timeout = shutdown_timeout
        self.header_timeout = header_timeout
        self.keep_alive_timeout = keep_alive_timeout
        self.body_timeout = body_timeout
        self.max_connections = max_connections
        self.max_header_size = max_header_size
        self.redirect_slashes = redirect_slashes
        if error_format not in ("problem", "fastapi"):
            raise ValueError(f"error_format must be 'problem' or 'fastapi', not {error_format!r}")
        self.error_format = error_format
        self.routes: list[Route] = []
        # `{dependency: replacement}`, for tests; read when the server is built.
        self.dependency_overrides: dict[Callable[..., Any], Callable[..., Any]] = {}
        self.title = title
        self.version = version
        mount_docs(self, openapi_url, docs_url)

    def route(
        self,
        path: str,
        methods: Iterable[str] = ("GET",),
        *,
        status_code: int = 200,
        blocking: bool | None = None,
        dependencies: Sequence[Dependency] = (),
        response_model: Any = _FROM_ANNOTATION,
        body_schema: dict[str, Any] | None = None,
        parameter_schema: dict[str, Any] | None = None,
        response_schema: dict[str, Any] | None = None,
        include_in_schema: bool = True,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] = (),
        **response_options: Unpack[ResponseOptions],
    ) -> Callable[[F], F]:
        """Register the decorated function for `methods` on `path` (`/users/{id}`).

        `blocking=True` runs a `def` handler that blocks (sleeps, waits on I/O, computes for
        long) on the blocking pool, so it stalls no other request; `blocking=False` runs it on
        the dispatcher; the default follows the app's `sync_handlers`. `dependencies` run before
        the handler, their values unused (checks that may refuse the request).

        The response model is `response_model`, or else the handler's return annotation
        (`None` turns it off). It documents the response in OpenAPI and, when it holds a
        model, what the handler returns is validated against it and sent as the model's JSON,
        as FastAPI does (`spikard.response_model`; the `response_model_*` keywords are
        FastAPI's). `summary` and `description` default to the handler's docstring,
        `include_in_schema=False` leaves the route out.

        Schema-first routes give JSON Schemas instead of annotations: `body_schema` for the
        argument named `body`, `parameter_schema` (an object schema whose properties carry
        `"in"`) for the parameters, `response_schema` for the documented response; they are
        validated by the same Rust code with the same errors."""
        methods = [m.upper() for m in methods]
        for m in methods:
            if m not in _METHODS:
                raise ValueError(f"route {path}: unsupported method {m!r}")

        def register(func: F) -> F:
            label = f"{','.join(methods)} {path}"
            is_async = inspect.iscoroutinefunction(func)
            if blocking and is_async:
                raise TypeError(f"route {label}: blocking=True is for `def` handlers, not `async def`")
            on_pool = blocking if blocking is not None else not is_async and self.sync_handlers == "pool"
            model = _return_annotation(func) if response_model is _FROM_ANNOTATION else response_model
            documented, applied = _response_model(label, model, response_options)
            if response_schema is not None:
                documented, applied = response_schema, None
            doc = inspect.getdoc(func) or ""
            first, _, rest = doc.partition("\n\n")
            route = Route(
                methods,
                path,
                func,
                [],
                status_code,
                is_async,
                on_pool,
                list(dependencies),
                func,
                schemas={"body_schema": body_schema, "parameter_schema": parameter_schema},
                response_schema=documented,
                include_in_schema=include_in_schema,
                summary=summary if summary is not None else (first.replace("\n", " ") or None),
                description=description if description is not None else (rest.strip() or None),
                tags=list(tags),
                response_model=applied,
            )
            self.routes.append(self._compiled(route, {}))  # checks every parameter now
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

    def get(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.route(path, ["GET"], **options)

    def post(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.route(path, ["POST"], **options)

    def put(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.route(path, ["PUT"], **options)

    def patch(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.route(path, ["PATCH"], **options)

    def delete(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.route(path, ["DELETE"], **options)

    def head(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.route(path, ["HEAD"], **options)

    def options(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.route(path, ["OPTIONS"], **options)

    def _compiled(self, route: Route, overrides: dict[Callable[..., Any], Callable[..., Any]]) -> Route:
        """`route` as the server runs it: its extraction plan, and the callable that solves
        its dependencies (with `overrides` applied) and calls the handler."""
        label = f"{','.join(route.methods)} {route.path}"
        compiled = compile_route(
            label,
            route.path,
            route.endpoint,
            route.dependencies,
            overrides,
            route.blocking,
            route.schemas,
        )
        return dataclasses.replace(
            route, handler=compiled.handler, params=compiled.params, is_async=compiled.is_async
        )

    def build_server(self, host: str = "127.0.0.1", port: int = 8000) -> _spikard.Server:
        """Compile the routes into a native server (validating every route) without serving.
        `dependency_overrides` are read here: set them before the server is built."""
        return _spikard.Server(
            # Registration compiled every route without overrides; only overrides need it again.
            [self._compiled(r, self.dependency_overrides) for r in self.routes]
            if self.dependency_overrides
            else self.routes,
            host=host,
            port=port,
            body_limit=self.body_limit,
            shutdown_timeout=self.shutdown_timeout,
            debug=self.debug,
            profile=self.profile,
            blocking_threads=self.blocking_threads,
            blocking_queue=self.blocking_queue,
            lifespan=self._lifespan,
            header_timeout=self.header_timeout,
            keep_alive_timeout=self.keep_alive_timeout,
            body_timeout=self.body_timeout,
            max_connections=self.max_connections,
            max_header_size=self.max_header_size,
            redirect_slashes=self.redirect_slashes,
            slow_handler_warning=self.slow_handler_warning,
            error_format=self.error_format,
            app=self,
        )

    def run(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        """Serve until SIGINT or SIGTERM, then finish in-flight requests and return."""
        server = self.build_server(host, port)
        # On SIGINT the server drains and returns; Python may then notice the signal late.
        with contextlib.suppress(KeyboardInterrupt):
            server.serve()
