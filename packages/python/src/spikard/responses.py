"""Responses with a chosen status, headers, cookies or media type, under the names FastAPI
and Starlette use: `Response`, `JSONResponse`, `HTMLResponse`, `PlainTextResponse`,
`RedirectResponse`."""

from __future__ import annotations

import datetime
import email.utils
import http.cookies
from collections.abc import Iterator, Mapping
from typing import Any, Literal
from urllib.parse import quote

from spikard import _spikard
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


class Headers:
    """A response's headers: names are case-insensitive and may repeat (`append`, several
    `Set-Cookie` lines). `headers[name] = value` replaces every value of `name`;
    `headers[name]` is its first value. Framing headers are refused (ValueError)."""

    __slots__ = ("_items",)

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self._items: list[tuple[str, str]] = []
        for name, value in (headers or {}).items():
            self.append(name, value)

    def append(self, name: str, value: str) -> None:
        """Adds a value for `name`, keeping the ones already there."""
        self._items.append((_checked_name(name).lower(), value))

    def getlist(self, name: str) -> list[str]:
        """Every value of `name`, in order."""
        key = name.lower()
        return [v for k, v in self._items if k == key]

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.getlist(name)
        return values[0] if values else default

    def items(self) -> list[tuple[str, str]]:
        """Every `(name, value)` pair, repeated names included, as they will be sent."""
        return list(self._items)

    def keys(self) -> list[str]:
        return [k for k, _ in self._items]

    def __getitem__(self, name: str) -> str:
        values = self.getlist(name)
        if not values:
            raise KeyError(name)
        return values[0]

    def __setitem__(self, name: str, value: str) -> None:
        key = _checked_name(name).lower()
        self._items = [(k, v) for k, v in self._items if k != key] + [(key, value)]

    def __delitem__(self, name: str) -> None:
        key = name.lower()
        if key not in self:
            raise KeyError(name)
        self._items = [(k, v) for k, v in self._items if k != key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(k == name.lower() for k, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return sorted(self._items) == sorted(other._items)
        if isinstance(other, Mapping):
            return sorted(self._items) == sorted((k.lower(), v) for k, v in other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


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
