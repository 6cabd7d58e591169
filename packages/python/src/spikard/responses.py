"""Responses with a chosen status, headers or media type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Response:
    """A response built by the handler.

    `content` is sent as-is when it is `bytes` (default media type
    `application/octet-stream`) or `str` (`text/plain; charset=utf-8`); anything else is
    encoded as JSON in Rust (`application/json`). `None` sends an empty body.
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
        self.headers = dict(headers) if headers else None
        self.media_type = media_type

    def __repr__(self) -> str:
        return f"Response(status_code={self.status_code!r}, media_type={self.media_type!r})"
