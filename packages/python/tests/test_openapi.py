"""The OpenAPI 3.1 document at `/openapi.json`, and Swagger UI at `/docs` rendering it."""

from __future__ import annotations

import copy
import shutil
import subprocess
from dataclasses import dataclass, make_dataclass
from pathlib import Path
from typing import Annotated, Any

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from conftest import Serve
from spikard import Cookie, Header, Query, Spikard
from spikard.openapi import openapi_document
from spikard.schema import Field
from spikard.testing import TestClient

STATIC = Path(__file__).parents[1] / "src" / "spikard" / "static" / "swagger-ui"
VALIDATION_FAILED = {"$ref": "#/components/responses/ValidationFailed"}
PROBLEM = {"$ref": "#/components/responses/Problem"}


@dataclass
class Tag:
    label: str


@dataclass
class Item:
    name: Annotated[str, Field(min_length=1)]
    price: Annotated[float, Field(ge=0)]
    tags: list[Tag]
    note: str | None = None


# Two different models both named `Part`.
PartA = make_dataclass("Part", [("size", int)])
PartB = make_dataclass("Part", [("color", str)])


def make_app() -> Spikard:
    app = Spikard()

    @app.get("/items/{item_id}", tags=["items"])
    def read_item(
        item_id: int,
        x_token: Annotated[str, Header()],
        q: Annotated[str | None, Query(max_length=20)] = None,
        ids: list[int] | None = None,
        session: Annotated[str | None, Cookie()] = None,
    ) -> Item:
        """Read one item.

        Looks the item up by its id."""
        return Item(q or "item", float(item_id), [Tag(t) for t in map(str, ids or [])])

    @app.post("/items", status_code=201, tags=["items"])
    def create_item(item: Item) -> Item:
        return item

    @app.delete("/items/{item_id}", status_code=204)
    def delete_item(item_id: int) -> None:
        return None

    @app.route("/files/{*rest}", ["GET", "HEAD"])
    def read_file(rest: str) -> dict[str, str]:
        return {"rest": rest}

    @app.get("/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/hidden", include_in_schema=False)
    def hidden() -> dict[str, bool]:
        return {"hidden": True}

    return app


@pytest.fixture
def client(serve: Serve) -> TestClient:
    return serve(make_app())


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


def resolve(document: dict[str, Any], ref: str) -> Any:
    """What a local `$ref` (`#/components/...`) points at in `document`."""
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node: Any) -> list[str]:
    """Every `$ref` in a JSON document."""
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    OpenAPIV31SpecValidator(document).validate()
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Spikard", "version": "0.1.0"}


def test_every_ref_resolves(document: dict[str, Any]) -> None:
    found = refs(document)
    assert "#/components/schemas/Item" in found and "#/components/schemas/Tag" in found
    for ref in found:
        assert isinstance(resolve(document, ref), dict), ref
    assert not any("$defs" in ref for ref in found)


def test_paths_and_operations(document: dict[str, Any]) -> None:
    # Hidden routes and the docs' own routes are left out; `{*rest}` is written `{rest}`.
    assert {path: sorted(item) for path, item in document["paths"].items()} == {
        "/items/{item_id}": ["delete", "get"],
        "/items": ["post"],
        "/files/{rest}": ["get"],  # HEAD beside GET is not documented twice
        "/health": ["get"],
    }
    read = document["paths"]["/items/{item_id}"]["get"]
    assert read["operationId"] == "read_item_get"
    assert read["summary"] == "Read one item."
    assert read["description"] == "Looks the item up by its id."
    assert read["tags"] == ["items"]
    health = document["paths"]["/health"]["get"]
    assert health == {
        "operationId": "health_get",
        "summary": "Health",
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "additionalProperties": {"type": "boolean"}}
                    }
                },
            },
            "default": PROBLEM,  # no parameters, so no 422
        },
    }


def test_parameters(document: dict[str, Any]) -> None:
    assert document["paths"]["/items/{item_id}"]["get"]["parameters"] == [
        {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}},
        {"name": "x-token", "in": "header", "required": True, "schema": {"type": "string"}},
        # `X | None = None` is an optional parameter, never a null one.
        {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 20}},
        {
            "name": "ids",
            "in": "query",
            "required": False,
            "schema": {"type": "array", "items": {"type": "integer"}},
            "style": "form",
            "explode": True,
        },
        {"name": "session", "in": "cookie", "required": False, "schema": {"type": "string"}},
    ]
    assert document["paths"]["/files/{rest}"]["get"]["parameters"] == [
        {"name": "rest", "in": "path", "required": True, "schema": {"type": "string"}}
    ]


