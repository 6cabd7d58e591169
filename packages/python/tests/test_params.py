from __future__ import annotations

from typing import Annotated

import pytest

from conftest import Serve, assert_problem
from spikard import Cookie, Header, Query, Spikard


@pytest.fixture
def client(serve: Serve):
    app = Spikard()

    @app.get("/query")
    def query(limit: int = 10, offset: int = 0, q: str | None = None, ratio: float = 1.0) -> dict:
        return {"limit": limit, "offset": offset, "q": q, "ratio": ratio}

    @app.get("/required")
    def required(name: str, count: int) -> dict:
        return {"name": name, "count": count}

    @app.get("/lists")
    def lists(ids: list[int], tags: list[str] | None = None) -> dict:
        return {"ids": ids, "tags": tags}

    @app.get("/flags")
    def flags(on: bool = False) -> dict:
        return {"on": on}

    @app.get("/big")
    def big(n: int) -> dict:
        return {"n": n, "doubled": n * 2}

    @app.get("/headers")
    def headers(
        x_token: Annotated[str, Header()],
        user_agent: Annotated[str | None, Header()] = None,
        session: Annotated[str | None, Cookie()] = None,
        page: Annotated[int, Query(alias="p")] = 1,
    ) -> dict:
        return {"x_token": x_token, "user_agent": user_agent, "session": session, "page": page}

    return serve(app)


def test_defaults_and_values(client) -> None:
    assert client.get("/query").json() == {"limit": 10, "offset": 0, "q": None, "ratio": 1.0}
    assert client.get("/query?limit=5&offset=20&q=hi%20there&ratio=0.25").json() == {
        "limit": 5,
        "offset": 20,
        "q": "hi there",
        "ratio": 0.25,
    }
    assert client.get("/query", params={"q": "ünïcödé & more"}).json()["q"] == "ünïcödé & more"


def test_every_error_at_once(client) -> None:
    body = assert_problem(client.get("/query?limit=ten&offset=1.5&ratio=abc"), 422, "validation-error")
    assert body["title"] == "Request Validation Failed"
    assert body["detail"] == "3 validation errors in request"
    assert body["errors"] == [
        {
            "type": "int_parsing",
            "loc": ["query", "limit"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "ten",
        },
        {
            "type": "int_parsing",
            "loc": ["query", "offset"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "1.5",
        },
        {
            "type": "float_parsing",
            "loc": ["query", "ratio"],
            "msg": "Input should be a valid number, unable to parse string as a number",
            "input": "abc",
        },
    ]
    assert client.get("/query").status_code == 200


def test_missing_required(client) -> None:
    body = assert_problem(client.get("/required"), 422)
    assert body["errors"] == [
        {"type": "missing", "loc": ["query", "name"], "msg": "Field required", "input": None},
        {"type": "missing", "loc": ["query", "count"], "msg": "Field required", "input": None},
    ]
    assert client.get("/required?name=a&count=2").json() == {"name": "a", "count": 2}


def test_repeated_keys_become_lists(client) -> None:
    assert client.get("/lists?ids=1&ids=2&ids=3").json() == {"ids": [1, 2, 3], "tags": None}
    assert client.get("/lists", params=[("ids", 4), ("tags", "a"), ("tags", "b")]).json() == {
        "ids": [4],
        "tags": ["a", "b"],
    }
    body = assert_problem(client.get("/lists?ids=1&ids=x&ids=3&ids=y"), 422)
    assert [e["loc"] for e in body["errors"]] == [["query", "ids", 1], ["query", "ids", 3]]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("1", True),
        ("yes", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("off", False),
    ],
)
def test_bools(client, text: str, value: bool) -> None:
    assert client.get(f"/flags?on={text}").json() == {"on": value}


def test_big_integers_stay_exact(client) -> None:
    n = 2**80 + 1
    assert client.get(f"/big?n={n}").json() == {"n": n, "doubled": 2 * n}


def test_headers_cookies_and_aliases(client) -> None:
    response = client.get(
        "/headers?p=3", headers={"X-Token": "secret", "User-Agent": "tests"}, cookies={"session": "s1"}
    )
    assert response.json() == {"x_token": "secret", "user_agent": "tests", "session": "s1", "page": 3}
    body = assert_problem(client.get("/headers?p=x"), 422)
    assert [(e["type"], e["loc"]) for e in body["errors"]] == [
        ("missing", ["header", "x-token"]),
        ("int_parsing", ["query", "p"]),
    ]
