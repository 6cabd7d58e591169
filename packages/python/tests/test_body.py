from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from conftest import Serve, assert_problem
from spikard import Spikard


@pytest.fixture
def client(serve: Serve):
    app = Spikard(body_limit=64 * 1024)

    @app.post("/echo")
    def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    @app.post("/list")
    def as_list(items: list[dict]) -> dict:
        return {"n": len(items)}

    @app.post("/optional")
    def optional(body: dict | None = None) -> dict:
        return {"body": body}

    return serve(app)


DOCS = [
    {"id": 12345, "name": "test_item", "active": True, "count": 42, "tags": ["tag1", "tag2", "tag3"]},
    {"unicode": "héllo wörld ✓ 😀", "escapes": 'quote" backslash\\ newline\n tab\t \u0001'},
    {"ints": [0, -1, 2**62, -(2**63), 2**64 - 1], "floats": [0.5, -1e-300, 1.7976931348623157e308]},
    {"empty": {}, "empty_list": [], "nested": {"a": {"b": {"c": [[], [{}]]}}}, "null": None},
    {f"k{i}": i for i in range(100)},
]


@pytest.mark.parametrize("doc", DOCS)
def test_json_round_trip(client, doc: dict) -> None:
    response = client.post("/echo", json=doc)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == doc
    assert list(response.json()) == list(doc)  # key order is kept


def test_structured_suffix_and_missing_content_type(client) -> None:
    headers = {"content-type": "application/vnd.api+json"}
    assert client.post("/echo", content=b'{"a":1}', headers=headers).json() == {"a": 1}
    assert client.post("/echo", content=b'{"a":2}').json() == {"a": 2}


@pytest.mark.parametrize(
    "raw", [b'{"a":', b"{'a': 1}", b"[1, 2", b'{"a": 1}}', b"nul", b'{"a": "\xff"}', b"\xef\xbb\xbf{}"]
)
def test_malformed_json_is_400(client, raw: bytes) -> None:
    body = assert_problem(
        client.post("/echo", content=raw, headers={"content-type": "application/json"}), 400
    )
    assert body["type"] == "https://spikard.dev/errors/malformed-json"
    (error,) = body["errors"]
    assert error["type"] == "json_invalid"
    assert error["loc"][0] == "body"
    assert "error" in error["ctx"]
    assert client.post("/echo", json={"still": "serving"}).json() == {"still": "serving"}


def test_deep_nesting_is_400_not_a_crash(client) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    assert_problem(client.post("/list", content=deep, headers={"content-type": "application/json"}), 413)
    deep = b"[" * 10_000 + b"]" * 10_000
    assert_problem(client.post("/list", content=deep, headers={"content-type": "application/json"}), 400)
    assert client.post("/list", json=[{}]).json() == {"n": 1}


def test_non_json_content_type_is_415(client) -> None:
    for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]:
        assert_problem(client.post("/echo", content=b"{}", headers={"content-type": ct}), 415)
    assert client.post("/echo", json={}).status_code == 200


def test_too_large_is_413(client) -> None:
    big = {"blob": "x" * (64 * 1024)}
    body = assert_problem(client.post("/echo", json=big), 413, "payload-too-large")
    assert "65536" in body["detail"]
    assert client.post("/echo", json={"small": True}).status_code == 200


def test_missing_and_wrong_shape_are_422(client) -> None:
    body = assert_problem(client.post("/echo"), 422)
    assert body["errors"] == [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
    body = assert_problem(client.post("/echo", json=[1, 2]), 422)
    assert body["errors"] == [
        {"type": "dict_type", "loc": ["body"], "msg": "Input should be a valid dictionary", "input": [1, 2]}
    ]
    body = assert_problem(client.post("/list", json={"a": 1}), 422)
    assert body["errors"][0]["type"] == "list_type"
    assert client.post("/optional").json() == {"body": None}
    assert client.post("/optional", json={"x": 1}).json() == {"body": {"x": 1}}


@dataclasses.dataclass
class Size:
    w: int
    h: int


@dataclasses.dataclass
class Parcel:
    label: str
    size: Size
    tags: list[str]


def test_dataclass_bodies_are_ordinary_instances(serve: Serve) -> None:
    """Plain dataclass bodies are made without running `__init__` (their validated dict
    becomes `__dict__`); they must still behave like instances `__init__` made."""
    app = Spikard()
    kept: list[Parcel] = []

    @app.post("/parcel")
    def parcel(body: Parcel) -> dict:
        kept.append(body)
        made = Parcel(body.label, Size(body.size.w, body.size.h), list(body.tags))
        body.note = "set"  # type: ignore[attr-defined]
        has_note = vars(body).get("note")
        del body.note  # type: ignore[attr-defined]
        body.label = body.label.upper()
        return {
            "equal_to_init": made == dataclasses.replace(body, label=made.label),
            "has_note": has_note,
            "vars": list(vars(body)),
            "repr": repr(body),
            "asdict": dataclasses.asdict(body),
        }

    client = serve(app)
    for w in range(50):
        response = client.post("/parcel", json={"label": "box", "size": {"w": w, "h": 2}, "tags": ["a"]})
        assert response.status_code == 200, response.text
    assert response.json() == {
        "equal_to_init": True,
        "has_note": "set",
        "vars": ["label", "size", "tags"],
        "repr": "Parcel(label='BOX', size=Size(w=49, h=2), tags=['a'])",
        "asdict": {"label": "BOX", "size": {"w": 49, "h": 2}, "tags": ["a"]},
    }
    assert [p.size.w for p in kept] == list(range(50))
