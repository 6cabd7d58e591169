"""`TestClient`: Starlette's test client, for a Spikard app served on an ephemeral loopback
port and driven over real HTTP.

`TestClient` is an `httpx.Client`, as Starlette's is: the same methods, keywords
(`params=`, `json=`, `content=`, `data=`, `files=`, `headers=`, `cookies=`, `auth=`,
`follow_redirects=`), cookie jar and `httpx.Response` answers, so a FastAPI test file ports
by changing its imports. Needs httpx: `pip install "spikard[testing]"`.
"""

from __future__ import annotations

import collections
import logging
import threading
import weakref
from types import TracebackType
from typing import Any, Literal

try:
    import httpx
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        'spikard.testing needs httpx: pip install "spikard[testing]" (or pip install httpx)'
    ) from exc
from httpx._client import USE_CLIENT_DEFAULT, UseClientDefault
from httpx._types import (
    AuthTypes,
    CookieTypes,
    HeaderTypes,
    QueryParamTypes,
    RequestContent,
    RequestData,
    RequestExtensions,
    RequestFiles,
    TimeoutTypes,
)

from spikard import _spikard
from spikard.app import Spikard

__all__ = ["TestClient", "TestResponse"]

# What the client answers with (the name the client's first version used).
TestResponse = httpx.Response


