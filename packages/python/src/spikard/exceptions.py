"""Exceptions a handler raises to answer with an error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spikard.responses import checked_headers


class StartupError(RuntimeError):
    """The app's startup (an `on_startup` hook or the lifespan) failed; nothing was served."""


class HTTPException(Exception):
    """Answer the request with `status_code` and a problem+json body carrying `detail`.

    `detail` is usually a sentence; a dict or list is kept as JSON. `headers` are added
    to the response (e.g. `WWW-Authenticate`); framing headers such as `Content-Length` are
    refused with ValueError, as for `Response`.
    """

    def __init__(
        self, status_code: int, detail: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = checked_headers(headers)

    def __repr__(self) -> str:
        return f"HTTPException(status_code={self.status_code!r}, detail={self.detail!r})"


class RequestValidationError(Exception):
    """Answer 422 with `errors` listed in the problem+json body, exactly as Spikard lists the
    errors it finds itself: each a dict shaped like a pydantic v2 error, `type`, `loc`
    (starting with `body`, `query`, `path`, `header` or `cookie`), `msg`, `input` and
    optionally `ctx`.

    Spikard raises it when a pydantic model's own validators refuse a body; a handler or
    dependency may raise it too, as in FastAPI."""

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(errors)
        self._errors = [dict(e) for e in errors]

    def errors(self) -> list[dict[str, Any]]:
        return self._errors

    def __str__(self) -> str:
        n = len(self._errors)
        return f"{n} validation error{'s' if n != 1 else ''}: {self._errors!r}"
