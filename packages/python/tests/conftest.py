"""Every test talks to a real Spikard server on 127.0.0.1 through `TestClient`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from spikard import Spikard
from spikard.testing import TestClient

Serve = Callable[..., TestClient]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a server for an app built inside the test (keywords go to `TestClient`); all
    are stopped afterwards."""
    clients: list[TestClient] = []

    def start(app: Spikard, **kwargs: Any) -> TestClient:
        client = TestClient(app, **kwargs)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.close()


def assert_problem(response: object, status: int, slug: str | None = None) -> dict:
    """The response is a problem+json document with this status (and type slug)."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    if slug is not None:
        assert body["type"] == f"https://spikard.dev/errors/{slug}"
    return body


def comparable_with_fastapi(body: Any) -> Any:
    """An error body in FastAPI's shape, with the one documented difference set aside
    (docs/migrating-from-fastapi.md): where pydantic's error carries the exception a
    validator raised (`ctx.error`), FastAPI writes `{}` and Spikard the exception's text."""
    if isinstance(body, dict) and isinstance(body.get("detail"), list):
        for error in body["detail"]:
            if error.get("type") == "value_error" and "error" in error.get("ctx", {}):
                error["ctx"]["error"] = "<the exception>"
    return body
