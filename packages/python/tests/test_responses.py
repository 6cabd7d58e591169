from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

import pytest

from conftest import Serve, assert_problem
from spikard import Response, Spikard


class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Node:
    next: Node | None


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str = "p"


RETURNS: list[tuple[str, Any, bytes]] = [
    ("dict", {"a": 1, "b": [True, None]}, b'{"a":1,"b":[true,null]}'),
    ("list", [1, "two", 3.5], b'[1,"two",3.5]'),
    ("str", "hello", b'"hello"'),
    ("int", 42, b"42"),
    ("bigint", 2**100, str(2**100).encode()),
    ("float", 0.1, b"0.1"),
    ("bool", False, b"false"),
    ("none", None, b"null"),
    ("tuple", (1, 2), b"[1,2]"),
    ("enum", {"c": Color.RED, "l": Level.HIGH}, b'{"c":"red","l":3}'),
    ("dataclass", Point(1, 2.5), b'{"x":1,"y":2.5,"label":"p"}'),
    ("datetime", dt.datetime(2026, 11, 23, 15, 4, 5), b'"2026-11-23T15:04:05"'),
    ("date", dt.date(2026, 1, 2), b'"2026-01-02"'),
    ("uuid", uuid.UUID(int=1), b'"00000000-0000-0000-0000-000000000001"'),
    ("decimal", Decimal("1.10"), b"1.10"),
    ("int-keys", {1: "a", None: "b", 2.5: "c", False: "d"}, b'{"1":"a","null":"b","2.5":"c","false":"d"}'),
    ("escapes", {"q": 'a"b\\c\n\u0000é'}, b'{"q":"a\\"b\\\\c\\n\\u0000\xc3\xa9"}'),
]


@pytest.fixture
def client(serve: Serve):
    app = Spikard()
    for name, value, _ in RETURNS:
        app.get(f"/ret/{name}")(lambda value=value: value)

    @app.get("/bytes")
    def raw() -> bytes:
        return b"\x00\x01binary"

    @app.post("/created", status_code=201)
    def created() -> dict:
        return {"created": True}

    @app.get("/response/{kind}")
    def response(kind: str) -> Response:
        if kind == "text":
            return Response("plain text", status_code=202, headers={"x-extra": "1"})
        if kind == "html":
            return Response("<h1>hi</h1>", media_type="text/html; charset=utf-8")
        if kind == "json":
            return Response({"a": 1}, status_code=418, headers={"x-tea": "pot"})
        if kind == "empty":
            return Response(status_code=204)
        return Response(b"\x89PNG", media_type="image/png")

    @app.get("/nan")
    def nan() -> float:
        return float("nan")

    @app.get("/unserializable")
    def unserializable() -> object:
        return {"x": object()}

    @app.get("/cycle")
    def cycle() -> list:
        a: list = []
        a.append(a)
        return a

    @app.get("/cycle-dict")
    def cycle_dict() -> dict:
        d: dict = {}
        d["self"] = d
        return d

    @app.get("/cycle-dataclass")
    def cycle_dataclass() -> Node:
        node = Node(None)
        node.next = node
        return node

    # The unencodable values are answered 500 (and not raised in the test).
    return serve(app, raise_server_exceptions=False)


def test_msgspec_and_pydantic_models(serve: Serve) -> None:
    msgspec = pytest.importorskip("msgspec")
    pydantic = pytest.importorskip("pydantic")

    class Pet(msgspec.Struct):
        name: str
        born: dt.date

    class Owner(pydantic.BaseModel):
        id: uuid.UUID
        pets: list[str]

    app = Spikard()

    @app.get("/models")
    def models() -> dict:
        return {"pet": Pet("rex", dt.date(2020, 5, 1)), "owner": Owner(id=uuid.UUID(int=7), pets=["rex"])}

    body = serve(app).get("/models").json()
    assert body == {
        "pet": {"name": "rex", "born": "2020-05-01"},
        "owner": {"id": "00000000-0000-0000-0000-000000000007", "pets": ["rex"]},
    }


@pytest.mark.parametrize(("name", "expected"), [(n, e) for n, _, e in RETURNS])
def test_return_values(client, name: str, expected: bytes) -> None:
    response = client.get(f"/ret/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == expected


def test_bytes_and_status(client) -> None:
    response = client.get("/bytes")
    assert response.content == b"\x00\x01binary"
    assert response.headers["content-type"] == "application/octet-stream"
    assert client.post("/created").status_code == 201


def test_response_objects(client) -> None:
    r = client.get("/response/text")
    assert (r.status_code, r.text, r.headers["x-extra"]) == (202, "plain text", "1")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    r = client.get("/response/html")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    r = client.get("/response/json")
    assert (r.status_code, r.json(), r.headers["x-tea"]) == (418, {"a": 1}, "pot")
    r = client.get("/response/empty")
    assert (r.status_code, r.content) == (204, b"")
    r = client.get("/response/png")
    assert (r.content, r.headers["content-type"]) == (b"\x89PNG", "image/png")


@pytest.mark.parametrize("path", ["/nan", "/unserializable", "/cycle", "/cycle-dict", "/cycle-dataclass"])
def test_unencodable_values_are_500(client, path: str) -> None:
    assert_problem(client.get(path), 500, "internal-server-error")
    assert client.get("/ret/dict").status_code == 200