def test_bodies_and_responses(document: dict[str, Any]) -> None:
    create = document["paths"]["/items"]["post"]
    item = {"$ref": "#/components/schemas/Item"}
    assert create["requestBody"] == {"required": True, "content": {"application/json": {"schema": item}}}
    assert create["responses"] == {
        "201": {"description": "Created", "content": {"application/json": {"schema": item}}},
        "422": VALIDATION_FAILED,
        "default": PROBLEM,
    }
    assert document["paths"]["/items/{item_id}"]["delete"]["responses"] == {
        "204": {"description": "No Content"},
        "422": VALIDATION_FAILED,
        "default": PROBLEM,
    }
    schemas = document["components"]["schemas"]
    assert schemas["Item"] == {
        "title": "Item",
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "price": {"type": "number", "minimum": 0},
            "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        },
        "required": ["name", "price", "tags"],
    }
    assert schemas["Tag"]["properties"] == {"label": {"type": "string"}}
    responses = document["components"]["responses"]
    assert responses["ValidationFailed"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ValidationProblem"}}
    }
    assert responses["Problem"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }


def test_real_responses_match_their_documented_schemas(client: TestClient, document: dict[str, Any]) -> None:
    def check(body: Any, ref: str) -> None:
        schema = {"$ref": ref, "components": document["components"]}
        jsonschema.Draft202012Validator(schema).validate(body)

    ok = client.get("/items/3?ids=1&ids=2", headers={"x-token": "t"})
    assert ok.status_code == 200, ok.text
    check(ok.json(), "#/components/schemas/Item")
    invalid = client.get("/items/x?q=" + "a" * 30)
    assert invalid.status_code == 422
    check(invalid.json(), "#/components/schemas/ValidationProblem")
    malformed = client.post("/items", content=b"{", headers={"content-type": "application/json"})
    assert malformed.status_code == 400
    check(malformed.json(), "#/components/schemas/Problem")
    check(client.get("/nowhere").json(), "#/components/schemas/Problem")


def test_defs_are_hoisted_without_touching_the_routes() -> None:
    """Equal models share one component; different models of the same name get `Name_2`,
    in registration order; the routes' own schemas keep their `$defs`."""
    app = Spikard()

    @app.post("/a")
    def post_a(part: PartA) -> PartA:
        return part

    @app.post("/b")
    def post_b(part: PartB) -> PartA:
        return PartA(len(part.color))

    before = copy.deepcopy([(r.params, r.response_schema) for r in app.routes])
    document = openapi_document(app)
    assert [(r.params, r.response_schema) for r in app.routes] == before
    OpenAPIV31SpecValidator(document).validate()
    schemas = document["components"]["schemas"]
    assert schemas["Part"]["properties"] == {"size": {"type": "integer"}}
    assert schemas["Part_2"]["properties"] == {"color": {"type": "string"}}
    body_b = document["paths"]["/b"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    answer_b = document["paths"]["/b"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert body_b == {"$ref": "#/components/schemas/Part_2"}
    assert answer_b == {"$ref": "#/components/schemas/Part"}
    assert document == openapi_document(app)  # deterministic


def test_docs_page_and_its_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/docs/swagger-ui-bundle.js">' in page.text
    assert '<link rel="stylesheet" href="/docs/swagger-ui.css">' in page.text
    assert 'url: "/openapi.json"' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from a CDN
    for name, media_type in [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
    ]:
        asset = client.get(f"/docs/{name}")
        assert asset.status_code == 200
        assert asset.headers["content-type"] == media_type
        assert asset.content == (STATIC / name).read_bytes()


def test_swagger_ui_renders_the_operations_in_chromium(client: TestClient, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not on PATH (tools/install-chromium.sh installs it)")
    dom = subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # Any host but the test server fails to resolve: the page must need no network.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            f"{client.base_url}/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr
    html = dom.stdout
    assert 'class="swagger-ui' in html, html[:2000]
    # One opblock per operation, each with its method, path and summary.
    assert html.count('class="opblock opblock-') == 5, html
    for method, path, summary in [
        ("get", "/items/{item_id}", "Read one item."),
        ("delete", "/items/{item_id}", "Delete Item"),
        ("post", "/items", "Create Item"),
        ("get", "/files/{rest}", "Read File"),
        ("get", "/health", "Health"),
    ]:
        assert f'class="opblock opblock-{method}' in html
        assert f'data-path="{path}"' in html
        assert f'<div class="opblock-summary-description">{summary}</div>' in html
    assert "/hidden" not in html
