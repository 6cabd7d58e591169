"""Responses with a chosen status, headers, cookies or media type, under the names FastAPI
and Starlette use: `Response`, `JSONResponse`, `HTMLResponse`, `PlainTextResponse`,
`RedirectResponse`."""

from __future__ import annotations

import datetime
import email.utils
import http.cookies
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

from spikard import _spikard, datastructures
from spikard._spikard import FRAMING_HEADERS

_FRAMING = frozenset(FRAMING_HEADERS)


def _checked_name(name: str) -> str:
    """`name`, unless it is one the server frames the message with (`Content-Length`,
    `Transfer-Encoding`, `Connection`, ...): a handler's value would disagree with the body
    actually sent and desync the client's connection."""
    if name.lower() in _FRAMING:
        raise ValueError(
            f"the {name!r} header frames the response and is set by the server; a handler cannot set it"
        )
    return name


def checked_headers(headers: Mapping[str, str] | None) -> dict[str, str] | None:
    """`headers` as a dict, refusing the framing headers (see `_checked_name`)."""
    if not headers:
        return None
    return {_checked_name(name): value for name, value in headers.items()}


class Headers(datastructures.Headers):
    """A response's headers: names are case-insensitive and may repeat (`append`, several
    `Set-Cookie` lines). `headers[name] = value` replaces every value of `name`;
    `headers[name]` is its first value. Framing headers are refused (ValueError)."""

    __slots__ = ()

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        super().__init__()
        for name, value in (headers or {}).items():
            self.append(name, value)

    def append(self, name: str, value: str) -> None:
        """Adds a value for `name`, keeping the ones already there."""
        self._items.append((_checked_name(name).lower(), value))

    def __setitem__(self, name: str, value: str) -> None:
        key = _checked_name(name).lower()
        self._items = [(k, v) for k, v in self._items if k != key] + [(key, value)]

    def __delitem__(self, name: str) -> None:
        key = name.lower()
        if key not in self:
            raise KeyError(name)
        self._items = [(k, v) for k, v in self._items if k != key]


class Response:
    """A response built by the handler.

    `content` is sent as-is when it is `bytes` (default media type
    `application/octet-stream`) or `str` (`text/plain; charset=utf-8`); anything else is
    encoded as JSON in Rust (`application/json`). `None` sends an empty body.
    `headers` (a `Headers`: names may repeat) may not set `Content-Length`,
    `Transfer-Encoding`, `Connection` or the other framing headers (ValueError): the server
    frames every response. Subclasses set their own default `media_type`.
    """

    __slots__ = ("content", "headers", "media_type", "status_code")

    # The media type when none is given; None: chosen from the content, as above.
    default_media_type: str | None = None

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        self.content = self.render(content)
        self.status_code = status_code
        self.headers = Headers(headers)
        self.media_type = media_type or self.default_media_type

    def render(self, content: Any) -> Any:
        """What is sent for `content`: here, `content` itself (see the class's rules);
        subclasses encode it their own way."""
        return content

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime.datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        """Adds a `Set-Cookie` header (one per call, so several cookies can be set), with
        Starlette's signature and defaults. `expires` is a datetime, an HTTP date, or
        seconds from now."""
        cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        cookie[key] = value
        morsel = cookie[key]
        if max_age is not None:
            morsel["max-age"] = max_age
        if expires is not None:
            if isinstance(expires, datetime.datetime):
                morsel["expires"] = email.utils.format_datetime(expires, usegmt=True)
            else:
                morsel["expires"] = expires
        if path is not None:
            morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            if samesite.lower() not in ("strict", "lax", "none"):
                raise ValueError("samesite must be 'strict', 'lax' or 'none'")
            morsel["samesite"] = samesite
        self.headers.append("set-cookie", morsel.OutputString())

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        """Tells the client to drop cookie `key` (an expired `Set-Cookie` with the same path
        and domain)."""
        self.set_cookie(
            key,
            max_age=0,
            expires=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, media_type={self.media_type!r})"


class JSONResponse(Response):
    """`content` encoded as JSON (in Rust), `application/json`; a `str` is a JSON string."""

    __slots__ = ()
    default_media_type = "application/json"

    def render(self, content: Any) -> Any:
        # `Response` sends str and bytes as they are; here every value is JSON, `None` too.
        return _spikard.dumps(content) if content is None or isinstance(content, str) else content


class HTMLResponse(Response):
    """`content` (str or bytes) as `text/html; charset=utf-8`."""

    __slots__ = ()
    default_media_type = "text/html; charset=utf-8"


class PlainTextResponse(Response):
    """`content` (str or bytes) as `text/plain; charset=utf-8`."""

    __slots__ = ()
    default_media_type = "text/plain; charset=utf-8"


class RedirectResponse(Response):
    """An empty response sending the client to `url` (307 unless `status_code` says
    otherwise; the URL percent-encoded as Starlette does)."""

    __slots__ = ()

    def __init__(self, url: str, status_code: int = 307, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(b"", status_code, headers)
        self.headers["location"] = quote(str(url), safe=":/%#?=@[]!$&'()*+,;")
