"""The documented parameter styles type-check under `mypy --strict` (the markers are
functions returning `Any`, as FastAPI's are) and serve the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import pytest
from typed_app import app

from conftest import Serve
from spikard import Query, Spikard

HERE = Path(__file__).parent


def test_every_marker_style_passes_mypy_strict(tmp_path: Path) -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), str(HERE / "typed_app.py")],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_both_styles_serve(serve: Serve) -> None:
    client = serve(app)
    response = client.post(
        "/defaults/3?q=x&limit=5",
        json={"note": "hi"},
        headers={"user-agent": "t", "cookie": "session=s", "x-token": "tok"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "item_id": 3,
        "q": "x",
        "limit": 5,
        "user_agent": "t",
        "session": "s",
        "db": "db",
        "user": "tok",
        "note": "hi",
    }
    # The constraints given in the default style are checked like the Annotated ones.
    response = client.post(f"/defaults/0?limit=0&q={'x' * 51}", json={"note": ""})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [
        ["path", "item_id"],
        ["query", "q"],
        ["query", "limit"],
        ["body", "note"],
    ]
    response = client.get("/annotated/4?tags=a&tags=b", headers={"user-agent": "u"})
    assert response.json() == {
        "item_id": 4,
        "db": "db",
        "tags": ["a", "b"],
        "limit": 10,
        "user_agent": "u",
        "session": None,
    }


def test_a_marker_in_both_places_is_refused() -> None:
    app = Spikard()
    with pytest.raises(TypeError, match="not both"):

        @app.get("/both")
        def both(limit: Annotated[int, Query(ge=1)] = Query(10)) -> int:
            return limit


def test_an_unknown_constraint_is_refused_not_ignored() -> None:
    with pytest.raises(TypeError, match=r"unknown constraint.*gee"):
        Query(10, gee=1)  # type: ignore[call-arg]
