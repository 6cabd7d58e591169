"""`TestClient`: the app served on an ephemeral loopback port, driven over real HTTP."""

from __future__ import annotations

import http.client
import json as _json
import weakref
from collections.abc import Mapping, Sequence
from email.message import Message
from typing import Any
from urllib.parse import urlencode

from spikard.app import Spikard

_UNSET: Any = object()

Params = Mapping[str, Any] | Sequence[tuple[str, Any]]


class TestResponse:
    """What the server answered."""

    __test__ = False  # not a pytest test class

    def __init__(self, status_code: int, headers: Message, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        charset = self.headers.get_content_charset() or "utf-8"
        return self.content.decode(charset, errors="replace")

    def json(self) -> Any:
        return _json.loads(self.content)

    def __repr__(self) -> str:
        return f"<TestResponse [{self.status_code}]>"


class TestClient:
    """Serves `app` on 127.0.0.1 with an ephemeral port until `close()` (or the end of a
    `with` block, or garbage collection) and sends real HTTP/1.1 requests over one
    keep-alive connection.

    >>> with TestClient(app) as client:  # doctest: +SKIP
    ...     assert client.get("/health").json() == {"ok": True}
    """

    __test__ = False

    def __init__(self, app: Spikard, *, timeout: float = 30.0) -> None:
        self.app = app
        self._server = app.build_server("127.0.0.1", 0)
        self.host, self.port = self._server.start()
        self.base_url = f"http://{self.host}:{self.port}"
        self._timeout = timeout
        self._conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        self._finalizer = weakref.finalize(self, _shutdown, self._server, self._conn)

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> TestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        json: Any = _UNSET,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> TestResponse:
        """Send one request. `json` is encoded with `application/json`; `content` is sent as
        is; `params` become the query string (sequences repeat the key)."""
        if not self._finalizer.alive:
            raise RuntimeError("this TestClient is closed")
        send_headers = {k.lower(): v for k, v in (headers or {}).items()}
        body: bytes | None = None
        if json is not _UNSET:
            body = _json.dumps(json).encode()
            send_headers.setdefault("content-type", "application/json")
        elif content is not None:
            body = content.encode() if isinstance(content, str) else content
        if cookies:
            send_headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params, doseq=True)
        return self._send(method.upper(), url, body, send_headers)

    def _send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> TestResponse:
        for attempt in (1, 2):
            try:
                self._conn.request(method, url, body=body, headers=headers)
                response = self._conn.getresponse()
                content = response.read()
                return TestResponse(response.status, response.headers, content)
            except (ConnectionError, http.client.BadStatusLine) as exc:
                # The server may close a keep-alive connection (e.g. after an early 413);
                # reconnect once.
                self._conn.close()
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self._timeout)
                if attempt == 2:
                    raise exc
        raise AssertionError("unreachable")

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("OPTIONS", url, **kwargs)


def _shutdown(server: Any, conn: http.client.HTTPConnection) -> None:
    conn.close()
    server.stop()
