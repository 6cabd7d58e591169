"""Schema-first routes: `body_schema` and `parameter_schema` validated by the same Rust code,
with the same errors, as annotated routes; bad schemas fail at registration."""

from __future__ import annotations

import uuid
from typing import Annotated

import pytest

from conftest import Serve, assert_problem
from spikard import Query, Spikard

ORDER = {
    "type": "object",
    "properties": {
        "sku": {"type": "string", "pattern": "^SKU-[0-9]{4}$"},
        "qty": {"type": "integer", "minimum": 1, "maximum": 99},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}, "maxItems": 2},
    },
    "required": ["sku", "qty"],
    "additionalProperties": False,
    "$defs": {"Line": {"type": "object", "properties": {"note": {"type": "string"}}, "required": ["note"]}},
}
PARAMS = {
    "type": "object",
    "properties": {
        "shop": {"type": "string", "in": "path", "minLength": 3},
        "limit": {"type": "integer", "minimum": 1, "default": 10},
        "tags": {"type": "array", "items": {"enum": ["a", "b"]}},
        "x-trace": {"type": "string", "in": "header", "format": "uuid"},
    },
    "required": ["x-trace"],
}


def make_app() -> Spikard:
    app = Spikard()

    @app.post("/orders", body_schema=ORDER, response_schema={"type": "object"})
    def create(body):  # type: ignore[no-untyped-def]
        return {"received": body}

    @app.get("/shops/{shop}", parameter_schema=PARAMS)
    def shop(**params):  # type: ignore[no-untyped-def]
        return params

    return app


def test_a_valid_body_passes_through(serve: Serve) -> None:
    client = serve(make_app())
    order = {"sku": "SKU-0001", "qty": 2, "lines": [{"note": "gift"}]}
    assert client.post("/orders", json=order).json() == {"received": order}


def test_body_errors_are_the_usual_422(serve: Serve) -> None:
    client = serve(make_app())
    body = assert_problem(
        client.post(
            "/orders", json={"sku": "sku-1", "qty": 0, "lines": [{}, {"note": 1}, {"note": "x"}], "x": 1}
        ),
        422,
        "validation-error",
    )
    assert body["detail"] == "6 validation errors in request"
    assert [(e["type"], e["loc"]) for e in body["errors"]] == [
        ("string_pattern_mismatch", ["body", "sku"]),
        ("greater_than_equal", ["body", "qty"]),
        ("too_long", ["body", "lines"]),
        ("missing", ["body", "lines", 0, "note"]),
        ("string_type", ["body", "lines", 1, "note"]),
        ("extra_forbidden", ["body", "x"]),
    ]
    assert_problem(client.post("/orders", content=b"{", headers={"content-type": "application/json"}), 400)


def test_parameters_from_a_schema(serve: Serve) -> None:
    client = serve(make_app())
    trace = "a8098c1a-f86e-11da-bd1a-00112444be1e"
    got = client.get("/shops/main?tags=a&tags=b", headers={"x-trace": trace}).json()
    assert got == {"shop": "main", "limit": 10, "tags": ["a", "b"], "x-trace": trace}
    body = assert_problem(client.get("/shops/ab?limit=0&tags=c", headers={"x-trace": "nope"}), 422)
    assert [(e["type"], e["loc"]) for e in body["errors"]] == [
        ("string_too_short", ["path", "shop"]),
        ("greater_than_equal", ["query", "limit"]),
        ("enum", ["query", "tags", 0]),
        ("uuid_parsing", ["header", "x-trace"]),
    ]
    body = assert_problem(client.get("/shops/main"), 422)
    assert body["errors"] == [
        {"type": "missing", "loc": ["header", "x-trace"], "msg": "Field required", "input": None}
    ]


def test_bad_schemas_fail_at_registration() -> None:
    app = Spikard()
    with pytest.raises(TypeError, match="unsupported JSON Schema keyword"):

        @app.post("/a", body_schema={"type": "object", "if": {}})
        def a(body):  # type: ignore[no-untyped-def]
            return body

    with pytest.raises(TypeError, match="no `body` argument"):

        @app.post("/b", body_schema={"type": "object"})
        def b(payload: dict) -> dict:
            return payload

    with pytest.raises(TypeError, match="takes no argument for"):

        @app.get("/c", parameter_schema={"type": "object", "properties": {"q": {"type": "string"}}})
        def c() -> dict:
            return {}

    with pytest.raises(TypeError, match="invalid pattern"):

        @app.get(
            "/d",
            parameter_schema={"type": "object", "properties": {"q": {"type": "string", "pattern": "(?=x)"}}},
        )
        def d(q: str) -> dict:
            return {}


def test_uuid_list_parameters(serve: Serve) -> None:
    app = Spikard()

    @app.get("/ids")
    def ids(id: Annotated[list[uuid.UUID], Query(max_length=2)]) -> dict:
        return {"ids": [str(i) for i in id], "type": type(id[0]).__name__}

    client = serve(app)
    a, b = "a8098c1a-f86e-11da-bd1a-00112444be1e", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
    assert client.get(f"/ids?id={a}&id={b}").json() == {"ids": [a, b], "type": "UUID"}
    body = assert_problem(client.get(f"/ids?id={a}&id={b}&id={a}"), 422)
    assert [e["type"] for e in body["errors"]] == ["too_long"]
    with pytest.raises(TypeError, match="constraints on UUID parameters"):

        @app.get("/bad")
        def bad(u: Annotated[uuid.UUID, Query(pattern="^a")]) -> dict:
            return {}
