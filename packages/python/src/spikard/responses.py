"""Responses with a chosen status, headers or media type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spikard._spikard import FRAMING_HEADERS

_FRAMING = frozenset(FRAMING_HEADERS)


def checked_headers(headers: Mapping[str, str] | None) -> dict[str, str] | None:
    """`headers` as a dict, refusing the ones the server frames the message with
    (`Content-Length`, `Transfer-Encoding`, `Connection`, ...): a handler's value would
    disagree with the body actually sent and desync the client's connection."""
    if not headers:
        return None
    for name in headers:
        if name.lower() in _FRAMING:
            raise ValueError(
                f"the {name!r} header frames the response and is set by the server; a handler cannot set it"
            )
    return dict(headers)


class Response:
    """A response built by the handler.

    `content` is sent as-is when it is `bytes` (default media type
    `application/octet-stream`) or `str` (`text/plain; charset=utf-8`); anything else is
    encoded as JSON in Rust (`application/json`). `None` sends an empty body.
    `headers` may not set `Content-Length`, `Transfer-Encoding`, `Connection` or the other
    framing headers (ValueError): the server frames every response.
    """

    __slots__ = ("content", "headers", "media_type", "status_code")

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        self.content = content
        self.status_code = status_code
        self.headers = checked_headers(headers)
        self.media_type = media_type

    def __repr__(self) -> str:
        return f"Response(status_code={self.status_code!r}, media_type={self.media_type!r})"