class TestClient(httpx.Client):
    """Serves `app` on 127.0.0.1 with an ephemeral port until `close()` (or the end of a
    `with` block, or garbage collection), and sends it real HTTP/1.1 requests through httpx.

    >>> with TestClient(app) as client:  # doctest: +SKIP
    ...     assert client.get("/health").json() == {"ok": True}

    The server starts here, so the app's startup hooks and lifespan have run when the
    constructor returns (a failing one raises `StartupError`); its shutdown hooks run when the
    client is closed. `with TestClient(app) as client:` thus runs both around its block as in
    Starlette, where a client used without `with` runs neither; here it runs them anyway.

    Starlette's keywords:

    - `base_url`: the URL requests are made against, as in Starlette: it gives the `Host`
      header the app sees, a path prefix, and the domain and scheme the cookie jar matches
      cookies with. Whatever its host, every request (redirects included) is sent to the
      app's server on loopback, over plain HTTP. Default: the server's real address,
      `http://127.0.0.1:PORT` (Starlette's is `http://testserver`), so `client.base_url`
      can be handed to other HTTP tools.
    - `raise_server_exceptions`: an exception a handler (or its dependencies, or the encoding
      of its return value) raised, which the server logged to the `spikard` logger and
      answered 500, is raised again from the client call that caused it. False: the 500
      problem response is returned.
    - `cookies`, `headers`: sent with every request; `follow_redirects` (default True).
    - `root_path` and `backend`/`backend_options` are accepted only at values that change
      nothing (`""`, `"asyncio"`, None): Spikard has no root path, and handlers run on the
      server's own asyncio loop (uvloop when installed).

    `timeout` (seconds, or an `httpx.Timeout`) bounds each request. The server's address
    is also in `host`, `port` and `server_url`.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: Spikard,
        base_url: str | None = None,
        raise_server_exceptions: bool = True,
        root_path: str = "",
        backend: Literal["asyncio", "trio"] = "asyncio",
        backend_options: dict[str, Any] | None = None,
        cookies: CookieTypes | None = None,
        headers: HeaderTypes | None = None,
        follow_redirects: bool = True,
        *,
        timeout: TimeoutTypes = 30.0,
    ) -> None:
        if root_path:
            raise ValueError(
                f"TestClient(root_path={root_path!r}): Spikard apps have no root path; "
                "put the prefix in the routes (or in base_url)"
            )
        if backend != "asyncio" or backend_options:
            raise ValueError(
                "TestClient: handlers run on the Spikard server's own asyncio loop (uvloop "
                "when installed); backend and backend_options cannot change it"
            )
        if base_url is not None:
            parsed = httpx.URL(base_url)
            if parsed.scheme not in ("http", "https") or not parsed.host:
                raise ValueError(f"TestClient(base_url={base_url!r}): not an absolute http(s) URL")
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        server = app.build_server("127.0.0.1", 0)
        self.host, self.port = server.start()
        self.server_url = f"http://{self.host}:{self.port}"
        transport = _Loopback(self.host, self.port, app.keep_alive_timeout)
        self._finalizer = weakref.finalize(self, _shutdown, transport, server)
        self._routes = frozenset(f"{','.join(r.methods)} {r.path}" for r in app.routes)
        try:
            super().__init__(
                base_url=self.server_url if base_url is None else base_url,
                headers=headers,
                cookies=cookies,
                follow_redirects=follow_redirects,
                timeout=timeout,
                transport=transport,
                trust_env=False,
            )
        except BaseException:
            self._finalizer()
            raise

    def request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: Any | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> httpx.Response:
        """`httpx.Client.request`, without its deprecation warning for per-request
        `cookies=`: in a test client they are unambiguous (sent with this request, merged
        with the jar, not stored), and Starlette-era tests pass them on every call."""
        request = self.build_request(
            method=method,
            url=url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            timeout=timeout,
            extensions=extensions,
        )
        return self.send(request, auth=auth, follow_redirects=follow_redirects)

    def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        if not self._finalizer.alive:
            raise RuntimeError("this TestClient is closed (its server has stopped); create a new one")
        since = _handler_exceptions.mark()
        response = super().send(request, stream=stream, auth=auth, follow_redirects=follow_redirects)
        if self.raise_server_exceptions and response.status_code == 500:
            raised = _handler_exceptions.claim(since, self._routes)
            if raised is not None:
                response.close()
                raise raised
        return response

    def close(self) -> None:
        """Close the connections and stop the server (its shutdown hooks run); closing
        again does nothing."""
        try:
            super().close()
        finally:
            self._finalizer()

    def __enter__(self) -> TestClient:
        # The server already runs (it started in __init__); unlike httpx's, a client that
        # has sent requests may still be entered.
        if not self._finalizer.alive:
            raise RuntimeError("this TestClient is closed (its server has stopped); create a new one")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()


class _Loopback(httpx.BaseTransport):
    """Sends every request to the server at `host:port` over plain HTTP, whatever its URL
    says (the `Host` header, already set from that URL, is kept), as Starlette's transport
    hands every request to the app."""

    def __init__(self, host: str, port: int, keep_alive_timeout: float) -> None:
        self._host = host
        self._port = port
        # Idle connections are dropped well before the server would close them, so a request
        # never races the server's close of the connection it is written to.
        limits = httpx.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=keep_alive_timeout / 2
        )
        self._transport = httpx.HTTPTransport(limits=limits)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # A new request: the client keeps the original (its URL decides cookies and where
        # relative redirects lead).
        forwarded = httpx.Request(
            request.method,
            request.url.copy_with(scheme="http", host=self._host, port=self._port),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return self._transport.handle_request(forwarded)

    def close(self) -> None:
        self._transport.close()


class _HandlerExceptions(logging.Filter):
    """Watches the `spikard` logger for the exceptions the server logs when a handler
    raises (`Exception in handler for <route>`), so the client whose request it answered
    500 can raise them. A filter, not a handler: it changes nowhere the records go (nor
    whether logging falls back to stderr)."""

    # Written by `log_exception` in crates/spikard-py/src/errors.rs.
    MESSAGE = "Exception in handler for %s"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._count = 0
        # (sequence number, route label, exception); old ones nobody claimed fall off.
        self._seen: collections.deque[tuple[int, str, BaseException]] = collections.deque(maxlen=64)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == self.MESSAGE and isinstance(record.args, tuple) and len(record.args) == 1:
            exc = record.exc_info[1] if record.exc_info else None
            if exc is not None:
                with self._lock:
                    self._count += 1
                    self._seen.append((self._count, str(record.args[0]), exc))
        return True

    def mark(self) -> int:
        with self._lock:
            return self._count

    def claim(self, since: int, routes: frozenset[str]) -> BaseException | None:
        """The first exception logged after `mark()` returned `since` by one of `routes`
        (labels `GET,POST /path`), removed so no other request raises it."""
        with self._lock:
            for seen in self._seen:
                if seen[0] > since and seen[1] in routes:
                    self._seen.remove(seen)
                    return seen[2]
        return None


_handler_exceptions = _HandlerExceptions()
logging.getLogger("spikard").addFilter(_handler_exceptions)


def _shutdown(transport: httpx.BaseTransport, server: _spikard.Server) -> None:
    try:
        transport.close()
    finally:
        server.stop()
